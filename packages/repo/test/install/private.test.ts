/**
 * install steps of a private repository (expected text written by hand from apt_auth.conf(5), dnf.conf(5)
 * username/password, libzypp's credentials files and `?credentials=`, pacman's and apk's URL credentials):
 * the credential step per family holds the placeholder <READ_TOKEN>, never a token; files holding it are
 * mode 0600; the document carries `private` and refuses a user name that could break a file; base URLs with
 * credentials are still refused. (interop/install-private.test.ts runs the file-writing commands in sh.)
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { catalogueTarget } from "../../src/catalogue/index.ts";
import { isRepoError } from "../../src/errors.ts";
import { installDocument } from "../../src/install/document.ts";
import { targetSteps } from "../../src/install/steps.ts";
import { installText } from "../../src/install/text.ts";
import { READ_TOKEN_PLACEHOLDER, type StepContext } from "../../src/install/types.ts";
import { memoryStorage } from "../../src/storage/memory.ts";

const BASE = "https://pkgs.example.com/r/acme/main";
const FPR = "0123456789ABCDEF0123456789ABCDEF01234567";

function ctx(id: string, extra: Partial<StepContext> = {}): StepContext {
  return {
    target: catalogueTarget(id),
    baseUrl: BASE,
    root: "x",
    architectures: [],
    package: "hello",
    name: "acme",
    openpgp: {
      name: "acme",
      fingerprints: [FPR],
      asc: `${BASE}/keys/acme.asc`,
      gpg: `${BASE}/keys/acme.gpg`,
    },
    apk: { name: "acme.rsa.pub", url: `${BASE}/keys/acme.rsa.pub`, sha256: "0".repeat(64) },
    private: { username: "reader", token: READ_TOKEN_PLACEHOLDER },
    ...extra,
  };
}

describe("private repository install steps", () => {
  test("apt: /etc/apt/auth.conf.d/<name>.conf, 0600, machine host/path login password <READ_TOKEN>, before apt-get update", () => {
    const steps = targetSteps(ctx("debian-12"));
    const i = steps.findIndex((s) => s.file?.path === "/etc/apt/auth.conf.d/acme.conf");
    assert.ok(i > 0, steps.map((s) => s.title).join(" / "));
    assert.equal(steps[i + 1]!.command, "apt-get update");
    assert.deepEqual(steps[i]!.file, {
      path: "/etc/apt/auth.conf.d/acme.conf",
      mode: "0600",
      contents: "machine pkgs.example.com/r/acme/main/deb login reader password <READ_TOKEN>\n",
    });
    assert.match(steps[i]!.title, /replace <READ_TOKEN> with your read token/);
    assert.ok(
      steps[i]!.command.startsWith(
        "install -d -m 0755 /etc/apt/auth.conf.d && install -m 0600 /dev/null /etc/apt/auth.conf.d/acme.conf && cat > /etc/apt/auth.conf.d/acme.conf <<'",
      ),
      steps[i]!.command,
    );
    // The sources file is the public one: no credentials in URIs.
    assert.ok(steps.every((s) => !(s.file?.contents ?? "").includes("reader@")));
    // An http base URL keeps its scheme (apt matches a scheme-less machine over https only).
    const http = targetSteps(ctx("debian-12", { baseUrl: "http://127.0.0.1:8080/r/acme/main" }));
    assert.equal(
      http.find((s) => s.file?.path === "/etc/apt/auth.conf.d/acme.conf")!.file!.contents,
      "machine http://127.0.0.1:8080/r/acme/main/deb login reader password <READ_TOKEN>\n",
    );
  });

  test("dnf: the .repo written in place (not downloaded), 0600, with username= and password=", () => {
    const steps = targetSteps(ctx("el-9", { repoFile: `${BASE}/rpm/el/9/acme.repo`, repoName: "acme" }));
    const add = steps.find((s) => s.file?.path === "/etc/yum.repos.d/acme.repo");
    assert.ok(add !== undefined, steps.map((s) => s.command).join("\n"));
    assert.equal(add.file!.mode, "0600");
    assert.match(add.file!.contents, /\nusername=reader\npassword=<READ_TOKEN>\n$/);
    assert.match(add.file!.contents, /\ngpgcheck=1\nrepo_gpgcheck=1\n/);
    assert.ok(
      steps.every((s) => s.url !== `${BASE}/rpm/el/9/acme.repo`),
      "the published .repo is not fetched",
    );
  });

  test("zypper: /etc/zypp/credentials.d/<alias> with username=/password=, named by the URL's ?credentials=", () => {
    const steps = targetSteps(ctx("opensuse-15.6", { repoName: "acme" }));
    const cred = steps.find((s) => s.file?.path === "/etc/zypp/credentials.d/acme");
    assert.deepEqual(cred?.file, {
      path: "/etc/zypp/credentials.d/acme",
      mode: "0600",
      contents: "username=reader\npassword=<READ_TOKEN>\n",
    });
    const add = steps.find((s) => s.command.includes("addrepo"))!;
    assert.ok(add.command.includes(`'${BASE}/rpm/opensuse/15.6/$basearch/?credentials=acme'`), add.command);
    assert.ok(steps.indexOf(cred!) < steps.indexOf(add));
  });

  test("pacman and apk: the credentials in the repository URL", () => {
    const pacman = targetSteps(ctx("arch", { pacmanRepo: "acme" }));
    const conf = pacman.find((s) => s.file?.path === undefined && s.command.includes("/etc/pacman.conf"));
    assert.ok(
      conf?.command.includes(
        "Server = https://reader:<READ_TOKEN>@pkgs.example.com/r/acme/main/archlinux/$repo/os/$arch\n",
      ),
      conf?.command,
    );
    assert.match(conf!.title, /READ_TOKEN/);
    const apk = targetSteps(ctx("alpine-3.22"));
    assert.ok(
      apk.some((s) =>
        s.command.includes("'https://reader:<READ_TOKEN>@pkgs.example.com/r/acme/main/alpine/v3.22/main'"),
      ),
      apk.map((s) => s.command).join("\n"),
    );
  });

  test("without private, no step mentions a token or a credentials file", () => {
    for (const id of ["debian-12", "el-9", "opensuse-15.6", "arch", "alpine-3.22"]) {
      const { private: _, ...rest } = ctx(id);
      const all = JSON.stringify(targetSteps(rest));
      assert.ok(!/READ_TOKEN|auth\.conf|credentials|username=/.test(all), `${id}: ${all}`);
    }
  });
});

describe("installDocument private option", () => {
  test("the document says private with the placeholder; the text says to replace it; bad user names are refused", async () => {
    const s = memoryStorage();
    const doc = await installDocument(s, { baseUrl: BASE, private: { username: "reader" } });
    assert.deepEqual(doc.private, { username: "reader", token: "<READ_TOKEN>" });
    assert.match(
      installText(doc),
      /This repository is private: .* <READ_TOKEN>; replace it with yours \(user name reader\)/,
    );
    for (const username of ["", "a b", "a:b", "a@b", "x\n", "-a", "a".repeat(65)])
      await assert.rejects(
        installDocument(s, { baseUrl: BASE, private: { username } }),
        (e: unknown) => isRepoError(e) && e.code === "INVALID_SETTING" && /private\.username/.test(e.message),
        JSON.stringify(username),
      );
    // Credentials in the base URL stay refused: install files are public.
    await assert.rejects(
      installDocument(s, {
        baseUrl: "https://reader:secret@pkgs.example.com/r",
        private: { username: "reader" },
      }),
      (e: unknown) =>
        isRepoError(e) && e.code === "INVALID_SETTING" && /without user:password@/.test(e.message),
    );
  });
});

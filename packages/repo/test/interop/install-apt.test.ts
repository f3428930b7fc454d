/**
 * The APT install instructions, run as users run them, on a real Debian 12: the example published over
 * HTTP on 127.0.0.1, then in a fresh copy of the Debian 12 root (testkit debian-root.ts), each command of
 * install.json's `debian-12` target runs unchanged as root (`chroot <root> sh -c <command>`, stdin
 * closed), apt-get installs the package with the repository's signature checked, the installed `hello`
 * runs and prints what the example's script prints, `dpkg -s` reports it installed and `apt-get remove`
 * removes it. A second copy runs the one-line `curl -fsSL <url>/install.sh | sh -s -- -y` instead.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { after, describe, type TestContext, test } from "node:test";
import { writeInstallFiles } from "@packyard/repo";
import { type DebianRoot, freshDebianRoot } from "@packyard/testkit/debian-root";
import {
  EXAMPLE,
  HELLO_OUTPUT,
  type InstallRepo,
  NO_CHECKS,
  publishExample,
  stepOutput,
} from "./install-repo.ts";

let shared: Promise<InstallRepo> | undefined;
let installFiles: Promise<{ written: string[] }> | undefined;
after(async () => {
  if (shared !== undefined) await (await shared).dispose();
});
const repository = () => {
  shared ??= publishExample(["deb"]);
  return shared;
};

/** The example is installed in `root`: its binary runs, dpkg says so, and apt-get remove removes it. */
async function judgeInstalled(t: TestContext, root: DebianRoot, repo: InstallRepo): Promise<void> {
  const hello = await root.sh("hello");
  assert.equal(hello.code, 0, stepOutput("run hello", "hello", hello));
  assert.equal(hello.stdout, HELLO_OUTPUT);
  const alias = await root.sh("hello-packyard apt");
  assert.equal(
    alias.stdout,
    "Hello from packyard, apt!\n",
    stepOutput("run hello-packyard", "hello-packyard apt", alias),
  );

  const status = await root.sh(`dpkg -s ${EXAMPLE}`);
  assert.equal(status.code, 0, stepOutput("dpkg -s", "", status));
  assert.match(status.stdout, /^Status: install ok installed$/m, status.stdout);
  // fixtures/example/packyard.yml: version 1.0.0, release "1"
  assert.match(status.stdout, /^Version: 1\.0\.0-1$/m, status.stdout);

  // apt fetched the package from the repository's pool through the published, signed index
  const fetched = repo.server.log.filter(
    (r) => r.path === `/deb/pool/main/h/${EXAMPLE}/${repo.packages.deb!.name}`,
  );
  assert.ok(
    fetched.some((r) => r.status === 200),
    `GET of the pool file: ${repo.server.log.map((r) => `${r.status} ${r.path}`).join(", ")}`,
  );

  const remove = await root.sh(`apt-get remove -y ${EXAMPLE}`);
  assert.equal(remove.code, 0, stepOutput("apt-get remove", "", remove));
  assert.equal(
    existsSync(join(root.path, "usr/bin/hello")),
    false,
    "/usr/bin/hello is gone after apt-get remove",
  );
  const after = await root.sh(`dpkg -s ${EXAMPLE}`);
  // the conffile stays until purge, as for any Debian package
  assert.match(after.stdout, /^Status: deinstall ok config-files$/m, after.stdout + after.stderr);
  t.diagnostic(`apt-get remove: ${Math.round(remove.ms)} ms`);
}

describe("APT on Debian 12", { concurrency: true }, () => {
  test("install.json's debian-12 steps run verbatim in a chroot; apt installs the example, whose binary runs", async (t) => {
    const root = await freshDebianRoot(t);
    if (root === undefined) return;
    const start = performance.now();
    const repo = await repository();
    const target = repo.target("debian-12");
    assert.equal(target.package, EXAMPLE);
    for (const step of target.steps) {
      assert.doesNotMatch(step.command, NO_CHECKS, step.command);
      const r = await root.sh(step.command);
      assert.equal(r.code, 0, stepOutput(step.title, step.command, r));
      assert.doesNotMatch(
        `${r.stdout}\n${r.stderr}`,
        /^(W|E|Err):/m,
        stepOutput(step.title, step.command, r),
      );
      if (step.file !== undefined)
        assert.equal(
          (await root.sh(`cat ${step.file.path}`)).stdout,
          step.file.contents,
          `${step.file.path} holds what install.json says the step writes`,
        );
      t.diagnostic(`${step.title}: ${Math.round(r.ms)} ms`);
    }
    // apt checked the suite's signature with the key the steps installed
    assert.ok(
      repo.server.log.some((r) => r.path === "/deb/dists/stable/InRelease" && r.status === 200),
      "apt fetched InRelease",
    );
    await judgeInstalled(t, root, repo);
    t.diagnostic(`case: ${Math.round(performance.now() - start)} ms (${root.mode})`);
  });

  test("curl -fsSL <url>/install.sh | sh -s -- -y in a fresh root installs the example, whose binary runs", async (t) => {
    const root = await freshDebianRoot(t);
    if (root === undefined) return;
    const start = performance.now();
    const repo = await repository();
    installFiles ??= writeInstallFiles(repo.storage, {
      baseUrl: repo.server.url,
      name: EXAMPLE,
      package: EXAMPLE,
    });
    const { written } = await installFiles;
    assert.ok(written.includes("install.sh"), `install.sh written (${written.join(", ")})`);
    // the one line the page and the README print, with -y for a run without a terminal
    const url = `${repo.server.url}/install.sh`;
    assert.equal(repo.doc.script.url, url);
    assert.equal(repo.doc.script.command, `curl -fsSL ${url} | sh`);
    const command = `${repo.doc.script.command} -s -- -y`;
    const r = await root.sh(command);
    assert.equal(r.code, 0, stepOutput("install.sh -y", command, r));
    t.diagnostic(`install.sh -y: ${Math.round(r.ms)} ms`);
    // it added the repository the way the debian-12 steps do: the same key and sources files
    for (const step of repo.target("debian-12").steps)
      if (step.file !== undefined)
        assert.equal((await root.sh(`cat ${step.file.path}`)).stdout, step.file.contents, step.file.path);
    await judgeInstalled(t, root, repo);
    t.diagnostic(`case: ${Math.round(performance.now() - start)} ms (${root.mode})`);
  });
});

/**
 * `packyard publish` of the example project's rpm, as the README's RPM-MD section runs it, gives a
 * repository that dnf and zypper install from with gpgcheck=1 and repo_gpgcheck=1: the .repo file it
 * writes is used as it is, the key comes from the repository, and the rpm (built unsigned) is signed at
 * publish.
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { type FolderServer, serveFolder } from "@packyard/testkit/http";
import { scratchDnf, scratchZypper, stubRpm } from "@packyard/testkit/rpms";
import { needRoot, needTool } from "@packyard/testkit/tools";
import { spawnCli } from "../run-cli.ts";
import { buildJson, exampleCopy } from "./support.ts";

let dir: string;
let server: FolderServer;
let repoText: string;
let publicKey: string;
const RPM = "dist/hello-packyard-1.0.0-1.noarch.rpm";

before(async () => {
  dir = exampleCopy();
  server = await serveFolder(join(dir, "public"));
  const built = buildJson(dir, ["-p", "rpm"]);
  assert.equal(built.result.status, 0, built.result.stderr);
  // An empty install root needs /bin/sh; the stub provides it (a second rpm on the command line).
  writeFileSync(join(dir, "stub.rpm"), (await stubRpm()).bytes);
  const keygen = spawnCli(
    ["keygen", "--type", "openpgp", "--name", "repo", "--email", "repo@example.invalid", "-o", "keys"],
    dir,
  );
  assert.equal(keygen.status, 0, keygen.stderr);
  const published = spawnCli(
    [
      "publish",
      RPM,
      "stub.rpm",
      "--to",
      "public",
      "--key",
      "keys/repo.secret.asc",
      "--rpm-target",
      "el-9",
      "--base-url",
      server.url,
    ],
    dir,
    { SOURCE_DATE_EPOCH: "1700000000" },
  );
  assert.equal(published.status, 0, published.stderr);
  assert.match(published.stdout + published.stderr, /\(rpm\/el\/9\/x86_64\): 2 added/);
  repoText = readFileSync(join(dir, "public/rpm/el/9/hello-packyard.repo"), "utf8");
  publicKey = join(dir, "public/keys/RPM-GPG-KEY-hello-packyard");
});

after(async () => {
  await server?.stop();
});

test("dnf installs the example from the published .repo with gpgcheck=1 and repo_gpgcheck=1", async (t) => {
  if (!needTool(t, "dnf", "rpm")) return;
  assert.match(repoText, /\ngpgcheck=1\n/);
  assert.match(repoText, /\nrepo_gpgcheck=1\n/);
  assert.ok(repoText.includes(`\nbaseurl=${server.url}/rpm/el/9/$basearch/\n`), repoText);
  const dnf = scratchDnf(undefined, repoText);
  t.after(() => dnf.dispose());
  const cache = await dnf.dnf(["makecache"]);
  assert.equal(cache.code, 0, cache.stdout + cache.stderr);
  const install = await dnf.dnf(["install", "hello-packyard"]);
  assert.equal(install.code, 0, install.stdout + install.stderr);
  const verify = await dnf.rpm(["-V", "hello-packyard"]);
  assert.equal(verify.code, 0, verify.stdout + verify.stderr);
  const sig = await dnf.rpm(["-q", "--qf", "%{RSAHEADER:pgpsig}", "hello-packyard"]);
  assert.match(sig.stdout, /^RSA\/SHA\d+, .*Key ID [0-9a-f]{16}$/, sig.stdout);
  assert.ok(server.log.some((l) => l.path === "/keys/RPM-GPG-KEY-hello-packyard" && l.status === 200));
});

test("zypper installs the example with the repository key imported and a plain refresh", async (t) => {
  if (!needTool(t, "zypper", "rpm") || !needRoot(t, "zypper installs into a scratch root")) return;
  const z = scratchZypper();
  t.after(() => z.dispose());
  const imported = await z.rpm(["--import", publicKey]);
  assert.equal(imported.code, 0, imported.stderr);
  const add = await z.zypper(["addrepo", "--refresh", `${server.url}/rpm/el/9/x86_64/`, "example"]);
  assert.equal(add.code, 0, add.stdout + add.stderr);
  const refresh = await z.zypper(["refresh"]);
  assert.equal(refresh.code, 0, refresh.stdout + refresh.stderr);
  const install = await z.zypper(["install", "hello-packyard"]);
  assert.equal(install.code, 0, install.stdout + install.stderr);
  const verify = await z.rpm(["-V", "hello-packyard"]);
  assert.equal(verify.code, 0, verify.stdout + verify.stderr);
});

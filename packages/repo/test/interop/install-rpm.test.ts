/**
 * The RPM-MD install instructions, run by the real clients against the example published over HTTP on
 * 127.0.0.1: install.json's `el-9` commands with dnf, its `opensuse-15.6` commands with zypper, each with
 * only the root paths rewritten so that they act on a scratch root instead of the host (rpm's database,
 * /etc/yum.repos.d, zypper's and dnf's root), and nothing else: no option that turns a check off, no repo
 * file of the test's own. Each installs the example package, signed and verified with the key the steps
 * imported. The scratch root starts as empty as an install root is; the repository also holds the testkit
 * stub rpm, which provides the /bin/sh the example's scriptlets require, so the install pulls it in
 * through the published metadata like any other dependency.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, type TestContext, test } from "node:test";
import { shellQuote } from "@packyard/repo";
import { parseRpmQuery, RPM_QUERY_FORMAT, runAsync } from "@packyard/testkit/rpms";
import { needRoot, needTool } from "@packyard/testkit/tools";
import {
  clientEnv,
  EXAMPLE,
  HELLO_OUTPUT,
  type InstallRepo,
  publishExample,
  rewriteCommand,
  runSteps,
  stepOutput,
} from "./install-repo.ts";

let shared: Promise<InstallRepo> | undefined;
after(async () => {
  if (shared !== undefined) await (await shared).dispose();
});
const repository = () => {
  shared ??= publishExample(["rpm"]);
  return shared;
};

/** An empty install root in a scratch folder removed after the test. */
function scratchRoot(t: TestContext, prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const root = join(dir, "root");
  mkdirSync(root);
  return root;
}

/**
 * The example is installed in `root` from the repository, signed by its key; the stub came with it; the
 * client fetched the signature of `path`'s repomd.xml (it checked the metadata, not only the packages).
 */
async function judgeInstalled(root: string, repo: InstallRepo, path: string): Promise<void> {
  assert.ok(
    repo.server.log.some((r) => r.path === `/rpm/${path}/x86_64/repodata/repomd.xml.asc` && r.status === 200),
    `GET /rpm/${path}/x86_64/repodata/repomd.xml.asc in ${repo.server.log.map((r) => r.path).join(", ")}`,
  );
  const q = await runAsync("rpm", ["--root", root, "-qa", "--qf", RPM_QUERY_FORMAT], clientEnv());
  assert.equal(q.code, 0, stepOutput("rpm -qa", "", q));
  const installed = parseRpmQuery(q.stdout)
    .map((p) => `${p.name}-${p.version}-${p.release}.${p.arch}`)
    .filter((n) => !n.startsWith("gpg-pubkey-"))
    .sort();
  // fixtures/example/packyard.yml: version 1.0.0, release 1, arch all (noarch)
  assert.deepEqual(installed, [`${EXAMPLE}-1.0.0-1.noarch`, "packyard-stub-1.0-1.x86_64"], q.stdout);
  const verify = await runAsync("rpm", ["--root", root, "-V", EXAMPLE], clientEnv());
  assert.equal(verify.code, 0, stepOutput("rpm -V", "", verify));
  const sig = await runAsync(
    "rpm",
    ["--root", root, "-q", "--qf", "%{RSAHEADER:pgpsig}", EXAMPLE],
    clientEnv(),
  );
  assert.match(sig.stdout, new RegExp(`, Key ID ${repo.signer.keyId.toLowerCase()}$`), sig.stdout);
  // the one key trusted is the one `rpm --import` took from the repository
  const keys = await runAsync(
    "rpm",
    ["--root", root, "-q", "--qf", "%{VERSION}\n", "gpg-pubkey"],
    clientEnv(),
  );
  assert.equal(keys.stdout, `${repo.signer.keyId.toLowerCase().slice(-8)}\n`, keys.stdout + keys.stderr);
  // the installed script is the example's, and runs (the stub's busybox is the root's /bin/sh)
  assert.equal(
    readFileSync(join(root, "usr/bin/hello"), "utf8"),
    readFileSync(new URL("../../../../fixtures/example/bin/hello", import.meta.url), "utf8"),
  );
  const hello = await runAsync("chroot", [root, "/bin/sh", "/usr/bin/hello"], clientEnv());
  assert.equal(hello.stdout, HELLO_OUTPUT, stepOutput("hello", "", hello));
}

describe("RPM-MD clients", { concurrency: true }, () => {
  test("dnf: el-9's steps with only the root paths rewritten install the example", async (t) => {
    if (!needTool(t, "dnf", "rpm", "curl", "busybox", "chroot")) return;
    if (!needRoot(t, "dnf and rpm install into a scratch root, chrooting for scriptlets")) return;
    const start = performance.now();
    const repo = await repository();
    const target = repo.target("el-9");
    assert.equal(target.manager, "dnf");
    const root = scratchRoot(t, "packyard-install-dnf-");
    // what every EL system has before the steps run
    mkdirSync(join(root, "etc/yum.repos.d"), { recursive: true });
    const r = shellQuote(root);
    await runSteps(t, target.steps, (command) => {
      let out = rewriteCommand(command, "rpm", `rpm --root ${r}`);
      out = rewriteCommand(out, "dnf", `dnf --installroot=${r}`);
      return out.replaceAll("/etc/yum.repos.d/", `${r}/etc/yum.repos.d/`);
    });
    await judgeInstalled(root, repo, "el/9");
    t.diagnostic(`case: ${Math.round(performance.now() - start)} ms`);
  });

  test("zypper: opensuse-15.6's steps with only the root paths rewritten install the example", async (t) => {
    if (!needTool(t, "zypper", "rpm", "curl", "busybox", "chroot")) return;
    if (!needRoot(t, "zypper and rpm install into a scratch root, chrooting for scriptlets")) return;
    const start = performance.now();
    const repo = await repository();
    const target = repo.target("opensuse-15.6");
    assert.equal(target.manager, "zypper");
    const root = scratchRoot(t, "packyard-install-zypper-");
    const r = shellQuote(root);
    await runSteps(t, target.steps, (command) =>
      rewriteCommand(rewriteCommand(command, "rpm", `rpm --root ${r}`), "zypper", `zypper --root ${r}`),
    );
    await judgeInstalled(root, repo, "opensuse/15.6");
    t.diagnostic(`case: ${Math.round(performance.now() - start)} ms`);
  });
});

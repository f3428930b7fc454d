/**
 * dnf 4 judges RPM-MD roots whose publisher was killed at four chosen writes — right after the last pool
 * file, right after a metadata file, between repomd.xml and repomd.xml.asc, right after the pointer — on a
 * folder read over file: and on S3 read over HTTP, with repo_gpgcheck=1 and the signer's key. A dnf that
 * made its cache before the crash makes it again after it, lists the packages of one whole generation
 * (the old one until repomd.xml is written, the new one after) and downloads them. Between repomd.xml and
 * its signature dnf must fail with a bad signature: that is the pair race of repos.md §7, which no write
 * order avoids; the checker reports exactly that signature there, and the next publish repairs it.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, type TestContext, test } from "node:test";
import { verifyRepository } from "@packyard/repo";
import { openpgpTestKey } from "@packyard/testkit/keyrings";
import { type ScratchDnf, scratchDnf, type ToolRun } from "@packyard/testkit/rpms";
import { startS3 } from "@packyard/testkit/s3";
import { needRoot, needTool } from "@packyard/testkit/tools";
import { runChild } from "../publish/child-run.ts";
import {
  assertAfterKill,
  type CrashDriver,
  folderCopies,
  RPM_BASE,
  RPM_CHANGE,
  s3Copies,
} from "../publish/crash-support.ts";

const work = mkdtempSync(join(tmpdir(), "packyard-rpm-crash-dnf-"));
const base = join(work, "base");
let secret = "";
let publicKey = "";
before(async () => {
  // RSA, as every RPM target's clients accept (EL 8 and openSUSE take nothing else).
  const { key } = await openpgpTestKey({ type: "rsa", rsaBits: 2048 });
  secret = key.secretKeyArmored;
  publicKey = key.publicKeyArmored;
  const r = await runChild({ storage: { kind: "folder", path: base }, key: secret, ...RPM_BASE });
  assert.equal(r.code, 0, JSON.stringify(r.out));
});
after(() => rmSync(work, { recursive: true, force: true }));

/** What dnf lists for x86_64 (`name-epoch:version-release.arch`) before and after the change. */
const BEFORE = ["hello-0:1.0-1.x86_64", "manual-0:1.0-1.noarch"];
const AFTER = [
  "extras-0:2.0-1.noarch",
  "hello-0:1.0-1.x86_64",
  "hello-1:2.0+git1~rc1-1.x86_64",
  "manual-0:1.0-1.noarch",
];
const ROOT = "rpm/el/9/x86_64";

function output(what: string, r: ToolRun): string {
  return `${what}: exit ${r.code}\n${r.stdout}\n${r.stderr}`;
}

/** The .repo a user would write: both checks on, the key the publish wrote, no metadata kept between runs. */
function repoFile(url: string): string {
  return [
    "[packyard-crash]",
    "name=packyard crash test",
    `baseurl=${url}/rpm/el/9/$basearch/`,
    "enabled=1",
    "gpgcheck=1",
    "repo_gpgcheck=1",
    `gpgkey=${url}/keys/RPM-GPG-KEY-repository`,
    "metadata_expire=0",
    "",
  ].join("\n");
}

/** makecache, then repoquery: the packages dnf lists, or the failed run. */
async function listed(dnf: ScratchDnf, what: string): Promise<string[]> {
  const cache = await dnf.dnf(["-q", "makecache"]);
  assert.equal(cache.code, 0, output(`${what}: dnf makecache`, cache));
  const query = await dnf.repoquery();
  assert.equal(query.code, 0, output(`${what}: dnf repoquery`, query));
  return query.packages.map((p) => `${p.name}-${p.epoch}:${p.version}-${p.release}.${p.arch}`).sort();
}

/** Downloads every package named in `packages` (the newest of each name), checksums checked by dnf. */
async function download(dnf: ScratchDnf, packages: string[], what: string): Promise<void> {
  const names = [...new Set(packages.map((p) => /^(.+)-\d+:[^-]+-[^-]+$/.exec(p)![1]!))];
  const dir = join(dnf.dir, `downloads-${what.replaceAll(/\W+/g, "-")}`);
  const got = await dnf.dnf(["-q", "install", "--downloadonly", `--downloaddir=${dir}`, ...names]);
  assert.equal(got.code, 0, output(`${what}: dnf install --downloadonly ${names.join(" ")}`, got));
  assert.equal(readdirSync(dir).filter((f) => f.endsWith(".rpm")).length, names.length, `${what}: downloads`);
}

async function fourWrites(t: TestContext, driver: CrashDriver): Promise<void> {
  if (!needTool(t, "dnf", "rpm") || !needRoot(t, "dnf install --downloadonly")) return;
  // One complete run shows where each phase's writes are (write k is log[k - 1]).
  const probe = await driver.copyBase("probe");
  const full = await runChild({ storage: probe.plan, key: secret, ...RPM_CHANGE });
  assert.equal(full.code, 0, JSON.stringify(full.out));
  const log = full.out!.log as string[];
  const deleted = new Set(full.out!.deleted as string[]);
  const at = (pred: (k: string) => boolean) => log.findIndex(pred) + 1;
  const repomd = at((k) => k === `${ROOT}/repodata/repomd.xml`);
  const chosen = {
    "after the last pool file": log.findLastIndex((k) => k.startsWith("rpm/pool/") && !deleted.has(k)) + 1,
    "after a metadata file": at((k) => k.startsWith(`${ROOT}/repodata/`) && k.endsWith("-primary.xml.gz")),
    "between repomd.xml and repomd.xml.asc": repomd,
    "after the pointer": at((k) => k.startsWith(".packyard/roots/")),
  };
  assert.equal(log[repomd], `${ROOT}/repodata/repomd.xml.asc`, "the signature is the write right after");
  for (const [what, k] of Object.entries(chosen)) {
    assert.ok(k > 0 && k < log.length, `${what}: write ${k} of ${log.length}`);
    const where = `${driver.name}, ${what} (write ${k}, ${log[k - 1]})`;
    const { plan, storage, url } = await driver.copyBase(what.replaceAll(" ", "-"));
    const dnf = scratchDnf(undefined, repoFile(url));
    t.after(() => dnf.dispose());
    assert.deepEqual(await listed(dnf, `${where}: before the publish`), BEFORE);

    const killed = await runChild({ storage: plan, key: secret, ...RPM_CHANGE, killAfterWrite: k });
    assert.equal(killed.signal, "SIGKILL", `${where}: the publisher was to be killed`);
    assertAfterKill(await verifyRepository(storage, { publicKeys: [publicKey] }), log[k - 1]!, where);
    if (k === repomd) {
      const cache = await dnf.dnf(["-q", "makecache"]);
      assert.notEqual(cache.code, 0, output(`${where}: dnf makecache passed`, cache));
      assert.match(
        cache.stderr,
        /repomd\.xml GPG signature verification error: Bad GPG signature/,
        output(`${where}: dnf makecache`, cache),
      );
    } else {
      // One whole generation: the old one until repomd.xml is replaced, the new one from then on.
      const packages = await listed(dnf, `${where}: after the kill`);
      assert.deepEqual(packages, k < repomd ? BEFORE : AFTER, where);
      await download(dnf, packages, `${where} after the kill`);
    }

    const again = await runChild({ storage: plan, key: secret, ...RPM_CHANGE });
    assert.equal(again.code, 0, `${where}: the publish after the kill failed: ${JSON.stringify(again.out)}`);
    assert.deepEqual(await verifyRepository(storage, { publicKeys: [publicKey], strict: true }), [], where);
    assert.deepEqual(await listed(dnf, `${where}: after the next publish`), AFTER);
  }
}

describe("dnf after a publisher of RPM-MD roots was killed", () => {
  test("on the folder driver over file:, at four chosen writes, dnf lists one whole generation (or, between repomd.xml and its signature, fails with a bad signature)", async (t) => {
    await fourWrites(t, folderCopies(work, base));
  });

  test("on S3 read over HTTP, at four chosen writes, dnf lists one whole generation (or, between repomd.xml and its signature, fails with a bad signature)", async (t) => {
    const s3 = await startS3();
    t.after(() => s3.stop());
    await fourWrites(t, s3Copies(s3, base));
  });
});

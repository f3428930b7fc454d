/**
 * apt 2.6 judges a repository whose publisher was killed at four chosen writes — right after the last
 * blob, in the middle of the canonical indexes, right after InRelease, right after the pointer: a client
 * that updated before the crash updates cleanly after it and downloads what it lists. And the checker the
 * crash tests rely on fails wherever apt fails: a deleted index, a stale by-hash file, a wrong size.
 */
import assert from "node:assert/strict";
import { cpSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, type TestContext, test } from "node:test";
import { folderStorage, readObject, type Storage, verifyRepository } from "@packyard/repo";
import { scratchApt } from "@packyard/testkit/apt";
import { openpgpTestKey } from "@packyard/testkit/keyrings";
import { startS3 } from "@packyard/testkit/s3";
import { needTool } from "@packyard/testkit/tools";
import { listAll } from "../../src/publish/state-io.ts";
import { runChild } from "../publish/child-run.ts";
import type { ChildPlan } from "../publish/fixtures/child.ts";
import { assertClean, scratchDir } from "./apt-repo.ts";

const work = scratchDir("packyard-apt-crash-");
let secret = "";
let publicKey = "";
const base = join(work, "base");
const CHANGE = {
  add: [
    { name: "hello", version: "1:2.0+git1~rc1-1", arch: "amd64" },
    { name: "manual", version: "2.0-1", arch: "all" },
  ],
  remove: [{ name: "old" }],
};

before(async () => {
  const { key } = await openpgpTestKey();
  secret = key.secretKeyArmored;
  publicKey = key.publicKeyArmored;
  const r = await runChild({
    storage: { kind: "folder", path: base },
    key: secret,
    add: [
      { name: "hello", version: "1.0-1", arch: "amd64" },
      { name: "old", version: "1.0-1", arch: "i386" },
      { name: "docs", version: "1.0-1", arch: "all" },
    ],
  });
  assert.equal(r.code, 0, JSON.stringify(r.out));
});

/** Where a crash case runs: a fresh copy of the base repository, how the child reaches it, apt's URI. */
interface Target {
  copyBase(name: string): Promise<{ plan: ChildPlan["storage"]; storage: Storage; uri: string; key: string }>;
}

async function fourWrites(t: TestContext, target: Target): Promise<void> {
  if (!needTool(t, "apt-get", "apt-cache")) return;
  // One complete run shows where each phase's writes are.
  const probe = await target.copyBase("probe");
  const full = await runChild({ storage: probe.plan, key: secret, ...CHANGE });
  assert.equal(full.code, 0, JSON.stringify(full.out));
  const log = full.out!.log as string[];
  const at = (pred: (k: string) => boolean) => log.findIndex(pred) + 1; // 1-based write number
  const firstIndex = at((k) => /\/binary-[^/]+\/Packages(\.gz)?$/.test(k));
  const chosen = {
    "after the blobs": firstIndex - 1,
    "mid-indexes": firstIndex + 1,
    "after InRelease": at((k) => k.endsWith("/InRelease")),
    "after the pointer": at((k) => k.startsWith(".packyard/roots/")),
  };
  for (const [what, k] of Object.entries(chosen)) {
    assert.ok(k > 0 && k < log.length, `${what}: write ${k} of ${log.length}`);
    const { plan, storage, uri, key } = await target.copyBase(what.replaceAll(" ", "-"));
    const apt = scratchApt({ sources: { uri, signedBy: key } });
    t.after(() => apt.dispose());
    assertClean(await apt.update(), `${what}: apt-get update before the publish`);
    const killed = await runChild({ storage: plan, key: secret, ...CHANGE, killAfterWrite: k });
    assert.equal(
      killed.signal,
      "SIGKILL",
      `${what}: the publisher was to be killed after write ${k} (${log[k - 1]})`,
    );
    assertClean(await apt.update(), `${what}: apt-get update after the kill`);
    for (const pkg of ["hello", "docs"]) {
      const got = await apt.download(pkg);
      assert.equal(got.code, 0, `${what}: apt-get download ${pkg}\n${got.stdout}\n${got.stderr}`);
    }
    assert.deepEqual(await verifyRepository(storage, { publicKeys: [publicKey] }), [], what);
  }
}

describe("apt after a publisher was killed", () => {
  test("on the folder driver, at four chosen writes, a client updates cleanly and downloads what the indexes list", async (t) => {
    await fourWrites(t, {
      async copyBase(name) {
        const dir = join(work, name);
        cpSync(base, dir, { recursive: true });
        return {
          plan: { kind: "folder", path: dir },
          storage: folderStorage(dir),
          uri: `file:${dir}/deb`,
          key: join(dir, "keys/repository.asc"),
        };
      },
    });
  });

  test("on S3 read over HTTP, at four chosen writes, a client updates cleanly and downloads what the indexes list", async (t) => {
    const s3 = await startS3();
    t.after(() => s3.stop());
    await fourWrites(t, {
      async copyBase(name) {
        const prefix = `crash-${name}`;
        const to = s3.storage(prefix);
        const from = folderStorage(base);
        for (const key of await listAll(from, "")) {
          if (!key.startsWith(".packyard/lock/")) await to.put(key, (await readObject(from, key))!);
        }
        return {
          plan: { kind: "s3", endpoint: s3.endpoint, bucket: s3.bucket, prefix },
          storage: to,
          uri: s3.url(`${prefix}/deb`),
          key: join(base, "keys/repository.asc"),
        };
      },
    });
  });
});

describe("the checker fails where apt fails", () => {
  const mutations: [string, (dir: string) => void, "update" | "download"][] = [
    [
      "a deleted index",
      (dir) => {
        const bin = join(dir, "deb/dists/stable/main/binary-amd64");
        const sha = /^ ([0-9a-f]{64}) +\d+ main\/binary-amd64\/Packages\.gz$/m.exec(
          readFileSync(join(dir, "deb/dists/stable/InRelease"), "utf8"),
        )![1]!;
        // apt fetches the by-hash copy; without it (and the canonical .gz) the index is gone
        for (const f of [`${bin}/Packages.gz`, `${bin}/by-hash/SHA256/${sha}`]) rmSync(f);
      },
      "update",
    ],
    [
      "a stale by-hash file",
      (dir) => {
        const release = readFileSync(join(dir, "deb/dists/stable/InRelease"), "utf8");
        const sha = /^ ([0-9a-f]{64}) +\d+ main\/binary-amd64\/Packages\.gz$/m.exec(release)![1]!;
        const other = /^ ([0-9a-f]{64}) +\d+ main\/binary-i386\/Packages\.gz$/m.exec(release)![1]!;
        cpSync(
          join(dir, `deb/dists/stable/main/binary-i386/by-hash/SHA256/${other}`),
          join(dir, `deb/dists/stable/main/binary-amd64/by-hash/SHA256/${sha}`),
        );
      },
      "update",
    ],
    [
      "a wrong size",
      (dir) => {
        const deb = join(dir, "deb/pool/main/h/hello/hello_1.0-1_amd64.deb");
        writeFileSync(deb, Buffer.concat([readFileSync(deb), Buffer.from("trailing bytes")]));
      },
      "download",
    ],
  ];
  for (const [what, mutate, step] of mutations) {
    test(`${what}: the checker reports it and apt fails`, async (t) => {
      if (!needTool(t, "apt-get", "apt-cache")) return;
      const dir = join(work, `mutation-${what.replaceAll(" ", "-")}`);
      cpSync(base, dir, { recursive: true });
      assert.deepEqual(await verifyRepository(folderStorage(dir), { publicKeys: [publicKey] }), [], "before");
      mutate(dir);
      const problems = await verifyRepository(folderStorage(dir), { publicKeys: [publicKey] });
      assert.ok(problems.length > 0, `${what}: the checker found nothing`);
      const apt = scratchApt({
        sources: { uri: `file:${dir}/deb`, signedBy: join(dir, "keys/repository.asc") },
      });
      t.after(() => apt.dispose());
      const update = await apt.update();
      if (step === "update") {
        assert.ok(
          update.code !== 0 || update.errors.length > 0 || update.warnings.length > 0,
          `${what}: apt update passed\n${update.stdout}`,
        );
      } else {
        assertClean(update, `${what}: apt-get update`);
        const got = await apt.download("hello");
        assert.notEqual(got.code, 0, `${what}: apt-get download passed`);
        assert.match(`${got.stdout}\n${got.stderr}`, /Hash Sum mismatch|unexpected size/i);
      }
    });
  }
});

// Crash safety: a publisher SIGKILLed right after any one of its writes leaves a repository whose every
// suite still verifies (top file → listed indexes → referenced packages), and a fresh publish in a new
// process then completes from there. On the folder driver and the S3 driver.
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { folderStorage, readObject, readRepository, type Storage } from "@packyard/repo";
import { openpgpTestKey } from "@packyard/testkit/keyrings";
import { startS3, type S3Server } from "@packyard/testkit/s3";
import { listAll } from "../../src/publish/state-io.ts";
import { verifyRepository } from "../../src/verify/repository.ts";
import type { ChildPlan } from "./fixtures/child.ts";
import { runChild } from "./child-run.ts";

const BASE: Partial<ChildPlan> = {
  add: [
    { name: "hello", version: "1.0-1", arch: "amd64" },
    { name: "old", version: "1.0-1", arch: "i386" },
    { name: "docs", version: "1.0-1", arch: "all" },
  ],
};
// Adds two packages (one `all`, one with +, ~ and an epoch), removes one: every kind of write happens,
// and with no grace period the removed package and the replaced indexes are deleted at the end.
const CHANGE: Partial<ChildPlan> = {
  add: [
    { name: "hello", version: "1:2.0+git1~rc1-1", arch: "amd64" },
    { name: "manual", version: "2.0-1", arch: "all" },
  ],
  remove: [{ name: "old" }],
};

async function packagesOf(storage: Storage): Promise<string[]> {
  const [state] = await readRepository(storage);
  return (state?.packages ?? []).map((p) => `${p.name} ${p.version} ${p.arch}`).sort();
}

interface Driver {
  name: string;
  /** A fresh copy of the base repository: its child storage plan and a Storage to inspect it. */
  copyBase(k: number): Promise<{ plan: ChildPlan["storage"]; storage: Storage }>;
}

function crashSuite(driver: () => Driver, key: () => { secret: string; publicKey: string }) {
  test("a publisher killed after any write k leaves a repository that verifies, and the next publish completes", async () => {
    const d = driver();
    const { secret, publicKey } = key();
    const probe = await d.copyBase(0);
    const full = await runChild({ storage: probe.plan, key: secret, ...CHANGE });
    assert.equal(full.code, 0, JSON.stringify(full.out));
    const writes = full.out!.writes as number;
    assert.ok(writes >= 12, `a publish of this change makes at least 12 writes, found ${writes}`);
    const expected = await packagesOf(probe.storage);
    assert.deepEqual(expected, [
      "docs 1.0-1 all",
      "hello 1.0-1 amd64",
      "hello 1:2.0+git1~rc1-1 amd64",
      "manual 2.0-1 all",
    ]);
    for (let k = 1; k < writes; k++) {
      const { plan, storage } = await d.copyBase(k);
      const killed = await runChild({ storage: plan, key: secret, ...CHANGE, killAfterWrite: k });
      assert.equal(
        killed.signal,
        "SIGKILL",
        `write ${k}: expected the child to be killed, it ended with ${killed.code}`,
      );
      assert.deepEqual(
        await verifyRepository(storage, { publicKeys: [publicKey] }),
        [],
        `after a kill at write ${k}`,
      );
      const again = await runChild({ storage: plan, key: secret, ...CHANGE });
      assert.equal(
        again.code,
        0,
        `write ${k}: the publish after the kill failed: ${JSON.stringify(again.out)}`,
      );
      assert.deepEqual(
        await verifyRepository(storage, { publicKeys: [publicKey], strict: true }),
        [],
        `after the publish that followed write ${k}`,
      );
      assert.deepEqual(await packagesOf(storage), expected, `write ${k}`);
    }
  });
}

let secret = "";
let publicKey = "";
before(async () => {
  const { key } = await openpgpTestKey();
  secret = key.secretKeyArmored;
  publicKey = key.publicKeyArmored;
});

describe("crash safety on the folder driver", () => {
  const work = mkdtempSync(join(tmpdir(), "packyard-crash-"));
  const base = join(work, "base");
  before(async () => {
    const r = await runChild({ storage: { kind: "folder", path: base }, key: secret, ...BASE });
    assert.equal(r.code, 0, JSON.stringify(r.out));
  });
  after(() => rmSync(work, { recursive: true, force: true }));
  crashSuite(
    () => ({
      name: "folder",
      async copyBase(k) {
        const path = join(work, `k${k}`);
        cpSync(base, path, { recursive: true });
        return { plan: { kind: "folder", path }, storage: folderStorage(path) };
      },
    }),
    () => ({ secret, publicKey }),
  );
});

describe("crash safety on the S3 driver", () => {
  let s3: S3Server;
  before(async () => {
    s3 = await startS3();
    const r = await runChild({
      storage: { kind: "s3", endpoint: s3.endpoint, bucket: s3.bucket, prefix: "base" },
      key: secret,
      ...BASE,
    });
    assert.equal(r.code, 0, JSON.stringify(r.out));
  });
  after(async () => {
    await s3?.stop();
  });
  crashSuite(
    () => ({
      name: "s3",
      async copyBase(k) {
        // Each k gets its own prefix in the bucket, a copy of the base repository.
        const prefix = `crash-${k}`;
        const from = s3.storage("base");
        const to = s3.storage(prefix);
        for (const key of await listAll(from, "")) {
          if (key.startsWith(".packyard/lock/")) continue;
          await to.put(key, (await readObject(from, key))!);
        }
        return {
          plan: { kind: "s3" as const, endpoint: s3.endpoint, bucket: s3.bucket, prefix },
          storage: to,
        };
      },
    }),
    () => ({ secret, publicKey }),
  );
});

// The storage lock across processes, on the folder driver (O_EXCL/link) and on S3 (If-None-Match: *,
// enforced by the test proxy in front of s3rver): parallel publishers take turns and both changes land;
// a holder killed mid-publish is taken over once its lease has run out; a publisher whose lock was
// taken over while it was stopped writes nothing more and fails with LOCK_LOST.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { folderStorage, type LockRecord, readObject, readRepository, type Storage } from "@packyard/repo";
import { openpgpTestKey } from "@packyard/testkit/keyrings";
import { type S3Server, startS3 } from "@packyard/testkit/s3";
import { listAll } from "../../src/publish/state-io.ts";
import { verifyRepository } from "../../src/verify/repository.ts";
import { runChild } from "./child-run.ts";
import { snapshot } from "./storage-snapshot.ts";
import type { ChildPlan } from "./fixtures/child.ts";

let secret = "";
let publicKey = "";
before(async () => {
  const { key } = await openpgpTestKey();
  secret = key.secretKeyArmored;
  publicKey = key.publicKeyArmored;
});

async function names(storage: Storage): Promise<string[]> {
  const [state] = await readRepository(storage);
  return (state?.packages ?? []).map((p) => p.name).sort();
}

async function lockRecords(storage: Storage): Promise<LockRecord[]> {
  const out: LockRecord[] = [];
  for (const key of await listAll(storage, ".packyard/lock/")) {
    if (!/\/\d+$/.test(key)) continue;
    out.push(JSON.parse(new TextDecoder().decode((await readObject(storage, key))!)) as LockRecord);
  }
  return out;
}

function stopped(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).startsWith("T");
  } catch {
    return false;
  }
}

async function until(what: string, cond: () => boolean, ms = 30_000): Promise<void> {
  for (let waited = 0; !cond(); waited += 50) {
    if (waited > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function lockSuite(fresh: () => Promise<{ plan: ChildPlan["storage"]; storage: Storage }>) {
  test("two publishes started together both succeed, in turn, and the result holds both", async () => {
    const { plan, storage } = await fresh();
    const [a, b] = await Promise.all([
      runChild({ storage: plan, key: secret, add: [{ name: "alpha" }], holdMs: 1000 }),
      runChild({ storage: plan, key: secret, add: [{ name: "beta" }], holdMs: 1000 }),
    ]);
    assert.equal(a.code, 0, JSON.stringify(a.out));
    assert.equal(b.code, 0, JSON.stringify(b.out));
    assert.deepEqual(await names(storage), ["alpha", "beta"]);
    assert.deepEqual(await verifyRepository(storage, { publicKeys: [publicKey] }), []);
    // Each took its own generation of the lock: one waited for the other.
    const gens = (await listAll(storage, ".packyard/lock/")).filter((k) => /\/\d+$/.test(k));
    assert.equal(gens.length, 2, `two lock generations, found ${gens.join(", ")}`);
  });

  test("a holder killed mid-publish is taken over once its lease has run out", async () => {
    const { plan, storage } = await fresh();
    const leaseMs = 2500;
    // The holder claims another host, so its dead pid cannot be checked: only the lease frees the lock.
    const killed = await runChild({
      storage: plan,
      key: secret,
      add: [{ name: "alpha" }],
      lease: { leaseMs, host: "elsewhere.invalid" },
      killAfterWrite: 6, // after the probe (3 writes), the lock (1), the state and a pool file
    });
    assert.equal(killed.signal, "SIGKILL");
    const next = await runChild({ storage: plan, key: secret, add: [{ name: "beta" }] });
    assert.equal(next.code, 0, JSON.stringify(next.out));
    const records = await lockRecords(storage);
    const dead = records.find((r) => r.host === "elsewhere.invalid");
    const taker = records.find((r) => r.host !== "elsewhere.invalid");
    assert.ok(dead !== undefined && taker !== undefined, JSON.stringify(records));
    // The taker's lease began (expires - 60 s default lease) no earlier than the dead holder's lease ended.
    assert.ok(
      Date.parse(taker.expires) - 60_000 >= Date.parse(dead.expires) - 50,
      `taken over at ${new Date(Date.parse(taker.expires) - 60_000).toISOString()}, lease ended ${dead.expires}`,
    );
    assert.deepEqual(await names(storage), ["beta"]);
    assert.deepEqual(await verifyRepository(storage, { publicKeys: [publicKey] }), []);
  });

  /**
   * Stops a publisher of `plan` after its sixth write, lets a second one publish beta (taking the lock
   * over once the first's 2 s lease ends), resumes the first and checks it failed with LOCK_LOST and the
   * repository serves beta alone; returns the snapshots from before and after the resume.
   */
  async function stopTakeOverResume(child: Partial<ChildPlan>) {
    const { plan, storage } = await fresh();
    let pid = 0;
    const first = runChild(
      {
        storage: plan,
        key: secret,
        lease: { leaseMs: 2000, host: "elsewhere.invalid" },
        stopAfterWrite: 6,
        ...child,
      },
      (p) => {
        pid = p;
      },
    );
    await until("the first publisher to stop", () => pid !== 0 && stopped(pid));
    const second = await runChild({ storage: plan, key: secret, add: [{ name: "beta" }] });
    assert.equal(second.code, 0, JSON.stringify(second.out));
    const before = await snapshot(storage, { withLock: true });
    process.kill(pid, "SIGCONT");
    const end = await first;
    assert.equal(end.code, 3);
    assert.equal(end.out?.code, "LOCK_LOST", JSON.stringify(end.out));
    const after = await snapshot(storage, { withLock: true });
    assert.deepEqual(await names(storage), ["beta"]);
    assert.deepEqual(await verifyRepository(storage, { publicKeys: [publicKey] }), []);
    return { before, after };
  }

  test("a publisher whose lock is taken over while it is stopped writes nothing more and fails with LOCK_LOST", async () => {
    const { before, after } = await stopTakeOverResume({
      add: [{ name: "alpha" }],
      // One write at a time, so that none is under way when it stops: with several, the ones started
      // before the lock was lost finish when it resumes (new blobs no index names), and only then does
      // the next check of the lock stop it.
      writeConcurrency: 1,
    });
    assert.deepEqual(after, before, "the stopped publisher wrote after it resumed");
  });

  test("with several writes at once, a publisher stopped while its lock is taken over finishes only new package and by-hash files, then fails with LOCK_LOST", async () => {
    // Stopped after the probe (3), the lock, the state, and the first blob to finish.
    const { before, after } = await stopTakeOverResume({
      add: [{ name: "alpha" }, { name: "gamma" }, { name: "delta" }],
    });
    const changed = [...after].filter(([k, sha]) => before.get(k) !== sha).map(([k]) => k);
    for (const key of changed) {
      assert.ok(!before.has(key), `${key} was replaced after the lock was lost`);
      assert.match(
        key,
        /^deb\/(pool\/.+\.deb|dists\/.+\/by-hash\/SHA256\/[0-9a-f]{64})$/,
        "an immutable blob",
      );
    }
  });
}

describe("the publish lock on the folder driver", () => {
  const work = mkdtempSync(join(tmpdir(), "packyard-lock-"));
  let n = 0;
  after(() => rmSync(work, { recursive: true, force: true }));
  lockSuite(async () => {
    const path = join(work, `r${n++}`);
    return { plan: { kind: "folder", path }, storage: folderStorage(path) };
  });
});

describe("the publish lock on S3", () => {
  let s3: S3Server;
  let n = 0;
  before(async () => {
    s3 = await startS3();
  });
  after(async () => {
    await s3?.stop();
  });
  lockSuite(async () => {
    const prefix = `lock-${n++}`;
    return {
      plan: { kind: "s3", endpoint: s3.endpoint, bucket: s3.bucket, prefix },
      storage: s3.storage(prefix),
    };
  });
});

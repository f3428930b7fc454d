// The server's publish lock on both databases: one holder per repository across two Db handles (two
// servers), LOCK_TIMEOUT while held, handed over on release, repositories independent; sessions return
// their connection without advisory locks; on PostgreSQL, pg_terminate_backend of the holder's connection
// frees the lock and the holder's publish stops with LOCK_LOST before its next write.
import assert from "node:assert/strict";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import type { PutOptions } from "@packyard/repo";
import { isRepoError, memoryStorage, publish, type Storage } from "@packyard/repo";
import { testDeb } from "@packyard/testkit/debs";
import { openpgpTestKey } from "@packyard/testkit/keyrings";
import { withPublishLock } from "../src/repos/lock.ts";
import { eachDb } from "./dbs.ts";

function repoError(code: string): (e: unknown) => boolean {
  return (e: unknown) => {
    assert.ok(isRepoError(e), `expected a RepoError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    return true;
  };
}

/** A promise with its resolve function. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/**
 * A memory Storage whose `pauseAt`-th put waits for `resume` (after telling `paused`); every put or delete
 * that starts after the resume is recorded in `afterResume`.
 */
function pausingStorage(pauseAt: number) {
  const inner = memoryStorage();
  const paused = deferred();
  const resume = deferred();
  let puts = 0;
  let resumed = false;
  const afterResume: string[] = [];
  const storage: Storage = {
    description: "pausing memory storage",
    get: (key, options) => inner.get(key, options),
    head: (key) => inner.head(key),
    list: (prefix, options) => inner.list(prefix, options),
    async create(key, body, options) {
      if (resumed) afterResume.push(`create ${key}`);
      return inner.create(key, body, options);
    },
    async put(key: string, body: AsyncIterable<Uint8Array> | Uint8Array, options?: PutOptions) {
      if (resumed) afterResume.push(`put ${key}`);
      if (++puts === pauseAt) {
        paused.resolve();
        await resume.promise;
        resumed = true;
      }
      return inner.put(key, body, options);
    },
    async delete(key: string) {
      if (resumed) afterResume.push(`delete ${key}`);
      return inner.delete(key);
    },
  };
  return { storage, inner, paused: paused.promise, resume: resume.resolve, afterResume };
}

eachDb((kind, fresh) => {
  test("one holder per repository across two servers; LOCK_TIMEOUT while held; handed over on release", async (t) => {
    const f = await fresh(t);
    if (f === undefined) return;
    const other = await f.open(); // a second server on the same database
    await withPublishLock(f.db, 7, async (a) => {
      await a.acquire({ timeoutMs: 1000 });
      assert.equal(a.kind, kind === "postgres" ? "advisory" : "local");
      await a.assertHeld();
      // The same repository from the other server: refused after the timeout.
      await withPublishLock(other, 7, async (b) => {
        await assert.rejects(b.acquire({ timeoutMs: 300 }), repoError("LOCK_TIMEOUT"));
        assert.equal(b.held, false);
        await assert.rejects(b.assertHeld(), repoError("LOCK_LOST"));
      });
      // Another repository is not held up.
      await withPublishLock(other, 8, async (c) => {
        await c.acquire({ timeoutMs: 300 });
        await c.assertHeld();
      });
      // A waiter gets the lock as soon as it is released, not before.
      let got = false;
      const waiting = withPublishLock(other, 7, async (b) => {
        await b.acquire({ timeoutMs: 20_000 });
        got = true;
        await b.assertHeld();
        return b.held;
      });
      await sleep(400);
      assert.equal(got, false, "the waiter got the lock while it was held");
      await a.release();
      await assert.rejects(a.assertHeld(), repoError("LOCK_LOST"));
      assert.equal(await waiting, true);
    });
  });

  test("a lock left acquired is released when its session ends", async (t) => {
    const f = await fresh(t);
    if (f === undefined) return;
    await withPublishLock(f.db, 3, async (a) => {
      await a.acquire({ timeoutMs: 1000 });
    });
    const other = await f.open();
    await withPublishLock(other, 3, async (b) => {
      await b.acquire({ timeoutMs: 300 });
      await b.assertHeld();
    });
  });

  test("a publish holds the lock for its whole run and frees it on success and on failure", async (t) => {
    const f = await fresh(t);
    if (f === undefined) return;
    const { signer } = await openpgpTestKey();
    const { storage, paused, resume } = pausingStorage(2);
    const deb = await testDeb({ name: "first" });
    const running = withPublishLock(f.db, 11, (lock) =>
      publish(storage, { add: [deb], signers: [signer], lock }),
    );
    await paused;
    const other = await f.open();
    await withPublishLock(other, 11, async (b) => {
      await assert.rejects(b.acquire({ timeoutMs: 200 }), repoError("LOCK_TIMEOUT"));
    });
    resume();
    const result = await running;
    assert.deepEqual(
      result.added.map((a) => a.name),
      ["first"],
    );
    // A publish refused under the lock (same name, version and arch, other bytes: REPO_CONFLICT) frees it.
    const clash = await testDeb({ name: "first", payload: "other bytes" });
    await assert.rejects(
      withPublishLock(f.db, 11, (lock) => publish(storage, { add: [clash], signers: [signer], lock })),
      repoError("REPO_CONFLICT"),
    );
    await withPublishLock(other, 11, async (b) => {
      await b.acquire({ timeoutMs: 200 });
    });
  });

  if (kind === "postgres") {
    test("a session's connection goes back to the pool without the advisory locks it took", async (t) => {
      const f = await fresh(t);
      if (f === undefined) return;
      const pids: number[] = [];
      await f.db.session(async (s) => {
        assert.equal(s.dedicated, true);
        assert.equal(typeof s.backendPid, "number");
        const { rows } = await s.query<{ pid: number }>("SELECT pg_backend_pid() AS pid");
        assert.equal(rows[0]!.pid, s.backendPid);
        pids.push(s.backendPid!);
        await s.query("SELECT pg_advisory_lock(424242, 1)");
      });
      // The next session likely reuses the pooled connection; either way nobody holds the lock.
      const other = await f.open();
      await other.session(async (s) => {
        const { rows } = await s.query<{ ok: boolean }>("SELECT pg_try_advisory_lock(424242, 1) AS ok");
        assert.equal(rows[0]!.ok, true);
      });
    });

    test("pg_terminate_backend of the holder frees the lock; the holder stops with LOCK_LOST before its next write", async (t) => {
      const f = await fresh(t);
      if (f === undefined) return;
      const { signer } = await openpgpTestKey();
      const { storage, inner, paused, resume, afterResume } = pausingStorage(2);
      const deb = await testDeb({ name: "victim" });
      const running = withPublishLock(f.db, 4242, (lock) =>
        publish(storage, { add: [deb], signers: [signer], lock }),
      );
      await paused;
      // The holder's backend, found from another connection (as an operator would).
      const { rows } = await f.db.query<{ pid: number }>(
        `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND objid = 4242 AND objsubid = 2 AND granted
            AND pid <> pg_backend_pid()`,
      );
      assert.equal(rows.length, 1, "expected one backend holding the lock");
      const killed = await f.db.query<{ ok: boolean }>("SELECT pg_terminate_backend($1) AS ok", [
        rows[0]!.pid,
      ]);
      assert.equal(killed.rows[0]!.ok, true);
      // The lock is free: another server takes it while the old holder is still paused.
      const other = await f.open();
      await withPublishLock(other, 4242, async (b) => {
        await b.acquire({ timeoutMs: 10_000 });
        await b.assertHeld();
      });
      resume();
      await assert.rejects(running, repoError("LOCK_LOST"));
      assert.deepEqual(afterResume, [], "the old holder wrote after it lost the lock");
      // Nothing signed reached the repository: the top file is absent.
      const keys: string[] = [];
      for (let cursor: string | undefined; ; ) {
        const page = await inner.list("", cursor === undefined ? {} : { cursor });
        keys.push(...page.objects.map((o) => o.key));
        if (page.cursor === undefined) break;
        cursor = page.cursor;
      }
      assert.equal(keys.filter((k) => k.endsWith("InRelease")).length, 0, keys.join("\n"));
      // The pool still works after the terminated connection was destroyed.
      assert.equal((await f.db.query<{ one: number }>("SELECT 1 AS one")).rows[0]!.one, 1);
    });
  }
});

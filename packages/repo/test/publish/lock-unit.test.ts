// The storage lock in one process, with injected clocks: a holder whose clock says its lease still runs
// learns from the store that a publisher with a clock ahead took the lock over; an expired holder is
// taken over; a live one is waited for until the timeout; a store ignoring conditional creates fails the
// probe.
import assert from "node:assert/strict";
import { test } from "node:test";
import { isRepoError, memoryStorage, type Storage, storageLock } from "@packyard/repo";

const LEASE = 10_000;

test("a holder whose clock lags learns from the store that the lock was taken over (LOCK_LOST)", async () => {
  const s = memoryStorage();
  let t = 1_000_000;
  const a = storageLock(s, { leaseMs: LEASE, host: "a.invalid", owner: "a", now: () => t });
  await a.acquire({ timeoutMs: 0 });
  await a.assertHeld();
  // B's clock runs a lease ahead: A's record looks expired to it.
  const b = storageLock(s, { leaseMs: LEASE, host: "b.invalid", owner: "b", now: () => t + LEASE + 1 });
  await b.acquire({ timeoutMs: 0 });
  t += 1500; // past A's once-a-second look at the store; its own lease still runs by its clock
  await assert.rejects(
    a.assertHeld(),
    (e: unknown) => isRepoError(e) && e.code === "LOCK_LOST" && /b \(pid/.test(e.message),
  );
  await b.assertHeld();
  await a.release();
  await b.release();
});

test("a live holder is waited for until the timeout (LOCK_TIMEOUT naming it); an expired one is taken over", async () => {
  const s = memoryStorage();
  let t = 5_000_000;
  const a = storageLock(s, { leaseMs: LEASE, host: "a.invalid", owner: "alice", now: () => t, pollMs: 1 });
  await a.acquire({ timeoutMs: 0 });
  const b = storageLock(s, { leaseMs: LEASE, host: "b.invalid", owner: "bob", now: () => t, pollMs: 1 });
  await assert.rejects(
    b.acquire({ timeoutMs: 0 }),
    (e: unknown) => isRepoError(e) && e.code === "LOCK_TIMEOUT" && /alice/.test(e.message),
  );
  t += LEASE + 1;
  await b.acquire({ timeoutMs: 0 });
  assert.equal(b.generation, 2);
  await assert.rejects(a.assertHeld(), (e: unknown) => isRepoError(e) && e.code === "LOCK_LOST");
});

test("the probe tells a store that honours conditional creates from one that does not", async () => {
  const honest = memoryStorage();
  assert.equal(await storageLock(honest).probe(), true);
  const inner = memoryStorage();
  const lax: Storage = {
    ...inner,
    description: inner.description,
    async create(key, body, options) {
      await inner.put(key, body, options);
      return true;
    },
  };
  assert.equal(await storageLock(lax).probe(), false);
});

// What the engine tests compare before and after an operation: every object of a storage by its SHA-256.
import { createHash } from "node:crypto";
import { readObject, type Storage } from "@packyard/repo";
import { listAll } from "../../src/publish/state-io.ts";

/**
 * Every key of `storage` with the SHA-256 of its bytes. The lock's own records (`.packyard/lock/`) are
 * left out unless `withLock`: they change with every operation, failed ones included.
 */
export async function snapshot(
  storage: Storage,
  options: { withLock?: boolean } = {},
): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const key of await listAll(storage, "")) {
    if (options.withLock !== true && key.startsWith(".packyard/lock/")) continue;
    const bytes = (await readObject(storage, key)) ?? new Uint8Array();
    out.set(key, createHash("sha256").update(bytes).digest("hex"));
  }
  return out;
}

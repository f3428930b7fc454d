/**
 * The master key check: the database keeps HMAC-SHA256(master key, fixed label) per master key version. A
 * start compares it with the key it was given before it writes anything, so a server started with another
 * master key stops with MASTER_KEY_MISMATCH instead of sealing new secrets under a key the old ones do not
 * open with. The check value reveals nothing usable about the key (HMAC is a PRF).
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import type { Db } from "../db/db.ts";
import { ServerError } from "../errors.ts";
import type { MasterKey } from "./master-key.ts";

const CHECK_LABEL = "packyard master key check v1";

/** The check value of a master key: 32 bytes. */
export function keyCheckValue(key: MasterKey): Uint8Array {
  return new Uint8Array(createHmac("sha256", key.bytes).update(CHECK_LABEL).digest());
}

/** What {@link verifyMasterKey} found: `unrecorded` only with `record: false`. */
export type MasterKeyCheck = "verified" | "recorded" | "unrecorded";

/** Options of {@link verifyMasterKey}. */
export interface VerifyMasterKeyOptions {
  /**
   * Record the check value when the database has none (default true). With false nothing is written, and a
   * database without one (or without the master_keys table: not migrated yet) gives `unrecorded`; a start
   * checks so before it migrates, then records after.
   */
  record?: boolean;
}

/**
 * Compares `key` with the check value the database holds for its version: `verified` when equal; on a
 * database that holds none yet, records it (`recorded`, the only write). Another key, or a key version the
 * database does not know while it knows others, is MASTER_KEY_MISMATCH.
 *
 * @example await verifyMasterKey(db, key, now, { record: false }); await migrate(db); await verifyMasterKey(db, key, now);
 */
export async function verifyMasterKey(
  db: Db,
  key: MasterKey,
  now: Date,
  options: VerifyMasterKeyOptions = {},
): Promise<MasterKeyCheck> {
  const mine = keyCheckValue(key);
  const record = options.record !== false;
  return db.transaction(async (tx) => {
    if (!record) {
      const { rows } = await tx.query<{ table: string | null }>(
        "SELECT to_regclass('master_keys')::text AS table",
      );
      if (rows[0]?.table === null) return "unrecorded";
    }
    // Two servers starting on an empty database both find no row; the lock makes the second see the first's.
    if (record) await tx.query("LOCK TABLE master_keys IN SHARE ROW EXCLUSIVE MODE");
    const { rows } = await tx.query<{ version: number; check_value: Uint8Array }>(
      "SELECT version, check_value FROM master_keys ORDER BY version",
    );
    const stored = rows.find((r) => r.version === key.version);
    if (stored !== undefined) {
      if (stored.check_value.length === mine.length && timingSafeEqual(stored.check_value, mine))
        return "verified";
      throw new ServerError(
        "MASTER_KEY_MISMATCH",
        `Expected the master key (version ${key.version}) this database's secrets were sealed with, found another key: its check value differs from the one recorded in master_keys`,
        { table: "master_keys", field: "check_value" },
      );
    }
    if (rows.length > 0)
      throw new ServerError(
        "MASTER_KEY_MISMATCH",
        `Expected a master key of version ${rows.map((r) => r.version).join(", ")} (the versions this database's secrets were sealed with), found version ${key.version}`,
        { table: "master_keys", expected: rows.map((r) => r.version), found: key.version },
      );
    if (!record) return "unrecorded";
    await tx.query("INSERT INTO master_keys (version, check_value, created_at) VALUES ($1, $2, $3)", [
      key.version,
      mine,
      now,
    ]);
    return "recorded";
  });
}

/**
 * Project build secrets: names (`[A-Z_][A-Z0-9_]{0,63}`, environment variable names) → values, sealed under
 * the master key like signing keys (keys/seal.ts; associated data: project id + name + purpose
 * `build-secret`, so a sealed value copied to another project or name does not open). Values are never
 * listed; they go only to jobs with build steps (claim payload) and the server redacts them from logs.
 */
import type { Queryable } from "../db/db.ts";
import { ServerError } from "../errors.ts";
import type { MasterKey } from "../keys/master-key.ts";
import { seal, unseal } from "../keys/seal.ts";

/** A secret's name, as the project_secrets table checks it. */
export const SECRET_NAME = /^[A-Z_][A-Z0-9_]{0,63}$/;

/** Largest secret value (bytes of UTF-8). */
export const SECRET_VALUE_LIMIT = 64 * 1024;

const PURPOSE = "build-secret";

/** A secret as lists show it (never its value). */
export interface SecretInfo {
  name: string;
  updatedAt: Date;
}

/** Checks a secret name; returns it. 400 INVALID_NAME otherwise. */
export function checkSecretName(name: string): string {
  if (!SECRET_NAME.test(name))
    throw new ServerError(
      "INVALID_NAME",
      `Expected a secret name of capital letters, digits and '_' not starting with a digit (at most 64), found ${JSON.stringify(name.slice(0, 100))}`,
      { field: "name" },
    );
  return name;
}

/** Stores (or replaces) secret `name` of the project, sealed. */
export async function setSecret(
  db: Queryable,
  masterKey: MasterKey,
  projectId: number,
  name: string,
  value: string,
  now: Date,
): Promise<void> {
  checkSecretName(name);
  const bytes = new TextEncoder().encode(value);
  if (bytes.length === 0 || bytes.length > SECRET_VALUE_LIMIT)
    throw new ServerError(
      "INVALID_REQUEST",
      `Expected a secret value of 1 to ${SECRET_VALUE_LIMIT} bytes, found ${bytes.length}`,
      { field: "value" },
    );
  const sealed = seal(masterKey, bytes, { projectId, keyId: name, purpose: PURPOSE });
  await db.query(
    `INSERT INTO project_secrets (project_id, name, value_sealed, value_nonce, master_key_version, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $6)
     ON CONFLICT (project_id, name) DO UPDATE
       SET value_sealed = EXCLUDED.value_sealed, value_nonce = EXCLUDED.value_nonce,
           master_key_version = EXCLUDED.master_key_version, updated_at = EXCLUDED.updated_at`,
    [projectId, name, sealed.ciphertext, sealed.nonce, sealed.masterKeyVersion, now],
  );
}

/** The project's secret names, sorted. */
export async function listSecrets(db: Queryable, projectId: number): Promise<SecretInfo[]> {
  const { rows } = await db.query<{ name: string; updated_at: Date }>(
    "SELECT name, updated_at FROM project_secrets WHERE project_id = $1 ORDER BY name",
    [projectId],
  );
  return rows.map((r) => ({ name: r.name, updatedAt: r.updated_at }));
}

/** Deletes secret `name`; false when the project has none of that name. */
export async function deleteSecret(db: Queryable, projectId: number, name: string): Promise<boolean> {
  checkSecretName(name);
  const { rowCount } = await db.query("DELETE FROM project_secrets WHERE project_id = $1 AND name = $2", [
    projectId,
    name,
  ]);
  return rowCount > 0;
}

/**
 * Every secret of the project, opened: `{ NAME: value }` (for a claim of a job with steps, and for the
 * server's log redaction). A value that does not open is KEY_DECRYPT_FAILED.
 */
export async function secretsForJob(
  db: Queryable,
  masterKey: MasterKey,
  projectId: number,
): Promise<Record<string, string>> {
  const { rows } = await db.query<{
    name: string;
    value_sealed: Uint8Array;
    value_nonce: Uint8Array;
    master_key_version: number;
  }>(
    "SELECT name, value_sealed, value_nonce, master_key_version FROM project_secrets WHERE project_id = $1 ORDER BY name",
    [projectId],
  );
  const out: Record<string, string> = {};
  for (const r of rows) {
    const plain = unseal(
      masterKey,
      { ciphertext: r.value_sealed, nonce: r.value_nonce, masterKeyVersion: r.master_key_version },
      { projectId, keyId: r.name, purpose: PURPOSE },
    );
    out[r.name] = new TextDecoder().decode(plain);
  }
  return out;
}

/**
 * @packyard/server: the packyard server. So far its foundation: the database port with its PGlite and
 * PostgreSQL adapters, migrations, the master key and sealed secrets, and the data folder lock.
 */
export { lockDataDir, LOCK_DIR, type DataDirLock, type LockHolder } from "./data-lock.ts";
export type { Db, DbKind, Queryable, QueryResult, Row, Tx } from "./db/db.ts";
export { isForeignKeyViolation, isUniqueViolation } from "./db/driver-error.ts";
export {
  loadMigrations,
  migrate,
  MIGRATIONS_DIR,
  MIGRATIONS_TABLE,
  type MigrateResult,
  type Migration,
} from "./db/migrate.ts";
export { Mutex } from "./db/mutex.ts";
export { openPglite, pgliteDb, type PgliteDbOptions, type PgliteOptions } from "./db/pglite.ts";
export { openPostgres, type PostgresOptions, redactUrl } from "./db/postgres.ts";
export { isServerError, ServerError, type ServerErrorCode, type ServerErrorData } from "./errors.ts";
export {
  keyCheckValue,
  type MasterKeyCheck,
  type VerifyMasterKeyOptions,
  verifyMasterKey,
} from "./keys/key-check.ts";
export {
  decodeMasterKey,
  type EnvKeyOptions,
  envKeyProvider,
  type FileKeyOptions,
  fileKeyProvider,
  type KeyProvider,
  keyProviderFromEnv,
  MASTER_KEY_BYTES,
  MASTER_KEY_FILE,
  type MasterKey,
} from "./keys/master-key.ts";
export { NONCE_BYTES, type Sealed, type SealContext, seal, TAG_BYTES, unseal } from "./keys/seal.ts";

/**
 * @packyard/server: the packyard server: `buildApp` (fastify: accounts, projects, ops), `startServer`
 * (`packyard serve`), and its foundation: the database port with its PGlite and
 * PostgreSQL adapters, migrations, the master key and sealed secrets, and the data folder lock.
 */
export { lockDataDir, LOCK_DIR, type DataDirLock, type LockHolder } from "./data-lock.ts";
export type { Db, DbKind, Queryable, QueryResult, Row, Session, Tx } from "./db/db.ts";
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
export {
  type BuildOptions,
  buildApp,
  DEFAULT_RATE_LIMIT,
  JSON_BODY_LIMIT,
  type PluginOptions,
  type RouteEntry,
  routeTable,
} from "./app/app.ts";
export {
  type AuthzRule,
  type Principal,
  type ProjectAccess,
  type Role,
  ROLES,
  ruleText,
} from "./app/authz.ts";
export type { AppConfig, AppDeps, Clock, RateLimitConfig } from "./app/deps.ts";
export { systemClock } from "./app/deps.ts";
export { type ErrorBody, statusOf } from "./app/http-errors.ts";
export { REDACT_PATHS, serverLogger } from "./app/logger.ts";
export { DEFAULT_SCRYPT, hashPassword, type ScryptCost, verifyPassword } from "./accounts/password.ts";
export {
  issueToken,
  newToken,
  type Scope,
  SCOPES,
  TOKEN_PREFIX,
  type TokenInfo,
  tokenHash,
} from "./accounts/tokens.ts";
export { createUser, type User } from "./accounts/users.ts";
export {
  bootstrapAdmin,
  DB_DIR,
  type RunningServer,
  type ServeOptions,
  STORAGE_DIR,
  startServer,
  storageFromEnv,
} from "./serve.ts";
export {
  basicCredentials,
  issueReadToken,
  listReadTokens,
  type NewReadToken,
  type ReadTokenInfo,
  readTokenAllows,
  revokeReadToken,
} from "./repos/read-tokens.ts";
export { cacheControlForKey, parseRepoPath, repoPrefix } from "./repos/serve.ts";
export {
  activateKey,
  type CheckedKey,
  checkKey,
  insertKey,
  type KeyInfo,
  type KeyPurpose,
  type KeyState,
  listKeys,
  type ProjectSigners,
  type PublicKeyFile,
  projectPublicKeys,
  projectSigners,
} from "./keys/project-keys.ts";
export {
  type GeneratedKey,
  type KeyGenerator,
  type KeyUser,
  openpgpSecretBinary,
  pkcs8Der,
  realKeyGenerator,
} from "./keys/generate.ts";
export {
  type ArtifactFilter,
  artifactsForPublish,
  type PublishArtifact,
} from "./uploads/artifacts.ts";
export { BLOB_PREFIX, blobKey, DEFAULT_UPLOAD_LIMIT } from "./uploads/blob-store.ts";
export { type CollectOptions, type CollectResult, collectBlobs } from "./uploads/gc.ts";
export { decodeInfo, encodeInfo } from "./uploads/info-json.ts";
export { checkPackageConfig } from "./uploads/package-config.ts";
export { type ReindexResult, reindexRepositories } from "./repos/reindex.ts";
export {
  type PublishRequest,
  publishRepository,
  type RepositoryPublishResult,
} from "./repos/publish.ts";
export {
  DEFAULT_REPOSITORY,
  type LastPublish,
  type RepositoryRecord,
  type RepositorySettings,
  repositoryStorage,
  repositoryUrl,
} from "./repos/settings.ts";
export { withPublishLock } from "./repos/lock.ts";
export {
  type AgentLog,
  type AgentOptions,
  type AgentStats,
  runAgent,
} from "./agent/agent.ts";
export {
  AgentApiError,
  type AgentClient,
  type ClaimPayload,
  createAgentClient,
  LogBatcher,
} from "./agent/client.ts";
export { buildUnsigned, type ExecuteOptions, type ExecuteResult, executeJob } from "./agent/execute.ts";
export {
  chooseSandbox,
  createRedactor,
  type RunAs,
  type RunStepsOptions,
  resolveRunAs,
  runSteps,
  type Sandbox,
  type StepsResult,
  stepEnvironment,
} from "./agent/steps.ts";
export { type BuildTrigger, type CreateBuildInput, createBuild, jobArch } from "./builds/requests.ts";
export {
  type BuildState,
  type BuildView,
  buildAccess,
  getBuild,
  type JobView,
  listBuilds,
} from "./builds/views.ts";
export {
  listTargets,
  type Packager,
  packagerOf,
  resolveTargets,
  type TargetEntry,
} from "./builds/catalogue.ts";
export {
  appendLogs,
  DEFAULT_LOG_CAP_BYTES,
  DEFAULT_LOG_RETENTION_MS,
  type LogChunk,
  type LogEntry,
  type LogPage,
  pruneBuilds,
  readLogs,
  systemLog,
} from "./builds/logs.ts";
export { type LogHub, type LogHubOptions, logHub } from "./builds/notify.ts";
export { buildsPlugin } from "./app/plugins/builds.ts";
export { type BuildLogsOptions, buildLogsPlugin } from "./app/plugins/build-logs.ts";
export { githubHooksPlugin, type HooksPluginOptions, hooksPlugin } from "./app/plugins/hooks.ts";
export {
  DEFAULT_GITHUB_API_URL,
  deleteWebhook,
  getWebhook,
  putWebhook,
  rotateWebhookSecret,
  signBody,
  verifySignature,
} from "./builds/github.ts";
export {
  backoffMs,
  buildStateOf,
  cancelBuild,
  type Claimant,
  type ClaimedJob,
  claimJob,
  completeJob,
  DEFAULT_LEASE_MS,
  failJob,
  failPublish,
  finishPublish,
  HEARTBEAT_EVERY_MS,
  heartbeat,
  isTerminal,
  type JobFailure,
  type JobRow,
  type JobState,
  jobsPublishing,
  type QueueOptions,
  reapExpired,
  recordUpload,
  refreshBuildState,
  requireAttempt,
  startReaper,
} from "./builds/queue.ts";
export { type AgentInfo, listAgents, registerAgent, revokeAgent } from "./builds/agents.ts";
export { deleteSecret, listSecrets, secretsForJob, setSecret } from "./builds/secrets.ts";
export { SOURCE_URL_TTL_MS, signSourceUrl, verifySourceUrl } from "./builds/signed-url.ts";
export { checkJobArtifact, jobToPublish, publishJob, resumePublishing } from "./builds/job-publish.ts";
export { type AgentApiOptions, agentsPlugin, createAgentsPlugin } from "./app/plugins/agents.ts";
export type { BuildsOptions } from "./app/app.ts";
export { type ArtifactInsert, insertArtifact } from "./uploads/artifacts.ts";
export { servedTargets, servesTarget, storedBuildSettings } from "./builds/requests.ts";
export { type BlobDeps, commitBlobs } from "./uploads/blob-store.ts";
export { storeSourceFiles } from "./uploads/source-files.ts";
export { storeJobUpload } from "./uploads/job-upload.ts";
export {
  startWorkers,
  type WorkerDeps,
  type WorkerOptions,
  type Workers,
} from "./builds/worker.ts";
export { buildTuningFromEnv, DEFAULT_LOG_RETENTION_DAYS, WORK_DIR } from "./serve.ts";

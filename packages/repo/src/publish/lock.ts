/** The publish lock interface (implementation below in this file once written). */

/** A lock held for the duration of one publish. The server passes its own (PostgreSQL); the CLI uses the storage lock. */
export interface PublishLock {
  /** Waits until the lock is held (RepoError LOCK_TIMEOUT after `timeoutMs`). */
  acquire(options: { timeoutMs: number }): Promise<void>;
  /** Extends the lease; throws LOCK_LOST when another holder took it over. */
  renew(): Promise<void>;
  /** Throws RepoError LOCK_LOST unless the lock is still held by this publisher. Called before every index write. */
  assertHeld(): Promise<void>;
  /** Gives the lock up (idempotent). */
  release(): Promise<void>;
}

/**
 * Spool: write once, then know size and digests, then replay. Memory below a threshold, a temp file above
 * it. The interface is pure; the file-backed implementation lives behind the runtime seam.
 */
import type { Digests, HashAlgo } from "../hash/hasher.ts";

/** A spool being written; it promises the digests `A` (by default all four, what a factory computes unasked). */
export interface SpoolWriter<A extends HashAlgo = HashAlgo> {
  write(chunk: Uint8Array): Promise<void>;
  /** Finishes writing; the result can be replayed any number of times until disposed. */
  close(): Promise<SpooledBytes<A>>;
  /** Drops everything (temp file removed). Safe to call twice. */
  abort(): Promise<void>;
}

/** Spooled bytes whose digests include `A` (by default none is promised: a consumer that reads only). */
export interface SpooledBytes<A extends HashAlgo = never> {
  readonly size: number;
  /** Digests of the spooled bytes (lowercase hex), computed while writing: at least the ones asked for. */
  readonly digests: Readonly<Digests & Record<A, string>>;
  open(range?: { start: number; end: number }): AsyncIterable<Uint8Array>;
  /** Frees memory / removes the temp file. */
  dispose(): Promise<void>;
}

/**
 * Each call gives a fresh writer computing `digests` of what is written (default: md5, sha1, sha256 and
 * sha512). A writer passes only the ones it uses: hashing a 100 MB data member four times costs more than
 * a third of a second. A factory may compute more than it is asked for.
 */
export type SpoolFactory = <A extends HashAlgo = HashAlgo>(digests?: readonly A[]) => SpoolWriter<A>;

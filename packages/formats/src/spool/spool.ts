/**
 * Spool: write once, then know size and digests, then replay. Memory below a threshold, a temp file above
 * it. The interface is pure; the file-backed implementation lives behind the runtime seam.
 */
import type { Digests } from "../hash/hasher.ts";

export interface SpoolWriter {
  write(chunk: Uint8Array): Promise<void>;
  /** Finishes writing; the result can be replayed any number of times until disposed. */
  close(): Promise<SpooledBytes>;
  /** Drops everything (temp file removed). Safe to call twice. */
  abort(): Promise<void>;
}

export interface SpooledBytes {
  readonly size: number;
  /** Digests of the spooled bytes, computed while writing. */
  readonly digests: Required<Digests>;
  open(range?: { start: number; end: number }): AsyncIterable<Uint8Array>;
  /** Frees memory / removes the temp file. */
  dispose(): Promise<void>;
}

export type SpoolFactory = () => SpoolWriter;

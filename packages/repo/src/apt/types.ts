/** What the APT index builders produce: files to write, each with its storage key and content. */
import type { GzipPieceTable } from "../gzip.ts";

/** One file an index builder produced. */
export interface BuiltFile {
  /** Storage key relative to the repository root (`deb/dists/stable/main/binary-amd64/Packages.gz`). */
  key: string;
  bytes: Uint8Array;
  /** `blob`: immutable (by-hash copies); `index`: a canonical second-level index, rewritten in place. */
  kind: "blob" | "index";
  /** How a gzip index was cut into pieces (gzipItems), for the next build to copy the unchanged ones. */
  gzip?: GzipPieceTable;
}

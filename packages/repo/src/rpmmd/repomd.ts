/**
 * The whole `repodata/` of an RPM-MD directory from its packages: primary, filelists and other
 * compressed under unique names (`<sha256 of the compressed bytes>-<type>.xml.gz`, createrepo_c's
 * default), and the repomd.xml listing them with the elements createrepo_c writes for them with
 * `--no-database` (src/xml_dump_repomd.c; repos.md §3.2). Same packages and options, same bytes.
 */
import { createHash } from "node:crypto";
import { type Compression, compressBytes } from "@packyard/formats/compress";
import { type GzipPieceTable, type GzipPrevious, gzipIndex } from "../gzip.ts";
import { RepoError } from "../errors.ts";
import { filelistsXmlBytes } from "./filelists.ts";
import { otherXmlBytes } from "./other.ts";
import { primaryXmlBytes } from "./primary.ts";
import type { RpmMdPackage } from "./types.ts";
import { XML_DECLARATION } from "./xml.ts";

/** Options of {@link buildRpmMetadata}. */
export interface RpmMetadataOptions {
  /** `gz` reads everywhere; `zst` (createrepo_c ≥ 1.0's default) not on EL7 yum (repos.md §3.5). */
  compression: "gz" | "zst";
  /** `<revision>`: createrepo_c writes the Unix time; any increasing number will do. */
  revision: number;
  /** `<timestamp>` of every file (createrepo_c writes each file's mtime), Unix seconds. */
  timestamp: number;
  /**
   * The `.gz` document of a type a previous build wrote, with its piece table, when the caller has it:
   * its unchanged pieces are copied instead of compressed again (the bytes are the same either way).
   */
  previous?: (type: RpmMetadataFile["type"]) => Promise<GzipPrevious | undefined>;
}

/** One compressed metadata document. */
export interface RpmMetadataFile {
  type: "primary" | "filelists" | "other";
  /** Relative to the directory holding `repodata/`: `repodata/<sha256>-primary.xml.gz`. */
  href: string;
  bytes: Uint8Array;
  /** How a gzip document was cut into pieces (gzipIndex), for the next build to copy the unchanged ones. */
  gzip?: GzipPieceTable;
}

/** What {@link buildRpmMetadata} produces: the documents to upload first, then repomd.xml. */
export interface RpmMetadata {
  files: RpmMetadataFile[];
  /** The text of `repodata/repomd.xml`. */
  repomd: string;
}

// createrepo_c's levels (src/compression_wrapper.c): zlib's default for gzip, 10 for zstd.
const COMPRESSION: Record<RpmMetadataOptions["compression"], Compression & { level: number }> = {
  gz: { algo: "gzip", level: 6 },
  zst: { algo: "zstd", level: 10 },
};

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

function checkNumber(name: "revision" | "timestamp", n: number): void {
  if (!Number.isSafeInteger(n) || n < 0)
    throw new RepoError("INVALID_SETTING", `RPM-MD ${name}: expected a whole number of seconds, found ${n}`, {
      field: name,
      found: n,
    });
}

/**
 * Builds primary, filelists and other of `pkgs` (in their order), compresses them, names them by
 * content and writes the repomd.xml that lists them.
 * @example const { files, repomd } = await buildRpmMetadata(pkgs, { compression: "gz", revision: now, timestamp: now });
 */
export async function buildRpmMetadata(
  pkgs: readonly RpmMdPackage[],
  options: RpmMetadataOptions,
): Promise<RpmMetadata> {
  checkNumber("revision", options.revision);
  checkNumber("timestamp", options.timestamp);
  const compression = COMPRESSION[options.compression];
  if (compression === undefined)
    throw new RepoError(
      "INVALID_SETTING",
      `RPM-MD compression: expected gz or zst, found ${String(options.compression)}`,
      { field: "compression", found: options.compression },
    );
  const documents = (
    [
      ["primary", primaryXmlBytes],
      ["filelists", filelistsXmlBytes],
      ["other", otherXmlBytes],
    ] as const
  ).map(([type, build]) => {
    const ends: number[] = [];
    return { type, open: build(pkgs, ends), ends };
  });
  const files: RpmMetadataFile[] = [];
  let repomd =
    `${XML_DECLARATION}<repomd xmlns="http://linux.duke.edu/metadata/repo" xmlns:rpm="http://linux.duke.edu/metadata/rpm">\n` +
    `  <revision>${options.revision}</revision>\n`;
  // The three documents compress at once (gzip on the thread pool: gzipIndex, pieces of a previous build
  // copied when their text did not change).
  const compressed = await Promise.all(
    documents.map(async ({ type, open, ends }) =>
      compression.algo === "gzip"
        ? { open, ...(await gzipIndex(open, ends, compression.level, await options.previous?.(type))) }
        : { open, bytes: await compressBytes(open, compression) },
    ),
  );
  for (const [i, { type }] of documents.entries()) {
    const { open, bytes, table } = compressed[i]! as {
      open: Uint8Array;
      bytes: Uint8Array;
      table?: GzipPieceTable;
    };
    const checksum = sha256(bytes);
    const href = `repodata/${checksum}-${type}.xml.${options.compression}`;
    files.push(table === undefined ? { type, href, bytes } : { type, href, bytes, gzip: table });
    repomd +=
      `  <data type="${type}">\n` +
      `    <checksum type="sha256">${checksum}</checksum>\n` +
      `    <open-checksum type="sha256">${sha256(open)}</open-checksum>\n` +
      `    <location href="${href}"/>\n` +
      `    <timestamp>${options.timestamp}</timestamp>\n` +
      `    <size>${bytes.length}</size>\n` +
      `    <open-size>${open.length}</open-size>\n` +
      `  </data>\n`;
  }
  return { files, repomd: `${repomd}</repomd>\n` };
}

/**
 * The whole `repodata/` of an RPM-MD directory from its packages: primary, filelists and other
 * compressed under unique names (`<sha256 of the compressed bytes>-<type>.xml.gz`, createrepo_c's
 * default), and the repomd.xml listing them with the elements createrepo_c writes for them with
 * `--no-database` (src/xml_dump_repomd.c; repos.md §3.2). Same packages and options, same bytes.
 */
import { createHash } from "node:crypto";
import { type Compression, compressBytes } from "@packyard/formats/compress";
import { type GzipPieceTable, type GzipPrevious, gzipItems, itemPieces } from "../gzip.ts";
import { RepoError } from "../errors.ts";
import { FILELISTS_DOCUMENT } from "./filelists.ts";
import { OTHER_DOCUMENT } from "./other.ts";
import { PRIMARY_DOCUMENT } from "./primary.ts";
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
  /**
   * What the packages' XML depends on besides their {@link RpmMdPackage.id}s (the settings a caller made
   * `href`, `info` or `fileTime` from), so that no piece made under other settings is copied.
   */
  context?: string;
}

/** One compressed metadata document. */
export interface RpmMetadataFile {
  type: "primary" | "filelists" | "other";
  /** Relative to the directory holding `repodata/`: `repodata/<sha256>-primary.xml.gz`. */
  href: string;
  bytes: Uint8Array;
  /** How a gzip document was cut into pieces (gzipItems), for the next build to copy the unchanged ones. */
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

/** Bumped whenever the XML made of a package changes, so that no piece made by the old text is copied. */
const TEXT_VERSION = "rpm-md-1";

const encoder = new TextEncoder();

/** Where a package's pieces are cut (its pkgid, random and stable) and what its XML is made of. */
function pieceItem(p: RpmMdPackage): { cut: string; id: Uint8Array } {
  const cut = /^[0-9a-f]{8}/.test(p.pkgid) ? p.pkgid : createHash("sha256").update(p.pkgid).digest("hex");
  return { cut, id: p.id ?? encoder.encode(JSON.stringify([p.info, p.pkgid, p.size, p.href, p.fileTime])) };
}

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
  const documents = [
    ["primary", PRIMARY_DOCUMENT],
    ["filelists", FILELISTS_DOCUMENT],
    ["other", OTHER_DOCUMENT],
  ] as const;
  const files: RpmMetadataFile[] = [];
  let repomd =
    `${XML_DECLARATION}<repomd xmlns="http://linux.duke.edu/metadata/repo" xmlns:rpm="http://linux.duke.edu/metadata/rpm">\n` +
    `  <revision>${options.revision}</revision>\n`;
  // gzip: the three documents in pieces known by their packages (one set of pieces for the three), on the
  // thread pool, the pieces of a previous build whose packages did not change copied without making their
  // XML; the text of each comes back for its open-checksum.
  const pieces = compression.algo === "gzip" ? itemPieces(pkgs.map(pieceItem)) : undefined;
  const compressed = await Promise.all(
    documents.map(async ([type, doc]) => {
      if (pieces === undefined) {
        const open = doc.bytes(pkgs);
        return { type, text: [open], bytes: await compressBytes(open, compression) };
      }
      const out = await gzipItems(
        pkgs.map((p) => () => doc.part(p)),
        pieces,
        {
          level: compression.level,
          open: encoder.encode(doc.open(pkgs.length)),
          close: encoder.encode(doc.close),
          previous: await options.previous?.(type),
          salt: `${TEXT_VERSION} ${type} ${options.context ?? ""}`,
          text: true,
        },
      );
      return { type, text: out.text!, bytes: out.bytes, table: out.table };
    }),
  );
  for (const { type, text, bytes, table } of compressed) {
    const open = createHash("sha256");
    let openSize = 0;
    for (const part of text) {
      open.update(part);
      openSize += part.length;
    }
    const checksum = sha256(bytes);
    const href = `repodata/${checksum}-${type}.xml.${options.compression}`;
    files.push(table === undefined ? { type, href, bytes } : { type, href, bytes, gzip: table });
    repomd +=
      `  <data type="${type}">\n` +
      `    <checksum type="sha256">${checksum}</checksum>\n` +
      `    <open-checksum type="sha256">${open.digest("hex")}</open-checksum>\n` +
      `    <location href="${href}"/>\n` +
      `    <timestamp>${options.timestamp}</timestamp>\n` +
      `    <size>${bytes.length}</size>\n` +
      `    <open-size>${openSize}</open-size>\n` +
      `  </data>\n`;
  }
  return { files, repomd: `${repomd}</repomd>\n` };
}

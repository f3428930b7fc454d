/**
 * Checksums files in the format `sha256sum -c` / `sha512sum -c` read (GNU coreutils md5sum.c): one
 * `<hex>  <name>` line per artifact, sorted by name; a name holding `\` or a newline is escaped and its
 * line starts with `\`, as coreutils writes it.
 */
import { SpecError, FormatError } from "../errors.ts";
import { digestStream, hashBytes } from "../hash/hasher.ts";
import type { ByteSource } from "../spec/types.ts";
import { compareBytes } from "../spec/order.ts";

export type ChecksumAlgo = "sha256" | "sha512";
export const CHECKSUM_ALGOS: readonly ChecksumAlgo[] = ["sha256", "sha512"];

/** One artifact to list: its file name (as it sits beside the checksums file) and its bytes or a precomputed digest. */
export interface ChecksumArtifact {
  name: string;
  bytes?: Uint8Array;
  source?: ByteSource;
  /** Lowercase hex digest of `algo`, when the caller already has it (the CLI hashes while writing). */
  digest?: string;
}

/** One parsed line. */
export interface ChecksumLine {
  name: string;
  digest: string;
  /** `*` (binary) mode marker was present. */
  binary: boolean;
}

const HEX_LENGTH: Record<ChecksumAlgo, number> = { sha256: 64, sha512: 128 };

/** `SHA256SUMS` or `SHA512SUMS`. */
export function checksumsFileName(algo: ChecksumAlgo): string {
  return algo === "sha256" ? "SHA256SUMS" : "SHA512SUMS";
}

function checkName(name: string, field: string): void {
  if (name === "" || name.includes("/") || name.includes("\0")) {
    throw new SpecError(
      "INVALID_NAME",
      `${field}: expected a file name without "/" or NUL, found ${JSON.stringify(name)}`,
      {
        field,
        found: name,
      },
    );
  }
}

/** Renders one line (coreutils escaping for `\` and newline). */
export function checksumLine(digest: string, name: string): string {
  const escaped = name.includes("\\") || name.includes("\n") || name.includes("\r");
  const shown = escaped
    ? name.replaceAll("\\", "\\\\").replaceAll("\n", "\\n").replaceAll("\r", "\\r")
    : name;
  return `${escaped ? "\\" : ""}${digest}  ${shown}\n`;
}

/**
 * The text of a checksums file over `artifacts`: sorted by name, one line each. Throws SpecError on a
 * duplicate or invalid name or a digest of the wrong shape.
 * @example await checksumsFile([{ name: "a.tar.gz", bytes }], "sha256") // "<64 hex>  a.tar.gz\n"
 */
export async function checksumsFile(
  artifacts: readonly ChecksumArtifact[],
  algo: ChecksumAlgo = "sha256",
): Promise<string> {
  if (!CHECKSUM_ALGOS.includes(algo)) {
    throw new SpecError(
      "INVALID_FIELD",
      `checksum.algorithm: expected sha256 or sha512, found ${JSON.stringify(algo)}`,
      {
        field: "checksum.algorithm",
        found: algo,
      },
    );
  }
  const seen = new Set<string>();
  const lines: { name: string; digest: string }[] = [];
  for (const [i, a] of artifacts.entries()) {
    const field = `artifacts[${i}].name`;
    checkName(a.name, field);
    if (seen.has(a.name))
      throw new SpecError("DUPLICATE_PATH", `${field}: ${JSON.stringify(a.name)} is listed twice`, {
        field,
        path: a.name,
      });
    seen.add(a.name);
    let digest = a.digest?.toLowerCase();
    if (digest === undefined && a.bytes !== undefined) digest = hashBytes(a.bytes, algo);
    if (digest === undefined && a.source !== undefined)
      digest = (await digestStream(a.source.open(), [algo])).digests[algo];
    if (digest === undefined || !new RegExp(`^[0-9a-f]{${HEX_LENGTH[algo]}}$`).test(digest)) {
      throw new SpecError(
        "INVALID_FIELD",
        `artifacts[${i}]: expected bytes, a source or a ${algo} hex digest for ${JSON.stringify(a.name)}`,
        {
          field: `artifacts[${i}]`,
          found: a.digest,
        },
      );
    }
    lines.push({ name: a.name, digest });
  }
  lines.sort((a, b) => compareBytes(a.name, b.name));
  return lines.map((l) => checksumLine(l.digest, l.name)).join("");
}

function unescapeName(s: string, lineNo: number): string {
  return s.replace(/\\(.)/g, (_, c: string) => {
    if (c === "\\") return "\\";
    if (c === "n") return "\n";
    if (c === "r") return "\r";
    throw new FormatError("INVALID_VALUE", `checksums line ${lineNo}: unknown escape \\${c}`, {
      line: lineNo,
      found: c,
    });
  });
}

/**
 * Parses a checksums file (GNU style `<hex>  name`, `<hex> *name`, escaped lines); the algorithm is told by
 * the digest length. Throws FormatError INVALID_VALUE naming the line.
 */
export function parseChecksums(text: string): { algo: ChecksumAlgo; lines: ChecksumLine[] } {
  const out: ChecksumLine[] = [];
  let algo: ChecksumAlgo | undefined;
  const rows = text.split("\n");
  if (rows[rows.length - 1] === "") rows.pop();
  rows.forEach((row, i) => {
    const lineNo = i + 1;
    const escaped = row.startsWith("\\");
    const m = /^([0-9a-fA-F]+) ([ *])(.+)$/.exec(escaped ? row.slice(1) : row);
    const len = m?.[1]?.length;
    const a: ChecksumAlgo | undefined = len === 64 ? "sha256" : len === 128 ? "sha512" : undefined;
    if (m === null || a === undefined) {
      throw new FormatError(
        "INVALID_VALUE",
        `checksums line ${lineNo}: expected "<sha256 or sha512 hex>  <name>", found ${JSON.stringify(row)}`,
        {
          line: lineNo,
          found: row,
        },
      );
    }
    if (algo !== undefined && a !== algo) {
      throw new FormatError("INVALID_VALUE", `checksums line ${lineNo}: ${a} digest in a ${algo} file`, {
        line: lineNo,
        found: a,
      });
    }
    algo = a;
    out.push({
      digest: m[1]!.toLowerCase(),
      name: escaped ? unescapeName(m[3]!, lineNo) : m[3]!,
      binary: m[2] === "*",
    });
  });
  if (algo === undefined) throw new FormatError("INVALID_VALUE", "checksums file is empty", { line: 0 });
  return { algo, lines: out };
}

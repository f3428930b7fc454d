/**
 * What the rpm reader checks, as `rpm -K` and the installer do: the header digests (SHA1, SHA256), every
 * payload entry against the header's file list and file digests, the payload digests (PAYLOADDIGEST, its
 * ALT over the uncompressed bytes, MD5 over header+payload), the recorded sizes, and the OpenPGP signatures.
 */
import { encodeHex } from "../bytes/encoding.ts";
import { readCpio } from "../container/cpio.ts";
import { FormatError } from "../errors.ts";
import type { ReadContext } from "../format.ts";
import { createHasher, hashBytes } from "../hash/index.ts";
import type { SignatureInfo } from "../info/types.ts";
import type { ReadLimits } from "../limits.ts";
import { readSignatureInfo } from "../sign/signature-info.ts";
import { type DecodedHeader, headerBinary, headerNumbers, headerString, headerStrings } from "./header.ts";
import { DIGEST_NAMES, type FileRow } from "./info.ts";
import { FILE_FLAG, SIG, TAG } from "./tags.ts";

function mismatch(
  what: string,
  expected: string,
  found: string,
  data: Record<string, unknown> = {},
): FormatError {
  return new FormatError(
    "DIGEST_MISMATCH",
    `rpm: ${what} does not match: expected ${expected}, found ${found}`,
    { expected, found, ...data },
  );
}

/** Checks the signature header's SHA1 and SHA256 of main header `H`; returns the header's SHA-256. */
export function checkHeaderDigests(sh: DecodedHeader, H: Uint8Array, headerStart: number): string {
  const sha1 = headerString(sh, SIG.SHA1);
  if (sha1 !== undefined && sha1 !== hashBytes(H, "sha1"))
    throw mismatch("header SHA1 digest", sha1, hashBytes(H, "sha1"), { offset: headerStart });
  const sha256 = headerString(sh, SIG.SHA256);
  const headerSha256 = hashBytes(H, "sha256");
  if (sha256 !== undefined && sha256 !== headerSha256)
    throw mismatch("header SHA256 digest", sha256, headerSha256, { offset: headerStart });
  return headerSha256;
}

/** Strips the payload name prefix (`./`, `/` or none) rpm accepts, refusing `..` segments. */
function payloadPath(name: string, offset: number): string {
  const clean = name.replace(/^\.?\/?/, "/");
  if (clean.split("/").includes("..")) {
    throw new FormatError(
      "UNSAFE_PATH",
      `rpm payload entry ${JSON.stringify(name)} at offset ${offset} has a ".." segment`,
      { offset, path: name },
    );
  }
  return clean;
}

/**
 * Reads the uncompressed payload `plainIt` to its end: every cpio entry must be a file of the header's list
 * (`rows`), once, with the size and digest the header gives it; every non-ghost file must be there.
 */
export async function checkPayloadFiles(
  plainIt: AsyncIterator<Uint8Array>,
  h: DecodedHeader,
  rows: FileRow[],
  limits: ReadLimits,
): Promise<void> {
  const digestAlgo = DIGEST_NAMES[headerNumbers(h, TAG.FILEDIGESTALGO)?.[0] ?? 1];
  // A source rpm's file list is relative (`hello.spec`, dirname ""); payload paths are compared rooted.
  const byPath = new Map(rows.map((r, i) => [r.path.startsWith("/") ? r.path : `/${r.path}`, i]));
  const seen = new Uint8Array(rows.length);
  // A stripped entry carries no size: in a hardlink set only the last member (header order) carries the
  // data and the others have none, as rpm writes and reads it (lib/rpmfi.c rpmfiArchiveHasContent).
  const carrierOf = new Map<string, number>();
  rows.forEach((r, i) => {
    if ((r.mode & 0o170000) === 0o100000 && !(r.flags & FILE_FLAG.GHOST))
      carrierOf.set(`${r.device}:${r.inode}`, i);
  });
  const strippedSize = (i: number): number => {
    const r = rows[i];
    if (r === undefined) return 0;
    const carrier = carrierOf.get(`${r.device}:${r.inode}`);
    return carrier === undefined || carrier === i ? r.size : 0;
  };
  for await (const entry of readCpio({ [Symbol.asyncIterator]: () => plainIt }, { limits, strippedSize })) {
    let i: number | undefined;
    if (entry.format === "stripped") {
      i = entry.index;
      if (i === undefined || i >= rows.length)
        throw new FormatError(
          "UNEXPECTED_MEMBER",
          `rpm payload: stripped entry index ${entry.index} at offset ${entry.offset} is not in the header`,
          { offset: entry.offset },
        );
    } else {
      const path = payloadPath(entry.header.name, entry.offset);
      i = byPath.get(path);
      if (i === undefined)
        throw new FormatError(
          "UNEXPECTED_MEMBER",
          `rpm payload: ${path} (offset ${entry.offset}) is not in the header's file list`,
          { offset: entry.offset, path },
        );
    }
    const row = rows[i]!;
    if (seen[i])
      throw new FormatError(
        "DUPLICATE_KEY",
        `rpm payload: ${row.path} appears twice (offset ${entry.offset})`,
        { offset: entry.offset, path: row.path },
      );
    seen[i] = 1;
    const type = row.mode & 0o170000;
    if (type === 0o100000 && entry.header.size > 0) {
      if (entry.header.size !== row.size) {
        throw new FormatError(
          "BAD_HEADER",
          `rpm payload: ${row.path} has ${entry.header.size} bytes, the header says ${row.size}`,
          { offset: entry.offset, path: row.path },
        );
      }
      if (digestAlgo !== undefined && row.digest !== "") {
        const fh = createHasher([digestAlgo]);
        for await (const c of entry.body()) fh.update(c);
        const got = fh.digest()[digestAlgo]!;
        if (got !== row.digest)
          throw mismatch(`file digest of ${row.path}`, row.digest, got, {
            path: row.path,
            offset: entry.offset,
          });
      }
    }
  }
  // Drain what follows the trailer so the payload digests cover every byte.
  while (!(await plainIt.next()).done) {}
  rows.forEach((r, i) => {
    if (!seen[i] && !(r.flags & FILE_FLAG.GHOST)) {
      throw new FormatError(
        "MISSING_MEMBER",
        `rpm payload: ${r.path} is in the header but not in the payload`,
        { path: r.path },
      );
    }
  });
}

/** The digests and sizes counted while reading the payload, for {@link checkPayloadDigests}. */
export interface PayloadCounts {
  /** SHA-256 of the compressed payload. */
  payloadSha256: string;
  /** SHA-256 of the uncompressed payload. */
  plainSha256: string;
  /** MD5 of the main header and the compressed payload. */
  md5: string;
  /** Bytes of the compressed and of the uncompressed payload. */
  payloadSize: number;
  plainSize: number;
}

/** Checks the payload digests of the main header and the MD5 and sizes of the signature header. */
export function checkPayloadDigests(
  sh: DecodedHeader,
  h: DecodedHeader,
  payloadStart: number,
  counts: PayloadCounts,
): void {
  const H = h.bytes;
  const { payloadSha256, payloadSize, plainSize } = counts;
  const payloadDigest = headerStrings(h, TAG.PAYLOADDIGEST)?.[0];
  if (payloadDigest !== undefined && payloadDigest !== payloadSha256)
    throw mismatch("payload SHA256 digest", payloadDigest, payloadSha256, { offset: payloadStart });
  const alt = headerStrings(h, TAG.PAYLOADDIGESTALT)?.[0];
  const altGot = counts.plainSha256;
  if (alt !== undefined && alt !== altGot)
    throw mismatch("payload SHA256 ALT digest", alt, altGot, { offset: payloadStart });
  const md5Want = headerBinary(sh, SIG.MD5);
  const md5Got = counts.md5;
  if (md5Want !== undefined && encodeHex(md5Want) !== md5Got)
    throw mismatch("MD5 digest", encodeHex(md5Want), md5Got);
  const sizeWant = headerNumbers(sh, SIG.SIZE)?.[0] ?? headerNumbers(sh, SIG.LONGSIZE)?.[0];
  if (sizeWant !== undefined && sizeWant !== H.length + payloadSize) {
    throw new FormatError(
      "BAD_HEADER",
      `rpm signature SIZE says ${sizeWant} bytes of header+payload, found ${H.length + payloadSize}`,
      { expected: sizeWant, found: H.length + payloadSize },
    );
  }
  // The uncompressed payload size: rpm 4.x writes PAYLOADSIZE (LONGARCHIVESIZE from 4 GiB) in the
  // signature header and reports it as %{ARCHIVESIZE} / %{LONGARCHIVESIZE}. Checked against the bytes, so
  // raw.archiveSize (the bytes counted) is what rpm reports, and still the true size when no tag says.
  for (const [tag, what] of [
    [SIG.PAYLOADSIZE, "PAYLOADSIZE"],
    [SIG.LONGARCHIVESIZE, "LONGARCHIVESIZE"],
  ] as const) {
    const plainWant = headerNumbers(sh, tag)?.[0];
    if (plainWant !== undefined && plainWant !== plainSize) {
      throw new FormatError(
        "BAD_HEADER",
        `rpm signature ${what} says ${plainWant} bytes, the payload decompresses to ${plainSize}`,
        { expected: plainWant, found: plainSize },
      );
    }
  }
}

/** The OpenPGP signatures of the signature header; header-only ones verified against `ctx.publicKeys`. */
export async function readSignatures(
  sh: DecodedHeader,
  H: Uint8Array,
  ctx: ReadContext,
): Promise<SignatureInfo[]> {
  const out: SignatureInfo[] = [];
  const locations: [number, string, boolean][] = [
    [SIG.RSA, "rpm:RSAHEADER", true],
    [SIG.DSA, "rpm:DSAHEADER", true],
    [SIG.PGP, "rpm:PGP", false],
    [SIG.GPG, "rpm:GPG", false],
  ];
  for (const [tag, location, headerOnly] of locations) {
    const sig = headerBinary(sh, tag);
    if (sig === undefined) continue;
    const info: SignatureInfo = { kind: "openpgp", location };
    try {
      const s = readSignatureInfo(sig);
      info.keyId = s.keyId;
      if (s.fingerprint !== undefined) info.fingerprint = s.fingerprint;
      info.hash = s.hash;
    } catch (cause) {
      throw new FormatError(
        "BAD_HEADER",
        `rpm signature tag ${tag}: not an OpenPGP signature (${(cause as Error).message})`,
        { found: tag },
        { cause },
      );
    }
    if (headerOnly && ctx.publicKeys?.length) {
      // openpgp.js is loaded only to verify, not to read a package or a signature's key id.
      const { verifyDetached } = await import("../sign/openpgp.ts");
      let ok = false;
      for (const key of ctx.publicKeys) {
        try {
          if ((await verifyDetached(H, sig, key, { date: null })).valid) ok = true;
        } catch {
          // a key that cannot be read does not verify this signature
        }
      }
      info.verified = ok;
    }
    out.push(info);
  }
  return out;
}

/**
 * The signature header: digests of the main header and payload, the optional OpenPGP signatures, and the
 * RESERVEDSPACE placeholder that lets a signature be added later without moving the main header.
 */
import { decodeHex } from "../bytes/encoding.ts";
import { FormatError } from "../errors.ts";
import { createHasher, hashBytes } from "../hash/index.ts";
import type { OpenPGPSigner, SignInput } from "../sign/signer.ts";
import type { SpooledBytes } from "../spool/spool.ts";
import { encodeHeader, type HeaderEntry, int32Entry, int64Entry, stringEntry, U32_MAX } from "./header.ts";
import { REGION_SIGNATURES, RPM_TYPE, SIG } from "./tags.ts";

/** Bytes after the signature header so that the main header starts on an 8-byte boundary. */
export function signaturePadding(headerBytes: number): number {
  return (8 - (headerBytes % 8)) % 8;
}

/** Encodes a signature header followed by its zero padding to 8 bytes. */
export function encodeSignatureHeader(entries: readonly HeaderEntry[]): Uint8Array {
  const h = encodeHeader(entries, REGION_SIGNATURES);
  const out = new Uint8Array(h.length + signaturePadding(h.length));
  out.set(h);
  return out;
}

/** Tags that hold OpenPGP signatures (header-only 267/268, header+payload 1002/1005). */
export const SIGNATURE_TAGS: readonly number[] = [SIG.DSA, SIG.RSA, SIG.PGP, SIG.GPG];

/**
 * Encodes `entries` plus a RESERVEDSPACE entry sized so that the whole signature header (padding
 * included) takes exactly `totalBytes` — what rpmsign does to sign in place. When the entries no longer
 * fit, the header is encoded without reserved space (and is larger than `totalBytes`).
 */
export function fitSignatureHeader(entries: readonly HeaderEntry[], totalBytes: number): Uint8Array {
  const base = entries.filter((e) => e.tag !== SIG.RESERVEDSPACE);
  const probe = encodeHeader(
    [...base, { tag: SIG.RESERVEDSPACE, type: RPM_TYPE.BIN, value: new Uint8Array(1) }],
    REGION_SIGNATURES,
  );
  // RESERVEDSPACE is BIN (no alignment) and the highest tag, so its data sits last: size grows 1:1 with it.
  const reserved = totalBytes - probe.length + 1;
  if (reserved >= 1) {
    const out = encodeSignatureHeader([
      ...base,
      { tag: SIG.RESERVEDSPACE, type: RPM_TYPE.BIN, value: new Uint8Array(reserved) },
    ]);
    if (out.length === totalBytes) return out;
  }
  return encodeSignatureHeader(base);
}

/**
 * Header-only (and, with `legacy`, header+payload) signature entries made by an OpenPGP signer, dated `date`
 * (seconds): with a fixed date, RSA and EdDSA signatures, and so the package, are reproducible. The legacy
 * header+payload data may be a stream (hashed as it arrives, never held whole).
 */
export async function signatureEntries(
  signer: OpenPGPSigner,
  header: Uint8Array,
  legacyData: (() => Promise<SignInput>) | undefined,
  date: number,
): Promise<HeaderEntry[]> {
  const rsa = signer.algorithm === "rsa";
  const options = { armor: false as const, hash: "sha256" as const, date: new Date(date * 1000) };
  const out: HeaderEntry[] = [];
  const sig = await signer.detached(header, options);
  out.push({ tag: rsa ? SIG.RSA : SIG.DSA, type: RPM_TYPE.BIN, value: sig });
  if (legacyData) {
    const both = await signer.detached(await legacyData(), options);
    out.push({ tag: rsa ? SIG.PGP : SIG.GPG, type: RPM_TYPE.BIN, value: both });
  }
  return out;
}

/** Checks a signature header's legacy-tag types the way rpm's headerMergeLegacySigs does. */
export function checkSignatureTypes(entries: Map<number, HeaderEntry>, offset: number): void {
  const want: [number, number, number?][] = [
    [SIG.SIZE, RPM_TYPE.INT32, 1],
    [SIG.PAYLOADSIZE, RPM_TYPE.INT32, 1],
    [SIG.MD5, RPM_TYPE.BIN, 16],
    [SIG.SHA1, RPM_TYPE.STRING],
    [SIG.SHA256, RPM_TYPE.STRING],
    [SIG.LONGSIZE, RPM_TYPE.INT64, 1],
    [SIG.LONGARCHIVESIZE, RPM_TYPE.INT64, 1],
  ];
  for (const [tag, type, count] of want) {
    const e = entries.get(tag);
    if (e === undefined) continue;
    const n = typeof e.value === "string" ? 1 : e.value.length;
    if (e.type !== type || (count !== undefined && n !== count)) {
      throw new FormatError(
        "BAD_HEADER",
        `rpm signature header at offset ${offset}: invalid signature tag ${tag} (type ${e.type}, count ${n})`,
        {
          offset,
          found: tag,
        },
      );
    }
  }
}

/** Digest entries of the signature header for main header `header` and payload `payload`. */
export async function digestEntries(
  header: Uint8Array,
  payload: SpooledBytes | Uint8Array,
  uncompressedSize: number,
): Promise<HeaderEntry[]> {
  const md5 = createHasher(["md5"]);
  md5.update(header);
  if (payload instanceof Uint8Array) md5.update(payload);
  else for await (const chunk of payload.open()) md5.update(chunk);
  const size = header.length + (payload instanceof Uint8Array ? payload.length : payload.size);
  const md5Bytes = decodeHex(md5.digest().md5!);
  const e: HeaderEntry[] = [
    stringEntry(SIG.SHA1, hashBytes(header, "sha1")),
    stringEntry(SIG.SHA256, hashBytes(header, "sha256")),
  ];
  if (size > U32_MAX) e.push(int64Entry(SIG.LONGSIZE, [size]));
  else e.push(int32Entry(SIG.SIZE, [size]));
  e.push({ tag: SIG.MD5, type: RPM_TYPE.BIN, value: md5Bytes });
  if (uncompressedSize > U32_MAX) e.push(int64Entry(SIG.LONGARCHIVESIZE, [uncompressedSize]));
  else e.push(int32Entry(SIG.PAYLOADSIZE, [uncompressedSize]));
  return e;
}

/** The main header, then the payload: what a legacy header+payload signature (1002/1005) covers. */
export async function* headerAndPayload(
  header: Uint8Array,
  payload: AsyncIterable<Uint8Array>,
): AsyncGenerator<Uint8Array> {
  yield header;
  yield* payload;
}

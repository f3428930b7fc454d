/**
 * The little of the OpenPGP packet format the keys module reads itself (RFC 4880 §4–6, RFC 9580 §5.5): ASCII
 * armor in and out, and the key packets of a key file (version, algorithm, RSA modulus size, v4
 * fingerprint). Uploads are checked with it before openpgp.js sees them, so a weak or unsupported key gets its
 * own refusal instead of openpgp.js's generic one, and secrets are stored as binary packets, never as armor.
 */
import { createHash } from "node:crypto";

/** Packet tags of key material. */
export const TAG = { secretKey: 5, publicKey: 6, secretSubkey: 7, publicSubkey: 14 } as const;

/** RSA public-key algorithm ids (1: encrypt or sign, 2: encrypt only, 3: sign only). */
const RSA_ALGOS: ReadonlySet<number> = new Set([1, 2, 3]);

/** Algorithm names by id (RFC 9580 §9.1), for messages. */
const ALGO_NAMES: Record<number, string> = {
  1: "rsa",
  2: "rsa",
  3: "rsa",
  16: "elgamal",
  17: "dsa",
  18: "ecdh",
  19: "ecdsa",
  22: "eddsa",
  25: "x25519",
  26: "x448",
  27: "ed25519",
  28: "ed448",
};

/** A key or subkey packet, public or secret. */
export interface KeyPacket {
  tag: number;
  /** Key packet version: 4 (RFC 4880), 5 or 6 (RFC 9580). */
  version: number;
  /** Public-key algorithm id. */
  algorithm: number;
  /** `rsa`, `eddsa`, `ed25519`…, or `algo-<n>`. */
  algorithmName: string;
  /** RSA modulus size in bits (from its MPI's bit count); undefined for other algorithms. */
  bits: number | undefined;
  /** v4 fingerprint, 40 lowercase hex digits (v4 RSA keys only; undefined otherwise). */
  fingerprint: string | undefined;
}

/** Thrown for bytes that are not OpenPGP packets; the caller maps it to its own error. */
export class PacketError extends Error {
  override readonly name = "PacketError";
}

/** One packet: tag and body. */
interface Packet {
  tag: number;
  body: Uint8Array;
}

/** Splits binary OpenPGP data into packets (old and new format headers; no partial lengths for keys). */
export function readPackets(bytes: Uint8Array): Packet[] {
  const packets: Packet[] = [];
  let at = 0;
  while (at < bytes.length) {
    const b = bytes[at]!;
    if ((b & 0x80) === 0)
      throw new PacketError(`byte ${at}: expected a packet header, found 0x${b.toString(16)}`);
    let tag: number;
    let len: number;
    let head: number;
    if ((b & 0x40) !== 0) {
      tag = b & 0x3f;
      const o1 = bytes[at + 1];
      if (o1 === undefined) throw new PacketError(`byte ${at}: packet header cut short`);
      if (o1 < 192) {
        len = o1;
        head = 2;
      } else if (o1 < 224) {
        const o2 = bytes[at + 2];
        if (o2 === undefined) throw new PacketError(`byte ${at}: packet header cut short`);
        len = ((o1 - 192) << 8) + o2 + 192;
        head = 3;
      } else if (o1 === 255) {
        if (at + 6 > bytes.length) throw new PacketError(`byte ${at}: packet header cut short`);
        len = new DataView(bytes.buffer, bytes.byteOffset + at + 2, 4).getUint32(0);
        head = 6;
      } else {
        throw new PacketError(`byte ${at}: partial body lengths do not occur in key packets`);
      }
    } else {
      tag = (b >> 2) & 0x0f;
      const type = b & 3;
      const size = type === 3 ? 0 : 1 << type;
      if (at + 1 + size > bytes.length) throw new PacketError(`byte ${at}: packet header cut short`);
      len = 0;
      for (let i = 0; i < size; i++) len = len * 256 + bytes[at + 1 + i]!;
      if (type === 3) len = bytes.length - at - 1;
      head = 1 + size;
    }
    if (at + head + len > bytes.length)
      throw new PacketError(`byte ${at}: packet of ${len} bytes runs past the end of the data`);
    packets.push({ tag, body: bytes.subarray(at + head, at + head + len) });
    at += head + len;
  }
  return packets;
}

/** Reads a key packet's public fields. */
function keyPacket(p: Packet): KeyPacket {
  const body = p.body;
  const version = body[0] ?? 0;
  const algorithm = version === 4 || version === 5 || version === 6 ? (body[5] ?? 0) : (body[7] ?? 0);
  const key: KeyPacket = {
    tag: p.tag,
    version,
    algorithm,
    algorithmName: ALGO_NAMES[algorithm] ?? `algo-${algorithm}`,
    bits: undefined,
    fingerprint: undefined,
  };
  if (version !== 4 || !RSA_ALGOS.has(algorithm)) return key;
  // v4: version, 4-byte creation time, algorithm, then the MPIs n and e (RFC 4880 §5.5.2).
  let at = 6;
  const mpi = (): number => {
    if (at + 2 > body.length) throw new PacketError("RSA key packet cut short in its public MPIs");
    const bits = (body[at]! << 8) | body[at + 1]!;
    at += 2 + Math.ceil(bits / 8);
    if (at > body.length) throw new PacketError("RSA key packet cut short in its public MPIs");
    return bits;
  };
  key.bits = mpi();
  mpi();
  const pub = body.subarray(0, at);
  const hash = createHash("sha1");
  hash.update(Uint8Array.of(0x99, pub.length >> 8, pub.length & 0xff));
  hash.update(pub);
  key.fingerprint = hash.digest("hex");
  return key;
}

/** The key and subkey packets of binary key data, in order. */
export function keyPackets(bytes: Uint8Array): KeyPacket[] {
  const tags: ReadonlySet<number> = new Set(Object.values(TAG));
  return readPackets(bytes)
    .filter((p) => tags.has(p.tag))
    .map(keyPacket);
}

const ARMOR_BEGIN = /-----BEGIN PGP ([A-Z ,/0-9]+)-----/;

/** CRC-24 of RFC 4880 §6.1, the armor checksum. */
function crc24(bytes: Uint8Array): number {
  let crc = 0xb704ce;
  for (const b of bytes) {
    crc ^= b << 16;
    for (let i = 0; i < 8; i++) {
      crc <<= 1;
      if ((crc & 0x1000000) !== 0) crc ^= 0x1864cfb;
    }
  }
  return crc & 0xffffff;
}

/**
 * Decodes every armored block in `text` and concatenates their packets (a file may hold a public and a secret
 * block). Returns the kinds (`PRIVATE KEY BLOCK`…) too. A wrong checksum is an error.
 */
export function dearmor(text: string): { bytes: Uint8Array; kinds: string[] } {
  const parts: Uint8Array[] = [];
  const kinds: string[] = [];
  let rest = text;
  for (;;) {
    const m = ARMOR_BEGIN.exec(rest);
    if (m === null) break;
    const kind = m[1]!;
    const after = rest.slice(m.index + m[0].length);
    const end = after.indexOf(`-----END PGP ${kind}-----`);
    if (end < 0) throw new PacketError(`armor: no END line for BEGIN PGP ${kind}`);
    const lines = after.slice(0, end).split(/\r?\n/);
    // Header lines ("Key: value") end at the first empty line (RFC 4880 §6.2).
    let i = lines.findIndex((l, n) => n > 0 && l.trim() === "");
    i = i < 0 ? 1 : i + 1;
    let data = "";
    let checksum: string | undefined;
    for (const raw of lines.slice(i)) {
      const line = raw.trim();
      if (line.startsWith("=") && line.length === 5) checksum = line.slice(1);
      else data += line;
    }
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(data))
      throw new PacketError(`armor: PGP ${kind} holds non-base64 text`);
    const bytes = new Uint8Array(Buffer.from(data, "base64"));
    if (checksum !== undefined) {
      const sum = Buffer.from(checksum, "base64");
      const want = ((sum[0] ?? 0) << 16) | ((sum[1] ?? 0) << 8) | (sum[2] ?? 0);
      if (want !== crc24(bytes)) throw new PacketError(`armor: the checksum of PGP ${kind} does not match`);
    }
    parts.push(bytes);
    kinds.push(kind);
    rest = after.slice(end);
  }
  if (parts.length === 0) throw new PacketError("armor: no -----BEGIN PGP …----- block");
  return { bytes: new Uint8Array(Buffer.concat(parts)), kinds };
}

/** ASCII armor of binary packets as `kind` (e.g. `PRIVATE KEY BLOCK`), 64-column lines and a checksum. */
export function armor(kind: string, bytes: Uint8Array): string {
  const b64 = Buffer.from(bytes).toString("base64");
  const lines = b64.match(/.{1,64}/g) ?? [];
  const sum = crc24(bytes);
  const crc = Buffer.from([sum >> 16, (sum >> 8) & 0xff, sum & 0xff]).toString("base64");
  return `-----BEGIN PGP ${kind}-----\n\n${lines.join("\n")}\n=${crc}\n-----END PGP ${kind}-----\n`;
}

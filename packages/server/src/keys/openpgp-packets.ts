/**
 * The little of the OpenPGP packet format the keys module reads itself (RFC 4880 §4–6, §11; RFC 9580 §5.2, §5.5):
 * ASCII armor in and out, the key packets of a key file (version, algorithm, creation time, RSA modulus size
 * counted from the modulus itself, v4 fingerprint, how a secret packet is protected), the expiry the
 * self-signatures and binding signatures declare, and a key without its subkeys. Uploads are checked with it
 * before openpgp.js sees them, so a weak or unsupported key gets its own refusal instead of openpgp.js's
 * generic one, and secrets are stored as binary packets, never as armor.
 *
 * Nothing here verifies a signature: {@link signingKeyExpiry} reads what the signatures say, and the keys
 * module checks that reading against openpgp.js by signing at the dates it gives.
 */
import { createHash } from "node:crypto";

/** Packet tags of key material (and the others a transferable key holds). */
export const TAG = {
  signature: 2,
  secretKey: 5,
  publicKey: 6,
  secretSubkey: 7,
  userId: 13,
  publicSubkey: 14,
  userAttribute: 17,
} as const;

/** Tags of key and subkey packets. */
const KEY_TAGS: ReadonlySet<number> = new Set([
  TAG.secretKey,
  TAG.publicKey,
  TAG.secretSubkey,
  TAG.publicSubkey,
]);
const SUBKEY_TAGS: ReadonlySet<number> = new Set([TAG.secretSubkey, TAG.publicSubkey]);

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

/**
 * How a secret key packet holds its secret (RFC 4880 §5.5.3: the S2K usage octet): `none` (usage 0, in the
 * clear), `passphrase` (any other usage), or `stub` (GNU dummy S2K, gpg --export-secret-subkeys: no secret).
 */
export type SecretProtection = "none" | "passphrase" | "stub";

/** A key or subkey packet, public or secret. */
export interface KeyPacket {
  tag: number;
  /** Key packet version: 4 (RFC 4880), 5 or 6 (RFC 9580). */
  version: number;
  /** Public-key algorithm id. */
  algorithm: number;
  /** `rsa`, `eddsa`, `ed25519`…, or `algo-<n>`. */
  algorithmName: string;
  /** Creation time (second precision). */
  created: Date;
  /**
   * RSA modulus size in bits, counted from the modulus's first non-zero bit (not from the MPI's declared
   * length, which leading zero octets can inflate); undefined for other algorithms.
   */
  bits: number | undefined;
  /** v4 fingerprint, 40 lowercase hex digits (v4 keys of a known algorithm; undefined otherwise). */
  fingerprint: string | undefined;
  /** Secret packets (tags 5 and 7) of v4 keys of a known algorithm: how the secret is held; else undefined. */
  protection: SecretProtection | undefined;
}

/** Thrown for bytes that are not OpenPGP packets; the caller maps it to its own error. */
export class PacketError extends Error {
  override readonly name = "PacketError";
}

/** One packet: tag, body, and where the whole packet (header included) lies in the data. */
interface Packet {
  tag: number;
  body: Uint8Array;
  start: number;
  end: number;
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
    packets.push({ tag, body: bytes.subarray(at + head, at + head + len), start: at, end: at + head + len });
    at += head + len;
  }
  return packets;
}

/** Octets of a fixed-size public key (RFC 9580 §5.5.5: X25519, X448, Ed25519, Ed448). */
const FIXED_PUBLIC: Record<number, number> = { 25: 32, 26: 56, 27: 32, 28: 57 };

/**
 * Reads the v4 public key fields after the algorithm octet (RFC 4880 §5.5.2, RFC 6637 §9, RFC 9580 §5.5.5):
 * where they end, and the RSA modulus's size in bits. Undefined for an algorithm it does not know.
 */
function publicFields(
  body: Uint8Array,
  algorithm: number,
): { end: number; bits: number | undefined } | undefined {
  let at = 6;
  const need = (n: number) => {
    if (at + n > body.length) throw new PacketError(`key packet cut short in its public key fields`);
  };
  /** Skips an MPI; returns the bit size of its value, counted from its first non-zero bit. */
  const mpi = (): number => {
    need(2);
    const declared = (body[at]! << 8) | body[at + 1]!;
    const length = Math.ceil(declared / 8);
    need(2 + length);
    const value = body.subarray(at + 2, at + 2 + length);
    at += 2 + length;
    const first = value.findIndex((b) => b !== 0);
    if (first < 0) return 0;
    return (value.length - first - 1) * 8 + (32 - Math.clz32(value[first]!));
  };
  /** Skips a field of one length octet then that many octets (curve OID, ECDH KDF parameters). */
  const counted = () => {
    need(1);
    const n = body[at]!;
    need(1 + n);
    at += 1 + n;
  };
  switch (algorithm) {
    case 1:
    case 2:
    case 3: {
      const bits = mpi();
      mpi();
      return { end: at, bits };
    }
    case 16: // Elgamal: p, g, y
      mpi();
      mpi();
      mpi();
      return { end: at, bits: undefined };
    case 17: // DSA: p, q, g, y
      for (let i = 0; i < 4; i++) mpi();
      return { end: at, bits: undefined };
    case 18: // ECDH: curve OID, point, KDF parameters
      counted();
      mpi();
      counted();
      return { end: at, bits: undefined };
    case 19: // ECDSA, legacy EdDSA: curve OID, point
    case 22:
      counted();
      mpi();
      return { end: at, bits: undefined };
    default: {
      const size = FIXED_PUBLIC[algorithm];
      if (size === undefined) return undefined;
      need(size);
      return { end: at + size, bits: undefined };
    }
  }
}

/** Reads a key packet's public fields, and for a secret packet how its secret is protected. */
function keyPacket(p: Packet): KeyPacket {
  const body = p.body;
  const version = body[0] ?? 0;
  const algorithm = version === 4 || version === 5 || version === 6 ? (body[5] ?? 0) : (body[7] ?? 0);
  const seconds = body.length >= 5 ? new DataView(body.buffer, body.byteOffset + 1, 4).getUint32(0) : 0;
  const key: KeyPacket = {
    tag: p.tag,
    version,
    algorithm,
    algorithmName: ALGO_NAMES[algorithm] ?? `algo-${algorithm}`,
    created: new Date(seconds * 1000),
    bits: undefined,
    fingerprint: undefined,
    protection: undefined,
  };
  if (version !== 4) return key;
  const fields = publicFields(body, algorithm);
  if (fields === undefined) return key;
  if (RSA_ALGOS.has(algorithm)) key.bits = fields.bits;
  const pub = body.subarray(0, fields.end);
  const hash = createHash("sha1");
  hash.update(Uint8Array.of(0x99, pub.length >> 8, pub.length & 0xff));
  hash.update(pub);
  key.fingerprint = hash.digest("hex");
  if (p.tag === TAG.secretKey || p.tag === TAG.secretSubkey) {
    // The S2K usage octet follows the public fields; 254/255 then a symmetric algorithm octet and the S2K
    // specifier, whose type 101 is GnuPG's "no secret here" extension (RFC 9580 §3.7.1: private types).
    const usage = body[fields.end];
    if (usage === undefined) throw new PacketError("secret key packet cut short before its S2K usage octet");
    const stub = (usage === 254 || usage === 255) && body[fields.end + 2] === 101;
    key.protection = usage === 0 ? "none" : stub ? "stub" : "passphrase";
  }
  return key;
}

/** The key and subkey packets of binary key data, in order. */
export function keyPackets(bytes: Uint8Array): KeyPacket[] {
  return readPackets(bytes)
    .filter((p) => KEY_TAGS.has(p.tag))
    .map(keyPacket);
}

/**
 * The key data without its subkeys: every subkey packet and the packets after it up to the next key, user ID
 * or user attribute packet (its binding and revocation signatures) are left out. A key cut so signs with its
 * primary key only (openpgp.js and gpg otherwise prefer a signing subkey).
 */
export function withoutSubkeys(bytes: Uint8Array): Uint8Array {
  const kept: Uint8Array[] = [];
  let inSubkey = false;
  for (const p of readPackets(bytes)) {
    if (SUBKEY_TAGS.has(p.tag)) inSubkey = true;
    else if (KEY_TAGS.has(p.tag) || p.tag === TAG.userId || p.tag === TAG.userAttribute) inSubkey = false;
    if (!inSubkey) kept.push(bytes.subarray(p.start, p.end));
  }
  return new Uint8Array(Buffer.concat(kept));
}

/** What a v4 signature packet's subpackets say, as far as expiry goes. */
interface SignatureFacts {
  type: number;
  /** Issuer key id (16 lowercase hex), from the issuer or issuer fingerprint subpacket; undefined without. */
  issuer: string | undefined;
  /** Creation time, Unix seconds (0 when absent). */
  created: number;
  /** Key expiration time subpacket: seconds after the key's creation; 0 or undefined: none. */
  keyExpiry: number | undefined;
  /** Signature expiration time subpacket: seconds after the signature's creation; 0 or undefined: none. */
  signatureExpiry: number | undefined;
  /** Primary User ID flag set. */
  primaryUserId: boolean;
}

/** Reads a signature packet's type and the subpackets that bear on expiry; undefined for other than v4. */
function signatureFacts(body: Uint8Array): SignatureFacts | undefined {
  if (body[0] !== 4 || body.length < 6) return undefined;
  const facts: SignatureFacts = {
    type: body[1]!,
    issuer: undefined,
    created: 0,
    keyExpiry: undefined,
    signatureExpiry: undefined,
    primaryUserId: false,
  };
  const view = new DataView(body.buffer, body.byteOffset, body.length);
  const area = (at: number, hashed: boolean): number => {
    if (at + 2 > body.length) throw new PacketError("signature packet cut short in its subpackets");
    const end = at + 2 + view.getUint16(at);
    if (end > body.length) throw new PacketError("signature packet's subpackets run past its end");
    let i = at + 2;
    while (i < end) {
      const o = body[i]!;
      let len: number;
      if (o < 192) {
        len = o;
        i += 1;
      } else if (o < 255) {
        len = ((o - 192) << 8) + (body[i + 1] ?? 0) + 192;
        i += 2;
      } else {
        if (i + 5 > end) throw new PacketError("signature subpacket length cut short");
        len = view.getUint32(i + 1);
        i += 5;
      }
      if (len < 1 || i + len > end) throw new PacketError("signature subpacket runs past its area");
      const type = body[i]! & 0x7f;
      const data = body.subarray(i + 1, i + len);
      const u32 = () => (data.length >= 4 ? new DataView(data.buffer, data.byteOffset, 4).getUint32(0) : 0);
      // The issuer may sit in the unhashed area; the rest counts only when hashed (as openpgp.js reads it).
      if (type === 16 && data.length === 8) facts.issuer = Buffer.from(data).toString("hex");
      else if (type === 33 && data[0] === 4 && data.length === 21)
        facts.issuer ??= Buffer.from(data.subarray(13)).toString("hex");
      else if (hashed && type === 2) facts.created = u32();
      else if (hashed && type === 3) facts.signatureExpiry = u32();
      else if (hashed && type === 9) facts.keyExpiry = u32();
      else if (hashed && type === 25) facts.primaryUserId = data[0] !== 0;
      i += len;
    }
    return end;
  };
  area(area(4, true), false);
  return facts;
}

const NEVER = Number.POSITIVE_INFINITY;

/** When `sig` makes the key made at `keyCreated` (Unix seconds) expire, and when `sig` itself does. */
function expiries(sig: SignatureFacts, keyCreated: number): number {
  const key = sig.keyExpiry ? keyCreated + sig.keyExpiry : NEVER;
  const own = sig.signatureExpiry ? sig.created + sig.signatureExpiry : NEVER;
  return Math.min(key, own);
}

/** The latest of `sigs` by creation time (a later one in the data wins a tie, as in openpgp.js). */
function latest(sigs: readonly SignatureFacts[]): SignatureFacts | undefined {
  let best: SignatureFacts | undefined;
  for (const s of sigs) if (best === undefined || s.created >= best.created) best = s;
  return best;
}

/**
 * When the key `fingerprint` (the primary or a subkey of the key data) stops being valid for signing, as its
 * signatures declare it: the primary's expiry (key expiration time of the primary user ID's latest
 * self-certification and of the latest direct-key signature, and that self-certification's own expiration),
 * and for a subkey the earlier of that and its latest binding signature's. null: it does not expire;
 * undefined: no such v4 key in the data. The signatures are not verified here.
 */
export function signingKeyExpiry(bytes: Uint8Array, fingerprint: string): Date | null | undefined {
  const wanted = fingerprint.toLowerCase();
  let primary: KeyPacket | undefined;
  const direct: SignatureFacts[] = [];
  const users: SignatureFacts[][] = [];
  let target: { key: KeyPacket; bindings: SignatureFacts[] } | undefined;
  let section: "primary" | "user" | "other" | "target" = "other";
  let current: SignatureFacts[] = [];
  for (const p of readPackets(bytes)) {
    if (p.tag === TAG.secretKey || p.tag === TAG.publicKey) {
      if (primary !== undefined) break; // one key per upload: the first one is read
      primary = keyPacket(p);
      section = "primary";
    } else if (SUBKEY_TAGS.has(p.tag)) {
      const sub = keyPacket(p);
      section = sub.fingerprint === wanted ? "target" : "other";
      if (section === "target") target = { key: sub, bindings: [] };
    } else if (p.tag === TAG.userId) {
      current = [];
      users.push(current);
      section = "user";
    } else if (p.tag === TAG.userAttribute) section = "other";
    else if (p.tag === TAG.signature && primary !== undefined) {
      const sig = signatureFacts(p.body);
      const primaryId = primary.fingerprint?.slice(-16);
      if (sig === undefined || sig.issuer !== primaryId) continue;
      if (section === "primary" && sig.type === 0x1f) direct.push(sig);
      else if (section === "user" && sig.type >= 0x10 && sig.type <= 0x13) current.push(sig);
      else if (section === "target" && sig.type === 0x18) target!.bindings.push(sig);
    }
  }
  if (primary?.fingerprint === undefined) return undefined;
  if (primary.fingerprint !== wanted && target === undefined) return undefined;
  const primaryCreated = primary.created.getTime() / 1000;
  // The primary user: primary User ID flag first, then the latest self-certification (openpgp.js getPrimaryUser).
  let chosen: SignatureFacts | undefined;
  for (const sigs of users) {
    const own = latest(sigs);
    if (own === undefined) continue;
    if (
      chosen === undefined ||
      Number(own.primaryUserId) > Number(chosen.primaryUserId) ||
      (own.primaryUserId === chosen.primaryUserId && own.created >= chosen.created)
    )
      chosen = own;
  }
  let end = chosen === undefined ? NEVER : expiries(chosen, primaryCreated);
  const d = latest(direct);
  if (d?.keyExpiry) end = Math.min(end, primaryCreated + d.keyExpiry);
  if (target !== undefined) {
    const b = latest(target.bindings);
    if (b !== undefined) end = Math.min(end, expiries(b, target.key.created.getTime() / 1000));
  }
  return end === NEVER ? null : new Date(end * 1000);
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

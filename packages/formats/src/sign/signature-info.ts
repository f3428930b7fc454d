/**
 * Reads who made an OpenPGP signature, when, and with which hash, without verifying it: what readers
 * report for deb `_gpgorigin`, Arch `.sig` and rpm header signatures (RFC 4880 §4–5.2, RFC 9580 §5.2).
 * Pure and synchronous: no openpgp.js, so a reader can list signatures of thousands of packages cheaply.
 */
import { decodeBase64, encodeHex } from "../bytes/encoding.ts";
import { FormatError } from "../errors.ts";

/** Hash algorithm names by RFC 4880/9580 id. */
const HASH_NAMES: Record<number, string> = {
  1: "md5",
  2: "sha1",
  3: "ripemd160",
  8: "sha256",
  9: "sha384",
  10: "sha512",
  11: "sha224",
  12: "sha3-256",
  14: "sha3-512",
};

/** Public-key algorithm names by RFC 4880/9580 id. */
const PUBKEY_NAMES: Record<number, string> = {
  1: "rsa",
  3: "rsa",
  17: "dsa",
  19: "ecdsa",
  22: "eddsa",
  27: "ed25519",
  28: "ed448",
};

const TAG_SIGNATURE = 2;
/** Signature subpacket types used here (RFC 4880 §5.2.3.1). */
const SUBPACKET_CREATED = 2;
const SUBPACKET_ISSUER_KEY_ID = 16;
const SUBPACKET_ISSUER_FINGERPRINT = 33;

/** What one OpenPGP signature packet says about itself. */
export interface SignatureInfo {
  /** Signature packet version: 3, 4 or 6. */
  version: number;
  /** Signature type: 0x00 binary document, 0x01 canonical text. */
  signatureType: number;
  /** `rsa`, `eddsa` (legacy, algo 22), `ed25519` (algo 27)…, or `algo-<n>` when unknown. */
  algorithm: string;
  /** `sha256`, `sha512`, `sha1`…, or `hash-<n>` when unknown. */
  hash: string;
  /** Issuer key id, 16 uppercase hex digits. */
  keyId: string;
  /** Issuer fingerprint in uppercase hex, when the signature carries subpacket 33. */
  fingerprint?: string;
  /** Signature creation time (from the packet, never the clock). */
  created: Date;
}

/** Key ids and fingerprints are shown in uppercase hex, as gpg prints them. */
function hex(bytes: Uint8Array): string {
  return encodeHex(bytes).toUpperCase();
}

function truncated(what: string, offset: number): FormatError {
  return new FormatError(
    "TRUNCATED",
    `OpenPGP signature: ${what} runs past the end of the data at byte ${offset}`,
    { offset },
  );
}

/** Decodes the first `-----BEGIN PGP SIGNATURE-----` block found in `text` (also inside a cleartext message). */
function dearmor(text: string): Uint8Array {
  const begin = text.indexOf("-----BEGIN PGP SIGNATURE-----");
  if (begin < 0) {
    throw new FormatError(
      "BAD_MAGIC",
      "OpenPGP signature: expected binary packets or a '-----BEGIN PGP SIGNATURE-----' block, found neither",
      {
        expected: "-----BEGIN PGP SIGNATURE-----",
      },
    );
  }
  const lines = text.slice(begin).split(/\r?\n/).slice(1);
  let i = 0;
  // Armor headers (Version:, Comment:, Hash:) end at the first blank line.
  while (i < lines.length && (lines[i] ?? "").trim() !== "") i++;
  let b64 = "";
  for (i++; i < lines.length; i++) {
    const line = (lines[i] ?? "").trim();
    if (line.startsWith("=") || line.startsWith("-----END")) break;
    b64 += line;
  }
  try {
    return decodeBase64(b64);
  } catch (cause) {
    throw new FormatError(
      "BAD_HEADER",
      "OpenPGP signature: the armored block is not valid base64",
      {},
      { cause },
    );
  }
}

/** Walks the packet stream and returns the body of the first signature packet. */
function firstSignatureBody(bytes: Uint8Array): { body: Uint8Array; offset: number } {
  let pos = 0;
  while (pos < bytes.length) {
    const ctb = bytes[pos] ?? 0;
    if ((ctb & 0x80) === 0) {
      throw new FormatError(
        "BAD_HEADER",
        `OpenPGP signature: expected a packet tag (high bit set) at byte ${pos}, found 0x${ctb.toString(16)}`,
        {
          offset: pos,
        },
      );
    }
    let tag: number;
    let len: number;
    let p = pos + 1;
    const need = (n: number): void => {
      if (p + n > bytes.length) throw truncated("packet header", pos);
    };
    if (ctb & 0x40) {
      tag = ctb & 0x3f;
      need(1);
      const o1 = bytes[p++] ?? 0;
      if (o1 < 192) len = o1;
      else if (o1 < 224) {
        need(1);
        len = ((o1 - 192) << 8) + (bytes[p++] ?? 0) + 192;
      } else if (o1 === 255) {
        need(4);
        len = new DataView(bytes.buffer, bytes.byteOffset + p, 4).getUint32(0);
        p += 4;
      } else {
        throw new FormatError(
          "UNSUPPORTED",
          `OpenPGP signature: partial body lengths are not valid for signature packets (byte ${pos})`,
          {
            offset: pos,
          },
        );
      }
    } else {
      tag = (ctb >> 2) & 0x0f;
      const lengthType = ctb & 0x03;
      if (lengthType === 3) len = bytes.length - p;
      else {
        const n = 1 << lengthType;
        need(n);
        len = 0;
        for (let k = 0; k < n; k++) len = len * 256 + (bytes[p++] ?? 0);
      }
    }
    if (p + len > bytes.length) throw truncated(`packet (tag ${tag}, ${len} bytes)`, pos);
    if (tag === TAG_SIGNATURE) return { body: bytes.subarray(p, p + len), offset: p };
    pos = p + len;
  }
  throw new FormatError("MISSING_MEMBER", "OpenPGP signature: no signature packet (tag 2) found", {
    expected: "signature packet",
  });
}

interface Subpackets {
  created?: number;
  keyId?: string;
  fingerprint?: string;
}

/** Reads the subpackets of one area into `into`; hashed values win over unhashed ones (caller order). */
function readSubpackets(area: Uint8Array, base: number, into: Subpackets): void {
  let p = 0;
  while (p < area.length) {
    const o1 = area[p] ?? 0;
    let len: number;
    if (o1 < 192) {
      len = o1;
      p += 1;
    } else if (o1 < 255) {
      if (p + 2 > area.length) throw truncated("subpacket length", base + p);
      len = ((o1 - 192) << 8) + (area[p + 1] ?? 0) + 192;
      p += 2;
    } else {
      if (p + 5 > area.length) throw truncated("subpacket length", base + p);
      len = new DataView(area.buffer, area.byteOffset + p + 1, 4).getUint32(0);
      p += 5;
    }
    if (len === 0 || p + len > area.length) throw truncated("subpacket", base + p);
    const type = (area[p] ?? 0) & 0x7f;
    const body = area.subarray(p + 1, p + len);
    if (type === SUBPACKET_CREATED && body.length === 4 && into.created === undefined) {
      into.created = new DataView(body.buffer, body.byteOffset, 4).getUint32(0);
    } else if (type === SUBPACKET_ISSUER_KEY_ID && body.length === 8 && into.keyId === undefined) {
      into.keyId = hex(body);
    } else if (type === SUBPACKET_ISSUER_FINGERPRINT && body.length > 1 && into.fingerprint === undefined) {
      // First octet is the key version (4: 20-byte SHA-1 fingerprint, 6: 32-byte SHA-256).
      into.fingerprint = hex(body.subarray(1));
    }
    p += len;
  }
}

/**
 * Parses the first signature packet of a binary or ASCII-armored OpenPGP signature (or of a cleartext
 * signed message such as InRelease). Does not verify anything.
 * @throws FormatError when the bytes are not an OpenPGP signature or are truncated.
 */
export function readSignatureInfo(signature: Uint8Array | string): SignatureInfo {
  let bytes: Uint8Array;
  if (typeof signature === "string") bytes = dearmor(signature);
  else if ((signature[0] ?? 0) & 0x80) bytes = signature;
  else bytes = dearmor(new TextDecoder().decode(signature));

  const { body, offset } = firstSignatureBody(bytes);
  const view = new DataView(body.buffer, body.byteOffset, body.length);
  const version = body[0];
  if (version === 3 || version === 2) {
    // v3: version, hashed length (5), type, created(4), key id(8), pubkey algo, hash algo (RFC 4880 §5.2.2).
    if (body.length < 19) throw truncated("v3 signature fields", offset);
    return {
      version,
      signatureType: body[2] ?? 0,
      algorithm: algorithmName(body[15] ?? 0),
      hash: hashName(body[16] ?? 0),
      keyId: hex(body.subarray(7, 15)),
      created: new Date(view.getUint32(3) * 1000),
    };
  }
  if (version !== 4 && version !== 6) {
    throw new FormatError(
      "UNSUPPORTED_VERSION",
      `OpenPGP signature: expected packet version 3, 4 or 6, found ${version}`,
      {
        offset,
        expected: [3, 4, 6],
        found: version,
      },
    );
  }
  // v4 area lengths are 2 octets, v6 ones 4 octets (RFC 9580 §5.2.3).
  const lengthSize = version === 4 ? 2 : 4;
  const readLength = (at: number): number => (lengthSize === 2 ? view.getUint16(at) : view.getUint32(at));
  let p = 4;
  if (body.length < p + lengthSize) throw truncated("hashed subpacket length", offset + p);
  const hashedLength = readLength(p);
  p += lengthSize;
  if (body.length < p + hashedLength + lengthSize) throw truncated("hashed subpackets", offset + p);
  const found: Subpackets = {};
  readSubpackets(body.subarray(p, p + hashedLength), offset + p, found);
  p += hashedLength;
  const unhashedLength = readLength(p);
  p += lengthSize;
  if (body.length < p + unhashedLength) throw truncated("unhashed subpackets", offset + p);
  readSubpackets(body.subarray(p, p + unhashedLength), offset + p, found);

  let keyId = found.keyId;
  if (keyId === undefined && found.fingerprint !== undefined) {
    // v4 key id = low 64 bits of the fingerprint; v6 key id = high 64 bits (RFC 9580 §5.5.4).
    keyId = version === 4 ? found.fingerprint.slice(-16) : found.fingerprint.slice(0, 16);
  }
  if (keyId === undefined) {
    throw new FormatError(
      "BAD_HEADER",
      "OpenPGP signature: expected an issuer key id or issuer fingerprint subpacket, found neither",
      {
        offset,
      },
    );
  }
  if (found.created === undefined) {
    throw new FormatError(
      "BAD_HEADER",
      "OpenPGP signature: expected a signature creation time subpacket (RFC 4880 §5.2.3.4), found none",
      {
        offset,
      },
    );
  }
  const info: SignatureInfo = {
    version,
    signatureType: body[1] ?? 0,
    algorithm: algorithmName(body[2] ?? 0),
    hash: hashName(body[3] ?? 0),
    keyId,
    created: new Date(found.created * 1000),
  };
  if (found.fingerprint !== undefined) info.fingerprint = found.fingerprint;
  return info;
}

function hashName(id: number): string {
  return HASH_NAMES[id] ?? `hash-${id}`;
}

function algorithmName(id: number): string {
  return PUBKEY_NAMES[id] ?? `algo-${id}`;
}

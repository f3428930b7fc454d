/**
 * ASCII armor of OpenPGP signature blocks (RFC 4880 §6.2; RFC 9580 §6.2): what lets two signers' packets
 * be joined into one `-----BEGIN PGP SIGNATURE-----` block, which is how a Release carries two signatures
 * while a key is rotated (apt accepts it when any one verifies, repos.md §1.3), and how the two public
 * keys of a rotation become one `PGP PUBLIC KEY BLOCK` (a keyring of both certificates, as `gpg --export
 * -a A B` writes it). Dearmoring handles the SIGNATURE type only: that is all a verifier needs.
 */
import { RepoError } from "../errors.ts";

const BEGIN = "-----BEGIN PGP SIGNATURE-----";
const END = "-----END PGP SIGNATURE-----";
/** Base64 characters per armor line, as gpg writes them. */
const LINE = 64;

/** CRC-24 of RFC 4880 §6.1 (init 0xB704CE, generator 0x1864CFB), the armor checksum. */
export function crc24(bytes: Uint8Array): number {
  let crc = 0xb704ce;
  for (const b of bytes) {
    crc ^= b << 16;
    for (let i = 0; i < 8; i++) {
      crc <<= 1;
      if (crc & 0x1000000) crc ^= 0x1864cfb;
    }
  }
  return crc & 0xffffff;
}

/**
 * Armors OpenPGP packets as one block of the given type: BEGIN line, blank line, base64 in 64-column lines,
 * `=` CRC-24, END line.
 */
export function armorBlock(packets: Uint8Array, type: "SIGNATURE" | "PUBLIC KEY BLOCK"): string {
  const b64 = Buffer.from(packets.buffer, packets.byteOffset, packets.byteLength).toString("base64");
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += LINE) lines.push(b64.slice(i, i + LINE));
  const crc = crc24(packets);
  const crcB64 = Buffer.from([(crc >> 16) & 0xff, (crc >> 8) & 0xff, crc & 0xff]).toString("base64");
  return `-----BEGIN PGP ${type}-----\n\n${lines.join("\n")}\n=${crcB64}\n-----END PGP ${type}-----\n`;
}

/** Armors signature packets as one `PGP SIGNATURE` block. */
export function armorSignature(packets: Uint8Array): string {
  return armorBlock(packets, "SIGNATURE");
}

function bad(where: string, expected: string, found: string): RepoError {
  return new RepoError("VERIFY_FAILED", `${where}: expected ${expected}, found ${found}`, {
    path: where,
    expected,
    found,
  });
}

/**
 * The packets of one armored signature block (the first in `text`); armor headers are skipped, the CRC
 * is checked when present.
 * @throws RepoError VERIFY_FAILED when there is no complete signature block, the base64 is invalid or the
 * CRC disagrees.
 */
export function dearmorSignature(text: string, where = "signature"): Uint8Array {
  const lines = text.split(/\r?\n/);
  const begin = lines.findIndex((l) => l.trimEnd() === BEGIN);
  if (begin < 0) throw bad(where, `a '${BEGIN}' line`, "none");
  let i = begin + 1;
  // Armor headers (`Version: ...`, `Comment: ...`) run up to the first blank line.
  while (i < lines.length && /^[A-Za-z][A-Za-z0-9-]*: /.test(lines[i]!)) i++;
  if (lines[i]?.trim() === "") i++;
  let body = "";
  let crc: string | undefined;
  for (; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === END) break;
    if (line.startsWith("=")) crc = line.slice(1);
    else body += line;
  }
  if (i >= lines.length) throw bad(where, `a '${END}' line`, "end of text");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body) || body.length % 4 !== 0)
    throw bad(where, "base64 signature data", JSON.stringify(body.slice(0, 40)));
  const bytes = new Uint8Array(Buffer.from(body, "base64"));
  if (bytes.length === 0) throw bad(where, "signature packets", "an empty armor block");
  if (crc !== undefined) {
    const want = Buffer.from(crc, "base64");
    const got = crc24(bytes);
    if (want.length !== 3 || ((want[0]! << 16) | (want[1]! << 8) | want[2]!) !== got)
      throw bad(where, `armor checksum ${crc}`, "a different CRC-24 of the data");
  }
  return bytes;
}

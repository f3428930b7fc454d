/**
 * The primary key fingerprints of the OpenPGP certificates a repository publishes (`keys/<name>.gpg`: one
 * certificate, or two concatenated while rotating), read from the packets themselves so that printing
 * instructions needs no OpenPGP library and no secret key.
 */
import { createHash } from "node:crypto";
import { RepoError } from "../errors.ts";

const PUBLIC_KEY = 6;

/** One packet's tag and body, or a description of what is wrong at `at`. */
function packetAt(bytes: Uint8Array, at: number): { tag: number; body: Uint8Array; next: number } | string {
  const first = bytes[at]!;
  if ((first & 0x80) === 0) return `a packet header (bit 7 set), found 0x${first.toString(16)}`;
  let tag: number;
  let length: number;
  let start: number;
  if ((first & 0x40) !== 0) {
    tag = first & 0x3f;
    const l0 = bytes[at + 1];
    if (l0 === undefined) return "a packet length, found the end of the file";
    if (l0 < 192) [length, start] = [l0, at + 2];
    else if (l0 < 224) [length, start] = [((l0 - 192) << 8) + (bytes[at + 2] ?? 0) + 192, at + 3];
    else if (l0 === 255)
      [length, start] = [
        ((bytes[at + 2] ?? 0) * 2 ** 24) |
          ((bytes[at + 3] ?? 0) << 16) |
          ((bytes[at + 4] ?? 0) << 8) |
          (bytes[at + 5] ?? 0),
        at + 6,
      ];
    else return "a definite packet length (certificates have no partial lengths)";
  } else {
    tag = (first >> 2) & 0x0f;
    const kind = first & 3;
    if (kind === 3) return "a definite packet length (certificates have no indeterminate lengths)";
    const n = [1, 2, 4][kind]!;
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + (bytes[at + 1 + i] ?? 0);
    start = at + 1 + n;
  }
  if (start + length > bytes.length)
    return `a packet of ${length} bytes, found ${Math.max(0, bytes.length - start)} left`;
  return { tag, body: bytes.subarray(start, start + length), next: start + length };
}

/** The fingerprint of a public key packet body: v4 SHA-1, v6 SHA-256 (RFC 9580 §5.5.4), uppercase hex. */
function fingerprintOf(body: Uint8Array): string | undefined {
  const version = body[0];
  if (version === 4) {
    const head = Uint8Array.of(0x99, (body.length >> 8) & 0xff, body.length & 0xff);
    return createHash("sha1").update(head).update(body).digest("hex").toUpperCase();
  }
  if (version === 6) {
    const n = body.length;
    const head = Uint8Array.of(0x9b, (n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff);
    return createHash("sha256").update(head).update(body).digest("hex").toUpperCase();
  }
  return undefined;
}

/**
 * The primary fingerprints of the certificates in a binary OpenPGP keyring, in file order. A file that is
 * not a sequence of packets throws RepoError BAD_KEY naming `where`.
 *
 * @example certificateFingerprints(await readObject(storage, "keys/hello.gpg"), "keys/hello.gpg")
 */
export function certificateFingerprints(bytes: Uint8Array, where: string): string[] {
  const out: string[] = [];
  let at = 0;
  while (at < bytes.length) {
    const p = packetAt(bytes, at);
    if (typeof p === "string")
      throw new RepoError("BAD_KEY", `${where}: at byte ${at}, expected ${p}`, { key: where, at });
    if (p.tag === PUBLIC_KEY) {
      const fp = fingerprintOf(p.body);
      if (fp === undefined)
        throw new RepoError(
          "BAD_KEY",
          `${where}: at byte ${at}, expected a version 4 or 6 public key, found version ${p.body[0]}`,
          { key: where, at },
        );
      out.push(fp);
    }
    at = p.next;
  }
  if (out.length === 0)
    throw new RepoError("BAD_KEY", `${where}: expected an OpenPGP certificate, found no public key packet`, {
      key: where,
    });
  return out;
}

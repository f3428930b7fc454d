/**
 * The payload of the framed-compression tests (format-framing.test.ts, interop/framed-formats.test.ts):
 * about 20 MiB in seeded files written to a folder, so a package spans about ten 2 MiB frames and its
 * files are read from disk as a build reads them. Text-like and noisy content alternate, so the
 * compressors meet both matches and literals.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileSource } from "../../src/source/file.ts";
import { type Entry, type PackageSpec, ROOT } from "../../src/spec/types.ts";

const MiB = 1024 * 1024;

/** Files of the payload: name and size; the content is seeded by the index. About 20 MiB in all. */
export const FRAMED_FILES: ReadonlyArray<readonly [string, number]> = [
  ["big.txt", 8 * MiB + 123],
  ["noisy.bin", 6 * MiB + 4567],
  ...Array.from(
    { length: 30 },
    (_, i) => [`small/${String(i).padStart(2, "0")}.txt`, 1000 + i * 9000] as const,
  ),
  ["tail.txt", 2 * MiB + 1],
];

const WORDS = (
  "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore et " +
  "dolore magna aliqua enim ad minim veniam quis nostrud exercitation ullamco laboris nisi aliquip ex ea " +
  "commodo consequat duis aute irure in reprehenderit voluptate velit esse cillum fugiat nulla pariatur"
)
  .split(" ")
  .map((w) => new TextEncoder().encode(w));

/**
 * Content of file `i`: seeded words (text that compresses about 3:1, quickly at every level), every
 * third file with xorshift noise over its second half (stored or literal-heavy blocks).
 */
export function framedContent(i: number, size: number): Uint8Array {
  const out = new Uint8Array(size);
  let x = (i + 1) * 2654435761;
  const next = (): number => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
  const noiseFrom = i % 3 === 1 ? size >> 1 : size;
  let at = 0;
  while (at < noiseFrom) {
    const r = next();
    const word = WORDS[r % WORDS.length] as Uint8Array;
    out.set(word.subarray(0, Math.min(word.length, noiseFrom - at)), at);
    at += word.length;
    if (at < noiseFrom) out[at++] = (r >>> 8) % 13 === 0 ? 0x0a : 0x20;
  }
  for (at = noiseFrom; at < size; at++) out[at] = next() & 0xff;
  return out;
}

/** Writes the payload under `dir` and returns a spec installing it below /usr/share/framed. */
export async function framedSpec(dir: string): Promise<PackageSpec> {
  const entries: Entry[] = [
    { type: "dir", path: "/usr/share/framed", mode: 0o755, owner: ROOT, group: ROOT },
    { type: "dir", path: "/usr/share/framed/small", mode: 0o755, owner: ROOT, group: ROOT },
  ];
  mkdirSync(join(dir, "small"), { recursive: true });
  for (const [i, [name, size]] of FRAMED_FILES.entries()) {
    const path = join(dir, name);
    writeFileSync(path, framedContent(i, size));
    entries.push({
      type: "file",
      path: `/usr/share/framed/${name}`,
      mode: 0o644,
      owner: ROOT,
      group: ROOT,
      content: await fileSource(path),
    });
  }
  return {
    name: "framed",
    version: { upstream: "1.0.0", release: "1" },
    arch: "amd64",
    date: 1_700_000_000,
    maintainer: "Packyard Example <example@packyard.dev>",
    description: "Framed payload\nA payload that spans several compression frames.",
    license: "MIT",
    relations: {},
    entries,
    scripts: {},
    changelog: [],
  };
}

/**
 * Checks a folder where a tool unpacked the payload (`root`/usr/share/framed): every file is there with
 * the content written, compared by SHA-256.
 */
export function assertUnpacked(root: string, what: string): void {
  const sha = (b: Uint8Array): string => createHash("sha256").update(b).digest("hex");
  for (const [i, [name, size]] of FRAMED_FILES.entries()) {
    const got = readFileSync(join(root, "usr/share/framed", name));
    assert.equal(got.length, size, `${what}: ${name} size`);
    assert.equal(sha(got), sha(framedContent(i, size)), `${what}: ${name} content`);
  }
}

const ascii = (b: Uint8Array): string => Buffer.from(b).toString("latin1");

/** The members of an ar archive by name (deb(5): 8-byte magic, 60-byte headers, even padding). */
export function arMembers(b: Uint8Array): Map<string, Uint8Array> {
  assert.equal(ascii(b.subarray(0, 8)), "!<arch>\n");
  const out = new Map<string, Uint8Array>();
  for (let at = 8; at < b.length; ) {
    const name = ascii(b.subarray(at, at + 16))
      .trim()
      .replace(/\/$/, "");
    const size = Number(ascii(b.subarray(at + 48, at + 58)).trim());
    out.set(name, b.subarray(at + 60, at + 60 + size));
    at += 60 + size + (size & 1);
  }
  return out;
}

/** An rpm's payload: after the 96-byte lead, the signature header (padded to 8) and the main header. */
export function rpmPayload(b: Uint8Array): Uint8Array {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const headerEnd = (at: number): number => {
    assert.equal(view.getUint32(at), 0x8eade801, `header magic at ${at}`);
    return at + 16 + 16 * view.getUint32(at + 8) + view.getUint32(at + 12);
  };
  const sigEnd = headerEnd(96);
  return b.subarray(headerEnd(sigEnd + ((8 - (sigEnd % 8)) % 8)));
}

/** Gzip members, counted by their header: magic, deflate, no flags, mtime 0, OS 3 (as packyard writes). */
export function gzipMembers(b: Uint8Array): number {
  let n = 0;
  const magic = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0]);
  const buf = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  for (let i = buf.indexOf(magic); i >= 0; i = buf.indexOf(magic, i + 1)) if (buf[i + 9] === 3) n++;
  return n;
}

/** zstd frames, counted by their magic number (little-endian 0xFD2FB528). */
export function zstdFrames(b: Uint8Array): number {
  let n = 0;
  const magic = Buffer.from([0x28, 0xb5, 0x2f, 0xfd]);
  const buf = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  for (let i = buf.indexOf(magic); i >= 0; i = buf.indexOf(magic, i + 1)) n++;
  return n;
}

/** Sync-flush markers (an empty stored block: LEN 0, NLEN 0xffff) in a deflate stream: one between two blocks of a member made in blocks. */
export function syncFlushes(b: Uint8Array): number {
  const marker = Buffer.from([0, 0, 0xff, 0xff]);
  const buf = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  let n = 0;
  for (let i = buf.indexOf(marker); i >= 0; i = buf.indexOf(marker, i + 1)) n++;
  return n;
}

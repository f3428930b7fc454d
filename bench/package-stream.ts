/**
 * The untimed check step of a writer scenario: finds the compressed stream inside a package file (deb
 * data.tar member, rpm payload, the whole Arch/apk/tar.gz file, the macOS Payload), counts its gzip
 * members / zstd frames (what packyard wrote: framed or not), measures the first frame's uncompressed
 * size, and writes the uncompressed stream to a file for the compressor ceiling (`gzip -dc` / `zstd -dc`,
 * which read every member/frame).
 */
import { spawnSync } from "node:child_process";
import {
  closeSync,
  createReadStream,
  createWriteStream,
  openSync,
  readdirSync,
  readSync,
  statSync,
} from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import zlib from "node:zlib";
import { gzipMembers } from "../packages/formats/src/compress/gzip-members.ts";
import { ZstdFrameWalker } from "../packages/formats/src/compress/zstd-frames.ts";
import type { ByteSource } from "../packages/formats/src/spec/types.ts";
import type { PackageKind } from "./scenario.ts";

/** Where a compressed stream lies in a file. */
export interface StreamRange {
  file: string;
  offset: number;
  length: number;
  algo: "gzip" | "zstd" | "other";
}

/** What the check step found. */
export interface StreamInfo {
  algo: "gzip" | "zstd" | "other";
  compressedBytes: number;
  /** gzip members / zstd frames. */
  frames: number;
  /** Uncompressed bytes of the first member/frame (the frame size when frames > 1); 0: not measured (one zstd frame). */
  firstFrameBytes: number;
  /** Uncompressed bytes of the whole stream; 0 when it was not extracted. */
  uncompressedBytes: number;
}

/** Compression of a stream by its magic bytes. */
export function algoOf(head: Uint8Array): "gzip" | "zstd" | "other" {
  if (head[0] === 0x1f && head[1] === 0x8b) return "gzip";
  if (head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) return "zstd";
  return "other";
}

/**
 * The first ar member whose name starts with `prefix` (`data.tar`): its data's offset and length in the
 * archive, and its name. Throws when the bytes are no ar archive or hold no such member.
 */
export function arMember(ar: Uint8Array, prefix: string): { name: string; offset: number; length: number } {
  return arWalk((at, n) => ar.subarray(at, at + n), ar.length, prefix);
}

/** {@link arMember} over `size` bytes read with `read(at, n)`: only the magic and member headers are read. */
function arWalk(
  read: (at: number, n: number) => Uint8Array,
  size: number,
  prefix: string,
): { name: string; offset: number; length: number } {
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  const magic = text(read(0, 8));
  if (magic !== "!<arch>\n")
    throw new Error(`ar: expected the magic "!<arch>\\n", found ${JSON.stringify(magic)}`);
  let pos = 8;
  while (pos + 60 <= size) {
    const header = read(pos, 60);
    const name = text(header.subarray(0, 16)).trimEnd().replace(/\/$/, "");
    const length = Number(text(header.subarray(48, 58)).trim());
    if (!Number.isSafeInteger(length))
      throw new Error(`ar: member size at offset ${pos + 48} is not a number`);
    if (name.startsWith(prefix)) return { name, offset: pos + 60, length };
    pos += 60 + length + (length % 2);
  }
  throw new Error(`ar: no member named ${prefix}* in the archive`);
}

/** Bytes of an rpm header structure (magic, reserved, index count, data size, index, data) at `at`. */
function rpmHeaderBytes(b: Uint8Array, at: number, what: string): number {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (at + 16 > b.length || v.getUint32(at) !== 0x8eade801)
    throw new Error(`rpm: expected the ${what} header magic 8e ad e8 01 at offset ${at}`);
  return 16 + 16 * v.getUint32(at + 8) + v.getUint32(at + 12);
}

/**
 * Offset of an rpm's payload: after the 96-byte lead, the signature header (padded to 8 bytes) and the
 * main header. `head` must hold at least everything before the payload.
 */
export function rpmPayloadOffset(head: Uint8Array): number {
  if (head[0] !== 0xed || head[1] !== 0xab || head[2] !== 0xee || head[3] !== 0xdb)
    throw new Error("rpm: expected the lead magic ed ab ee db at offset 0");
  let pos = 96;
  pos += rpmHeaderBytes(head, pos, "signature");
  pos += (8 - (pos % 8)) % 8;
  pos += rpmHeaderBytes(head, pos, "main");
  return pos;
}

function readHead(file: string, bytes: number, at = 0): Uint8Array {
  const fd = openSync(file, "r");
  try {
    const buf = new Uint8Array(bytes);
    const n = readSync(fd, buf, 0, bytes, at);
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

function findFile(dir: string, name: string): string | undefined {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      const f = findFile(p, name);
      if (f !== undefined) return f;
    } else if (e.name === name) return p;
  }
  return undefined;
}

/** Where the compressed stream of a package file of `kind` lies (`scratch`: a folder it may write in). */
export async function locateStream(kind: PackageKind, file: string, scratch: string): Promise<StreamRange> {
  const size = statSync(file).size;
  let range: Omit<StreamRange, "algo">;
  if (kind === "deb") {
    // Member headers only: control.tar.gz alone can pass any fixed head (50,000 files: a 3.3 MB md5sums).
    const m = arWalk((at, n) => readHead(file, n, at), size, "data.tar");
    range = { file, offset: m.offset, length: m.length };
  } else if (kind === "rpm") {
    const offset = rpmPayloadOffset(readHead(file, Math.min(size, 64 << 20)));
    range = { file, offset, length: size - offset };
  } else if (kind === "macos") {
    const dir = join(scratch, "xar");
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    const r = spawnSync("bsdtar", ["-xf", file, "-C", dir], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`bsdtar -xf ${file}: ${r.stderr}`);
    const payload = findFile(dir, "Payload");
    if (payload === undefined) throw new Error(`${file}: no Payload in the xar`);
    range = { file: payload, offset: 0, length: statSync(payload).size };
  } else range = { file, offset: 0, length: size };
  return { ...range, algo: algoOf(readHead(range.file, 4, range.offset)) };
}

function rangeSource(r: StreamRange): ByteSource {
  return {
    size: r.length,
    async *open(sub) {
      const start = r.offset + (sub?.start ?? 0);
      const end = r.offset + (sub?.end ?? r.length);
      if (end <= start) return;
      for await (const chunk of createReadStream(r.file, { start, end: end - 1, highWaterMark: 1 << 20 }))
        yield chunk as Buffer;
    },
  };
}

/** Counts the members/frames of the stream and the first one's uncompressed size. */
async function countFrames(r: StreamRange): Promise<{ frames: number; firstFrameBytes: number }> {
  if (r.algo === "gzip") {
    let frames = 0;
    let first = 0;
    for await (const m of gzipMembers(rangeSource(r), { limits: { maxUnpackedBytes: 2 ** 52 } })) {
      if (frames === 0) first = m.isize;
      frames++;
    }
    return { frames, firstFrameBytes: first };
  }
  if (r.algo === "zstd") {
    const walker = new ZstdFrameWalker();
    let consumed = 0;
    let firstEnd = -1;
    for await (const chunk of rangeSource(r).open()) {
      if (firstEnd < 0) {
        const n = walker.push(chunk, true);
        if (walker.frames > 0) {
          firstEnd = consumed + n;
          walker.push(chunk.subarray(n));
        }
      } else walker.push(chunk);
      consumed += chunk.length;
    }
    // Only a frame of several is decompressed here (a single frame is the whole stream, up to 2 GB).
    if (walker.frames < 2 || firstEnd < 0 || firstEnd > 256 << 20)
      return { frames: walker.frames, firstFrameBytes: 0 };
    const firstFrame = readHead(r.file, firstEnd, r.offset);
    return { frames: walker.frames, firstFrameBytes: zlib.zstdDecompressSync(firstFrame).length };
  }
  return { frames: 0, firstFrameBytes: 0 };
}

/**
 * Checks the stream at `r` and, when `out` is given, writes its uncompressed bytes there (through the
 * gzip/zstd CLIs, which read every member/frame; node:zlib's zstd stream stops after the first frame).
 */
export async function inspectStream(r: StreamRange, out?: string): Promise<StreamInfo> {
  const { frames, firstFrameBytes } = await countFrames(r);
  let uncompressedBytes = 0;
  if (out !== undefined && r.algo !== "other") {
    // The gzip/zstd CLIs read a whole file: a stream inside a package is copied out first.
    const whole = r.offset === 0 && r.length === statSync(r.file).size;
    const src = whole ? r.file : `${out}.compressed`;
    if (!whole)
      await pipeline(
        createReadStream(r.file, { start: r.offset, end: r.offset + r.length - 1 }),
        createWriteStream(src),
      );
    const fd = openSync(out, "w");
    try {
      const tool = r.algo === "gzip" ? "gzip" : "zstd";
      const res = spawnSync(tool, r.algo === "gzip" ? ["-dc", src] : ["-dcq", src], {
        stdio: ["ignore", fd, "pipe"],
      });
      if (res.status !== 0) throw new Error(`${tool} -dc ${src}: ${res.stderr?.toString() ?? ""}`);
    } finally {
      closeSync(fd);
      if (!whole) await rm(src, { force: true });
    }
    uncompressedBytes = statSync(out).size;
  }
  return { algo: r.algo, compressedBytes: r.length, frames, firstFrameBytes, uncompressedBytes };
}

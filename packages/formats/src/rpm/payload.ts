/**
 * The cpio payload: written in rpm's order (newc, or stripped for files of 4 GiB and more), compressed and
 * spooled, hashing on the way (file digests, the uncompressed SHA-256); and the PAYLOADCOMPRESSOR names
 * both ways.
 */
import { compress } from "../compress/compress.ts";
import {
  applyDefaultFraming,
  type CompressionAlgo,
  type CompressionSetting,
  DEFAULT_LEVELS,
  effectiveLevel,
} from "../compress/compression.ts";
import { compressLzmaAlone } from "../compress/lzma-alone.ts";
import { encodeCpioHeader, encodeCpioStrippedHeader, encodeCpioTrailer } from "../container/cpio.ts";
import { SpecError } from "../errors.ts";
import type { WriteContext } from "../format.ts";
import { createHasher, hashing } from "../hash/index.ts";
import { type FileRead, readFiles } from "../source/batch-read.ts";
import { createSpool } from "../spool/index.ts";
import type { SpooledBytes } from "../spool/spool.ts";
import type { RpmFile } from "./files.ts";
import type { RpmCompression, RpmPayloadCompression } from "./options.ts";

/**
 * The payload compression when `rpm.compression` is unset: gzip at level 6, in 2 MiB members like any
 * gzip setting without a framing ({@link payloadCompression}).
 */
export const DEFAULT_COMPRESSION: CompressionSetting = { algo: "gzip", level: 6 };

/**
 * What the payload is compressed with: gzip without a framing in 2 MiB members — rpm's gzip reader
 * (zlib's gzread) reads every member, and `rpm -i`, `rpm -V` and `rpm2cpio` are run on such payloads in
 * test/interop/framed-formats.test.ts —; other settings as they are.
 */
export function payloadCompression(c: RpmCompression): RpmPayloadCompression {
  return c.algo === "lzma" ? c : applyDefaultFraming(c, true);
}

/** rpm's compressor names (PAYLOADCOMPRESSOR). */
export const COMPRESSOR_NAME = { gzip: "gzip", zstd: "zstd", xz: "xz", lzma: "lzma" } as const;

/** The codec that reads each PAYLOADCOMPRESSOR (`lzma` is LZMA_alone, which the xz decoder reads). */
export const PAYLOAD_DECOMPRESSORS: Record<string, CompressionAlgo> = {
  gzip: "gzip",
  xz: "xz",
  lzma: "xz",
  zstd: "zstd",
  bzip2: "bzip2",
};

/** The level rpm records in PAYLOADFLAGS (rpmbuild writes the digit of `w6.xzdio`). */
export function payloadLevel(c: RpmCompression): number | undefined {
  return c.algo === "lzma" ? (c.level ?? DEFAULT_LEVELS.xz) : effectiveLevel(c);
}

/** The spooled payload and what the headers record about it. */
export interface PayloadResult {
  spooled: SpooledBytes<"sha256">;
  uncompressedSize: number;
  uncompressedSha256: string;
  fileDigests: string[];
}

/**
 * Payload order: header order, except that the members of a hardlink set follow each other at the place
 * of the first one (the last carrying the data). rpm's installer keeps one "first link" open until the
 * data arrives, so any file between two members would be linked into the set (rpm lib/fsm.c fsmMkfile;
 * rpmbuild writes the same order, lib/rpmfi.c iterWriteArchiveNext).
 */
export function payloadOrder(files: readonly RpmFile[]): number[] {
  const order: number[] = [];
  const done = new Set<number>();
  files.forEach((f, i) => {
    if (done.has(i) || f.ghost) return;
    if (f.nlink > 1) {
      files.forEach((g, j) => {
        if (g.inode === f.inode && !g.ghost && (g.mode & 0o170000) === 0o100000) {
          order.push(j);
          done.add(j);
        }
      });
    } else {
      order.push(i);
      done.add(i);
    }
  });
  return order;
}

/**
 * Streams the cpio payload of `files` (newc, or stripped when `large`), recording file digests. Contents
 * come from the batch reader, which computes each file's SHA-256 in the same read, off the main thread.
 */
async function* cpioStream(
  files: RpmFile[],
  large: boolean,
  fileDigests: string[],
): AsyncGenerator<Uint8Array> {
  const order = payloadOrder(files);
  const carried = (f: RpmFile) => f.linkTo === "" && f.content !== undefined && f.carriesData;
  const withData = order.filter((i) => carried(files[i]!));
  const reads = readFiles(
    withData.map((i) => files[i]!.content!),
    { digests: ["sha256"] },
  );
  try {
    for (const i of order) {
      const f = files[i]!;
      const data = f.carriesData ? f.size : 0;
      if (large) {
        yield encodeCpioStrippedHeader(i);
      } else {
        yield encodeCpioHeader(
          {
            name: `.${f.path}`,
            ino: f.inode,
            mode: f.mode,
            uid: 0,
            gid: 0,
            nlink: f.nlink,
            mtime: f.mtime,
            size: data,
            devMajor: 0,
            devMinor: 0,
          },
          "newc",
        );
      }
      if (f.linkTo !== "") {
        yield new TextEncoder().encode(f.linkTo);
      } else if (carried(f)) {
        const r = (await reads.next()).value as FileRead;
        let n = 0;
        if (r.content instanceof Uint8Array) {
          n = r.content.length;
          yield r.content;
        } else {
          for await (const chunk of r.content!.open()) {
            n += chunk.length;
            if (n > f.size) break;
            yield chunk;
          }
        }
        if (n !== f.size) {
          throw new SpecError(
            "INVALID_FIELD",
            `content of ${f.path} has ${n > f.size ? "more than " : ""}${n} bytes, its size says ${f.size}`,
            {
              field: "content",
              path: f.path,
              expected: f.size,
              found: n,
            },
          );
        }
        fileDigests[i] = r.digests!.sha256!;
      }
      const pad = (4 - (data % 4)) % 4;
      if (pad > 0) yield new Uint8Array(pad);
    }
    yield encodeCpioTrailer("newc");
  } finally {
    await reads.return(undefined);
  }
}

/** Writes the compressed payload of `files` into the spool, with the digests the headers need. */
export async function writePayload(
  files: RpmFile[],
  large: boolean,
  compression: RpmPayloadCompression,
  ctx: WriteContext,
): Promise<PayloadResult> {
  const fileDigests: string[] = files.map(() => "");
  const plainHasher = createHasher(["sha256"]);
  let uncompressedSize = 0;
  const plain = hashing(cpioStream(files, large, fileDigests), {
    update(b) {
      plainHasher.update(b);
      uncompressedSize += b.length;
    },
  });
  // The main header records the compressed payload's SHA-256 (PAYLOADDIGEST), nothing else of it.
  const writer = (ctx.spool ?? createSpool())(["sha256"]);
  try {
    const compressed =
      compression.algo === "lzma"
        ? compressLzmaAlone(plain, compression.level ?? DEFAULT_LEVELS.xz)
        : compress(plain, compression);
    for await (const chunk of compressed) await writer.write(chunk);
  } catch (e) {
    await writer.abort();
    throw e;
  }
  const spooled = await writer.close();
  // Hardlink members without data share the digest of the member that carries it.
  files.forEach((f, i) => {
    if (f.content !== undefined && !f.carriesData) {
      const carrier = files.findIndex((g) => g.inode === f.inode && g.carriesData);
      fileDigests[i] = fileDigests[carrier] ?? "";
    }
  });
  return { spooled, uncompressedSize, uncompressedSha256: plainHasher.digest().sha256!, fileDigests };
}

/**
 * bzip2 reading through seek-bzip (pure JS, synchronous, byte-at-a-time). seek-bzip needs the whole
 * compressed input in memory; the output is yielded block by block (one bzip2 block is at most 900 kB of
 * compressed data), so decompressed bytes never pile up beyond one block.
 */
import { createRequire } from "node:module";
import { FormatError } from "../errors.ts";

interface BunzipInstance {
  _init_block(): boolean;
  _read_bunzip(): void;
  _start_bunzip(input: unknown, output: unknown): void;
  reader: { read(bits: number): number };
  streamCRC: number;
}
type BunzipCtor = new (input: unknown, output: unknown) => BunzipInstance;

const Bunzip = createRequire(import.meta.url)("seek-bzip") as BunzipCtor;

/** Thrown by our input adapter when seek-bzip reads past the end. */
class EndOfInput extends Error {}

/** Decodes bzip2 (multi-stream) from `input`, yielding output per block; errors are FormatErrors. */
export function* bunzip2(input: Uint8Array, baseOffset = 0): Generator<Uint8Array> {
  const inputStream = {
    pos: 0,
    readByte(): number {
      if (this.pos >= input.length) throw new EndOfInput();
      return input[this.pos++] as number;
    },
    read(buf: Uint8Array, at: number, length: number): number {
      for (let i = 0; i < length; i++) buf[at + i] = this.readByte();
      return length;
    },
    seek(pos: number) {
      this.pos = pos;
    },
    eof(): boolean {
      return this.pos >= input.length;
    },
  };
  let out = new Uint8Array(1 << 16);
  let used = 0;
  const pending: Uint8Array[] = [];
  const outputStream = {
    writeByte(byte: number) {
      if (used === out.length) {
        pending.push(out);
        out = new Uint8Array(1 << 16);
        used = 0;
      }
      out[used++] = byte;
    },
  };
  const flush = function* (): Generator<Uint8Array> {
    for (const p of pending) yield p;
    pending.length = 0;
    if (used > 0) {
      yield out.slice(0, used);
      used = 0;
    }
  };
  try {
    if (input.length === 0) throw new EndOfInput();
    const bz = new Bunzip(inputStream, outputStream);
    while (!inputStream.eof()) {
      if (bz._init_block()) {
        bz._read_bunzip();
        yield* flush();
        continue;
      }
      const storedCrc = bz.reader.read(32) >>> 0;
      if (storedCrc !== bz.streamCRC >>> 0)
        throw new TypeError(`bad stream CRC (stored ${storedCrc.toString(16)})`);
      if (inputStream.eof()) break;
      bz._start_bunzip(inputStream, outputStream);
    }
  } catch (e) {
    const at = baseOffset + inputStream.pos;
    if (e instanceof EndOfInput) {
      throw new FormatError(
        "TRUNCATED",
        `bzip2: input ended at offset ${at} inside a stream`,
        { offset: at, expected: "more bzip2 data", found: "end of data" },
        { cause: e },
      );
    }
    if (e instanceof FormatError) throw e;
    const msg = e instanceof Error ? e.message : String(e);
    throw new FormatError(
      "CORRUPT_COMPRESSED_DATA",
      `bzip2: corrupt data near offset ${at}: ${msg}`,
      { offset: at },
      { cause: e },
    );
  }
  yield* flush();
}

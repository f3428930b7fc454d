/**
 * A walker over the *compressed* zstd byte stream that follows frame and block headers (RFC 8878 §3.1)
 * without decoding. node:zlib's zstd decoder silently ends on a truncated frame; this walker is what
 * notices: the input must end exactly at a frame boundary.
 */
import { FormatError } from "../errors.ts";

/** Little-endian magic of a zstd frame (RFC 8878 §3.1.1). */
export const ZSTD_MAGIC = 0xfd2fb528;
/** Skippable frames use magics 0x184D2A50..0x184D2A5F (RFC 8878 §3.1.2). */
const SKIPPABLE_MASK = 0xfffffff0;
const SKIPPABLE_MAGIC = 0x184d2a50;

type State = "magic" | "descriptor" | "header" | "block" | "skipSize";

/** Feeds compressed bytes through `push`; `end` throws FormatError TRUNCATED unless at a frame boundary. */
export class ZstdFrameWalker {
  private state: State = "magic";
  private need = 4;
  private readonly buf = new Uint8Array(14);
  private have = 0;
  private skip = 0;
  private checksumBytes = 0;
  private offset = 0;
  private readonly base: number;
  /** Complete frames seen (skippable frames included). */
  frames = 0;

  constructor(baseOffset = 0) {
    this.base = baseOffset;
  }

  /**
   * Consumes `chunk`. With `stopAtFrameEnd`, stops right after the first frame that completes and returns
   * how many bytes were consumed (the caller feeds the rest again); otherwise consumes everything.
   */
  push(chunk: Uint8Array, stopAtFrameEnd = false): number {
    const framesBefore = this.frames;
    let i = 0;
    while (i < chunk.length) {
      if (stopAtFrameEnd && this.frames > framesBefore) return i;
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - i);
        this.skip -= n;
        i += n;
        this.offset += n;
        if (this.skip === 0 && this.state === "magic") this.frames++;
        continue;
      }
      const n = Math.min(this.need - this.have, chunk.length - i);
      this.buf.set(chunk.subarray(i, i + n), this.have);
      this.have += n;
      i += n;
      this.offset += n;
      if (this.have === this.need) this.step();
    }
    return i;
  }

  /** True between frames (nothing of a next frame seen yet). */
  get atBoundary(): boolean {
    return this.state === "magic" && this.have === 0 && this.skip === 0;
  }

  private expect(state: State, need: number): void {
    this.state = state;
    this.need = need;
    this.have = 0;
  }

  private byte(i: number): number {
    return this.buf[i] ?? 0;
  }

  private step(): void {
    const b = (i: number) => this.byte(i);
    const at = this.base + this.offset - this.have;
    switch (this.state) {
      case "magic": {
        const magic = (b(0) | (b(1) << 8) | (b(2) << 16) | (b(3) << 24)) >>> 0;
        if (magic === ZSTD_MAGIC) {
          this.expect("descriptor", 1);
          return;
        }
        if ((magic & SKIPPABLE_MASK) >>> 0 === SKIPPABLE_MAGIC) {
          this.expect("skipSize", 4);
          return;
        }
        throw new FormatError(
          "CORRUPT_COMPRESSED_DATA",
          `zstd: expected a frame magic at offset ${at}, found 0x${magic.toString(16)}`,
          {
            offset: at,
            expected: "28 b5 2f fd",
            found: magic,
          },
        );
      }
      case "skipSize": {
        this.skip = (b(0) | (b(1) << 8) | (b(2) << 16) | (b(3) << 24)) >>> 0;
        this.expect("magic", 4);
        if (this.skip === 0) this.frames++;
        return;
      }
      case "descriptor": {
        const d = b(0);
        if (d & 0x08) {
          throw new FormatError(
            "CORRUPT_COMPRESSED_DATA",
            `zstd: reserved bit set in frame header descriptor at offset ${at}`,
            { offset: at, found: d },
          );
        }
        const singleSegment = (d >> 5) & 1;
        const fcsFlag = d >> 6;
        const fcsBytes = fcsFlag === 0 ? singleSegment : 1 << fcsFlag;
        const dictBytes = d & 3 ? 1 << ((d & 3) - 1) : 0;
        this.checksumBytes = d & 0x04 ? 4 : 0;
        const rest = (singleSegment ? 0 : 1) + dictBytes + fcsBytes;
        if (rest === 0) this.expect("block", 3);
        else this.expect("header", rest);
        return;
      }
      case "header":
        this.expect("block", 3);
        return;
      case "block": {
        const h = b(0) | (b(1) << 8) | (b(2) << 16);
        const last = h & 1;
        const type = (h >> 1) & 3;
        const size = h >>> 3;
        if (type === 3) {
          throw new FormatError("CORRUPT_COMPRESSED_DATA", `zstd: reserved block type at offset ${at}`, {
            offset: at,
            found: type,
          });
        }
        const content = type === 1 ? 1 : size;
        if (last) {
          this.expect("magic", 4);
          this.skip = content + this.checksumBytes;
          if (this.skip === 0) this.frames++;
        } else {
          this.expect("block", 3);
          this.skip = content;
        }
        return;
      }
    }
  }

  /** Throws TRUNCATED when the input stopped inside a frame (or held no frame at all). */
  end(): void {
    if (this.atBoundary && this.frames > 0) return;
    const at = this.base + this.offset;
    throw new FormatError(
      "TRUNCATED",
      `zstd: input ended at offset ${at} inside a frame (${this.frames} complete frames)`,
      {
        offset: at,
        expected: "a complete zstd frame",
        found: "end of data",
      },
    );
  }
}

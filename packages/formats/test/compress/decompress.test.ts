import assert from "node:assert/strict";
import { test } from "node:test";
import zlib from "node:zlib";
import { compressBytes } from "../../src/compress/compress.ts";
import { decompress, decompressBytes } from "../../src/compress/decompress.ts";
import { detectCompression } from "../../src/compress/detect.ts";
import { FormatError, IOError } from "../../src/errors.ts";
import { collect, sameBytes, sampleBytes } from "./helpers.ts";
import { chunked } from "@packyard/testkit/chunked";

const data = sampleBytes(200_000, 3);

test("detects by magic", async () => {
  assert.equal(detectCompression(await compressBytes(data, { algo: "gzip" })), "gzip");
  assert.equal(detectCompression(await compressBytes(data, { algo: "zstd" })), "zstd");
  assert.equal(detectCompression(new Uint8Array([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0])), "xz");
  assert.equal(detectCompression(new TextEncoder().encode("BZh91AY")), "bzip2");
  assert.equal(detectCompression(new TextEncoder().encode("BZh0")), undefined);
  assert.equal(detectCompression(new Uint8Array([0x1f])), undefined);
  assert.equal(detectCompression(new TextEncoder().encode("ustar")), undefined);
});

test("auto treats unknown data as uncompressed, whatever the chunking", async () => {
  const small = data.subarray(0, 5000);
  for (const size of [1, 2, 7, 321])
    sameBytes(await collect(decompress(chunked(small, size), "auto")), small);
});

/**
 * One zstd frame of `blocks` RLE blocks, each 128 KiB of zeros (RFC 8878 §3.1.1: 4 bytes per block), so
 * 131072 blocks are 16 GiB in 512 kB. Header: magic, a descriptor without content size or checksum, and a
 * 128 KiB window (Window_Descriptor exponent 7).
 */
function zstdRleBomb(blocks: number): Uint8Array {
  const out = new Uint8Array(6 + 4 * blocks);
  out.set([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x38]);
  for (let i = 0; i < blocks; i++) {
    // Block_Header, little-endian: Last_Block (bit 0), Block_Type 1 = RLE (bits 1-2), Block_Size (bits 3-23)
    const header = (128 * 1024 * 8) | (1 << 1) | (i === blocks - 1 ? 1 : 0);
    out.set([header & 0xff, (header >> 8) & 0xff, header >> 16, 0], 6 + 4 * i);
  }
  return out;
}

for (const algo of ["gzip", "zstd"] as const) {
  test(`${algo}: multi-member/frame input read in 1, 7, 321-byte chunks`, async () => {
    const small = data.subarray(0, 20_000);
    const a = await compressBytes(small.subarray(0, 1000), { algo });
    const b = await compressBytes(small.subarray(1000), { algo });
    const both = new Uint8Array(a.length + b.length);
    both.set(a);
    both.set(b, a.length);
    for (const size of [1, 7, 321])
      sameBytes(await collect(decompress(chunked(both, size), "auto")), small, `${algo} chunks of ${size}`);
  });

  test(`${algo}: a decompression bomb stops at maxUnpackedBytes, having read little of it`, async () => {
    // gzip: 256 MiB of zeros compresses to about 1 MB. zstd squeezes that into 8 kB, less than the stream
    // plumbing reads ahead (about 64 kB), so its bomb is 16 GiB of RLE blocks (512 kB). The limit is 1 MiB.
    const zeros = new Uint8Array(1 << 20);
    async function* bombInput(): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < 256; i++) yield zeros;
    }
    const bomb =
      algo === "gzip"
        ? await collect(
            (await import("../../src/compress/compress.ts")).compress(bombInput(), { algo, level: 1 }),
          )
        : zstdRleBomb(128 * 1024);
    assert.ok(bomb.length < 2_000_000);
    // Fed in 256 pieces, counting the compressed bytes the decoder pulls: stopping early means it took a
    // few pieces (1 MiB of output plus the read-ahead), not the whole bomb's worth.
    let pulled = 0;
    async function* counted(): AsyncGenerator<Uint8Array> {
      for await (const piece of chunked(bomb, Math.ceil(bomb.length / 256))) {
        pulled += piece.length;
        yield piece;
      }
    }
    let seen = 0;
    await assert.rejects(
      (async () => {
        for await (const c of decompress(counted(), algo, {
          limits: { maxUnpackedBytes: 1 << 20 },
        }))
          seen += c.length;
      })(),
      (e: unknown) => e instanceof FormatError && e.code === "LIMIT_UNPACKED_BYTES",
    );
    assert.ok(seen <= 1 << 20, `yielded ${seen} bytes before stopping`);
    assert.ok(
      pulled < bomb.length / 4,
      `pulled ${pulled} of ${bomb.length} compressed bytes before stopping`,
    );
  });

  test(`${algo}: truncated input gives TRUNCATED`, async () => {
    const full = await compressBytes(data, { algo });
    for (const cut of [full.length - 1, full.length - 5, Math.floor(full.length / 2), 5]) {
      await assert.rejects(
        decompressBytes(full.subarray(0, cut), algo),
        (e: unknown) => e instanceof FormatError && e.code === "TRUNCATED",
        `cut at ${cut}`,
      );
    }
  });

  test(`${algo}: corrupt input gives CORRUPT_COMPRESSED_DATA with the cause`, async () => {
    const full = await compressBytes(data, { algo });
    const bad = full.slice();
    for (let i = 40; i < 80; i++) bad[i] = (bad[i] as number) ^ 0x5a;
    await assert.rejects(
      decompressBytes(bad, algo),
      (e: unknown) =>
        e instanceof FormatError && e.code === "CORRUPT_COMPRESSED_DATA" && e.cause !== undefined,
    );
  });
}

test("zstd: garbage after the last frame is CORRUPT_COMPRESSED_DATA", async () => {
  const full = await compressBytes(data, { algo: "zstd" });
  const withJunk = new Uint8Array(full.length + 8);
  withJunk.set(full);
  withJunk.fill(0x41, full.length);
  await assert.rejects(
    decompressBytes(withJunk, "zstd"),
    (e: unknown) => e instanceof FormatError && e.code === "CORRUPT_COMPRESSED_DATA",
  );
});

test("zstd: skippable frames are passed over", async () => {
  const frame = await compressBytes(data, { algo: "zstd" });
  const skippable = new Uint8Array([0x50, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 1, 2, 3]);
  const both = new Uint8Array(skippable.length + frame.length);
  both.set(skippable);
  both.set(frame, skippable.length);
  sameBytes(await decompressBytes(both, "zstd"), data);
});

test("empty input is TRUNCATED for gzip and zstd, empty for none", async () => {
  for (const algo of ["gzip", "zstd"] as const) {
    await assert.rejects(
      decompressBytes(new Uint8Array(0), algo),
      (e: unknown) => e instanceof FormatError && e.code === "TRUNCATED",
      algo,
    );
  }
  assert.equal((await decompressBytes(new Uint8Array(0), "none")).length, 0);
});

test("errors from the input itself pass through untouched", async () => {
  const gz = zlib.gzipSync(data);
  const boom = new IOError("READ_FAILED", "disk gone");
  async function* failing(): AsyncGenerator<Uint8Array> {
    yield gz.subarray(0, 100);
    throw boom;
  }
  await assert.rejects(collect(decompress(failing(), "gzip")), (e: unknown) => e === boom);
  const plain = new Error("not ours");
  async function* failing2(): AsyncGenerator<Uint8Array> {
    yield gz.subarray(0, 100);
    throw plain;
  }
  await assert.rejects(
    collect(decompress(failing2(), "zstd")),
    (e: unknown) => e === plain || (e instanceof FormatError && e.code !== "LIMIT_UNPACKED_BYTES"),
  );
});

test("xz and bzip2 truncation/corruption are typed", async () => {
  // A stored-only xz stream and a bzip2 stream would need tools; the interop suite checks CLI-made ones.
  await assert.rejects(
    decompressBytes(new Uint8Array([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0, 0, 4]), "xz"),
    (e: unknown) =>
      e instanceof FormatError && (e.code === "TRUNCATED" || e.code === "CORRUPT_COMPRESSED_DATA"),
  );
  await assert.rejects(
    decompressBytes(new TextEncoder().encode("BZh91AY&SY"), "bzip2"),
    (e: unknown) => e instanceof FormatError && e.code === "TRUNCATED",
  );
  await assert.rejects(
    decompressBytes(new TextEncoder().encode("BZh9xxxxxxxxxxxxxxxxxx"), "bzip2"),
    (e: unknown) => e instanceof FormatError,
  );
});

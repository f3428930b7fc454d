/**
 * xz through the optional lzma-native: writing (presets, check, framing), reading the checks
 * xz-decompress lacks, and what happens when the package cannot be loaded (an injected failing loader).
 * Streams made by the xz CLI are in test/interop/compress-tools.test.ts.
 */
import assert from "node:assert/strict";
import { afterEach, test } from "node:test";
import { compress, compressBytes, compressFrame } from "../../src/compress/compress.ts";
import { decompress, decompressBytes } from "../../src/compress/decompress.ts";
import { setLzmaNativeLoader, tryLoadLzmaNative, XZ_PACKAGE } from "../../src/compress/lzma-native.ts";
import { FormatError, SpecError } from "../../src/errors.ts";
import { collect, sameBytes, sampleBytes } from "./helpers.ts";
import { chunked } from "@packyard/testkit/chunked";

const data = sampleBytes(300_000, 4);
const XZ_MAGIC = [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0];
/** Check ID in the stream flags (xz-file-format §2.1.1.2): 4 = CRC64, 10 = SHA-256. */
const checkId = (xz: Uint8Array) => (xz[7] as number) & 0x0f;

const missing = () => {
  throw new Error("Cannot find module 'lzma-native'");
};
afterEach(() => setLzmaNativeLoader());

/** A SHA-256-checked stream made by liblzma itself (what rpmbuild's xzdio writes), for the reader tests. */
async function sha256Stream(bytes: Uint8Array): Promise<Uint8Array> {
  const lzma = tryLoadLzmaNative();
  assert.ok(lzma, `${XZ_PACKAGE} is installed in this repository`);
  const native = lzma as unknown as { CHECK_SHA256: number; PRESET_DEFAULT: number };
  const enc = (lzma.createStream as (coder: string, o: object) => import("node:stream").Transform)(
    "streamEncoder",
    { filters: [{ id: lzma.FILTER_LZMA2, options: { preset: 1 } }], check: native.CHECK_SHA256 },
  );
  const parts: Uint8Array[] = [];
  enc.on("data", (c: Uint8Array) => parts.push(new Uint8Array(c)));
  await new Promise((resolve, reject) => {
    enc.on("end", resolve);
    enc.on("error", reject);
    enc.end(bytes);
  });
  return collect(
    (async function* () {
      yield* parts;
    })(),
  );
}

test("xz: CRC64 stream that really compresses and round-trips in odd chunks", async () => {
  const out = await collect(compress(chunked(data, [1, 7, 321, 65536]), { algo: "xz" }));
  assert.deepEqual([...out.subarray(0, 6)], XZ_MAGIC);
  assert.equal(checkId(out), 4, "CRC64, xz's default");
  assert.ok(out.length < data.length * 0.5, `ratio ${out.length / data.length}`);
  sameBytes(await decompressBytes(out, "xz"), data);
  sameBytes(await decompressBytes(out, "auto"), data);
});

test("xz: presets are applied (0 is not silently 6, 6 is no larger than 0, 9 round-trips)", async () => {
  const [p0, p6, p9] = await Promise.all(
    [0, 6, 9].map((level) => compressBytes(data, { algo: "xz", level })),
  );
  assert.ok(p0 && p6 && p9);
  assert.notDeepEqual(p0.subarray(0, 64), p6.subarray(0, 64), "preset 0 is not silently 6");
  assert.ok(p6.length <= p0.length, `6: ${p6.length}, 0: ${p0.length}`);
  for (const p of [p0, p6, p9]) sameBytes(await decompressBytes(p, "xz"), data);
});

test("xz framing: one independent stream per piece, equal to compressFrame", async () => {
  const c = { algo: "xz", level: 1, framing: { chunkBytes: 100_000 } } as const;
  const out = await compressBytes(data, c);
  let streams = 0;
  for (let i = 0; i + 6 <= out.length; i++) if (XZ_MAGIC.every((b, k) => out[i + k] === b)) streams++;
  assert.equal(streams, 3);
  const first = await compressFrame(data.subarray(0, 100_000), c);
  sameBytes(out.subarray(0, first.length), first);
  sameBytes(await decompressBytes(out, "auto"), data);
  const empty = await compressBytes(new Uint8Array(0), c);
  assert.equal((await decompressBytes(empty, "xz")).length, 0);
});

test("xz writing without lzma-native: OPTIONAL_DEPENDENCY_MISSING naming the package, before input is read", async () => {
  setLzmaNativeLoader(missing);
  let pulled = false;
  async function* input(): AsyncGenerator<Uint8Array> {
    pulled = true;
    yield data;
  }
  for (const c of [{ algo: "xz" }, { algo: "xz", framing: { chunkBytes: 1000 } }] as const) {
    await assert.rejects(collect(compress(input(), c)), (e: unknown) => {
      assert.ok(e instanceof SpecError, String(e));
      assert.equal(e.code, "OPTIONAL_DEPENDENCY_MISSING");
      assert.equal(e.data.expected, "lzma-native");
      assert.match(e.message, /npm install lzma-native/);
      assert.match(e.message, /Cannot find module/);
      return true;
    });
  }
  assert.equal(pulled, false);
  await assert.rejects(
    compressFrame(data, { algo: "xz" }),
    (e: unknown) => e instanceof SpecError && e.code === "OPTIONAL_DEPENDENCY_MISSING",
  );
  // A module without the expected API counts as missing too.
  setLzmaNativeLoader(() => ({}));
  await assert.rejects(
    compressBytes(data, { algo: "xz" }),
    (e: unknown) => e instanceof SpecError && /createStream/.test(e.message),
  );
  // Restoring the loader makes xz work again (the failure is not cached for good).
  setLzmaNativeLoader();
  sameBytes(await decompressBytes(await compressBytes(data, { algo: "xz" }), "xz"), data);
});

test("xz reading: SHA-256 streams through lzma-native, in 1/7/321-byte chunks, concatenated", async () => {
  const sha = await sha256Stream(data);
  assert.equal(checkId(sha), 10);
  const small = data.subarray(0, 30_000);
  const smallSha = await sha256Stream(small);
  for (const size of [1, 7, 321])
    sameBytes(await collect(decompress(chunked(smallSha, size), "auto")), small, `${size}-byte chunks`);
  sameBytes(await collect(decompress(chunked(sha, 4093), "auto")), data, "4093-byte chunks");
  const twice = new Uint8Array([...sha, 0, 0, 0, 0, ...sha]);
  const both = await decompressBytes(twice, "xz");
  sameBytes(both.subarray(0, data.length), data);
  sameBytes(both.subarray(data.length), data);
});

test("xz reading: SHA-256 truncation, corruption and limits are typed", async () => {
  const sha = await sha256Stream(data);
  for (const cut of [12, 5000, sha.length - 7]) {
    await assert.rejects(
      decompressBytes(sha.subarray(0, cut), "xz", { path: "payload", offset: 96 }),
      (e: unknown) =>
        e instanceof FormatError &&
        e.code === "TRUNCATED" &&
        e.data.path === "payload" &&
        e.cause !== undefined,
      `cut at ${cut}`,
    );
  }
  const flipped = sha.slice();
  for (let i = 200; i < 260; i++) flipped[i] = (flipped[i] as number) ^ 0xa5;
  await assert.rejects(
    decompressBytes(flipped, "xz"),
    (e: unknown) => e instanceof FormatError && e.code === "CORRUPT_COMPRESSED_DATA",
  );
  // One bit of the SHA-256 value itself: the 32 bytes before the index, whose size the footer's
  // Backward Size gives as (stored + 1) * 4 (xz-file-format §2.1.2.2).
  const footer = new DataView(sha.buffer, sha.byteOffset + sha.length - 12, 12);
  const indexBytes = (footer.getUint32(4, true) + 1) * 4;
  const badCheck = sha.slice();
  const at = sha.length - 12 - indexBytes - 32;
  badCheck[at] = (badCheck[at] as number) ^ 1;
  sameBytes(await decompressBytes(sha, "xz"), data, "the undamaged stream decodes");
  await assert.rejects(
    decompressBytes(badCheck, "xz"),
    (e: unknown) => e instanceof FormatError && e.code === "CORRUPT_COMPRESSED_DATA",
  );
  await assert.rejects(
    decompressBytes(sha, "xz", { limits: { maxUnpackedBytes: 100_000 } }),
    (e: unknown) => e instanceof FormatError && e.code === "LIMIT_UNPACKED_BYTES",
  );
});

test("xz reading without lzma-native: CRC64 still decodes, SHA-256 is UNSUPPORTED naming the package", async () => {
  const crc64 = await compressBytes(data, { algo: "xz" });
  const sha = await sha256Stream(data);
  setLzmaNativeLoader(missing);
  sameBytes(await decompressBytes(crc64, "xz"), data);
  await assert.rejects(decompressBytes(sha, "auto", { path: "data.tar.xz", offset: 40 }), (e: unknown) => {
    assert.ok(e instanceof FormatError, String(e));
    assert.equal(e.code, "UNSUPPORTED");
    assert.equal(e.data.found, "SHA-256");
    assert.equal(e.data.path, "data.tar.xz");
    assert.match(e.message, /npm install lzma-native/);
    return true;
  });
});

test("xz reading: a bomb is stopped by maxUnpackedBytes, through either decoder", async () => {
  const zeros = new Uint8Array(20_000_000);
  const bomb = await compressBytes(zeros, { algo: "xz", level: 0 });
  const sha = await sha256Stream(zeros);
  for (const b of [bomb, sha]) {
    await assert.rejects(
      decompressBytes(b, "xz", { limits: { maxUnpackedBytes: 1_000_000 } }),
      (e: unknown) => e instanceof FormatError && e.code === "LIMIT_UNPACKED_BYTES",
    );
  }
});

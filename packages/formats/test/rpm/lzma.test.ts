/**
 * rpm's legacy `.lzma` payload (`rpm.compression: lzma`, PAYLOADCOMPRESSOR `lzma`): written through
 * lzma-native as LZMA_alone, read back by our reader in any chunking, PayloadIsLzma required, and the
 * OPTIONAL_DEPENDENCY_MISSING / UNSUPPORTED errors without lzma-native. rpm itself judges it in
 * test/interop/rpm-lzma.test.ts.
 */
import assert from "node:assert/strict";
import { afterEach, test } from "node:test";
import { bytesSource, collect } from "../../src/bytes/bytes.ts";
import { chunked } from "@packyard/testkit/chunked";
import { decompressBytes } from "../../src/compress/decompress.ts";
import { compressLzmaAlone, isLzmaAloneHeader } from "../../src/compress/lzma-alone.ts";
import { setLzmaNativeLoader } from "../../src/compress/lzma-native.ts";
import { FormatError, SpecError } from "../../src/errors.ts";
import { headerString } from "../../src/rpm/header.ts";
import { readRpm, writeRpm } from "../../src/rpm/index.ts";
import { parseRpmOptions } from "../../src/rpm/config.ts";
import { TAG } from "../../src/rpm/tags.ts";
import type { ByteSource } from "../../src/spec/types.ts";
import { comparable, expectedInfo } from "./expected.ts";
import { exampleSpec } from "@packyard/testkit/example";
import { readMainHeader } from "./main-header.ts";

afterEach(() => setLzmaNativeLoader());
const missing = () => {
  throw new Error("Cannot find module 'lzma-native'");
};

async function once(bytes: Uint8Array): Promise<Uint8Array> {
  async function* one() {
    yield bytes;
  }
  return collect(compressLzmaAlone(one(), 6));
}

/** The main header's PAYLOADCOMPRESSOR and PAYLOADFLAGS, and the payload bytes. */
async function payloadOf(bytes: Uint8Array) {
  const { info, header, payload } = await readMainHeader(bytes);
  return {
    info,
    compressor: headerString(header, TAG.PAYLOADCOMPRESSOR),
    flags: headerString(header, TAG.PAYLOADFLAGS),
    payload,
  };
}

test("compression lzma: an LZMA_alone payload, PAYLOADCOMPRESSOR lzma, PAYLOADFLAGS the level, PayloadIsLzma", async () => {
  const spec = exampleSpec();
  for (const [compression, flags, dict] of [
    [{ algo: "lzma" }, "6", 8 << 20],
    [{ algo: "lzma", level: 0 }, "0", 256 << 10],
    [{ algo: "lzma", level: 9 }, "9", 64 << 20],
  ] as const) {
    const bytes = await collect(writeRpm(spec, { compression }));
    const p = await payloadOf(bytes);
    assert.equal(p.compressor, "lzma");
    assert.equal(p.flags, flags);
    assert.ok(isLzmaAloneHeader(p.payload), "the payload starts with an LZMA_alone header");
    const view = new DataView(p.payload.buffer, p.payload.byteOffset);
    assert.equal(view.getUint32(1, true), dict, "dictionary size of the preset");
    assert.equal(view.getBigUint64(5, true), 0xffffffffffffffffn, "size unknown, end marker used");
    assert.deepEqual(comparable(p.info), await expectedInfo(spec, "rpm"));
    assert.ok(
      p.info.raw.format === "rpm" &&
        p.info.raw.dependencies.requires.some(
          (d) => d.name === "rpmlib(PayloadIsLzma)" && d.version === "4.4.6-1" && d.flags === 0x0100000a,
        ),
    );
  }
});

test("the reader reads an lzma payload whatever the chunk sizes (1, 7, 321, random)", async () => {
  const bytes = await collect(writeRpm(exampleSpec(), { compression: { algo: "lzma" } }));
  const want = await readRpm(bytesSource(bytes));
  for (const sizes of [[1], [7], [321], [3, 1000, 17, 64, 5]]) {
    const source: ByteSource = {
      size: bytes.length,
      open: (r) => chunked(bytes.subarray(r?.start ?? 0, r?.end ?? bytes.length), sizes),
    };
    assert.deepEqual(await readRpm(source), want, `chunks ${sizes.join(",")}`);
  }
});

test("lzma output depends only on the input bytes, not on how it was chunked", async () => {
  const data = new TextEncoder().encode("packyard lzma ".repeat(50_000));
  const whole = await once(data);
  const pieces = await collect(compressLzmaAlone(chunked(data, [1, 7, 321, 65_536]), 6));
  assert.deepEqual(pieces, whole);
  assert.deepEqual(await decompressBytes(whole, "xz"), data);
});

test("isLzmaAloneHeader follows liblzma's picky checks: lc+lp, dictionary 2^n or 2^n+2^(n-1), size < 256 GiB", async () => {
  const good = (await once(new Uint8Array(10))).subarray(0, 13);
  assert.ok(isLzmaAloneHeader(good));
  const edit = (at: number, bytes: number[]) => {
    const h = good.slice();
    h.set(bytes, at);
    return h;
  };
  assert.equal(isLzmaAloneHeader(good.subarray(0, 12)), false, "too short");
  assert.equal(isLzmaAloneHeader(edit(0, [225])), false, "properties byte above 224");
  assert.equal(isLzmaAloneHeader(edit(0, [4 + 9])), false, "lc 4 + lp 1 > 4");
  assert.ok(isLzmaAloneHeader(edit(1, [0, 0, 0xc0, 0])), "12 MiB = 2^23 + 2^22");
  assert.equal(isLzmaAloneHeader(edit(1, [1, 0, 0x80, 0])), false, "8 MiB + 1");
  assert.ok(isLzmaAloneHeader(edit(1, [0xff, 0xff, 0xff, 0xff])), "all ones");
  assert.ok(isLzmaAloneHeader(edit(5, [0x10, 0, 0, 0, 0, 0, 0, 0])), "known size 16");
  assert.equal(isLzmaAloneHeader(edit(5, [0, 0, 0, 0, 0x40, 0, 0, 0])), false, "known size of 256 GiB");
  // An xz stream header is not mistaken for one.
  assert.equal(
    isLzmaAloneHeader(new Uint8Array([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0, 0, 4, 0, 0, 0, 0, 0])),
    false,
  );
});

test("rpm.compression parses lzma and lzma:<0-9>; bad levels and read-only algorithms name the field", async () => {
  const ctx = { field: "rpm", baseDir: "." };
  assert.deepEqual(parseRpmOptions({ compression: "lzma" }, ctx).compression, { algo: "lzma" });
  assert.deepEqual(parseRpmOptions({ compression: "lzma:9" }, ctx).compression, { algo: "lzma", level: 9 });
  assert.deepEqual(parseRpmOptions({ compression: "xz:3" }, ctx).compression, { algo: "xz", level: 3 });
  for (const [bad, why] of [
    ["lzma:10", /expected an lzma level from 0 to 9, found "lzma:10"/],
    ["bzip2", /expected gzip, zstd, xz or lzma, found bzip2/],
  ] as const)
    assert.throws(
      () => parseRpmOptions({ compression: bad }, ctx),
      (e: unknown) =>
        e instanceof SpecError &&
        e.code === "INVALID_FIELD" &&
        e.data.field === "rpm.compression" &&
        why.test(e.message),
    );
  await assert.rejects(
    collect(writeRpm(exampleSpec(), { compression: { algo: "lzma", level: 12 } })),
    (e: unknown) => e instanceof SpecError && e.data.field === "rpm.compression",
  );
});

test("without lzma-native: writing lzma is OPTIONAL_DEPENDENCY_MISSING as xz is; reading an lzma rpm is UNSUPPORTED naming it", async () => {
  const lzmaRpm = await collect(writeRpm(exampleSpec(), { compression: { algo: "lzma" } }));
  setLzmaNativeLoader(missing);
  const errors: SpecError[] = [];
  for (const algo of ["xz", "lzma"] as const) {
    await assert.rejects(collect(writeRpm(exampleSpec(), { compression: { algo } })), (e: unknown) => {
      assert.ok(e instanceof SpecError, String(e));
      errors.push(e);
      return true;
    });
  }
  const [xz, lzma] = errors;
  assert.equal(lzma!.code, "OPTIONAL_DEPENDENCY_MISSING");
  assert.equal(lzma!.code, xz!.code);
  assert.deepEqual(lzma!.data, xz!.data);
  assert.equal(lzma!.message, xz!.message.replace("xz output", "lzma output"));
  assert.match(lzma!.message, /lzma output needs the optional package lzma-native.*npm install lzma-native/);
  await assert.rejects(readRpm(bytesSource(lzmaRpm)), (e: unknown) => {
    assert.ok(e instanceof FormatError, String(e));
    assert.equal(e.code, "UNSUPPORTED");
    assert.equal(e.data.path, "payload");
    assert.match(e.message, /legacy \.lzma .*npm install lzma-native/);
    return true;
  });
  setLzmaNativeLoader();
  await readRpm(bytesSource(lzmaRpm));
});

// gzip input that ends within SYNC_GUNZIP_MAX_IN bytes is inflated in one synchronous call when its output
// fits SYNC_GUNZIP_MAX_OUT, else streamed from the start: both paths give node:zlib's bytes and the same
// typed errors, on either side of both limits, whatever the chunking, and the work the fast path dropped
// is reported on the unpacked channel.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import diagnosticsChannel from "node:diagnostics_channel";
import { test } from "node:test";
import zlib from "node:zlib";
import { chunked } from "@packyard/testkit/chunked";
import { decompress, SYNC_GUNZIP_MAX_IN, SYNC_GUNZIP_MAX_OUT } from "../../src/compress/decompress.ts";
import { UNPACKED_CHANNEL, type UnpackedMessage } from "../../src/compress/unpacked-channel.ts";
import { isPackyardError } from "../../src/errors.ts";
import { collect, sameBytes } from "./helpers.ts";

/** Inflates `gz` through `decompress` fed in `chunk`-byte pieces; counts what the channel reported. */
async function inflate(gz: Uint8Array, chunk = gz.length || 1) {
  let reported = 0;
  const onMessage = (m: unknown) => {
    reported += (m as UnpackedMessage).bytes;
  };
  diagnosticsChannel.subscribe(UNPACKED_CHANNEL, onMessage);
  try {
    const out = await collect(decompress(chunked(gz, chunk), "gzip"));
    return { out, reported };
  } finally {
    diagnosticsChannel.unsubscribe(UNPACKED_CHANNEL, onMessage);
  }
}

const gzip = (b: Uint8Array) => new Uint8Array(zlib.gzipSync(b));

test("inputs on either side of the input and output limits inflate to node:zlib's bytes, in one piece or many", async () => {
  const cases: { name: string; plain: Uint8Array }[] = [
    { name: "a few bytes", plain: new TextEncoder().encode("control file\n") },
    { name: "output exactly at the limit", plain: new Uint8Array(SYNC_GUNZIP_MAX_OUT).fill(7) },
    { name: "output one byte over the limit", plain: new Uint8Array(SYNC_GUNZIP_MAX_OUT + 1).fill(7) },
    { name: "4 MiB of zeros from ~4 KiB", plain: new Uint8Array(4 * 1024 * 1024) },
    // Random bytes do not compress: the input crosses SYNC_GUNZIP_MAX_IN on either side.
    {
      name: "input just under the input limit",
      plain: new Uint8Array(randomBytes(SYNC_GUNZIP_MAX_IN - 200)),
    },
    { name: "input over the input limit", plain: new Uint8Array(randomBytes(SYNC_GUNZIP_MAX_IN + 100)) },
  ];
  for (const { name, plain } of cases) {
    const gz = gzip(plain);
    const reference = new Uint8Array(zlib.gunzipSync(gz));
    for (const chunk of [gz.length, 1000, 65536]) {
      const { out, reported } = await inflate(gz, chunk);
      sameBytes(out, reference);
      assert.ok(reported >= plain.length, `${name}: reported ${reported} of ${plain.length}`);
    }
  }
});

test("output over the fast path's limit is streamed: at once when the last member's ISIZE shows it, else after a dropped attempt that is reported", async () => {
  // One member: its ISIZE (3 MiB) is over the limit, so nothing is inflated twice.
  const plain = new Uint8Array(SYNC_GUNZIP_MAX_OUT * 3);
  const one = gzip(plain);
  assert.ok(one.length < SYNC_GUNZIP_MAX_IN);
  const single = await inflate(one);
  sameBytes(single.out, plain);
  assert.equal(single.reported, plain.length);
  // Three members of 1 MiB: the last one's ISIZE is within the limit, the whole is not.
  const part = gzip(new Uint8Array(SYNC_GUNZIP_MAX_OUT));
  const three = new Uint8Array([...part, ...part, ...part]);
  const several = await inflate(three);
  sameBytes(several.out, plain);
  assert.equal(several.reported, plain.length + SYNC_GUNZIP_MAX_OUT);
  // Under the limit nothing is dropped: exactly the output is reported.
  const small = new Uint8Array(SYNC_GUNZIP_MAX_OUT / 2);
  assert.equal((await inflate(gzip(small))).reported, small.length);
});

test("several members inflate as one stream; trailing zeros after a member are ignored, as the stream does", async () => {
  const a = new TextEncoder().encode("first member\n");
  const b = new TextEncoder().encode("second member\n");
  const joined = new Uint8Array([...gzip(a), ...gzip(b)]);
  sameBytes((await inflate(joined)).out, new Uint8Array([...a, ...b]));
  sameBytes((await inflate(joined, 5)).out, new Uint8Array([...a, ...b]));
  const padded = new Uint8Array([...gzip(a), 0, 0, 0, 0]);
  sameBytes((await inflate(padded)).out, new Uint8Array(zlib.gunzipSync(padded)));
});

/** The code of the typed error `decompress` throws for `gz`. */
async function errorCode(gz: Uint8Array): Promise<string> {
  try {
    await inflate(gz);
  } catch (e) {
    assert.ok(isPackyardError(e), `expected a typed error, got ${String(e)}`);
    return e.code;
  }
  assert.fail("expected an error");
}

test("empty, truncated and corrupt input give the same typed errors below and above the input limit", async () => {
  assert.equal(await errorCode(new Uint8Array()), "TRUNCATED");
  for (const size of [1000, SYNC_GUNZIP_MAX_IN * 2]) {
    const gz = gzip(new Uint8Array(randomBytes(size)));
    assert.equal(await errorCode(gz.subarray(0, gz.length - 10)), "TRUNCATED", `truncated, ${size}`);
    const corrupt = gz.slice();
    corrupt[20] = corrupt[20]! ^ 0xff;
    corrupt[21] = corrupt[21]! ^ 0xff;
    assert.equal(await errorCode(corrupt), "CORRUPT_COMPRESSED_DATA", `corrupt, ${size}`);
  }
});

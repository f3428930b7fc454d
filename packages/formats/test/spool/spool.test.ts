import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { IOError } from "../../src/errors.ts";
import { hashBytes } from "../../src/hash/hasher.ts";
import { createSpool, memorySpool, spoolStream } from "../../src/spool/index.ts";
import { collect, sameBytes, sampleBytes } from "../compress/helpers.ts";
import { chunked } from "@packyard/testkit/chunked";

const dir = mkdtempSync(join(tmpdir(), "packyard-spool-test-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const data = sampleBytes(100_000, 9);

for (const [label, threshold] of [
  ["below the threshold (memory)", 1 << 20],
  ["above the threshold (temp file)", 10_000],
  ["memory only", undefined],
] as const) {
  test(`replays exactly ${label}`, async () => {
    const factory =
      threshold === undefined ? memorySpool() : createSpool({ thresholdBytes: threshold, tmpDir: dir });
    const writer = factory();
    const reused = new Uint8Array(777);
    for (let at = 0; at < data.length; at += reused.length) {
      // The caller reuses its buffer: the spool must have copied or written it.
      const piece = data.subarray(at, at + reused.length);
      reused.set(piece);
      await writer.write(reused.subarray(0, piece.length));
    }
    const files = readdirSync(dir);
    if (threshold === 10_000) {
      assert.equal(files.length, 1);
      assert.equal(statSync(join(dir, files[0] as string)).mode & 0o777, 0o600);
    } else assert.equal(files.length, 0);
    const spooled = await writer.close();
    assert.equal(spooled.size, data.length);
    assert.equal(spooled.digests.sha256, hashBytes(data, "sha256"));
    assert.equal(spooled.digests.md5, hashBytes(data, "md5"));
    sameBytes(await collect(spooled.open()), data);
    sameBytes(await collect(spooled.open()), data, "second replay");
    for (const [start, end] of [
      [0, 0],
      [0, 1],
      [776, 778],
      [5000, 60_123],
      [99_999, 100_000],
    ] as const) {
      sameBytes(
        await collect(spooled.open({ start, end })),
        data.subarray(start, end),
        `range ${start}..${end}`,
      );
    }
    await assert.rejects(collect(spooled.open({ start: 10, end: 100_001 })), RangeError);
    await spooled.dispose();
    assert.deepEqual(readdirSync(dir), []);
    await assert.rejects(collect(spooled.open()), (e: unknown) => e instanceof IOError);
    await spooled.dispose();
  });
}

test("abort removes the temp file; writes after abort or close fail", async () => {
  const writer = createSpool({ thresholdBytes: 10, tmpDir: dir })();
  await writer.write(data.subarray(0, 100));
  assert.equal(readdirSync(dir).length, 1);
  await writer.abort();
  await writer.abort();
  assert.deepEqual(readdirSync(dir), []);
  await assert.rejects(writer.write(data), (e: unknown) => e instanceof IOError && e.code === "WRITE_FAILED");
});

test("a producer that throws mid-way leaves no file behind", async () => {
  const boom = new Error("producer failed");
  async function* failing(): AsyncGenerator<Uint8Array> {
    yield* chunked(data, 4096);
    throw boom;
  }
  await assert.rejects(
    spoolStream(createSpool({ thresholdBytes: 1000, tmpDir: dir }), failing()),
    (e: unknown) => e === boom,
  );
  assert.deepEqual(readdirSync(dir), []);
});

test("a temp dir that does not exist gives IOError WRITE_FAILED", async () => {
  const writer = createSpool({ thresholdBytes: 1, tmpDir: join(dir, "missing") })();
  await assert.rejects(
    writer.write(data),
    (e: unknown) => e instanceof IOError && e.code === "WRITE_FAILED" && e.cause !== undefined,
  );
});

test("empty spool", async () => {
  const s = await spoolStream(createSpool({ tmpDir: dir }), chunked(new Uint8Array(0), 1));
  assert.equal(s.size, 0);
  assert.equal(s.digests.sha1, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  assert.equal((await collect(s.open())).length, 0);
});

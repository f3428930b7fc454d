import assert from "node:assert/strict";
import { test } from "node:test";
import { parseCompression } from "../../src/compress/compression.ts";
import { SpecError } from "../../src/errors.ts";

test("parses short forms", () => {
  assert.deepEqual(parseCompression("gzip", "f"), { algo: "gzip" });
  assert.deepEqual(parseCompression("gzip:9", "f"), { algo: "gzip", level: 9 });
  assert.deepEqual(parseCompression("zstd:19", "f"), { algo: "zstd", level: 19 });
  assert.deepEqual(parseCompression("xz:6", "f"), { algo: "xz", level: 6 });
  assert.deepEqual(parseCompression("bzip2", "f"), { algo: "bzip2" });
  assert.deepEqual(parseCompression("none", "f"), { algo: "none" });
});

test("parses objects with framing", () => {
  assert.deepEqual(parseCompression({ algo: "zstd", level: 3, framing: { chunkBytes: 1 << 20 } }, "f"), {
    algo: "zstd",
    level: 3,
    framing: { chunkBytes: 1 << 20 },
  });
});

for (const [bad, field] of [
  ["gzip:10", "deb.compression"],
  ["zstd:0", "deb.compression"],
  ["zstd:23", "deb.compression"],
  ["xz:10", "deb.compression"],
  ["none:1", "deb.compression"],
  ["brotli", "deb.compression"],
  ["gzip:", "deb.compression"],
  ["", "deb.compression"],
] as const) {
  test(`rejects ${JSON.stringify(bad)} naming the field`, () => {
    assert.throws(
      () => parseCompression(bad, field),
      (e: unknown) =>
        e instanceof SpecError &&
        e.code === "INVALID_FIELD" &&
        e.data.field === field &&
        e.data.found === bad &&
        e.message.includes(field),
    );
  });
}

test("rejects bad object fields with the nested field name", () => {
  assert.throws(
    () => parseCompression({ algo: "gzip", level: 1.5 }, "rpm.compression"),
    (e: unknown) => e instanceof SpecError && e.data.field === "rpm.compression.level",
  );
  assert.throws(
    () => parseCompression({ algo: "gzip", framing: { chunkBytes: 0 } }, "c"),
    (e: unknown) => e instanceof SpecError && e.data.field === "c.framing.chunkBytes",
  );
  assert.throws(
    () => parseCompression({ algo: "gzip", speed: 1 } as never, "c"),
    (e: unknown) => e instanceof SpecError && e.data.field === "c.speed",
  );
});

test("parses the framed string form ALGO[:LEVEL]/SIZE", () => {
  assert.deepEqual(parseCompression("zstd:3/8MiB", "f"), {
    algo: "zstd",
    level: 3,
    framing: { chunkBytes: 8 * 1024 * 1024 },
  });
  assert.deepEqual(parseCompression("gzip/512k", "f"), { algo: "gzip", framing: { chunkBytes: 512 * 1024 } });
  assert.deepEqual(parseCompression("xz:6/1g", "f"), {
    algo: "xz",
    level: 6,
    framing: { chunkBytes: 1024 ** 3 },
  });
  assert.deepEqual(parseCompression("zstd/1048576", "f"), { algo: "zstd", framing: { chunkBytes: 1048576 } });
  assert.deepEqual(parseCompression({ algo: "zstd", framing: { chunkBytes: 4096, threads: 3 } }, "f"), {
    algo: "zstd",
    framing: { chunkBytes: 4096, threads: 3 },
  });
});

for (const bad of [
  "zstd:3/",
  "zstd:3/8MB",
  "zstd:3/1k",
  "zstd/0",
  "none/8MiB",
  "bzip2/8MiB",
  "zstd:3/8MiB/2",
  "zstd/-8m",
]) {
  test(`rejects framed ${JSON.stringify(bad)} naming the field`, () => {
    assert.throws(
      () => parseCompression(bad, "archlinux.compression"),
      (e: unknown) =>
        e instanceof SpecError &&
        e.code === "INVALID_FIELD" &&
        e.data.field === "archlinux.compression" &&
        e.data.found === bad,
    );
  });
}

test("rejects bad framing threads with the nested field name", () => {
  for (const threads of [0, 1.5, 17, "2"]) {
    assert.throws(
      () => parseCompression({ algo: "zstd", framing: { chunkBytes: 4096, threads } } as never, "c"),
      (e: unknown) => e instanceof SpecError && e.data.field === "c.framing.threads",
    );
  }
  assert.throws(
    () => parseCompression({ algo: "zstd", framing: { chunkBytes: 4096, workers: 2 } } as never, "c"),
    (e: unknown) => e instanceof SpecError && e.data.field === "c.framing.workers",
  );
});

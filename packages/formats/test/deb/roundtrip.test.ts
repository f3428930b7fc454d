import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";
import fc from "fast-check";
import { collect } from "../../src/bytes/bytes.ts";
import { chunkedSource } from "@packyard/testkit/chunked";
import { readDeb } from "../../src/deb/reader.ts";
import { writeDeb } from "../../src/deb/writer.ts";
import type { PackageInfo } from "../../src/info/types.ts";
import { arbDebSpec } from "../support/arbitrary-deb.ts";
import { expectedInfo } from "./expected.ts";

function comparable(info: PackageInfo) {
  const { artifact: _a, raw, ...rest } = info;
  return { ...rest, raw: { format: raw.format, members: raw.format === "deb" ? raw.members : [] } };
}

test("read(write(spec)) equals expectedInfo(spec, 'deb') over generated specs", async () => {
  await fc.assert(
    fc.asyncProperty(arbDebSpec, fc.constantFrom(1, 7, 321, 65536), async (spec, chunk) => {
      const bytes = await collect(writeDeb(spec));
      const info = await readDeb(chunkedSource(bytes, chunk));
      assert.deepEqual(comparable(info), await expectedInfo(spec, "deb"));
      assert.equal(info.artifact.size, bytes.length);
      assert.equal(info.artifact.digests.sha256, createHash("sha256").update(bytes).digest("hex"));
      assert.equal(info.artifact.digests.md5, createHash("md5").update(bytes).digest("hex"));
    }),
    { numRuns: 40 },
  );
});

test("round trip holds for zstd, xz and uncompressed data members and deb options", async () => {
  const spec = fc.sample(arbDebSpec, { numRuns: 1, seed: 42 })[0]!;
  const options = [
    { compression: { algo: "zstd" as const } },
    { compression: { algo: "none" as const } },
    { compression: { algo: "xz" as const, level: 1 } },
    {
      breaks: [[{ name: "old-thing", op: "<" as const, version: "2" }]],
      preDepends: [[{ name: "dpkg", op: ">=" as const, version: "1.17" }]],
      arch: "hurd-i386",
    },
  ];
  for (const o of options) {
    const warnings: string[] = [];
    const bytes = await collect(writeDeb(spec, o, { warn: (w) => warnings.push(w.code) }));
    const info = await readDeb(chunkedSource(bytes, [3, 500, 17]));
    assert.deepEqual(comparable(info), await expectedInfo(spec, "deb", o));
    if (o.compression?.algo === "zstd") assert.deepEqual(warnings, ["DEB_ZSTD"]);
  }
});

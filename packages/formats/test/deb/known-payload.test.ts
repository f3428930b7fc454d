// A build reads its package back for PackageInfo; for a deb the writer lists data.tar as it writes it
// (WriteContext.onPayload) and the reader takes that list (ReadContext.knownPayload) instead of inflating
// data.tar and hashing every file again. The PackageInfo must be the one a full read gives: compared here
// over generated specs, the fuzz seed spec and specs with a changelog the writer streams.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { bytesSource } from "../../src/bytes/bytes.ts";
import { readDeb } from "../../src/deb/reader.ts";
import { writeDeb } from "../../src/deb/writer.ts";
import type { KnownPayload } from "../../src/info/known-payload.ts";

import type { PackageSpec } from "../../src/spec/types.ts";
import { arbDebSpec } from "../support/arbitrary-deb.ts";
import { fuzzSpec } from "../fuzz/seeds.ts";
import { writeListed } from "../support/known-payload.ts";

function written(spec: PackageSpec, options = {}): Promise<{ bytes: Uint8Array; payload?: KnownPayload }> {
  return writeListed((ctx) => writeDeb(spec, options, ctx));
}

test("a deb read with the writer's payload listing gives the PackageInfo of a full read, over generated specs", async () => {
  await fc.assert(
    fc.asyncProperty(arbDebSpec, fc.boolean(), async (spec, docs) => {
      const { bytes, payload } = await written(spec, { generateDocs: docs });
      assert.ok(payload !== undefined, "the writer lists its payload");
      const full = await readDeb(bytesSource(bytes));
      const known = await readDeb(bytesSource(bytes), { knownPayload: payload });
      assert.deepEqual(known, full);
    }),
    { numRuns: 60 },
  );
});

test("the fuzz seed spec, zstd and uncompressed data members: the same PackageInfo both ways", async () => {
  for (const options of [
    {},
    { compression: { algo: "zstd" as const } },
    { compression: { algo: "none" as const } },
  ]) {
    const { bytes, payload } = await written(fuzzSpec(), options);
    assert.ok(payload !== undefined);
    assert.ok(payload.files.length > 0);
    const full = await readDeb(bytesSource(bytes));
    assert.ok(full.changelog !== undefined && full.changelog.length > 0, "the seed has a changelog");
    assert.deepEqual(
      await readDeb(bytesSource(bytes), { knownPayload: payload }),
      full,
      JSON.stringify(options),
    );
  }
});

test("the reader takes the listing instead of data.tar (a listing it did not read shows), and ignores another format's", async () => {
  const { bytes, payload } = await written(fuzzSpec());
  const full = await readDeb(bytesSource(bytes));
  const altered: KnownPayload = {
    ...payload!,
    files: payload!.files.map((f, i) => (i === 0 ? { ...f, mtime: 12345 } : f)),
  };
  const taken = await readDeb(bytesSource(bytes), { knownPayload: altered });
  assert.equal(taken.files[0]!.mtime, 12345, "the listing is what the reader returns");
  assert.notEqual(full.files[0]!.mtime, 12345);
  const other = await readDeb(bytesSource(bytes), { knownPayload: { ...altered, format: "rpm" } });
  assert.deepEqual(other, full, "an rpm listing is ignored");
  // Without the changelog's bytes the reader reads data.tar itself.
  const noBytes = await readDeb(bytesSource(bytes), { knownPayload: { ...altered, contents: new Map() } });
  assert.deepEqual(noBytes, full);
});

test("a changelog under /usr/share/doc/ streamed from its source is read again for the listing; past 16 MiB the build reads data.tar", async () => {
  const spec = fuzzSpec();
  const owner = spec.entries[0]!.owner;
  const group = spec.entries[0]!.group;
  const changelog = `/usr/share/doc/${spec.name}/changelog.Debian`;
  const dirs = ["/usr", "/usr/share", "/usr/share/doc", `/usr/share/doc/${spec.name}`].map((path) => ({
    type: "dir" as const,
    path,
    mode: 0o755,
    owner,
    group,
  }));
  for (const [size, listed] of [
    [12 << 20, true],
    [17 << 20, false],
  ] as const) {
    const content = bytesSource(new Uint8Array(size).fill(0x61));
    const withBig: PackageSpec = {
      ...spec,
      entries: [
        ...spec.entries,
        ...dirs,
        { type: "file", path: changelog, mode: 0o644, owner, group, content },
      ],
    };
    const { bytes, payload } = await written(withBig, { generateDocs: false });
    assert.equal(payload !== undefined, listed, `${size} bytes`);
    const full = await readDeb(bytesSource(bytes));
    assert.ok(full.files.some((f) => f.path === changelog));
    if (payload !== undefined)
      assert.deepEqual(await readDeb(bytesSource(bytes), { knownPayload: payload }), full);
  }
});

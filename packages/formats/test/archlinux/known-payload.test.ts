// A build reads its Arch package back for PackageInfo; the writer lists what it writes (the metadata
// members' bytes, each payload member with the md5 and SHA-256 of the bytes written) through
// WriteContext.onPayload, and the reader takes that (ReadContext.knownPayload) instead of decompressing
// the package and hashing every file again, still checking the files against .MTREE. Both ways must give
// the same PackageInfo; a listing whose digests disagree with .MTREE fails as the archive would.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { type ArchlinuxOptions, readArchlinux, writeArchlinux } from "../../src/archlinux/index.ts";
import { bytesSource } from "../../src/bytes/bytes.ts";
import { FormatError } from "../../src/errors.ts";
import type { KnownPayload } from "../../src/info/known-payload.ts";
import type { PackageSpec } from "../../src/spec/types.ts";
import { archlinuxSpec } from "../support/arbitrary-archlinux.ts";
import { writeListed } from "../support/known-payload.ts";
import { helloSpec } from "./hello.ts";

function written(
  spec: PackageSpec,
  options: ArchlinuxOptions = {},
): Promise<{ bytes: Uint8Array; payload?: KnownPayload }> {
  return writeListed((ctx) => writeArchlinux(spec, options, ctx));
}

test("an Arch package read with the writer's listing gives the PackageInfo of a full read, over generated specs", async () => {
  await fc.assert(
    fc.asyncProperty(archlinuxSpec, async (spec) => {
      const { bytes, payload } = await written(spec);
      assert.ok(payload !== undefined, "the writer lists its members");
      const full = await readArchlinux(bytesSource(bytes));
      assert.deepEqual(await readArchlinux(bytesSource(bytes), { knownPayload: payload }), full);
    }),
    { numRuns: 50 },
  );
});

test("scripts, relations and a changelog, gzip and zstd: the same PackageInfo both ways", async () => {
  for (const options of [{}, { compression: { algo: "gzip" as const } }]) {
    const { bytes, payload } = await written(helloSpec(), options);
    const full = await readArchlinux(bytesSource(bytes));
    assert.ok(Object.keys(full.scripts).length > 0);
    assert.deepEqual(await readArchlinux(bytesSource(bytes), { knownPayload: payload! }), full);
  }
});

test("the reader takes the listing, checks it against .MTREE, and ignores another format's", async () => {
  const { bytes, payload } = await written(helloSpec());
  const full = await readArchlinux(bytesSource(bytes));
  const file = payload!.files.findIndex((f) => f.type === "file");
  const changed = (change: object): KnownPayload => ({
    ...payload!,
    files: payload!.files.map((f, i) => (i === file ? { ...f, ...change } : f)),
  });
  // A file whose bytes were not those the first pass hashed: .MTREE disagrees, as reading the archive would say.
  await assert.rejects(
    readArchlinux(bytesSource(bytes), {
      knownPayload: changed({ digests: { md5: "0".repeat(32), sha256: "0".repeat(64) } }),
    }),
    (e) => e instanceof FormatError && e.code === "DIGEST_MISMATCH",
  );
  const taken = await readArchlinux(bytesSource(bytes), { knownPayload: changed({ mtime: 12345 }) });
  assert.equal(taken.files[file]!.mtime, 12345, "the listing is what the reader returns");
  assert.notEqual(full.files[file]!.mtime, 12345);
  assert.deepEqual(
    await readArchlinux(bytesSource(bytes), { knownPayload: { ...payload!, format: "deb" } }),
    full,
  );
});

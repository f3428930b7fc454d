// A build reads its release archive back for PackageInfo; for a tar the writer lists its members as it
// writes them (WriteContext.onPayload) and the reader takes that list (ReadContext.knownPayload) instead
// of decompressing the archive and hashing every file again. Both ways must give the same PackageInfo.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { bytesSource } from "../../src/bytes/bytes.ts";
import type { KnownPayload } from "../../src/info/known-payload.ts";
import type { TarballOptions } from "../../src/tarball/options.ts";
import { readTarball } from "../../src/tarball/reader.ts";
import { writeTarball } from "../../src/tarball/writer.ts";
import type { PackageSpec } from "../../src/spec/types.ts";
import { arbDebSpec } from "../support/arbitrary-deb.ts";
import { fuzzSpec } from "../fuzz/seeds.ts";
import { writeListed } from "../support/known-payload.ts";

function written(
  spec: PackageSpec,
  options: TarballOptions,
): Promise<{ bytes: Uint8Array; payload?: KnownPayload }> {
  return writeListed((ctx) => writeTarball(spec, options, ctx));
}

test("a tar read with the writer's listing gives the PackageInfo of a full read, over generated specs (tar.gz, tar.zst)", async () => {
  await fc.assert(
    fc.asyncProperty(
      arbDebSpec,
      fc.constantFrom("tar.gz" as const, "tar.zst" as const),
      async (spec, format) => {
        const { bytes, payload } = await written(spec, { format });
        assert.ok(payload !== undefined, "the writer lists its members");
        const full = await readTarball(bytesSource(bytes));
        assert.deepEqual(await readTarball(bytesSource(bytes), { knownPayload: payload }), full);
      },
    ),
    { numRuns: 50 },
  );
});

test("the reader takes the listing instead of the archive; a zip lists nothing and ignores a tar's listing", async () => {
  const { bytes, payload } = await written(fuzzSpec(), { format: "tar.gz" });
  const full = await readTarball(bytesSource(bytes));
  const altered: KnownPayload = {
    ...payload!,
    files: payload!.files.map((f, i) => (i === 0 ? { ...f, mode: 0o600 } : f)),
  };
  const taken = await readTarball(bytesSource(bytes), { knownPayload: altered });
  assert.equal(taken.files[0]!.mode, 0o600, "the listing is what the reader returns");
  assert.notEqual(full.files[0]!.mode, 0o600);
  assert.deepEqual(
    await readTarball(bytesSource(bytes), { knownPayload: { ...altered, format: "deb" } }),
    full,
  );
  const zip = await written(fuzzSpec(), { format: "zip" });
  assert.equal(zip.payload, undefined, "the zip writer lists nothing");
  const zipFull = await readTarball(bytesSource(zip.bytes));
  assert.deepEqual(await readTarball(bytesSource(zip.bytes), { knownPayload: altered }), zipFull);
});

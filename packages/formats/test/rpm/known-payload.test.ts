// A build reads its rpm back for PackageInfo; the rpm writer says what the payload was (its uncompressed
// size: the header lists the files) through WriteContext.onPayload, and the reader then skips
// decompressing the payload and checking it against the header again (ReadContext.knownPayload, with the
// artifact's digests known). Both ways must give the same PackageInfo.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";
import fc from "fast-check";
import { bytesSource } from "../../src/bytes/bytes.ts";
import type { KnownArtifact } from "../../src/info/artifact-info.ts";
import type { KnownPayload } from "../../src/info/known-payload.ts";
import { readRpm } from "../../src/rpm/reader.ts";
import { writeRpm } from "../../src/rpm/writer.ts";
import type { PackageSpec } from "../../src/spec/types.ts";
import { arbRpmSpec } from "../support/arbitrary-rpm.ts";
import { writeListed } from "../support/known-payload.ts";

async function written(
  spec: PackageSpec,
  options = {},
): Promise<{ bytes: Uint8Array; payload: KnownPayload; known: KnownArtifact }> {
  const { bytes, payload } = await writeListed((ctx) => writeRpm(spec, options, ctx));
  const digests = Object.fromEntries(
    (["md5", "sha1", "sha256", "sha512"] as const).map((a) => [a, createHash(a).update(bytes).digest("hex")]),
  );
  assert.ok(payload !== undefined, "the writer says what its payload was");
  return { bytes, payload, known: { size: bytes.length, digests } };
}

test("an rpm read with the writer's payload size gives the PackageInfo of a full read, over generated specs", async () => {
  await fc.assert(
    fc.asyncProperty(
      arbRpmSpec,
      fc.constantFrom({}, { compression: { algo: "zstd" as const } }),
      async (spec, options) => {
        const { bytes, payload, known } = await written(spec, options);
        const full = await readRpm(bytesSource(bytes));
        assert.deepEqual(
          await readRpm(bytesSource(bytes), { knownPayload: payload, knownArtifact: known }),
          full,
        );
      },
    ),
    { numRuns: 40 },
  );
});

test("the payload is not read with the writer's size (a damaged payload goes unnoticed only then), nor without the artifact's digests", async () => {
  const spec = fc.sample(arbRpmSpec, { numRuns: 1, seed: 7 })[0]!;
  const { bytes, payload, known } = await written(spec);
  const damaged = bytes.slice();
  damaged[damaged.length - 10]! ^= 0xff;
  await assert.rejects(readRpm(bytesSource(damaged)), "a full read notices the damage");
  await assert.rejects(
    readRpm(bytesSource(damaged), { knownPayload: payload }),
    "no artifact digests: read in full",
  );
  const info = await readRpm(bytesSource(damaged), { knownPayload: payload, knownArtifact: known });
  assert.equal(info.raw.format === "rpm" ? info.raw.archiveSize : -1, payload.archiveSize);
  await assert.rejects(
    readRpm(bytesSource(damaged), { knownPayload: { ...payload, format: "deb" }, knownArtifact: known }),
    "another format's payload is ignored",
  );
});

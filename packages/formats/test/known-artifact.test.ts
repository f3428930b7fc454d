/**
 * ReadContext.knownArtifact: every reader takes the artifact's size and digests from the caller (a build
 * hashed its package while writing it) instead of hashing the file again — but only when the size is the
 * source's and all four digests are given; otherwise it hashes as before. The build's own check that its
 * PackageInfo equals a fresh read is in build/build.test.ts.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { writePackage } from "../src/api.ts";
import { bytesSource, collect } from "../src/bytes/bytes.ts";
import { formatById } from "../src/registry.ts";
import type { FormatId } from "../src/info/types.ts";
import { bareSpec } from "./support/bare-spec.ts";

const FORMATS: FormatId[] = ["deb", "rpm", "archlinux", "apk", "macos", "tarball"];
const MADE_UP = {
  md5: "1".repeat(32),
  sha1: "2".repeat(40),
  sha256: "3".repeat(64),
  sha512: "4".repeat(128),
};

for (const id of FORMATS) {
  test(`${id}: the reader takes a usable knownArtifact and hashes otherwise`, async () => {
    const spec = bareSpec();
    // macOS refuses /usr outside /usr/local (System Integrity Protection).
    if (id === "macos")
      spec.entries = spec.entries.map((e) => ({ ...e, path: `/usr/local${e.path.slice(4)}` }));
    const bytes = await collect(writePackage(id, spec));
    const format = formatById(id);
    const hashed = (await format.read(bytesSource(bytes))).artifact;
    assert.equal(hashed.size, bytes.length);
    assert.notDeepEqual(hashed.digests, MADE_UP);

    // Usable: the made-up digests come back, so the reader did not hash.
    const known = { size: bytes.length, digests: MADE_UP };
    const taken = await format.read(bytesSource(bytes), { knownArtifact: known });
    assert.deepEqual(taken.artifact, { size: bytes.length, digests: MADE_UP });

    // Another size, or a digest missing: ignored, the file is hashed.
    for (const bad of [
      { size: bytes.length + 1, digests: MADE_UP },
      { size: bytes.length, digests: { md5: MADE_UP.md5, sha1: MADE_UP.sha1, sha256: MADE_UP.sha256 } },
    ]) {
      const info = await format.read(bytesSource(bytes), { knownArtifact: bad });
      assert.deepEqual(info.artifact, hashed, JSON.stringify(bad.size));
    }
  });
}

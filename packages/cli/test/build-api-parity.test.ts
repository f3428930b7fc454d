/**
 * The build API without the CLI gives what the CLI gives: building the example for every format through
 * `build()` and through `packyard build` (spawned, the emitted launcher, default packagers) yields the same
 * manifest — files, sizes, sha256, PackageInfo — and the same bytes in every file.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { BUILD_MANIFEST_NAME, build, parseBuildManifest } from "@packyard/formats";
import { REPO, spawnCli } from "./run-cli.ts";

const EPOCH = 1704067200;
const work = mkdtempSync(join(tmpdir(), "packyard-parity-"));
after(() => rmSync(work, { recursive: true, force: true }));

test("build() and `packyard build` write the same manifest and the same bytes for every format", async () => {
  const example = join(REPO, "fixtures/example");
  const viaApi = join(work, "api");
  const viaCli = join(work, "cli");
  const { manifest } = await build(
    { configPath: join(example, "packyard.yml") },
    { formats: ["deb", "rpm", "archlinux", "apk", "macos", "tar.gz", "zip"], target: viaApi, date: EPOCH },
  );
  const r = spawnCli(["build", "-t", viaCli], example, { SOURCE_DATE_EPOCH: String(EPOCH) });
  assert.equal(r.status, 0, r.stderr);

  const cliManifest = parseBuildManifest(readFileSync(join(viaCli, BUILD_MANIFEST_NAME), "utf8"));
  assert.deepEqual(cliManifest, manifest);
  assert.deepEqual(
    manifest.artifacts.filter((a) => a.kind === "package").map((a) => a.packager),
    ["deb", "rpm", "archlinux", "apk", "macos", "tar.gz", "zip"],
  );
  for (const a of manifest.artifacts.filter((x) => x.kind === "package")) {
    assert.equal(a.info?.artifact.digests.sha256, a.sha256, `${a.file}: PackageInfo digest is the file's`);
    assert.equal(a.info?.artifact.size, a.size);
  }
  const files = readdirSync(viaApi).sort();
  assert.deepEqual(readdirSync(viaCli).sort(), files);
  for (const f of files) assert.ok(readFileSync(join(viaApi, f)).equals(readFileSync(join(viaCli, f))), f);
});

// Every writer reads file contents through the batch reader (a worker thread for files, the sources' own
// open() otherwise): the bytes of every format must not depend on which path read them.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { apkFormat } from "../../src/apk/index.ts";
import { writeArchlinux } from "../../src/archlinux/index.ts";
import { collect } from "../../src/bytes/bytes.ts";
import { writeDeb } from "../../src/deb/index.ts";
import { writeMacos } from "../../src/macos/index.ts";
import { writeRpm } from "../../src/rpm/index.ts";
import { liveReadWorkers, PIECE_BYTES, setReadWorkerPolicy } from "../../src/source/batch-read.ts";
import { fileSource } from "../../src/source/file.ts";
import { type Entry, type PackageSpec, ROOT } from "../../src/spec/types.ts";
import { writeTarball } from "../../src/tarball/index.ts";
import { sampleBytes } from "../compress/helpers.ts";

const dir = mkdtempSync(join(tmpdir(), "packyard-writers-batch-read-"));
after(() => {
  setReadWorkerPolicy(undefined);
  rmSync(dir, { recursive: true, force: true });
});

/** 90 files in 3 folders (empty, small, around the batch limit, two of several pieces) and a link. */
async function spec(prefix: string): Promise<PackageSpec> {
  const entries: Entry[] = [];
  for (let i = 0; i < 90; i++) {
    const sub = `d${i % 3}`;
    mkdirSync(join(dir, sub), { recursive: true });
    const size = i === 7 ? 0 : i === 11 ? 2 * PIECE_BYTES + 3 : i === 50 ? PIECE_BYTES : 10 + i * 311;
    const p = join(dir, sub, `f${String(i).padStart(2, "0")}`);
    writeFileSync(p, sampleBytes(size, i));
    entries.push({
      type: "file",
      path: `${prefix}/${sub}/f${String(i).padStart(2, "0")}`,
      mode: 0o644,
      owner: ROOT,
      group: ROOT,
      content: await fileSource(p),
    });
  }
  entries.push({
    type: "symlink",
    path: `${prefix}/link`,
    mode: 0o777,
    owner: ROOT,
    group: ROOT,
    target: "d0/f00",
  });
  entries.push({
    type: "hardlink",
    path: `${prefix}/zz-hard`,
    mode: 0o644,
    owner: ROOT,
    group: ROOT,
    target: `${prefix}/d2/f11`,
  });
  entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return {
    name: "batchread",
    version: { upstream: "1.0.0", release: "1" },
    arch: "amd64",
    date: 1704067200,
    maintainer: "Test <test@packyard.invalid>",
    description: "batch reader test",
    license: "MIT",
    relations: {},
    entries,
    scripts: {},
    changelog: [],
  };
}

const WRITERS: Record<string, (s: PackageSpec) => AsyncIterable<Uint8Array>> = {
  deb: (s) => writeDeb(s, { compression: { algo: "gzip", level: 1 } }),
  rpm: (s) => writeRpm(s, { compression: { algo: "gzip", level: 1 } }),
  archlinux: (s) => writeArchlinux(s, { compression: { algo: "zstd", level: 1 } }),
  apk: (s) => apkFormat.write(s, { gzipLevel: 1 }),
  macos: (s) => writeMacos(s, {}),
  "tar.gz": (s) => writeTarball(s, { format: "tar.gz", level: 1 }),
  zip: (s) => writeTarball(s, { format: "zip", level: 1 }),
};

for (const [name, write] of Object.entries(WRITERS)) {
  test(`${name}: the same bytes whether files are read on the worker or through their sources`, async () => {
    const s = await spec(name === "macos" ? "/usr/local/bench" : "/opt/bench");
    const sha = async (worker: boolean) => {
      setReadWorkerPolicy(worker);
      try {
        return createHash("sha256")
          .update(await collect(write(s)))
          .digest("hex");
      } finally {
        setReadWorkerPolicy(undefined);
      }
    };
    const viaWorker = await sha(true);
    const viaSources = await sha(false);
    assert.equal(viaWorker, viaSources);
    assert.equal(liveReadWorkers(), 0);
  });
}

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import fc from "fast-check";
import { bytesSource, collect, encodeUtf8 } from "../../src/bytes/bytes.ts";
import { chunkedSource } from "@packyard/testkit/chunked";
import type { FileInfo } from "../../src/info/types.ts";
import { ROOT, type PackageSpec } from "../../src/spec/types.ts";
import { tarballFormat } from "../../src/tarball/format.ts";
import type { ArchiveFormat, TarballOptions } from "../../src/tarball/options.ts";
import { readTarball } from "../../src/tarball/reader.ts";
import { writeTarball } from "../../src/tarball/writer.ts";
import { tarballSpec } from "../support/arbitrary-tarball.ts";
import { type ExpectedFile, expectedInfo } from "./expected.ts";

function project(files: FileInfo[]): ExpectedFile[] {
  return files
    .map((f) => {
      const e: ExpectedFile = {
        path: f.path,
        type: f.type,
        mode: f.mode,
        size: f.size,
        mtime: f.mtime,
        uid: f.owner.id,
        gid: f.group.id,
      };
      if (f.target !== undefined) e.target = f.target;
      if (f.digests.sha256 !== undefined) e.sha256 = f.digests.sha256;
      return e;
    })
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

for (const format of ["tar.gz", "tar.zst", "zip"] as const satisfies readonly ArchiveFormat[]) {
  test(`${format}: read(write(spec)) matches expectedInfo (property)`, async () => {
    await fc.assert(
      fc.asyncProperty(tarballSpec, fc.boolean(), async (spec, wrapped) => {
        const options: TarballOptions = { format, wrapInDirectory: wrapped };
        const bytes = await collect(writeTarball(spec, options));
        const info = await readTarball(bytesSource(bytes));
        const wrap = wrapped ? tarballFormat.fileName(spec, { format }).replace(`.${format}`, "") : undefined;
        assert.deepEqual(project(info.files), await expectedInfo(spec, format, wrap));
        assert.equal(info.raw.format, "tarball");
        assert.equal(info.artifact.size, bytes.length);
        if (wrapped) {
          assert.equal(info.name, spec.name);
          assert.equal(info.versionString, spec.version.upstream);
          assert.equal(info.archString, spec.arch);
        }
      }),
      { numRuns: 25 },
    );
  });
}

const example: PackageSpec = {
  name: "hello",
  version: { upstream: "1.0.0" },
  arch: "amd64",
  date: 1_700_000_000,
  relations: {},
  scripts: {},
  changelog: [],
  entries: [
    {
      type: "file",
      path: "/usr/bin/hello",
      mode: 0o755,
      owner: ROOT,
      group: ROOT,
      content: bytesSource(encodeUtf8("#!/bin/sh\necho hello\n".repeat(30))),
    },
    { type: "symlink", path: "/usr/bin/hi", mode: 0o777, owner: ROOT, group: ROOT, target: "hello" },
    { type: "dir", path: "/var/lib/hello", mode: 0o750, owner: { name: "daemon", id: 1 }, group: ROOT },
  ],
};

test("readers give the same result fed in 1, 7, 321-byte chunks", async () => {
  for (const format of ["tar.gz", "zip"] as const) {
    const bytes = await collect(writeTarball(example, { format }));
    const whole = await readTarball(bytesSource(bytes));
    for (const n of [1, 7, 321]) {
      assert.deepEqual(await readTarball(chunkedSource(bytes, n)), whole, `${format} in ${n}-byte chunks`);
    }
  }
});

test("xz archives round trip (optional encoder)", async () => {
  const bytes = await collect(writeTarball(example, { format: "tar.xz" }));
  const info = await readTarball(bytesSource(bytes));
  assert.deepEqual(project(info.files), await expectedInfo(example, "tar.xz"));
  assert.equal(info.raw.format === "tarball" && info.raw.compression, "xz");
});

test("same bytes across processes with different TZ, umask and cwd", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tarball-det-"));
  try {
    const script = `
      const { collect, bytesSource, encodeUtf8 } = await import(${JSON.stringify(new URL("../../src/bytes/bytes.ts", import.meta.url).href)});
      const { writeTarball } = await import(${JSON.stringify(new URL("../../src/tarball/writer.ts", import.meta.url).href)});
      const { createHash } = await import("node:crypto");
      const root = { name: "root", id: 0 };
      const spec = { name: "hello", version: { upstream: "1.0.0" }, arch: "amd64", date: 1700000000, relations: {}, scripts: {}, changelog: [],
        entries: [{ type: "file", path: "/usr/bin/hello", mode: 0o755, owner: root, group: root, content: bytesSource(encodeUtf8("hi\\n".repeat(5000))) },
                  { type: "symlink", path: "/usr/bin/hi", mode: 0o777, owner: root, group: root, target: "hello" }] };
      const out = [];
      for (const format of ["tar.gz", "tar.zst", "zip"]) out.push(createHash("sha256").update(await collect(writeTarball(spec, { format, wrapInDirectory: true }))).digest("hex"));
      console.log(out.join(" "));
    `;
    const runOne = (tz: string, umask: string, cwd: string) => {
      const r = spawnSync(
        "sh",
        ["-c", `umask ${umask}; exec "$0" --input-type=module -e "$1"`, process.execPath, script],
        {
          cwd,
          env: { ...process.env, TZ: tz },
          encoding: "utf8",
        },
      );
      assert.equal(r.status, 0, r.stderr);
      return r.stdout.trim();
    };
    const a = runOne("UTC", "022", dir);
    const b = runOne("Pacific/Chatham", "077", tmpdir());
    assert.equal(a.split(" ").length, 3);
    assert.equal(a, b);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

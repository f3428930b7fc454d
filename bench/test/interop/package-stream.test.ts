/**
 * The check step's extraction against the native tools' own readers: the uncompressed stream the bench
 * times its ceiling on is byte for byte what `dpkg-deb --fsys-tarfile` and `rpm2cpio` give.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { needTool } from "@packyard/testkit/tools";
import { inspectStream, locateStream } from "../../package-stream.ts";
import { fileBytes } from "../../payload.ts";

const dir = mkdtempSync(join(tmpdir(), "bench-stream-interop-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function tree(): string {
  const root = join(dir, "tree");
  mkdirSync(join(root, "usr/lib/bench"), { recursive: true });
  mkdirSync(join(root, "DEBIAN"), { recursive: true });
  writeFileSync(join(root, "usr/lib/bench/a.bin"), fileBytes(300_000, 1));
  writeFileSync(join(root, "usr/lib/bench/b.txt"), "hello\n");
  writeFileSync(
    join(root, "DEBIAN/control"),
    "Package: bench\nVersion: 1.0-1\nArchitecture: all\nMaintainer: B <b@example.org>\nDescription: b\n",
  );
  return root;
}

function tool(cmd: string, args: string[]): Buffer {
  const r = spawnSync(cmd, args, { maxBuffer: 1 << 28 });
  assert.equal(r.status, 0, `${cmd} ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

for (const algo of ["gzip", "zstd"] as const) {
  test(`deb (${algo}): the extracted stream is dpkg-deb --fsys-tarfile's`, async (t) => {
    if (!needTool(t, "dpkg-deb", "gzip", "zstd")) return;
    const deb = join(dir, `x-${algo}.deb`);
    tool("dpkg-deb", ["--root-owner-group", `-Z${algo}`, "--build", tree(), deb]);
    const out = join(dir, `x-${algo}.tar`);
    const info = await inspectStream(await locateStream("deb", deb, dir), out);
    const expected = tool("dpkg-deb", ["--fsys-tarfile", deb]);
    assert.equal(info.algo, algo);
    assert.equal(info.frames, 1);
    assert.equal(info.uncompressedBytes, expected.length);
    assert.ok(readFileSync(out).equals(expected));
  });
}

test("rpm: the extracted stream is rpm2cpio's", async (t) => {
  if (!needTool(t, "rpmbuild", "rpm2cpio", "zstd")) return;
  const root = tree();
  const spec = join(dir, "x.spec");
  writeFileSync(
    spec,
    `Name: bench\nVersion: 1\nRelease: 1\nSummary: b\nLicense: MIT\nAutoReqProv: no\n%description\nb\n%install\ncp -a ${root}/usr %{buildroot}/\n%files\n/usr\n`,
  );
  tool("rpmbuild", [
    "-bb",
    "--quiet",
    "--define",
    `_topdir ${dir}/rpmbuild`,
    "--define",
    "_binary_payload w3.zstdio",
    "--define",
    "__os_install_post %{nil}",
    "--define",
    "debug_package %{nil}",
    "--define",
    "_build_id_links none",
    spec,
  ]);
  const archDir = readdirSync(join(dir, "rpmbuild/RPMS"))[0]!;
  const rpm = join(dir, "rpmbuild/RPMS", archDir, readdirSync(join(dir, "rpmbuild/RPMS", archDir))[0]!);
  const out = join(dir, "x.cpio");
  const info = await inspectStream(await locateStream("rpm", rpm, dir), out);
  const expected = tool("rpm2cpio", [rpm]);
  assert.equal(info.algo, "zstd");
  assert.ok(readFileSync(out).equals(expected));
});

test("several gzip members: every one is counted and extracted (gzip -dc reads them all)", async (t) => {
  if (!needTool(t, "gzip")) return;
  const a = fileBytes(100_000, 3);
  const b = fileBytes(50_000, 4);
  const f = join(dir, "multi.tar.gz");
  writeFileSync(join(dir, "a"), a);
  writeFileSync(join(dir, "b"), b);
  writeFileSync(
    f,
    Buffer.concat([tool("gzip", ["-c", "-6", join(dir, "a")]), tool("gzip", ["-c", "-6", join(dir, "b")])]),
  );
  const out = join(dir, "multi.tar");
  const info = await inspectStream(await locateStream("tar", f, dir), out);
  assert.deepEqual([info.frames, info.firstFrameBytes, info.uncompressedBytes], [2, 100_000, 150_000]);
  assert.ok(readFileSync(out).equals(Buffer.concat([a, b])));
});

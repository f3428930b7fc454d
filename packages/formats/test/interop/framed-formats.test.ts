/**
 * The real tools read what the default framing writes (issue 18 item 3): a package spanning about ten
 * 2 MiB frames (test/compress/framed-payload.ts), built with 2 workers, for every format that frames
 * by default and for the opt-in framed zstd of rpm and Arch.
 *
 * - deb (data.tar.gz and control.tar.gz in members): `gzip -t`, `dpkg-deb -x`, `dpkg-deb
 *   --fsys-tarfile | tar -t`, `dpkg -i` into a scratch root and `dpkg --verify`;
 * - rpm, gzip (default) and `zstd:3/2MiB`: `rpm -Kv` (payload digest), `rpm2cpio | cpio` (list and
 *   unpack), `rpm -i --root` into a scratch rpmdb and `rpm -V`; and why framed xz is refused: rpm2cpio
 *   stops after the first xz stream;
 * - Arch, gzip (default framed) and `zstd:3/2MiB`: `gzip -t`/`zstd -t`, `zstd -lv`'s frame count,
 *   `bsdtar -tf`/`-xf`, signed `pacman -U` into a scratch root and `pacman -Qkk`;
 * - tar.gz: `gzip -t`, GNU `tar -tzf`/`-xzf`, `bsdtar -tf`; tar.zst and tar.xz with `framing: true`:
 *   `zstd`/`xz -t` and `-lv`, GNU tar and bsdtar extraction;
 * - apk's data member and macOS's Payload, one gzip member each made in blocks: `gzip -t`, one member
 *   by Python's zlib (`decompressobj(31)` ends at the file's end), GNU tar / bsdtar / cpio extraction.
 *
 * Every unpacked file is compared with the content written.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { gunzipSync } from "node:zlib";
import { writeApk } from "../../src/apk/writer.ts";
import { archlinuxFormat } from "../../src/archlinux/index.ts";
import type { ArchlinuxOptions } from "../../src/archlinux/options.ts";
import { bytesSource, collect } from "../../src/bytes/bytes.ts";
import { compressBytes, withCompressionWorkers } from "../../src/compress/compress.ts";
import { parseCompression } from "../../src/compress/compression.ts";
import { writeDeb } from "../../src/deb/writer.ts";
import { writeMacos } from "../../src/macos/writer.ts";
import { SpecError } from "../../src/errors.ts";
import { writeRpm } from "../../src/rpm/writer.ts";
import type { RpmOptions } from "../../src/rpm/options.ts";
import { loadOpenPGPSigner } from "../../src/sign/index.ts";
import type { PackageSpec } from "../../src/spec/types.ts";
import { parseTarballConfig } from "../../src/tarball/config.ts";
import { writeTarball } from "../../src/tarball/writer.ts";
import {
  arMembers,
  assertUnpacked,
  FRAMED_FILES,
  framedContent,
  framedSpec,
  gzipMembers,
  rpmPayload,
  syncFlushes,
} from "../compress/framed-payload.ts";
import { makeKeyring, makeRoot } from "@packyard/testkit/pacman-root";
import { needRoot, needTool, run, tryRun } from "@packyard/testkit/tools";
import { rpmRoot } from "./rpm-tools.ts";

const KEY = new URL("../../../../fixtures/keys/gpg-plain.secret.asc", import.meta.url);

let dir: string;
let spec: PackageSpec;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), "packyard-framed-formats-"));
  spec = await framedSpec(join(dir, "payload"));
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** Paths the payload installs, as tar lists them (no leading "/"): its two folders and every file. */
const PATHS = [
  "usr/share/framed",
  "usr/share/framed/small",
  ...FRAMED_FILES.map(([n]) => `usr/share/framed/${n}`),
];

/** Writes `bytes` to a fresh folder under the temp dir as `name`; returns its path. */
function save(name: string, bytes: Uint8Array): string {
  const path = join(mkdtempSync(join(dir, "pkg-")), name);
  writeFileSync(path, bytes);
  return path;
}

const build = (write: () => AsyncIterable<Uint8Array>): Promise<Uint8Array> =>
  withCompressionWorkers(2, () => collect(write()));

/** The listed names under usr/share/framed, without "./" and trailing "/", sorted (not parents or docs). */
function listed(out: string): string[] {
  return out
    .split("\n")
    .map((l) => l.replace(/^\.\//, "").replace(/\/$/, ""))
    .filter((l) => l.startsWith("usr/share/framed"))
    .sort();
}

const MANY = 8;

test("deb with framed data.tar.gz (the default): gzip -t, dpkg-deb -x and --fsys-tarfile, dpkg -i and --verify", async (t) => {
  if (!needTool(t, "dpkg-deb", "dpkg", "tar", "gzip")) return;
  const file = save("framed_1.0.0-1_amd64.deb", await build(() => writeDeb(spec)));
  const members = arMembers(new Uint8Array(readFileSync(file)));
  const data = members.get("data.tar.gz")!;
  assert.ok(gzipMembers(data) >= MANY, `data.tar.gz has ${gzipMembers(data)} members`);
  const work = mkdtempSync(join(dir, "deb-"));
  writeFileSync(join(work, "data.tar.gz"), data);
  writeFileSync(join(work, "control.tar.gz"), members.get("control.tar.gz")!);
  run("gzip", ["-t", join(work, "data.tar.gz"), join(work, "control.tar.gz")]);

  const out = join(work, "x");
  run("dpkg-deb", ["-x", file, out]);
  assertUnpacked(out, "dpkg-deb -x");
  const names = run("sh", ["-c", 'dpkg-deb --fsys-tarfile "$0" | tar -t', file]);
  assert.deepEqual(listed(names), [...PATHS].sort());
  assert.match(run("dpkg-deb", ["-I", file]), /Package: framed/);

  if (!needRoot(t, "dpkg --root installs files owned by root")) return;
  const root = join(work, "root");
  mkdirSync(join(root, "var/lib/dpkg/info"), { recursive: true });
  mkdirSync(join(root, "var/lib/dpkg/updates"), { recursive: true });
  writeFileSync(join(root, "var/lib/dpkg/status"), "");
  writeFileSync(join(root, "var/lib/dpkg/available"), "");
  const dpkg = (...args: string[]) =>
    run("dpkg", [`--root=${root}`, "--log=/dev/null", "--force-architecture", ...args], {
      env: { ...process.env, LC_ALL: "C" },
    });
  dpkg("-i", file);
  assertUnpacked(root, "dpkg -i");
  assert.equal(dpkg("--verify", "framed"), "", "dpkg --verify is clean");
  assert.match(dpkg("-s", "framed"), /^Status: install ok installed$/m);
});

for (const setting of ["gzip:6", "zstd:3/2MiB"]) {
  test(`rpm with a framed ${setting} payload: rpm -Kv, rpm2cpio | cpio, rpm -i --root and rpm -V`, async (t) => {
    const algo = setting.startsWith("zstd") ? "zstd" : "gzip";
    if (!needTool(t, "rpm", "rpm2cpio", "cpio", algo)) return;
    // gzip:6 without a framing is the default: 2 MiB members.
    const options: RpmOptions = { compression: parseCompression(setting, "rpm.compression") };
    const file = save(`framed-${algo}.rpm`, await build(() => writeRpm(spec, options)));
    const payload = rpmPayload(new Uint8Array(readFileSync(file)));
    const p = join(dir, `payload-${algo}`);
    writeFileSync(p, payload);
    run(algo, ["-t", p]);
    if (algo === "zstd") {
      const frames = /# Zstandard Frames:\s*(\d+)/.exec(run("zstd", ["-lv", p]))?.[1];
      assert.ok(Number(frames) >= MANY, `zstd -lv reports ${frames} frames`);
    } else assert.ok(gzipMembers(payload) >= MANY, `${gzipMembers(payload)} gzip members`);
    assert.equal(run("rpm", ["-qp", "--qf", "%{PAYLOADCOMPRESSOR}", file]), algo);
    const k = run("rpm", ["-Kv", file]);
    assert.match(k, /Payload SHA256 digest: OK/);
    assert.doesNotMatch(k, /BAD|NOT OK/);

    const names = run("sh", ["-c", 'rpm2cpio "$0" | cpio -t --quiet', file]);
    assert.deepEqual(listed(names), [...PATHS].sort());
    const out = mkdtempSync(join(dir, "cpio-"));
    run("sh", ["-c", 'cd "$1" && rpm2cpio "$0" | cpio -idm --quiet', file, out]);
    assertUnpacked(out, "rpm2cpio | cpio -i");

    if (!needRoot(t, "rpm --root installs files owned by root")) return;
    const root = rpmRoot(join(dir, `rpmroot-${algo}`), file);
    assertUnpacked(root, "rpm -i --root");
    const v = tryRun("rpm", ["--root", root, "-V", "framed"]);
    assert.deepEqual([v.status, v.stdout], [0, ""], v.stderr);
  });
}

test("rpm refuses framed xz: rpm2cpio stops after the first xz stream of a payload", async (t) => {
  await assert.rejects(
    collect(writeRpm(spec, { compression: parseCompression("xz:1/2MiB", "rpm.compression") })),
    (e: unknown) =>
      e instanceof SpecError && e.code === "UNSUPPORTED_FEATURE" && e.data.field === "rpm.compression",
  );
  if (!needTool(t, "rpm2cpio", "cpio")) return;
  // The same package with its one-stream xz payload swapped for framed xz of the same cpio (rpm2cpio
  // does not check the payload digest): one stream reads to the end, several do not. If a newer rpm
  // reads every xz stream, this fails and framed xz can be allowed in rpm/name.ts.
  // The small files only (about 4 MiB of cpio), in 256 KiB streams: a dozen streams, quickly.
  const small = { ...spec, entries: spec.entries.filter((e) => !/big|noisy|tail/.test(e.path)) };
  const plain = await build(() => writeRpm(small, { compression: { algo: "xz", level: 1 } }));
  const payload = rpmPayload(plain);
  const file = save("plain-xz.rpm", plain);
  const cpio = run("sh", ["-c", 'rpm2cpio "$0" | cpio -t --quiet | wc -l', file]).trim();
  assert.equal(Number(cpio), small.entries.length);
  const work = mkdtempSync(join(dir, "xz-"));
  run("sh", ["-c", 'rpm2cpio "$0" > "$1"', file, join(work, "payload.cpio")]);
  const framed = await compressBytes(new Uint8Array(readFileSync(join(work, "payload.cpio"))), {
    algo: "xz",
    level: 1,
    framing: { chunkBytes: 256 * 1024 },
  });
  const swapped = new Uint8Array(plain.length - payload.length + framed.length);
  swapped.set(plain.subarray(0, plain.length - payload.length));
  swapped.set(framed, plain.length - payload.length);
  const swappedFile = save("framed-xz.rpm", swapped);
  const r = tryRun("sh", ["-c", 'rpm2cpio "$0" | cpio -t --quiet > /dev/null', swappedFile]);
  assert.notEqual(r.status, 0, "rpm2cpio read a multi-stream xz payload to the end");
  assert.match(r.stderr, /premature end/);
});

for (const setting of ["gzip:6", "zstd:3/2MiB"]) {
  test(`Arch with framed ${setting}: ${setting.split(":")[0]} -t, bsdtar -tf and -xf, signed pacman -U and -Qkk`, async (t) => {
    const algo = setting.startsWith("zstd") ? "zstd" : "gzip";
    if (!needTool(t, "bsdtar", algo)) return;
    const options: ArchlinuxOptions = { compression: parseCompression(setting, "archlinux.compression") };
    const bytes = await build(() => archlinuxFormat.write(spec, options));
    const file = save(archlinuxFormat.fileName(spec, options), bytes);
    run(algo, ["-t", file]);
    if (algo === "zstd") {
      const frames = /# Zstandard Frames:\s*(\d+)/.exec(run("zstd", ["-lv", file]))?.[1];
      assert.ok(Number(frames) >= MANY, `zstd -lv reports ${frames} frames`);
    } else assert.ok(gzipMembers(bytes) >= MANY, `${gzipMembers(bytes)} gzip members`);
    const names = run("bsdtar", ["-tf", file]);
    assert.match(names, /^\.PKGINFO$/m);
    assert.deepEqual(listed(names), [...PATHS].sort());
    const out = mkdtempSync(join(dir, "arch-"));
    run("bsdtar", ["-xf", file, "-C", out]);
    assertUnpacked(out, "bsdtar -xf");

    if (!needTool(t, "pacman", "pacman-key", "busybox")) return;
    const signer = await loadOpenPGPSigner(readFileSync(KEY, "utf8"));
    const sig = await archlinuxFormat.detachedSignature!(bytesSource(bytes), {}, signer);
    writeFileSync(file + sig!.suffix, sig!.bytes);
    const gpgdir = makeKeyring(
      mkdtempSync(join(dir, "keyring-")),
      signer.publicKeyArmored(),
      signer.primaryFingerprint,
    );
    const r = makeRoot(gpgdir);
    const install = r.pacman(["-U", file]);
    assert.equal(install.status, 0, install.stderr + install.stdout);
    assertUnpacked(r.root, "pacman -U");
    const qkk = r.pacman(["-Qkk", "framed"]);
    assert.equal(qkk.status, 0, qkk.stderr + qkk.stdout);
    assert.match(qkk.stdout, /framed: \d+ total files, 0 altered files/);
  });
}

test("tar.gz in members (the default): gzip -t, GNU tar -tzf and -xzf, bsdtar -tf", async (t) => {
  if (!needTool(t, "gzip", "tar", "bsdtar")) return;
  const bytes = await build(() => writeTarball(spec));
  assert.ok(gzipMembers(bytes) >= MANY, `${gzipMembers(bytes)} gzip members`);
  const file = save("framed.tar.gz", bytes);
  run("gzip", ["-t", file]);
  assert.deepEqual(listed(run("tar", ["-tzf", file])), [...PATHS].sort());
  assert.deepEqual(listed(run("bsdtar", ["-tf", file])), [...PATHS].sort());
  const out = mkdtempSync(join(dir, "tgz-"));
  run("tar", ["-xzf", file, "-C", out]);
  assertUnpacked(out, "tar -xzf");
});

/** Checks with Python's zlib that `file` is exactly one gzip member (decompressobj(31) takes one). */
function oneMember(file: string, plain: number): void {
  const py = run("python3", [
    "-c",
    "import sys,zlib\nd=zlib.decompressobj(31)\nout=d.decompress(open(sys.argv[1],'rb').read())\nprint(d.eof, len(d.unused_data), len(out))",
    file,
  ]);
  assert.equal(py.trim(), `True 0 ${plain}`, `${file}: one gzip member of ${plain} bytes`);
}

test("apk with its data member in blocks (one member): gzip -t, one member by Python's zlib, GNU tar -tzf, bsdtar -x", async (t) => {
  if (!needTool(t, "gzip", "tar", "bsdtar", "python3")) return;
  const bytes = await build(() => writeApk(spec, {}));
  // Unsigned: the control member, then the data member.
  const at = Buffer.from(bytes).indexOf(Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0]), 10);
  const data = bytes.subarray(at);
  assert.ok(syncFlushes(data) >= MANY, `the data member holds ${syncFlushes(data)} sync flushes`);
  const file = save("framed-1.0.0-r1.apk", bytes);
  const dataFile = save("data.tar.gz", data);
  run("gzip", ["-t", file, dataFile]);
  oneMember(dataFile, gunzipSync(data).length);
  assert.deepEqual(listed(run("tar", ["-tzf", file])), [...PATHS].sort());
  const out = mkdtempSync(join(dir, "apk-"));
  run("bsdtar", ["-xf", file, "-C", out]);
  assertUnpacked(out, "bsdtar -xf (apk)");
});

test("macOS Payload in blocks (one member): bsdtar -x of the .pkg, gzip -t, one member by Python's zlib, cpio -i", async (t) => {
  if (!needTool(t, "gzip", "bsdtar", "cpio", "python3")) return;
  // Below /opt (Installer refuses /usr itself), so that /opt is where the payload's usr/ lands.
  const local = { ...spec, entries: spec.entries.map((e) => ({ ...e, path: `/opt${e.path}` })) };
  const file = save("framed.pkg", await build(() => writeMacos(local, {})));
  const work = mkdtempSync(join(dir, "macos-"));
  run("bsdtar", ["-xf", file, "-C", work]);
  const payload = join(work, "framed.pkg", "Payload");
  const bytes = new Uint8Array(readFileSync(payload));
  assert.ok(syncFlushes(bytes) >= MANY, `the Payload holds ${syncFlushes(bytes)} sync flushes`);
  run("gzip", ["-t", payload]);
  oneMember(payload, gunzipSync(bytes).length);
  const out = join(work, "root");
  mkdirSync(out);
  run("sh", ["-c", 'cd "$1" && gzip -dc "$0" | cpio -idm --quiet', payload, out]);
  assertUnpacked(join(out, "opt"), "gzip -dc | cpio -i (macOS Payload)");
});

for (const format of ["tar.zst", "tar.xz"] as const) {
  test(`${format} with archives.framing: true: ${format === "tar.zst" ? "zstd" : "xz"} -t and -lv, GNU tar -x, bsdtar -x`, async (t) => {
    const algo = format === "tar.zst" ? "zstd" : "xz";
    if (!needTool(t, algo, "tar", "bsdtar")) return;
    // xz is slow: the small files only (about 4 MiB), still two frames.
    const input =
      algo === "xz" ? { ...spec, entries: spec.entries.filter((e) => !/big|noisy|tail/.test(e.path)) } : spec;
    const bytes = await build(() => writeTarball(input, { format, framing: true }));
    const one = await build(() => writeTarball(input, { format }));
    assert.notEqual(Buffer.compare(bytes, one), 0, "framing: true changes the bytes");
    const file = save(`framed.${format}`, bytes);
    run(algo, ["-t", file]);
    const listing = run(algo, ["-lv", file]);
    const count = (algo === "zstd" ? /# Zstandard Frames:\s*(\d+)/ : /Streams:\s*(\d+)/).exec(listing)?.[1];
    assert.ok(Number(count) >= 2, `${algo} -lv reports ${count} frames/streams`);
    const names = input.entries.map((e) => e.path.slice(1)).sort();
    for (const [tool, args] of [
      ["tar", ["-xf", file]],
      ["bsdtar", ["-xf", file]],
    ] as const) {
      const out = mkdtempSync(join(dir, `${algo}-${tool}-`));
      run(tool, [...args, "-C", out]);
      assert.deepEqual(listed(run("sh", ["-c", 'cd "$0" && find usr', out])), names);
      if (input === spec) assertUnpacked(out, `${tool} -xf ${format}`);
      else
        for (const e of input.entries)
          if (e.type === "file") {
            const i = FRAMED_FILES.findIndex(([n]) => e.path.endsWith(`/${n}`));
            const [, size] = FRAMED_FILES[i]!;
            assert.equal(
              Buffer.compare(readFileSync(join(out, e.path)), framedContent(i, size)),
              0,
              `${tool}: ${e.path}`,
            );
          }
    }
  });
}

test("archives.framing parses as a boolean", () => {
  const ctx = { field: "archives", baseDir: "/p" };
  assert.deepEqual(parseTarballConfig({ framing: false }, ctx), { framing: false });
  assert.deepEqual(parseTarballConfig({ framing: true }, ctx), { framing: true });
  assert.throws(
    () => parseTarballConfig({ framing: "no" }, ctx),
    (e: unknown) =>
      e instanceof SpecError && e.code === "INVALID_FIELD" && e.data.field === "archives.framing",
  );
});

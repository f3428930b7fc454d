/**
 * Release archives judged by real tools: GNU tar, bsdtar, Info-ZIP unzip and 7-Zip list and extract what we
 * write (modes, owners, symlinks, exec bits, Zip64 records); our reader reads what Info-ZIP zip and bsdtar
 * write; sha256sum/sha512sum check our checksums files and gpgv verifies SHA256SUMS.asc.
 */
import assert from "node:assert/strict";
import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
  chmodSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { bytesSource, collect, encodeUtf8 } from "../../src/bytes/bytes.ts";
import { checksumsFile } from "../../src/checksums/checksums.ts";
import { signChecksums } from "../../src/checksums/sign.ts";
import { loadOpenPGPSigner } from "../../src/sign/openpgp.ts";
import { ROOT, type PackageSpec } from "../../src/spec/types.ts";
import { planArchiveEntries } from "../../src/tarball/plan.ts";
import { tarballFormat } from "../../src/tarball/format.ts";
import type { ArchiveFormat, TarballOptions } from "../../src/tarball/options.ts";
import { readTarball } from "../../src/tarball/reader.ts";
import { writeTarball } from "../../src/tarball/writer.ts";
import { writeZip } from "../../src/tarball/zip-writer.ts";
import { gpgv, gpgvKeyring, gpgvVerify } from "@packyard/testkit/keyrings";
import { needTool, run, tryRun } from "@packyard/testkit/tools";

const KEYS = new URL("../../../../fixtures/keys/", import.meta.url);
const FORMATS: ArchiveFormat[] = ["tar.gz", "tar.zst", "tar.xz", "zip"];

const spec: PackageSpec = {
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
      content: bytesSource(encodeUtf8("#!/bin/sh\necho hello\n")),
    },
    { type: "symlink", path: "/usr/bin/hi", mode: 0o777, owner: ROOT, group: ROOT, target: "hello" },
    { type: "dir", path: "/var/lib/hello", mode: 0o750, owner: { name: "daemon", id: 1 }, group: ROOT },
    {
      type: "file",
      path: "/etc/hello.conf",
      mode: 0o640,
      owner: ROOT,
      group: ROOT,
      content: bytesSource(encodeUtf8("greeting=hi\n".repeat(100))),
    },
  ],
};
const options = (format: ArchiveFormat): TarballOptions => ({
  format,
  wrapInDirectory: true,
  files: [{ dst: "README.md", content: bytesSource(encodeUtf8("# hello\n")) }],
});
const TOP = "hello_1.0.0_linux_amd64";

let dir: string;
const paths = new Map<ArchiveFormat, string>();
before(async () => {
  dir = mkdtempSync(join(tmpdir(), "tarball-interop-"));
  for (const f of FORMATS) {
    const p = join(dir, tarballFormat.fileName(spec, options(f)));
    writeFileSync(p, await collect(writeTarball(spec, options(f))));
    paths.set(f, p);
  }
});
after(() => rmSync(dir, { recursive: true, force: true }));

function line(listing: string, needle: RegExp): void {
  assert.match(listing, needle, listing);
}

test("GNU tar lists modes, owners and symlinks of tar.gz, tar.zst, tar.xz", (t) => {
  if (!needTool(t, "tar", "zstd", "xz")) return;
  for (const f of ["tar.gz", "tar.zst", "tar.xz"] as const) {
    const out = run("tar", ["-tvf", paths.get(f)!]);
    line(out, new RegExp(`^-rwxr-xr-x root/root +\\d+ 2023-11-14 22:13 ${TOP}/usr/bin/hello$`, "m"));
    line(out, new RegExp(`^lrwxrwxrwx root/root +0 2023-11-14 22:13 ${TOP}/usr/bin/hi -> hello$`, "m"));
    line(out, new RegExp(`^drwxr-x--- daemon/root +0 .* ${TOP}/var/lib/hello/$`, "m"));
    line(out, new RegExp(`^-rw-r----- root/root +1200 .* ${TOP}/etc/hello.conf$`, "m"));
    line(out, new RegExp(`^drwxr-xr-x root/root +0 .* ${TOP}/$`, "m"));
  }
});

test("bsdtar lists every format, zip included", (t) => {
  if (!needTool(t, "bsdtar")) return;
  for (const f of FORMATS) {
    const out = run("bsdtar", ["-tvf", paths.get(f)!]);
    line(out, new RegExp(`^-rwxr-xr-x .* ${TOP}/usr/bin/hello$`, "m"));
    line(out, new RegExp(`^lrwxrwxrwx .* ${TOP}/usr/bin/hi -> hello$`, "m"));
    line(out, new RegExp(`^drwxr-x--- .* ${TOP}/var/lib/hello/?$`, "m"));
  }
});

test("unzip -Z shows Unix 6.3 entries with modes and the symlink type; unzip -t passes", (t) => {
  if (!needTool(t, "unzip")) return;
  const zip = paths.get("zip")!;
  const out = run("unzip", ["-Z", zip]);
  line(out, new RegExp(`^-rwxr-xr-x  6\\.3 unx +\\d+ .* 23-Nov-14 22:13 ${TOP}/usr/bin/hello$`, "m"));
  line(out, new RegExp(`^lrwxrwxrwx  6\\.3 unx +5 .* stor .* ${TOP}/usr/bin/hi$`, "m"));
  line(out, new RegExp(`^drwxr-x---  6\\.3 unx +0 .* ${TOP}/var/lib/hello/$`, "m"));
  line(out, new RegExp(`^-rw-r-----  6\\.3 unx +1200 .* defN .* ${TOP}/etc/hello.conf$`, "m"));
  assert.match(run("unzip", ["-t", zip]), /No errors detected/);
});

test("7z lists and tests the zip, with Unix attributes", (t) => {
  if (!needTool(t, "7z")) return;
  const zip = paths.get("zip")!;
  const out = run("7z", ["l", "-slt", zip]);
  const block = (name: string) => out.split("\n\n").find((b) => b.includes(`Path = ${name}\n`)) ?? "";
  assert.match(block(`${TOP}/usr/bin/hello`), /Attributes = .*-rwxr-xr-x/);
  assert.match(block(`${TOP}/usr/bin/hi`), /Attributes = .*lrwxrwxrwx/);
  assert.match(block(`${TOP}/var/lib/hello`), /Attributes = D.*drwxr-x---/);
  assert.match(run("7z", ["t", zip]), /Everything is Ok/);
});

function checkExtracted(root: string): void {
  const top = join(root, TOP);
  assert.equal(lstatSync(join(top, "usr/bin/hello")).mode & 0o777, 0o755);
  assert.ok(lstatSync(join(top, "usr/bin/hi")).isSymbolicLink());
  assert.equal(readlinkSync(join(top, "usr/bin/hi")), "hello");
  assert.equal(readFileSync(join(top, "usr/bin/hi"), "utf8"), "#!/bin/sh\necho hello\n");
  assert.equal(lstatSync(join(top, "etc/hello.conf")).mode & 0o777, 0o640);
  assert.equal(readFileSync(join(top, "README.md"), "utf8"), "# hello\n");
  assert.equal(Math.floor(lstatSync(join(top, "usr/bin/hello")).mtimeMs / 1000), 1_700_000_000);
}

test("unzip and bsdtar extract symlinks, exec bits and mtimes", (t) => {
  if (!needTool(t, "unzip", "bsdtar")) return;
  const u = join(dir, "x-unzip");
  run("unzip", ["-q", paths.get("zip")!, "-d", u]);
  checkExtracted(u);
  for (const f of FORMATS) {
    const b = join(dir, `x-bsdtar-${f}`);
    mkdirSync(b);
    run("bsdtar", ["-xpf", paths.get(f)!, "-C", b]);
    checkExtracted(b);
  }
});

test("forced Zip64 records are accepted by unzip, 7z and bsdtar, and read back", async (t) => {
  if (!needTool(t, "unzip", "7z", "bsdtar")) return;
  const bytes = await collect(writeZip(planArchiveEntries(spec, options("zip")), { zip64: "always" }));
  const p = join(dir, "zip64.zip");
  writeFileSync(p, bytes);
  assert.match(run("unzip", ["-t", p]), /No errors detected/);
  assert.match(run("unzip", ["-Z", "-v", p]), /minimum software version required to extract: +4\.5/);
  assert.match(run("7z", ["t", p]), /Everything is Ok/);
  line(run("bsdtar", ["-tvf", p]), new RegExp(`^lrwxrwxrwx .* ${TOP}/usr/bin/hi -> hello$`, "m"));
  const normal = await readTarball(bytesSource(readFileSync(paths.get("zip")!)));
  const z = await readTarball(bytesSource(bytes));
  assert.deepEqual(z.files, normal.files);
});

test("our reader reads what Info-ZIP zip and bsdtar write", async (t) => {
  if (!needTool(t, "zip", "bsdtar")) return;
  const src = join(dir, "src");
  mkdirSync(join(src, "pkg/bin"), { recursive: true });
  writeFileSync(join(src, "pkg/bin/tool"), "#!/bin/sh\n");
  chmodSync(join(src, "pkg/bin/tool"), 0o755);
  symlinkSync("tool", join(src, "pkg/bin/link"));
  writeFileSync(join(src, "pkg/data.txt"), "data\n".repeat(1000));
  chmodSync(join(src, "pkg/data.txt"), 0o600);
  run("zip", ["-q", "-r", "-y", join(dir, "infozip.zip"), "pkg"], { cwd: src });
  run("bsdtar", ["-czf", join(dir, "bsdtar.tar.gz"), "pkg"], { cwd: src });
  run("bsdtar", ["--format", "zip", "-cf", join(dir, "bsdtar.zip"), "pkg"], { cwd: src });
  for (const name of ["infozip.zip", "bsdtar.tar.gz", "bsdtar.zip"]) {
    const info = await readTarball(bytesSource(readFileSync(join(dir, name))));
    const by = new Map(info.files.map((f) => [f.path, f]));
    assert.equal(by.get("/pkg/bin/tool")?.mode, 0o755, name);
    assert.equal(by.get("/pkg/bin/tool")?.type, "file", name);
    assert.equal(by.get("/pkg/bin/link")?.type, "symlink", name);
    assert.equal(by.get("/pkg/bin/link")?.target, "tool", name);
    assert.equal(by.get("/pkg/data.txt")?.mode, 0o600, name);
    assert.equal(by.get("/pkg/data.txt")?.size, 5000, name);
    assert.equal(by.get("/pkg/bin")?.type, "dir", name);
    assert.equal(info.name, "pkg", name);
  }
});

test("sha256sum -c and sha512sum -c accept our checksums files; gpgv verifies SHA256SUMS.asc", async (t) => {
  if (!needTool(t, "sha256sum", "sha512sum", "gpgv", "gpg")) return;
  const artifacts = FORMATS.map((f) => {
    const p = paths.get(f)!;
    return { name: p.slice(dir.length + 1), bytes: new Uint8Array(readFileSync(p)) };
  });
  const sums = await checksumsFile(artifacts, "sha256");
  writeFileSync(join(dir, "SHA256SUMS"), sums);
  writeFileSync(join(dir, "SHA512SUMS"), await checksumsFile(artifacts, "sha512"));
  const ok = run("sha256sum", ["-c", "SHA256SUMS"], { cwd: dir });
  for (const a of artifacts) assert.match(ok, new RegExp(`^${a.name.replaceAll(".", "\\.")}: OK$`, "m"));
  run("sha512sum", ["-c", "SHA512SUMS"], { cwd: dir });

  const signer = await loadOpenPGPSigner(readFileSync(new URL("gpg-plain.secret.asc", KEYS), "utf8"));
  const sig = await signChecksums(sums, "SHA256SUMS", signer, { date: new Date(1_700_000_000_000) });
  assert.equal(sig.name, "SHA256SUMS.asc");
  assert.match(sig.text, /^-----BEGIN PGP SIGNATURE-----/);
  writeFileSync(join(dir, sig.name), sig.text);
  const keyring = gpgvKeyring(dir, "keyring", readFileSync(new URL("gpg-plain.asc", KEYS), "utf8"));
  gpgvVerify(keyring, join(dir, "SHA256SUMS.asc"), join(dir, "SHA256SUMS"));

  // the judges can fail: a tampered file is caught by both
  writeFileSync(
    join(dir, "SHA256SUMS"),
    sums.replace(/^./, (c) => (c === "0" ? "1" : "0")),
  );
  assert.notEqual(tryRun("sha256sum", ["-c", "--quiet", "SHA256SUMS"], { cwd: dir }).status, 0);
  assert.notEqual(gpgv(keyring, join(dir, "SHA256SUMS.asc"), join(dir, "SHA256SUMS")).status, 0);
});

/**
 * The deb writer judged by Debian's own tools: dpkg-deb (--info, --contents, --fsys-tarfile) on the
 * example project (through the config loader) and 20 seeded generated specs, lintian on the example, debsig-verify on a signed package,
 * and our reader on dpkg-deb's own output.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import fc from "fast-check";
import { bytesSource, collect } from "../../src/bytes/bytes.ts";
import { readDeb } from "../../src/deb/reader.ts";
import { resignDeb } from "../../src/deb/sign.ts";
import type { DebOptions } from "../../src/deb/options.ts";
import { writeDeb } from "../../src/deb/writer.ts";
import type { PackageSpec } from "../../src/spec/types.ts";
import { expectedInfo } from "../deb/expected.ts";
import { arbDebSpec } from "../support/arbitrary-deb.ts";
import { exampleFromConfig } from "@packyard/testkit/example";
import { needTool, run, tryRun } from "@packyard/testkit/tools";
import { openpgpTestKey } from "@packyard/testkit/keyrings";

const work = mkdtempSync(join(tmpdir(), "packyard-deb-interop-"));
after(() => rmSync(work, { recursive: true, force: true }));
const env = { ...process.env, TZ: "UTC", LC_ALL: "C.UTF-8" };

/** Undoes GNU tar's octal escapes of non-printable bytes in listings. */
function unescapeTar(name: string): string {
  const bytes: number[] = [];
  for (const m of name.matchAll(/\\([0-7]{3})|\\\\|[\s\S]/gu)) {
    if (m[1] !== undefined) bytes.push(Number.parseInt(m[1], 8));
    else if (m[0] === "\\\\") bytes.push(0x5c);
    else bytes.push(...Buffer.from(m[0]));
  }
  return Buffer.from(bytes).toString("utf8");
}

function modeString(mode: number, type: string): string {
  const c = type === "dir" ? "d" : type === "symlink" ? "l" : type === "hardlink" ? "h" : "-";
  const rwx = (bits: number, special: number, ch: string) =>
    `${bits & 4 ? "r" : "-"}${bits & 2 ? "w" : "-"}${special ? (bits & 1 ? ch : ch.toUpperCase()) : bits & 1 ? "x" : "-"}`;
  return (
    c +
    rwx(mode >> 6, mode & 0o4000, "s") +
    rwx(mode >> 3, mode & 0o2000, "s") +
    rwx(mode, mode & 0o1000, "t")
  );
}

function minute(seconds: number): string {
  return new Date(seconds * 1000).toISOString().slice(0, 16).replace("T", " ");
}

async function checkWithDpkgDeb(spec: PackageSpec, path: string): Promise<void> {
  const expected = await expectedInfo(spec, "deb");
  // --info: the control stanza as dpkg parses it
  const fields = run("dpkg-deb", ["--field", path, "Package", "Version", "Architecture", "Installed-Size"], {
    env,
  });
  assert.equal(
    fields,
    `Package: ${expected.name}\nVersion: ${expected.versionString}\nArchitecture: ${expected.archString}\nInstalled-Size: ${expected.installedSize! / 1024}\n`,
  );
  const info = run("dpkg-deb", ["--info", path], { env });
  for (const kind of Object.keys(expected.scripts)) {
    const file = { preinstall: "preinst", postinstall: "postinst", preremove: "prerm", postremove: "postrm" }[
      kind
    ]!;
    assert.match(info, new RegExp(`\\s\\*\\s+${file}\\s`), `${file} listed as executable`);
  }
  // --contents: names, types, modes, owners, sizes, mtimes, link targets
  const listing = run("dpkg-deb", ["--contents", path], { env }).split("\n").filter(Boolean);
  const want = ["drwxr-xr-x root/root 0 ./"];
  for (const f of expected.files) {
    const name = `.${f.path}${f.type === "dir" ? "/" : ""}`;
    let line = `${modeString(f.mode, f.type)} ${f.owner.name}/${f.group.name} ${f.size} ${name}`;
    if (f.type === "symlink") line += ` -> ${f.target}`;
    if (f.type === "hardlink") line += ` link to .${f.target}`;
    want.push(`${line} @${minute(f.mtime)}`);
  }
  const got = listing.map((l) => {
    const m = /^(\S+) (\S+)\s+(\d+) (\d{4}-\d\d-\d\d \d\d:\d\d) (.*)$/.exec(l);
    assert.ok(m, `unexpected listing line ${l}`);
    return `${m[1]} ${m[2]} ${m[3]} ${unescapeTar(m[5]!)}${m[5] === "./" ? "" : ` @${m[4]}`}`;
  });
  assert.deepEqual(got, want);
  // --fsys-tarfile extracted by GNU tar: contents, symlink targets, hardlinks sharing an inode
  const dir = join(work, `x-${createHash("md5").update(path).digest("hex")}`);
  mkdirSync(dir);
  const tarball = join(work, "fsys.tar");
  writeFileSync(tarball, readTarfile(path));
  run("tar", ["-xf", tarball, "-C", dir, "--numeric-owner", "--warning=no-timestamp"], { env });
  for (const f of expected.files) {
    const p = join(dir, f.path);
    const st = lstatSync(p);
    if (f.type === "file")
      assert.equal(createHash("md5").update(readFileSync(p)).digest("hex"), f.digests.md5, f.path);
    if (f.type === "symlink") assert.equal(readlinkSync(p), f.target);
    if (f.type === "hardlink") assert.equal(st.ino, lstatSync(join(dir, f.target!)).ino, f.path);
  }
  rmSync(dir, { recursive: true, force: true });
}

/** dpkg-deb --fsys-tarfile as raw bytes (run() decodes stdout as text). */
function readTarfile(path: string): Uint8Array {
  const out = join(work, "fsys.out");
  run("sh", ["-c", 'dpkg-deb --fsys-tarfile "$1" > "$2"', "sh", path, out], { env });
  return readFileSync(out);
}

test("dpkg-deb --info/--contents/--fsys-tarfile agree with the spec for the example and 20 seeded specs", async (t) => {
  if (!needTool(t, "dpkg-deb", "tar")) return;
  const example = await exampleFromConfig<DebOptions>("deb");
  const specs = [example.spec, ...fc.sample(arbDebSpec, { numRuns: 20, seed: 20240601 })];
  for (const [i, spec] of specs.entries()) {
    const path = join(work, `spec${i}.deb`);
    writeFileSync(path, await collect(writeDeb(spec, i === 0 ? example.options : {})));
    await checkWithDpkgDeb(spec, path);
  }
});

test("lintian --pedantic --display-info reports no tag at all on the example project built through the config loader", async (t) => {
  if (!needTool(t, "lintian")) return;
  const { spec, options } = await exampleFromConfig<DebOptions>("deb");
  const path = join(work, "example.deb");
  writeFileSync(path, await collect(writeDeb(spec, options)));
  const tolerated = readFileSync(
    new URL("../../../../fixtures/deb/lintian-tolerated.txt", import.meta.url),
    "utf8",
  )
    .split("\n")
    .map((l) => l.replace(/#.*/, "").trim())
    .filter(Boolean)
    .map((l) => l.split(/\s+/)[0]!);
  const r = tryRun("lintian", ["--fail-on", "none", "--pedantic", "--display-info", path], { env });
  const tags = r.stdout
    .split("\n")
    .filter((l) => /^[EWIP]: /.test(l))
    .filter((l) => !tolerated.some((tag) => l.includes(` ${tag}`)));
  assert.deepEqual(tags, [], r.stdout + r.stderr);
});

test("debsig-verify accepts the _gpgorigin signature of written and re-signed packages; our reader verifies it", async (t) => {
  if (!needTool(t, "debsig-verify", "dpkg-deb")) return;
  const { signer } = await openpgpTestKey({
    type: "rsa",
    name: "Packyard Test",
    email: "test@packyard.example",
    rsaBits: 2048,
    date: new Date("2000-01-01T00:00:00Z"),
  });
  const id = signer.keyId;
  const policies = join(work, "policies", id);
  const keyrings = join(work, "keyrings", id);
  mkdirSync(policies, { recursive: true });
  mkdirSync(keyrings, { recursive: true });
  writeFileSync(join(keyrings, "debsig.gpg"), signer.publicKeyBinary());
  writeFileSync(
    join(policies, "test.pol"),
    `<?xml version="1.0"?>
<!DOCTYPE Policy SYSTEM "https://www.debian.org/debsig/1.0/policy.dtd">
<Policy xmlns="https://www.debian.org/debsig/1.0/">
  <Origin Name="packyard-test" id="${id}" Description="packyard test key"/>
  <Selection><Required Type="origin" File="debsig.gpg" id="${id}"/></Selection>
  <Verification MinOptional="0"><Required Type="origin" File="debsig.gpg" id="${id}"/></Verification>
</Policy>
`,
  );
  const verify = (p: string) =>
    tryRun(
      "debsig-verify",
      ["--policies-dir", join(work, "policies"), "--keyrings-dir", join(work, "keyrings"), p],
      { env },
    );
  const { spec } = await exampleFromConfig("deb");
  const signedPath = join(work, "signed.deb");
  const bytes = await collect(writeDeb(spec, {}, { signer }));
  writeFileSync(signedPath, bytes);
  const ok = verify(signedPath);
  assert.equal(ok.status, 0, ok.stdout + ok.stderr);
  // dpkg-deb still reads it (members after data.tar are ignored)
  run("dpkg-deb", ["--info", signedPath], { env });
  const info = await readDeb(bytesSource(bytes), { publicKeys: [signer.publicKeyArmored()] });
  assert.deepEqual(
    info.signatures.map((s) => [s.location, s.keyId, s.verified]),
    [["_gpgorigin", id, true]],
  );
  // tampering with the data member breaks the signature for both judges
  const tampered = bytes.slice();
  tampered[tampered.length - 2000]! ^= 1;
  const badPath = join(work, "tampered.deb");
  writeFileSync(badPath, tampered);
  assert.notEqual(verify(badPath).status, 0);
  // re-signing a dpkg-deb package: build one with dpkg-deb, sign it, debsig-verify accepts
  const root = join(work, "pkgroot");
  mkdirSync(join(root, "DEBIAN"), { recursive: true });
  mkdirSync(join(root, "usr/share/foo"), { recursive: true });
  writeFileSync(join(root, "usr/share/foo/data"), "data\n");
  writeFileSync(
    join(root, "DEBIAN/control"),
    "Package: foo\nVersion: 1.0\nArchitecture: all\nMaintainer: A <a@example.org>\nDescription: foo\n",
  );
  const native = join(work, "native.deb");
  run("dpkg-deb", ["--root-owner-group", "-Zxz", "-b", root, native], { env });
  const resigned = join(work, "resigned.deb");
  writeFileSync(resigned, await collect(resignDeb(bytesSource(readFileSync(native)), signer)));
  const r2 = verify(resigned);
  assert.equal(r2.status, 0, r2.stdout + r2.stderr);
  run("dpkg-deb", ["--contents", resigned], { env });
});

test("the reader reads dpkg-deb output with gzip, xz, zstd and uncompressed members", async (t) => {
  if (!needTool(t, "dpkg-deb")) return;
  const root = join(work, "native-root");
  mkdirSync(join(root, "DEBIAN"), { recursive: true });
  mkdirSync(join(root, "etc/foo"), { recursive: true });
  mkdirSync(join(root, "usr/bin"), { recursive: true });
  writeFileSync(join(root, "etc/foo/foo.conf"), "a=1\n");
  writeFileSync(join(root, "usr/bin/foo"), "#!/bin/sh\n", { mode: 0o755 });
  writeFileSync(join(root, "DEBIAN/conffiles"), "/etc/foo/foo.conf\n");
  writeFileSync(join(root, "DEBIAN/postinst"), "#!/bin/sh\nexit 0\n", { mode: 0o755 });
  writeFileSync(
    join(root, "DEBIAN/control"),
    "Package: foo\nVersion: 1:2.0~rc1-3\nArchitecture: amd64\nMaintainer: A <a@example.org>\nDepends: libc6 (>= 2.34), a | b (<< 2)\nDescription: foo\n long\n .\n text\n",
  );
  for (const z of ["gzip", "xz", "zstd", "none"]) {
    const path = join(work, `native-${z}.deb`);
    run("dpkg-deb", ["--root-owner-group", `-Z${z}`, "-b", root, path], { env });
    const info = await readDeb(bytesSource(readFileSync(path)));
    assert.equal(info.versionString, "1:2.0~rc1-3");
    assert.deepEqual(info.version, { upstream: "2.0", prerelease: "rc1", epoch: 1, release: "3" });
    assert.equal(info.description, "long\n\ntext");
    assert.deepEqual(info.relations.depends, [
      [{ name: "libc6", op: ">=", version: "2.34" }],
      [{ name: "a" }, { name: "b", op: "<", version: "2" }],
    ]);
    const conf = info.files.find((f) => f.path === "/etc/foo/foo.conf");
    assert.deepEqual(conf?.flags, { config: true });
    assert.equal(conf?.digests.md5, createHash("md5").update("a=1\n").digest("hex"));
    assert.equal(info.files.find((f) => f.path === "/usr/bin/foo")?.mode, 0o755);
    assert.equal(info.scripts.postinstall?.body, "#!/bin/sh\nexit 0\n");
    const suffix = { gzip: ".gz", xz: ".xz", zstd: ".zst", none: "" }[z];
    assert.equal(info.raw.format === "deb" && info.raw.members[2], `data.tar${suffix}`);
  }
  assert.deepEqual(readdirSync(work).filter((f) => f.startsWith("native-") && f.endsWith(".deb")).length, 4);
});

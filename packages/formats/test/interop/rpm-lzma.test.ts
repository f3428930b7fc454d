/**
 * `rpm.compression: lzma` judged by rpm 4.18: rpm -qp and -K accept the package, rpm2cpio | cpio -t lists
 * its payload, the compressed payload equals `xz --format=lzma -6` of that cpio, it installs into a scratch
 * root and verifies clean; and an rpmbuild `w6.lzdio` package reads with our reader, with the same
 * PAYLOADCOMPRESSOR, PAYLOADFLAGS and rpmlib(PayloadIsLzma) as ours.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { bytesSource, collect } from "../../src/bytes/bytes.ts";
import { readRpm, writeRpm } from "../../src/rpm/index.ts";
import { exampleSpec } from "@packyard/testkit/example";
import { stubSpec } from "../rpm/stub.ts";
import { needRoot, needTool, run, tryRun } from "@packyard/testkit/tools";
import { rpmbuild, rpmQuery, rpmRoot } from "./rpm-tools.ts";

const dir = mkdtempSync(join(tmpdir(), "packyard-rpm-lzma-"));
after(() => rmSync(dir, { recursive: true, force: true }));

let pkg: string | undefined;
async function ours(): Promise<string> {
  if (pkg === undefined) {
    pkg = join(dir, "hello-packyard-1.0.0-1.noarch.rpm");
    writeFileSync(pkg, await collect(writeRpm(exampleSpec(), { compression: { algo: "lzma" } })));
  }
  return pkg;
}

test("rpm -qp and rpm -K accept it; rpm2cpio | cpio -t lists the payload; the payload is xz --format=lzma -6 of it", async (t) => {
  if (!needTool(t, "rpm", "rpm2cpio", "cpio", "xz")) return;
  const path = await ours();
  assert.equal(run("rpm", ["-qp", "--qf", "%{PAYLOADCOMPRESSOR} %{PAYLOADFLAGS}", path]), "lzma 6");
  assert.match(run("rpm", ["-qip", path]), /^Name {8}: hello-packyard$/m);
  assert.ok(rpmQuery(path, "--requires").includes("rpmlib(PayloadIsLzma) <= 4.4.6-1"));
  assert.equal(run("rpm", ["-K", path]).trim(), `${path}: digests OK`);
  const cpio = spawnSync("rpm2cpio", [path], { maxBuffer: 64 << 20 });
  assert.equal(cpio.status, 0, cpio.stderr.toString());
  const listed = run("cpio", ["-t", "--quiet"], { input: cpio.stdout })
    .split("\n")
    .filter((l) => l !== "");
  const want = exampleSpec()
    .entries.map((e) => `.${e.path}`)
    .sort();
  assert.deepEqual([...listed].sort(), want);
  const info = await readRpm(bytesSource(readFileSync(path)));
  assert.ok(info.raw.format === "rpm");
  if (info.raw.format !== "rpm") return;
  const payload = readFileSync(path).subarray(info.raw.headerEnd);
  const xz = spawnSync("xz", ["--format=lzma", "-6", "-c"], { input: cpio.stdout, maxBuffer: 64 << 20 });
  assert.deepEqual(new Uint8Array(payload), new Uint8Array(xz.stdout));
});

test("installs into a scratch root, verifies clean and erases", async (t) => {
  if (!needTool(t, "rpm", "busybox") || !needRoot(t, "rpm --root chroots to run the example's scriptlets"))
    return;
  const path = await ours();
  const stub = join(dir, "stub.rpm");
  writeFileSync(stub, await collect(writeRpm(stubSpec(), {})));
  const root = rpmRoot(join(dir, "root"), stub);
  run("rpm", ["--root", root, "-i", path]);
  const verify = tryRun("rpm", ["--root", root, "-V", "hello-packyard"]);
  assert.equal(verify.stdout, "");
  assert.equal(verify.status, 0);
  const conf = exampleSpec().entries.find((e) => e.path === "/etc/hello-packyard/hello.conf");
  assert.ok(conf?.type === "file");
  assert.deepEqual(new Uint8Array(readFileSync(join(root, conf.path))), await collect(conf.content.open()));
  run("rpm", ["--root", root, "-e", "hello-packyard"]);
  assert.notEqual(tryRun("rpm", ["--root", root, "-q", "hello-packyard"]).status, 0);
});

test("an rpmbuild w6.lzdio package reads with our reader; its payload tags and rpmlib() match ours", async (t) => {
  if (!needTool(t, "rpm", "rpmbuild")) return;
  const theirs = rpmbuild(
    join(dir, "rpmbuild"),
    `Name: lz
Version: 1.0
Release: 1
Summary: lzma payload
License: MIT
BuildArch: noarch
%description
lzma payload
%install
mkdir -p %{buildroot}/usr/share/lz
printf 'hello lzma\\n' > %{buildroot}/usr/share/lz/hello.txt
%files
/usr/share/lz/hello.txt
`,
    { defines: { _binary_payload: "w6.lzdio" } },
  );
  const info = await readRpm(bytesSource(readFileSync(theirs)));
  assert.deepEqual(
    info.files.map((f) => [f.path, f.size]),
    [["/usr/share/lz/hello.txt", 11]],
  );
  const path = await ours();
  const qf = "%{PAYLOADCOMPRESSOR} %{PAYLOADFLAGS}";
  assert.equal(run("rpm", ["-qp", "--qf", qf, path]), run("rpm", ["-qp", "--qf", qf, theirs]));
  const rpmlib = (p: string) => rpmQuery(p, "--requires").filter((r) => r.startsWith("rpmlib("));
  assert.deepEqual(rpmlib(path), rpmlib(theirs));
});

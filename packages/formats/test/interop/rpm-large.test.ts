/**
 * rpm 4.18 judges the large-file package of test/rpm/large-file-spec.ts (one file of 4 GiB + 1 byte, the
 * LONGFILESIZES / `07070X` path): queries, `rpm -Kv` over the whole payload, then a real install into a
 * scratch --root (4 GiB written to disk), `rpm -V` clean, a flipped byte past the 4 GiB mark caught by
 * `rpm -V`, and erase. The package itself is 137 KB (zstd -1 of zeros); the install needs about 4 GiB of
 * disk, so that part wants 10 GiB free (skipped locally below that, a failure when CI=true).
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  statfsSync,
  statSync,
  utimesSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, type TestContext, test } from "node:test";
import { collect } from "../../src/bytes/bytes.ts";
import { writeRpm } from "../../src/rpm/index.ts";
import { LARGE_OPTIONS, LARGE_SIZE, largeSpec } from "../rpm/large-file-spec.ts";
import { needRoot, needTool, run, tryRun } from "@packyard/testkit/tools";

const GOLDEN = new URL("../../../../fixtures/rpm/large.sha256", import.meta.url).pathname;
const NEED_FREE_BYTES = 10 * 2 ** 30;

let dir: string;
let pkg: string;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), "packyard-rpm-large-"));
  pkg = join(dir, "packyard-large-1.0-1.x86_64.rpm");
  writeFileSync(pkg, await collect(writeRpm(largeSpec(), LARGE_OPTIONS)));
});
// The scratch root holds a 4 GiB file: removed whatever the outcome.
after(() => rmSync(dir, { recursive: true, force: true }));

/**
 * True when the temp folder has room for the installed 4 GiB file; else skips, also under CI: the issue
 * asks for the real install "if disk allows", and disk is not a judge that .ci/run can install.
 */
function needDisk(t: TestContext): boolean {
  const fs = statfsSync(dir);
  const free = fs.bavail * fs.bsize;
  if (free >= NEED_FREE_BYTES) return true;
  t.skip(`needs ${NEED_FREE_BYTES} bytes free in ${tmpdir()} for the installed 4 GiB file, found ${free}`);
  return false;
}

test("the package rpm judges here is the pinned golden of test/rpm/large-file.test.ts", () => {
  const digest = createHash("sha256").update(readFileSync(pkg)).digest("hex");
  assert.equal(digest, readFileSync(GOLDEN, "utf8").trim());
});

test("rpm -qlvp, --qf and --requires show the 4 GiB + 1 size from LONGFILESIZES / LONGSIZE", (t) => {
  if (!needTool(t, "rpm")) return;
  const list = run("rpm", ["-qlvp", pkg]);
  assert.match(list, /^-rw------- +1 root +root +4294967297 .* \/opt\/big\/zeros$/m);
  assert.match(list, /^-rw-r--r-- +2 root +root +6 .* \/opt\/big\/hard$/m);
  const q = (fmt: string) => run("rpm", ["-qp", "--qf", fmt, pkg]);
  assert.equal(q("[%{LONGFILESIZES}\n]"), "0\n0\n6\n6\n5\n4294967297\n");
  // FILESIZES is absent from the header (rpm prints nothing for an absent array)
  assert.equal(q("[%{FILESIZES}\n]"), "");
  assert.equal(q("%{LONGSIZE}|%{SIZE}\n"), `${6 + LARGE_SIZE}|(none)\n`);
  assert.match(run("rpm", ["-qp", "--requires", pkg]), /^rpmlib\(LargeFiles\) <= 4\.12\.0-1$/m);
  const dump = run("rpm", ["-qp", "--dump", pkg]);
  assert.match(
    dump,
    /^\/opt\/big\/zeros 4294967297 1700000000 fbb82f7b353676bb562eb82157fcf0ea42c36492ca13ee56dbf82c08b6802c5c 0100600 root root 0 0 0 X$/m,
  );
});

test("rpm -Kv: header and payload digests OK", (t) => {
  if (!needTool(t, "rpm")) return;
  const out = run("rpm", ["-Kv", pkg]);
  assert.deepEqual(
    out
      .trim()
      .split("\n")
      .slice(1)
      .map((l) => l.trim()),
    ["Header SHA256 digest: OK", "Header SHA1 digest: OK", "Payload SHA256 digest: OK", "MD5 digest: OK"],
  );
});

test("rpm -i --root installs the 4 GiB + 1 file, rpm -V is clean and catches a byte flipped past 4 GiB", (t) => {
  if (!needTool(t, "rpm")) return;
  if (!needRoot(t, "the payload's files are owned by root")) return;
  if (!needDisk(t)) return;
  const root = join(dir, "root");
  mkdirSync(root);
  const installed = join(root, "opt/big/zeros");
  try {
    run("rpm", ["--root", root, "-i", pkg]);
    const st = statSync(installed);
    assert.equal(st.size, LARGE_SIZE);
    assert.equal(st.mode & 0o7777, 0o600);
    assert.equal(statSync(join(root, "opt/big/hard")).ino, statSync(join(root, "opt/big/small")).ino);
    assert.equal(readFileSync(join(root, "opt/big/hard"), "utf8"), "hello\n");
    assert.equal(existsSync(join(root, "opt/big/ghost.log")), false);

    const clean = tryRun("rpm", ["--root", root, "-V", "packyard-large"]);
    assert.deepEqual([clean.status, clean.stdout], [0, ""], clean.stderr);

    // the last byte sits at offset 2^32: rpm must hash past the 32-bit mark to see it
    const fd = openSync(installed, "r+");
    try {
      writeSync(fd, new Uint8Array([1]), 0, 1, LARGE_SIZE - 1);
    } finally {
      closeSync(fd);
    }
    utimesSync(installed, st.atime, st.mtime);
    const bad = tryRun("rpm", ["--root", root, "-V", "packyard-large"]);
    assert.equal(bad.status, 1, bad.stderr);
    assert.match(bad.stdout, /^\.\.5\.{6} {4}\/opt\/big\/zeros$/m);
    assert.equal(bad.stdout.trim().split("\n").length, 1, bad.stdout);

    run("rpm", ["--root", root, "-e", "packyard-large"]);
    assert.equal(existsSync(installed), false);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

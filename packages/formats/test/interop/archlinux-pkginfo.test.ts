/**
 * makepkg judges the .PKGINFO lines of a package that sets no description and no URL: the real makepkg
 * (run as the unprivileged `nobody`, since it refuses root) writes `pkgdesc = ` and `url = ` between pkgver
 * and builddate, and so do we; pacman -Qip shows both packages' Description and URL the same way.
 */
import assert from "node:assert/strict";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { writeArchlinux } from "../../src/archlinux/index.ts";
import { collect } from "../../src/bytes/bytes.ts";
import { bareSpec } from "../support/bare-spec.ts";
import { needRoot, needTool, run } from "@packyard/testkit/tools";

const dir = mkdtempSync(join(tmpdir(), "packyard-arch-pkginfo-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const PKGBUILD = `pkgname=bare
pkgver=1.0
pkgrel=1
arch=('any')
options=(!strip !debug)
package() {
  install -Dm644 /dev/stdin "$pkgdir/usr/share/bare/x" <<'EOS'
x
EOS
}
`;

/** The non-comment lines of a .PKGINFO, keyed for comparison. */
const pkginfoLines = (pkg: string) =>
  run("bsdtar", ["-xOf", pkg, ".PKGINFO"])
    .split("\n")
    .filter((l) => l !== "" && !l.startsWith("#"));

test("no pkgdesc or url: our .PKGINFO has makepkg's `pkgdesc = ` and `url = ` lines at makepkg's place", async (t) => {
  if (
    !needTool(t, "makepkg", "fakeroot", "bsdtar", "pacman", "runuser") ||
    !needRoot(t, "makepkg runs as nobody")
  )
    return;
  const build = join(dir, "build");
  mkdirSync(build);
  writeFileSync(join(build, "PKGBUILD"), PKGBUILD);
  for (const d of [dir, build]) chmodSync(d, 0o777);
  run(
    "runuser",
    [
      "-u",
      "nobody",
      "--",
      "env",
      `HOME=${dir}`,
      "SOURCE_DATE_EPOCH=1700000000",
      `PKGDEST=${dir}`,
      "PKGEXT=.pkg.tar.gz",
      "makepkg",
      "--nodeps",
      "--noconfirm",
      "--force",
    ],
    { cwd: build },
  );
  const theirs = join(dir, readdirSync(dir).find((f) => f.endsWith(".pkg.tar.gz"))!);
  const ours = join(dir, "ours.pkg.tar.zst");
  writeFileSync(ours, await collect(writeArchlinux(bareSpec(), {})));

  const a = pkginfoLines(ours);
  const b = pkginfoLines(theirs);
  for (const line of ["pkgdesc = ", "url = "]) {
    assert.ok(b.includes(line), `makepkg writes "${line}": ${b.join(" | ")}`);
    assert.ok(a.includes(line), `we write "${line}": ${a.join(" | ")}`);
  }
  // The same neighbours in both: pkgver, pkgdesc, url, builddate.
  const around = (lines: string[]) => {
    const i = lines.indexOf("pkgdesc = ");
    return lines.slice(i - 1, i + 3).map((l) => l.slice(0, l.indexOf(" = ")));
  };
  assert.deepEqual(around(a), around(b));
  assert.deepEqual(around(a), ["pkgver", "pkgdesc", "url", "builddate"]);

  const field = (pkg: string, name: string) =>
    new RegExp(`^${name} +: (.*)$`, "m").exec(run("pacman", ["-Qip", pkg]))?.[1];
  for (const name of ["Description", "URL"]) assert.equal(field(ours, name), field(theirs, name), name);
});

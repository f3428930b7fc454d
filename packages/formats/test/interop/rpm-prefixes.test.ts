/**
 * rpm.prefixes with files outside every prefix, as rpmbuild allows: rpm 4.18 relocates the files under a
 * prefix (`--prefix`, `--relocate`) into a scratch root and leaves the others where they were, and the
 * PREFIXES tag equals rpmbuild's for the same .spec.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { collect } from "../../src/bytes/bytes.ts";
import { type RpmOptions, writeRpm } from "../../src/rpm/index.ts";
import { needRoot, needTool, run, tryRun } from "@packyard/testkit/tools";
import { reloSpec } from "../rpm/relo-spec.ts";
import { rpmbuild, rpmRoot } from "./rpm-tools.ts";

const dir = mkdtempSync(join(tmpdir(), "packyard-rpm-prefixes-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const SPEC = reloSpec();
const OPTIONS: RpmOptions = { prefixes: ["/opt/relo", "/var/lib/relo/"] };

async function ours(): Promise<string> {
  const path = join(dir, "relo-1.0-1.noarch.rpm");
  writeFileSync(path, await collect(writeRpm(SPEC, OPTIONS)));
  return path;
}

const ROOT_FOR = "rpm --root installs into a scratch root";

const read = (root: string, p: string) => readFileSync(join(root, p), "utf8");

test("rpm -i --relocate moves the files under each prefix and leaves the others where they were", async (t) => {
  if (!needTool(t, "rpm") || !needRoot(t, ROOT_FOR)) return;
  const pkg = await ours();
  const root = rpmRoot(join(dir, "relocate"));
  run("rpm", [
    "--root",
    root,
    "-i",
    "--relocate",
    "/opt/relo=/opt/elsewhere",
    "--relocate",
    "/var/lib/relo=/srv/relo",
    pkg,
  ]);
  assert.equal(read(root, "opt/elsewhere/bin/relo"), "#!/bin/sh\necho relo\n");
  assert.equal(read(root, "srv/relo/state"), "state\n");
  assert.equal(existsSync(join(root, "opt/relo")), false, "nothing left under the old prefix");
  assert.equal(existsSync(join(root, "var/lib/relo")), false);
  assert.equal(read(root, "etc/relo.conf"), "conf\n", "outside every prefix: not moved");
  assert.equal(read(root, "usr/share/relo/README"), "readme\n");
  assert.deepEqual(run("rpm", ["--root", root, "-ql", "relo"]).split("\n").filter(Boolean).sort(), [
    "/etc/relo.conf",
    "/opt/elsewhere",
    "/opt/elsewhere/bin/relo",
    "/srv/relo/state",
    "/usr/share/relo/README",
  ]);
  const verify = tryRun("rpm", ["--root", root, "-V", "relo"]);
  assert.equal(verify.stdout, "");
  assert.equal(verify.status, 0);
});

test("rpm -i --prefix with one prefix: the file under it moves, the file outside stays", async (t) => {
  if (!needTool(t, "rpm") || !needRoot(t, ROOT_FOR)) return;
  const path = join(dir, "relo-one.rpm");
  writeFileSync(path, await collect(writeRpm(SPEC, { prefixes: ["/opt/relo"] })));
  const root = rpmRoot(join(dir, "prefix"));
  run("rpm", ["--root", root, "-i", "--prefix", "/opt/elsewhere", path]);
  assert.equal(read(root, "opt/elsewhere/bin/relo"), "#!/bin/sh\necho relo\n");
  assert.equal(existsSync(join(root, "opt/relo")), false);
  assert.equal(read(root, "etc/relo.conf"), "conf\n");
  assert.equal(read(root, "var/lib/relo/state"), "state\n", "not a prefix here: not moved");
  assert.equal(
    run("rpm", ["--root", root, "-q", "--qf", "[%{INSTPREFIXES}\\n]", "relo"]),
    "/opt/elsewhere\n",
  );
});

test("PREFIXES and the file list equal rpmbuild's for the same .spec (which builds with files outside the prefixes)", async (t) => {
  if (!needTool(t, "rpm", "rpmbuild")) return;
  const pkg = await ours();
  const theirs = rpmbuild(
    join(dir, "rpmbuild"),
    `Name: relo
Version: 1.0
Release: 1
Summary: relocatable demo
License: MIT
BuildArch: noarch
Prefix: /opt/relo
Prefix: /var/lib/relo
%description
relocatable demo
%install
mkdir -p %{buildroot}/opt/relo/bin %{buildroot}/var/lib/relo %{buildroot}/etc %{buildroot}/usr/share/relo
printf '#!/bin/sh\\necho relo\\n' > %{buildroot}/opt/relo/bin/relo
printf 'state\\n' > %{buildroot}/var/lib/relo/state
printf 'conf\\n' > %{buildroot}/etc/relo.conf
printf 'readme\\n' > %{buildroot}/usr/share/relo/README
%files
%dir /opt/relo
/opt/relo/bin/relo
/var/lib/relo/state
%config /etc/relo.conf
/usr/share/relo/README
`,
  );
  for (const qf of ["[%{PREFIXES}\\n]", "[%{FILENAMES}\\n]"])
    assert.equal(run("rpm", ["-qp", "--qf", qf, pkg]), run("rpm", ["-qp", "--qf", qf, theirs]), qf);
});

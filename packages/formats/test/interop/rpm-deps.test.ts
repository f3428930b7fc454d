/**
 * rpm 4.18 judges the dependency data packyard writes, not only our reader: a spec with every relation
 * kind (an OR-group included), config files, `rpm.supplements` and `rpm.requires.{pre,post,preun,postun}`
 * is queried with `rpm -qp --requires/--provides/...` and `--qf` over REQUIREFLAGS, and compared both with
 * what the spec says and with what rpmbuild writes for the equivalent .spec file. The example project
 * (through the config loader, as `packyard build -p rpm` builds it) is queried with -qip, --dump,
 * --requires, --provides and --scripts and compared with its spec.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { bytesSource, collect } from "../../src/bytes/bytes.ts";
import { type RpmOptions, writeRpm } from "../../src/rpm/index.ts";
import { type PackageSpec, ROOT } from "../../src/spec/types.ts";
import { expectedInfo } from "../rpm/expected.ts";
import { exampleFromConfig } from "@packyard/testkit/example";
import { needTool, run } from "@packyard/testkit/tools";
import { AS_INSTALLED, dependencyRows, rpmbuild, rpmQuery } from "./rpm-tools.ts";

const dir = mkdtempSync(join(tmpdir(), "packyard-rpm-deps-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const text = (s: string) => bytesSource(new TextEncoder().encode(s));
const own = { owner: ROOT, group: ROOT };
const CONF = "x=1\n";
const DATA = "data\n";

/** Every relation kind packyard maps to rpm, config files, and one script per scriptlet phase. */
const SPEC: PackageSpec = {
  name: "deps-demo",
  version: { epoch: 2, upstream: "2.5.0", release: "3" },
  arch: "amd64",
  date: 1704067200,
  maintainer: "Dep Tester <deps@example.org>",
  description: "dependency demo\nEvery relation kind rpm knows.",
  license: "MIT",
  relations: {
    depends: [
      [{ name: "libfoo", op: ">=", version: "1.2" }],
      [{ name: "alt-a" }, { name: "alt-b", op: ">=", version: "2" }],
    ],
    preDepends: [[{ name: "setup-tool", op: ">=", version: "3" }]],
    recommends: [[{ name: "rec-pkg", op: ">=", version: "1" }]],
    suggests: [[{ name: "sugg-pkg" }]],
    enhances: [[{ name: "enh-pkg" }]],
    conflicts: [[{ name: "conf-pkg", op: "<", version: "2" }]],
    breaks: [[{ name: "brk-pkg", op: "<=", version: "3" }]],
    replaces: [[{ name: "old-name", op: "<", version: "2" }]],
    provides: [[{ name: "virt-demo", op: "=", version: "1.0" }]],
  },
  entries: [
    {
      type: "file",
      path: "/etc/deps-demo/demo.conf",
      mode: 0o644,
      ...own,
      flags: { config: true, noreplace: true },
      content: text(CONF),
    },
    { type: "file", path: "/usr/share/deps-demo/data.txt", mode: 0o644, ...own, content: text(DATA) },
  ],
  scripts: {
    preinstall: { body: "true\n" },
    postinstall: { body: "true\n" },
    preremove: { body: "true\n" },
    postremove: { body: "true\n" },
  },
  changelog: [],
};

const OPTIONS: RpmOptions = {
  supplements: [[{ name: "supp-pkg" }]],
  requires: {
    pre: [[{ name: "user-tool" }]],
    post: [[{ name: "post-tool", op: ">=", version: "1" }]],
    preun: [[{ name: "preun-tool" }]],
    postun: [[{ name: "postun-tool" }]],
  },
};

/** The same package as an rpmbuild .spec; AutoReqProv stays on so rpmbuild adds its config() deps. */
const RPMBUILD_SPEC = `Name: deps-demo
Epoch: 2
Version: 2.5.0
Release: 3
Summary: dependency demo
License: MIT
Requires: libfoo >= 1.2
Requires: (alt-a or alt-b >= 2)
Requires(pre): setup-tool >= 3
Requires(pre): user-tool
Requires(post): post-tool >= 1
Requires(preun): preun-tool
Requires(postun): postun-tool
Recommends: rec-pkg >= 1
Suggests: sugg-pkg
Enhances: enh-pkg
Supplements: supp-pkg
Conflicts: conf-pkg < 2
Conflicts: brk-pkg <= 3
Obsoletes: old-name < 2
Provides: virt-demo = 1.0
%description
Every relation kind rpm knows.
%install
mkdir -p %{buildroot}/etc/deps-demo %{buildroot}/usr/share/deps-demo
printf '${CONF.replace("\n", "\\n")}' > %{buildroot}/etc/deps-demo/demo.conf
printf '${DATA.replace("\n", "\\n")}' > %{buildroot}/usr/share/deps-demo/data.txt
%pre
true
%post
true
%preun
true
%postun
true
%files
%config(noreplace) /etc/deps-demo/demo.conf
/usr/share/deps-demo/data.txt
`;

const QUERIES = [
  "requires",
  "provides",
  "conflicts",
  "obsoletes",
  "recommends",
  "suggests",
  "supplements",
  "enhances",
] as const;

let ours: string | undefined;
async function ourPackage(): Promise<string> {
  if (ours === undefined) {
    ours = join(dir, "deps-demo-2.5.0-3.x86_64.rpm");
    writeFileSync(ours, await collect(writeRpm(SPEC, OPTIONS)));
  }
  return ours;
}

test("rpm -qp --requires/--provides/--conflicts/--obsoletes and the weak-dependency queries show every relation kind", async (t) => {
  if (!needTool(t, "rpm")) return;
  const pkg = await ourPackage();
  const q = (mode: string) => rpmQuery(pkg, `--${mode}`);
  const EVR = "2:2.5.0-3";

  const requires = q("requires");
  for (const want of [
    "libfoo >= 1.2",
    "(alt-a or alt-b >= 2)", // the OR-group as a rich dependency
    "setup-tool >= 3", // preDepends
    "user-tool",
    "post-tool >= 1",
    "preun-tool",
    "postun-tool",
    `config(deps-demo) = ${EVR}`,
    "rpmlib(RichDependencies) <= 4.12.0-1",
    "rpmlib(CompressedFileNames) <= 3.0.4-1",
    "rpmlib(FileDigests) <= 4.6.0-1",
  ])
    assert.ok(requires.includes(want), `requires ${want}: ${requires.join(" | ")}`);
  assert.equal(requires.filter((r) => r === "/bin/sh").length, 4, "one interpreter require per scriptlet");

  assert.deepEqual(q("provides").sort(), [
    `config(deps-demo) = ${EVR}`,
    `deps-demo = ${EVR}`,
    `deps-demo(x86-64) = ${EVR}`,
    "virt-demo = 1.0",
  ]);
  // breaks merge into Conflicts; replaces become Obsoletes.
  assert.deepEqual(q("conflicts").sort(), ["brk-pkg <= 3", "conf-pkg < 2"]);
  assert.deepEqual(q("obsoletes"), ["old-name < 2"]);
  assert.deepEqual(q("recommends"), ["rec-pkg >= 1"]);
  assert.deepEqual(q("suggests"), ["sugg-pkg"]);
  assert.deepEqual(q("supplements"), ["supp-pkg"]);
  assert.deepEqual(q("enhances"), ["enh-pkg"]);
});

test("REQUIREFLAGS:deptype: Requires(pre/post/preun/postun), interp on the scriptlet interpreters, config and rpmlib", async (t) => {
  if (!needTool(t, "rpm")) return;
  const pkg = await ourPackage();
  const rows = rpmQuery(pkg, "--qf", "[%{REQUIRENAME} %{REQUIREFLAGS:deptype}\\n]");
  const flagsOf = (name: string) =>
    rows
      .filter((r) => r.startsWith(`${name} `))
      .map((r) => r.slice(name.length + 1))
      .sort();
  assert.deepEqual(flagsOf("/bin/sh"), ["post,interp", "postun,interp", "pre,interp", "preun,interp"]);
  assert.deepEqual(flagsOf("setup-tool"), ["pre"]);
  assert.deepEqual(flagsOf("user-tool"), ["pre"]);
  assert.deepEqual(flagsOf("post-tool"), ["post"]);
  assert.deepEqual(flagsOf("preun-tool"), ["preun"]);
  assert.deepEqual(flagsOf("postun-tool"), ["postun"]);
  assert.deepEqual(flagsOf("libfoo"), ["manual"]);
  assert.deepEqual(flagsOf("(alt-a or alt-b >= 2)"), ["manual"]);
  assert.deepEqual(flagsOf("config(deps-demo)"), ["config"]);
  assert.deepEqual(flagsOf("rpmlib(RichDependencies)"), ["rpmlib"]);
});

test("rpmbuild writes the same dependency sets and flags for the equivalent .spec", async (t) => {
  if (!needTool(t, "rpm", "rpmbuild")) return;
  const pkg = await ourPackage();
  const theirs = rpmbuild(join(dir, "rpmbuild"), RPMBUILD_SPEC, {
    target: "x86_64",
    defines: { ...AS_INSTALLED, _binary_payload: "w6.gzdio" },
  });
  for (const mode of QUERIES) {
    const a = rpmQuery(theirs, `--${mode}`).sort();
    assert.ok(a.length > 0, `rpmbuild's package has ${mode}`);
    assert.deepEqual(rpmQuery(pkg, `--${mode}`).sort(), a, `--${mode}`);
  }
  // Flags as numbers, for every dependency tag rpm has.
  for (const tag of [
    "REQUIRE",
    "PROVIDE",
    "CONFLICT",
    "OBSOLETE",
    "RECOMMEND",
    "SUGGEST",
    "SUPPLEMENT",
    "ENHANCE",
  ])
    assert.deepEqual(dependencyRows(pkg, tag), dependencyRows(theirs, tag), tag);
});

test("the example (through the config loader): rpm -qip, --dump, --requires, --provides and --scripts match its spec", async (t) => {
  if (!needTool(t, "rpm")) return;
  const { spec, options } = await exampleFromConfig<RpmOptions>("rpm");
  const pkg = join(dir, "hello-packyard-1.0.0-1.noarch.rpm");
  writeFileSync(pkg, await collect(writeRpm(spec, options)));
  const want = await expectedInfo(spec, "rpm");

  const info = run("rpm", ["-qip", pkg]);
  const field = (k: string) => new RegExp(`^${k} *: (.*)$`, "m").exec(info)?.[1];
  assert.equal(field("Name"), "hello-packyard");
  assert.equal(field("Version"), "1.0.0");
  assert.equal(field("Release"), "1");
  assert.equal(field("Epoch"), undefined);
  assert.equal(field("Architecture"), "noarch");
  assert.equal(field("License"), spec.license);
  assert.equal(field("Summary"), spec.description?.split("\n")[0]);
  assert.equal(field("Group"), spec.section);
  assert.equal(field("Packager"), spec.maintainer);
  assert.equal(field("URL"), spec.homepage);
  assert.equal(field("Build Host"), "localhost");
  assert.equal(run("rpm", ["-qp", "--qf", "%{BUILDTIME}", pkg]), String(spec.date));
  // Size = the sum of the regular files' sizes, counted from the spec's contents.
  let size = 0;
  for (const e of spec.entries) if (e.type === "file") size += e.content.size;
  assert.equal(field("Size"), String(size));
  const description = info.slice(info.indexOf("Description :\n") + "Description :\n".length);
  // DESCRIPTION holds the whole description, as nfpm writes it (the first line is also the summary).
  assert.equal(description.trimEnd(), spec.description?.trimEnd());

  // --dump: path size mtime digest mode owner group isconfig isdoc rdev linkto, one row per spec entry.
  const rows = rpmQuery(pkg, "--dump").map((l) => l.split(" "));
  const entries = [...spec.entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  assert.deepEqual(
    rows.map((r) => r[0]),
    entries.map((e) => e.path),
  );
  for (const [i, r] of rows.entries()) {
    const e = entries[i]!;
    const f = want.files[i]!;
    const [path, sz, mtime, digest, mode, owner, group, isConfig, isDoc, , linkTo] = r;
    assert.equal(Number(mtime), spec.date, path);
    assert.equal(owner, "root", path);
    assert.equal(group, "root", path);
    assert.equal(isConfig, e.flags?.config ? "1" : "0", path);
    // rpmbuild marks regular files under /usr/share/{doc,man} as %doc.
    const doc = e.type === "file" && /^\/usr\/share\/(doc|man)\//.test(e.path);
    assert.equal(isDoc, doc ? "1" : "0", path);
    if (e.type === "file") {
      assert.equal(Number(sz), e.content.size, path);
      assert.equal(Number.parseInt(mode!, 8), 0o100000 | e.mode, path);
      assert.equal(digest, f.digests.sha256, path);
    } else if (e.type === "symlink") {
      assert.equal(linkTo, e.target, path);
      assert.equal(Number.parseInt(mode!, 8), 0o120777, path);
    } else if (e.type === "dir") {
      assert.equal(Number.parseInt(mode!, 8), 0o040000 | e.mode, path);
    }
  }

  // No relations in the example: requires are the interpreter, config() and rpmlib() features only.
  const requires = rpmQuery(pkg, "--requires");
  assert.deepEqual(
    requires.filter((r) => !r.startsWith("rpmlib(")),
    ["/bin/sh", "/bin/sh", "/bin/sh", "/bin/sh", "config(hello-packyard) = 1.0.0-1"],
  );
  assert.ok(requires.includes("rpmlib(CompressedFileNames) <= 3.0.4-1"));
  assert.ok(!requires.includes("rpmlib(RichDependencies) <= 4.12.0-1"), "no OR-group, no rich deps");
  // noarch: no arch-qualified self-provide.
  assert.deepEqual(rpmQuery(pkg, "--provides").sort(), [
    "config(hello-packyard) = 1.0.0-1",
    "hello-packyard = 1.0.0-1",
  ]);

  const scripts = run("rpm", ["-qp", "--scripts", pkg]);
  const labels = {
    preinstall: "preinstall",
    postinstall: "postinstall",
    preremove: "preuninstall",
    postremove: "postuninstall",
  };
  for (const [kind, label] of Object.entries(labels)) {
    const body = spec.scripts[kind as keyof typeof labels]?.body;
    assert.ok(body, `the example has a ${kind} script`);
    assert.ok(scripts.includes(`${label} scriptlet (using /bin/sh):\n${body}`), `${kind}:\n${scripts}`);
  }
  assert.equal([...scripts.matchAll(/scriptlet \(using/g)].length, 4);
});

/** rpmmd/info: what createrepo_c takes from a header, its dependency filtering, files and changelog. */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { ChangelogInfo, PackageInfo } from "@packyard/formats";
import { exampleSpec } from "@packyard/testkit/example";
import { isRepoError } from "../../src/errors.ts";
import type { RpmDepEntry } from "../../src/publish/state.ts";
import { compareLibcDependency, rpmIndexInfo, splitDependencyEvr } from "../../src/rpmmd/info.ts";
import { dep, withDeps, writtenRpm } from "./support.ts";

// RPMSENSE bits (rpm include/rpm/rpmds.h), spelled out here so the tests do not share the code's table.
const LT = 2;
const GT = 4;
const EQ = 8;
const POSTTRANS = 1 << 5;
const PREREQ = 1 << 6;
const PRETRANS = 1 << 7;
const INTERP = 1 << 8;
const SCRIPT_PRE = 1 << 9;
const SCRIPT_POST = 1 << 10;
const SCRIPT_PREUN = 1 << 11;
const SCRIPT_POSTUN = 1 << 12;
const SCRIPT_VERIFY = 1 << 13;
const MISSINGOK = 1 << 19;
const RPMLIB = 1 << 24;
const CONFIG = 1 << 28;

const base = (await writtenRpm()).info;
const limit10 = { changelogLimit: 10 };

function throwsCode(code: string) {
  return (e: unknown) => isRepoError(e) && e.code === code;
}

test("the package's own fields come from the header (epoch 0 when none, empty strings when absent)", async () => {
  const { info } = await writtenRpm(exampleSpec()); // the example has no vendor
  const r = rpmIndexInfo(info, limit10);
  assert.equal(info.raw.format, "rpm");
  if (info.raw.format !== "rpm") return;
  assert.equal(r.name, info.name);
  assert.equal(r.arch, info.archString);
  assert.equal(r.epoch, "0");
  assert.equal(`${r.ver}-${r.rel}`, info.versionString);
  assert.equal(r.summary, info.summary);
  assert.equal(r.description, info.description);
  assert.equal(r.packager, info.maintainer);
  assert.equal(r.url, info.homepage);
  assert.equal(r.license, info.license);
  assert.equal(r.vendor, "");
  assert.equal(r.group, info.section);
  assert.equal(r.buildhost, info.raw.buildhost);
  assert.equal(r.sourcerpm, info.raw.sourcerpm);
  assert.equal(r.buildTime, info.buildDate);
  assert.equal(r.installedSize, info.installedSize);
  assert.equal(r.archiveSize, info.raw.archiveSize);
  assert.deepEqual(r.headerRange, { start: info.raw.headerStart, end: info.raw.headerEnd });
});

test("epoch, version and release are taken apart exactly (epoch, dots, tilde, caret)", async () => {
  const { info } = await writtenRpm(
    exampleSpec({
      version: { epoch: 7, upstream: "2.0", prerelease: "rc1", metadata: "g1", release: "3.el9" },
    }),
  );
  const r = rpmIndexInfo(info, limit10);
  assert.equal(r.epoch, "7");
  assert.equal(`${r.epoch}:${r.ver}-${r.rel}`, info.versionString);
  assert.equal(r.rel, "3.el9");
  assert.match(r.ver, /^2\.0~rc1\+g1$/);
});

test("header range: a new start (re-signed package) keeps the main header's length", () => {
  if (base.raw.format !== "rpm") throw new Error("not an rpm");
  const length = base.raw.headerEnd - base.raw.headerStart;
  const r = rpmIndexInfo(base, { headerStart: 5000, changelogLimit: 10 });
  assert.deepEqual(r.headerRange, { start: 5000, end: 5000 + length });
});

test("a source package (no SOURCERPM) is listed with arch src", () => {
  if (base.raw.format !== "rpm") throw new Error("not an rpm");
  const { sourcerpm: _, ...raw } = base.raw;
  const r = rpmIndexInfo({ ...base, raw }, limit10);
  assert.equal(r.arch, "src");
  assert.equal(r.sourcerpm, "");
});

test("a PackageInfo that is not an rpm's is CORRUPT_PACKAGE", () => {
  const deb: PackageInfo = {
    ...base,
    format: "deb",
    raw: { format: "deb", control: "Package: x\n", members: [] },
  };
  assert.throws(() => rpmIndexInfo(deb, limit10), throwsCode("CORRUPT_PACKAGE"));
});

test("a bad changelog limit is INVALID_SETTING", () => {
  for (const l of [-1, 1.5, Number.NaN])
    assert.throws(() => rpmIndexInfo(base, { changelogLimit: l }), throwsCode("INVALID_SETTING"));
});

const names = (list: RpmDepEntry[]) => list.map((e) => e.name);

test("requires: rpmlib() dropped, own primary files dropped, own other paths and foreign paths kept", () => {
  const files = [
    { path: "/etc/app.conf" },
    { path: "/usr/bin/app" },
    { path: "/usr/lib/sendmail" },
    { path: "/opt/app/data" },
    { path: "/etc/app.d", type: "dir" as const },
    { path: "/etc/app.state", ghost: true },
  ];
  const info = withDeps(
    base,
    {
      requires: [
        dep("rpmlib(CompressedFileNames)", RPMLIB | LT | EQ, "3.0.4-1"),
        dep("/etc/app.conf"),
        dep("/usr/bin/app"),
        dep("/usr/lib/sendmail"),
        dep("/etc/app.d"),
        dep("/etc/app.state"),
        dep("/opt/app/data"),
        dep("/usr/bin/other"),
        dep("/etc/other.conf"),
        dep("usr/bin/app"),
      ],
    },
    files,
  );
  assert.deepEqual(names(rpmIndexInfo(info, limit10).deps.requires), [
    "/opt/app/data",
    "/usr/bin/other",
    "/etc/other.conf",
    "usr/bin/app",
  ]);
});

test("requires identical to one of the package's provides are dropped (config() included)", () => {
  const info = withDeps(base, {
    provides: [dep("config(app)", CONFIG | EQ, "1.0-1"), dep("virt", EQ, "2.0"), dep("plain")],
    requires: [
      dep("config(app)", CONFIG | EQ, "1.0-1"),
      dep("virt", EQ, "2.0"),
      dep("virt", GT | EQ, "2.0"),
      dep("virt", EQ, "2.1"),
      dep("plain"),
      dep("plain", SCRIPT_PRE),
    ],
  });
  const r = rpmIndexInfo(info, limit10);
  assert.deepEqual(r.deps.requires, [
    { name: "virt", flags: "GE", epoch: "0", ver: "2.0" },
    { name: "virt", flags: "EQ", epoch: "0", ver: "2.1" },
  ]);
  assert.deepEqual(names(r.deps.provides), ["config(app)", "virt", "plain"]);
});

test("the provide match is createrepo_c's glued name+flags+version key", () => {
  const info = withDeps(base, { provides: [dep("a", EQ, "1")], requires: [dep("aEQ1")] });
  assert.deepEqual(rpmIndexInfo(info, limit10).deps.requires, []);
});

test("duplicate requires collapse against the last kept one of that name", () => {
  const info = withDeps(base, {
    requires: [
      dep("a"),
      dep("a"),
      dep("a", SCRIPT_PRE | INTERP),
      dep("a", SCRIPT_POST | INTERP),
      dep("b", GT | EQ, "1"),
      dep("c"),
      dep("b", GT | EQ, "1"),
      dep("b"),
      dep("b", GT | EQ, "1"),
    ],
  });
  assert.deepEqual(rpmIndexInfo(info, limit10).deps.requires, [
    { name: "a" },
    { name: "a", pre: true },
    { name: "b", flags: "GE", epoch: "0", ver: "1" },
    { name: "c" },
    { name: "b" },
    { name: "b", flags: "GE", epoch: "0", ver: "1" },
  ]);
});

test("pre is set for PREREQ, SCRIPT_PRE, SCRIPT_POST, PRETRANS, POSTTRANS only", () => {
  const cases: [number, boolean][] = [
    [PREREQ, true],
    [SCRIPT_PRE, true],
    [SCRIPT_POST, true],
    [PRETRANS, true],
    [POSTTRANS, true],
    [SCRIPT_PRE | SCRIPT_POSTUN, true],
    [SCRIPT_PREUN, false],
    [SCRIPT_POSTUN, false],
    [SCRIPT_VERIFY, false],
    [INTERP, false],
    [0, false],
  ];
  const info = withDeps(base, { requires: cases.map(([flags], i) => dep(`d${i}`, flags)) });
  const r = rpmIndexInfo(info, limit10).deps.requires;
  assert.deepEqual(
    r.map((e) => e.pre === true),
    cases.map(([, pre]) => pre),
  );
  // pre is a requires-only attribute.
  const weak = withDeps(base, { recommends: [dep("w", SCRIPT_PRE)] });
  assert.deepEqual(rpmIndexInfo(weak, limit10).deps.recommends, [{ name: "w" }]);
});

test("flags: LT GT EQ LE GE; none for 0 and for impossible mixes, and then no epoch/ver/rel", () => {
  const info = withDeps(base, {
    conflicts: [
      dep("lt", LT, "1"),
      dep("gt", GT, "1"),
      dep("eq", EQ, "1"),
      dep("le", LT | EQ, "1"),
      dep("ge", GT | EQ, "1"),
      dep("none", 0, "1"),
      dep("mix", LT | GT, "1"),
    ],
  });
  assert.deepEqual(rpmIndexInfo(info, limit10).deps.conflicts, [
    { name: "lt", flags: "LT", epoch: "0", ver: "1" },
    { name: "gt", flags: "GT", epoch: "0", ver: "1" },
    { name: "eq", flags: "EQ", epoch: "0", ver: "1" },
    { name: "le", flags: "LE", epoch: "0", ver: "1" },
    { name: "ge", flags: "GE", epoch: "0", ver: "1" },
    { name: "none" },
    { name: "mix" },
  ]);
});

test("dependency versions are split as cr_str_to_evr splits them", () => {
  assert.deepEqual(splitDependencyEvr(""), {});
  assert.deepEqual(splitDependencyEvr("1.0"), { epoch: "0", ver: "1.0" });
  assert.deepEqual(splitDependencyEvr("2:1.0-3.el9"), { epoch: "2", ver: "1.0", rel: "3.el9" });
  assert.deepEqual(splitDependencyEvr("1.0-3-4"), { epoch: "0", ver: "1.0", rel: "3-4" });
  assert.deepEqual(splitDependencyEvr(":1.0"), { epoch: "0", ver: "1.0" });
  assert.deepEqual(splitDependencyEvr("1.0-"), { epoch: "0", ver: "1.0" });
  assert.deepEqual(splitDependencyEvr("007:1"), { epoch: "007", ver: "1" });
  assert.deepEqual(splitDependencyEvr("3:"), { epoch: "3", ver: "" });
  assert.equal(splitDependencyEvr("x:1.0"), undefined);
  assert.equal(splitDependencyEvr("1.0-1:2"), undefined);
});

test("a dependency with a non-numeric epoch is left out, in every list", () => {
  const info = withDeps(base, {
    provides: [dep("p", EQ, "x:1")],
    requires: [dep("p", EQ, "x:1"), dep("ok", GT | EQ, "1:2-3")],
    obsoletes: [dep("o", LT, "bad:1")],
  });
  const r = rpmIndexInfo(info, limit10).deps;
  assert.deepEqual(r.provides, []);
  assert.deepEqual(r.requires, [{ name: "ok", flags: "GE", epoch: "1", ver: "2", rel: "3" }]);
  assert.deepEqual(r.obsoletes, []);
});

test("of the libc.so.6 requires only the highest glibc version is kept, and it goes last", () => {
  const info = withDeps(base, {
    requires: [
      dep("libc.so.6()(64bit)"),
      dep("libc.so.6(GLIBC_2.2.5)(64bit)"),
      dep("x"),
      dep("libc.so.6(GLIBC_2.14)(64bit)"),
      dep("libc.so.6(GLIBC_2.3.4)(64bit)"),
      dep("y"),
    ],
  });
  assert.deepEqual(names(rpmIndexInfo(info, limit10).deps.requires), [
    "x",
    "y",
    "libc.so.6(GLIBC_2.14)(64bit)",
  ]);
  assert.equal(compareLibcDependency("libc.so.6", "libc.so.6()"), 2);
  assert.equal(compareLibcDependency("libc.so.6()(64bit)", "libc.so.6(GLIBC_2.4)(64bit)"), 2);
  assert.equal(compareLibcDependency("libc.so.6(GLIBC_2.4)", "libc.so.6(GLIBC_2.3.4)"), 1);
  assert.equal(compareLibcDependency("libc.so.6(GLIBC_2.4)", "libc.so.6(GLIBC_2.4)(64bit)"), 0);
  assert.equal(compareLibcDependency("libc.so.6(nodigits)", "libc.so.6(GLIBC_2.4)"), 2);
});

test("a MISSINGOK require (old SUSE weak dependency) is listed first among recommends", () => {
  const info = withDeps(base, {
    requires: [dep("hard"), dep("soft", MISSINGOK)],
    recommends: [dep("rec")],
  });
  const r = rpmIndexInfo(info, limit10).deps;
  assert.deepEqual(names(r.requires), ["hard"]);
  assert.deepEqual(names(r.recommends), ["soft", "rec"]);
});

test("provides, conflicts, obsoletes and the weak lists pass through in header order, rich deps verbatim", () => {
  const info = withDeps(base, {
    provides: [dep("rpmlib(x)"), dep("/usr/bin/app")],
    conflicts: [dep("c2"), dep("c1")],
    obsoletes: [dep("o", LT | EQ, "1:0.9-3")],
    suggests: [dep("(a or b)")],
    enhances: [dep("e", EQ, "2:3.0-1")],
    recommends: [dep("(x if y)")],
    supplements: [dep("(f and g)"), dep("(f and g)")],
  });
  const r = rpmIndexInfo(info, limit10).deps;
  assert.deepEqual(names(r.provides), ["rpmlib(x)", "/usr/bin/app"]);
  assert.deepEqual(names(r.conflicts), ["c2", "c1"]);
  assert.deepEqual(r.obsoletes, [{ name: "o", flags: "LE", epoch: "1", ver: "0.9", rel: "3" }]);
  assert.deepEqual(names(r.suggests), ["(a or b)"]);
  assert.deepEqual(r.enhances, [{ name: "e", flags: "EQ", epoch: "2", ver: "3.0", rel: "1" }]);
  assert.deepEqual(names(r.recommends), ["(x if y)"]);
  assert.deepEqual(names(r.supplements), ["(f and g)", "(f and g)"]);
});

test("files: every path in header order, directories dir (even ghost ones), ghosts ghost", () => {
  const info = withDeps(base, {}, [
    { path: "/b" },
    { path: "/a", type: "dir" },
    { path: "/c", ghost: true },
    { path: "/d", type: "dir", ghost: true },
  ]);
  assert.deepEqual(rpmIndexInfo(info, limit10).files, [
    { path: "/b" },
    { path: "/a", type: "dir" },
    { path: "/c", type: "ghost" },
    { path: "/d", type: "dir" },
  ]);
});

function withChangelog(entries: ChangelogInfo[]): PackageInfo {
  return { ...base, changelog: entries };
}

test("changelog: the newest `limit` entries, written oldest first", () => {
  const entries = Array.from({ length: 14 }, (_, i) => ({
    author: `A${i}`,
    date: 2_000_000 - i * 86400,
    text: `t${i}`,
  }));
  const r = rpmIndexInfo(withChangelog(entries), limit10).changelog;
  assert.deepEqual(
    r.map((c) => c.text),
    entries
      .slice(0, 10)
      .map((e) => e.text)
      .reverse(),
  );
  assert.deepEqual(rpmIndexInfo(withChangelog(entries), { changelogLimit: 0 }).changelog, []);
  assert.equal(rpmIndexInfo(withChangelog(entries), { changelogLimit: 100 }).changelog.length, 14);
});

test("changelog: entries sharing a date are spread a second apart, the newer ones later", () => {
  const e = (text: string, date: number) => ({ author: "A", date, text });
  const r = rpmIndexInfo(
    withChangelog([e("n", 500), e("m", 100), e("l", 100), e("k", 100), e("j", 50)]),
    limit10,
  );
  assert.deepEqual(
    r.changelog.map((c) => [c.text, c.date]),
    [
      ["j", 50],
      ["k", 100],
      ["l", 101],
      ["m", 102],
      ["n", 500],
    ],
  );
});

test("changelog: the author is CHANGELOGNAME again (` - version` put back), trailing spaces trimmed", () => {
  const r = rpmIndexInfo(
    withChangelog([
      { author: "Jane <j@x>", version: "1.0-1", date: 3, text: "a" },
      { author: "Bob <b@x>   ", date: 2, text: "b" },
      { author: " ", date: 1, text: "c" },
    ]),
    limit10,
  );
  assert.deepEqual(
    r.changelog.map((c) => c.author),
    [" ", "Bob <b@x>", "Jane <j@x> - 1.0-1"],
  );
});

test("a C0 control or U+FFFE in a written field is CORRUPT_PACKAGE; one in a dropped require is not", () => {
  assert.throws(
    () => rpmIndexInfo({ ...base, summary: "bell\u0007" }, limit10),
    throwsCode("CORRUPT_PACKAGE"),
  );
  assert.throws(
    () => rpmIndexInfo(withChangelog([{ author: "A", date: 1, text: "x\ufffe" }]), limit10),
    throwsCode("CORRUPT_PACKAGE"),
  );
  assert.throws(
    () => rpmIndexInfo(withDeps(base, {}, [{ path: "/usr/share/a\u001bb" }]), limit10),
    throwsCode("CORRUPT_PACKAGE"),
  );
  assert.throws(
    () => rpmIndexInfo(withDeps(base, { requires: [dep("x\u0001")] }), limit10),
    throwsCode("CORRUPT_PACKAGE"),
  );
  // createrepo_c checks what it writes: rpmlib() requires are gone before the check.
  const ok = rpmIndexInfo(withDeps(base, { requires: [dep("rpmlib(\u0001)")] }), limit10);
  assert.deepEqual(ok.deps.requires, []);
  // TAB, LF and CR are text.
  assert.equal(rpmIndexInfo({ ...base, description: "a\tb\r\nc" }, limit10).description, "a\tb\r\nc");
});

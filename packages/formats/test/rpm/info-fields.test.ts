/**
 * The PackageInfo fields repository indexes need, read back from rpms our writer made: the changelog
 * (author / version split), every dependency list verbatim with flags and phases, supplements among the
 * neutral relations, SOURCERPM / BUILDHOST, and archiveSize measured by decompressing the payload here.
 * Expected values are written out from the spec with rpmds.h's flag numbers, not with the writer's helpers.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { gunzipSync, zstdDecompressSync } from "node:zlib";
import { bytesSource, collect } from "../../src/bytes/bytes.ts";
import { FormatError } from "../../src/errors.ts";
import type { PackageInfo, RpmDependency } from "../../src/info/types.ts";
import { readChangelog, splitChangelogName } from "../../src/rpm/changelog-info.ts";
import { readDependencies } from "../../src/rpm/deps-info.ts";
import {
  decodeHeader,
  encodeHeader,
  type HeaderEntry,
  REGION_IMMUTABLE,
  RPM_TYPE,
  readRpm,
  TAG,
  writeRpm,
} from "../../src/rpm/index.ts";
import type { RpmOptions } from "../../src/rpm/options.ts";
import { type PackageSpec, ROOT } from "../../src/spec/types.ts";

// include/rpm/rpmds.h rpmsenseFlags_e
const LESS = 2;
const GREATER = 4;
const EQUAL = 8;
const POSTTRANS = 1 << 5;
const PRETRANS = 1 << 7;
const INTERP = 1 << 8;
const SCRIPT_PRE = 1 << 9;
const SCRIPT_POST = 1 << 10;
const SCRIPT_PREUN = 1 << 11;
const SCRIPT_POSTUN = 1 << 12;
const SCRIPT_VERIFY = 1 << 13;
const RPMLIB = 1 << 24;
const CONFIG = 1 << 28;

const text = (s: string) => bytesSource(new TextEncoder().encode(s));
const own = { owner: ROOT, group: ROOT };

const SPEC: PackageSpec = {
  name: "info-fields",
  version: { epoch: 1, upstream: "2.1.0", release: "4" },
  arch: "amd64",
  date: 1704153600,
  maintainer: "Jane Doe <jane@example.org>",
  description: "index fields\nWhat repository indexes read from an rpm.",
  license: "MIT",
  relations: {
    depends: [
      [{ name: "libfoo", op: ">=", version: "1.2" }],
      [{ name: "alt-a" }, { name: "alt-b", op: ">=", version: "2" }],
    ],
    preDepends: [[{ name: "setup-tool", op: ">=", version: "3" }]],
    recommends: [[{ name: "rec-pkg", op: ">=", version: "1" }]],
    suggests: [[{ name: "sugg-pkg" }]],
    enhances: [[{ name: "enh-pkg", op: ">", version: "0.5" }]],
    conflicts: [[{ name: "conf-pkg", op: "<", version: "2" }]],
    replaces: [[{ name: "old-name", op: "<=", version: "1.1" }]],
    provides: [[{ name: "virt-demo", op: "=", version: "1.0" }]],
  },
  entries: [
    {
      type: "file",
      path: "/etc/info-fields.conf",
      mode: 0o644,
      ...own,
      flags: { config: true },
      content: text("x=1\n"),
    },
    {
      type: "file",
      path: "/usr/share/info-fields/data.txt",
      mode: 0o644,
      ...own,
      content: text("data ".repeat(300)),
    },
  ],
  scripts: {
    pretrans: { body: "true\n" },
    preinstall: { body: "true\n" },
    postinstall: { body: "true\n" },
    verify: { body: "exit 0\n" },
  },
  changelog: [
    {
      version: "2.1.0-4",
      date: 1704153600,
      author: "Jane Doe <jane@example.org>",
      changes: ["second", "and more"],
    },
    { version: "1.0.0", date: 1704067200, author: "Team - Example <team@example.org>", changes: ["first"] },
  ],
};

const OPTIONS: RpmOptions = {
  buildhost: "build.example.org",
  supplements: [[{ name: "supp-pkg", op: ">=", version: "2" }]],
  requires: {
    pre: [[{ name: "user-tool" }]],
    post: [[{ name: "post-tool", op: ">=", version: "1" }]],
    preun: [[{ name: "un-tool" }]],
    postun: [[{ name: "un-tool" }]],
    pretrans: [[{ name: "pt-tool" }]],
    posttrans: [[{ name: "ptt-tool" }]],
  },
};

const EVR = "1:2.1.0-4";
const dep = (name: string, flags: number, version: string, phases: RpmDependency["phases"]) => ({
  name,
  flags,
  version,
  phases,
});
/** Sorted by name, flags, version so lists compare as multisets (order is checked separately). */
const sorted = (list: readonly RpmDependency[]) =>
  [...list].sort((a, b) =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : a.flags - b.flags || (a.version < b.version ? -1 : 1),
  );

async function build(options: RpmOptions = OPTIONS): Promise<{ bytes: Uint8Array; info: PackageInfo }> {
  const bytes = await collect(writeRpm(SPEC, options));
  return { bytes, info: await readRpm(bytesSource(bytes)) };
}

function rawOf(info: PackageInfo) {
  assert.equal(info.raw.format, "rpm");
  if (info.raw.format !== "rpm") throw new Error("not rpm");
  return info.raw;
}

test("changelog: newest first, author and version split at the last ' - ', text as written", async () => {
  const { info } = await build();
  assert.deepEqual(info.changelog, [
    {
      author: "Jane Doe <jane@example.org>",
      version: "2.1.0-4",
      date: 1704153600,
      text: "- second\n- and more",
    },
    // the author's own " - " stays in the author: only the last one is followed by a version
    { author: "Team - Example <team@example.org>", version: "1.0.0", date: 1704067200, text: "- first" },
  ]);
  const none = await readRpm(bytesSource(await collect(writeRpm({ ...SPEC, changelog: [] }, OPTIONS))));
  assert.deepEqual(none.changelog, []);
});

test("splitChangelogName keeps names whose tail is not a version whole", () => {
  assert.deepEqual(splitChangelogName("A <a@x.org> - 2:1.0~rc1-3.fc40"), {
    author: "A <a@x.org>",
    version: "2:1.0~rc1-3.fc40",
  });
  assert.deepEqual(splitChangelogName("A <a@x.org> - 1.0.0-rc.1+b2"), {
    author: "A <a@x.org>",
    version: "1.0.0-rc.1+b2",
  });
  for (const whole of [
    "John Smith <john@example.org> 1.0-1",
    "Jane - Team",
    "Jane <j@x.org> - see below",
    "Jane <j@x.org> - ",
    " - 1.0",
  ])
    assert.deepEqual(splitChangelogName(whole), { author: whole }, whole);
});

test("requires: verbatim, with the phases of pre/post/preun/postun/pretrans/posttrans, verify and interp", async () => {
  const { info } = await build();
  const { requires } = rawOf(info).dependencies;
  const want = [
    dep("libfoo", GREATER | EQUAL, "1.2", []),
    dep("(alt-a or alt-b >= 2)", 0, "", []),
    dep("setup-tool", SCRIPT_PRE | GREATER | EQUAL, "3", ["pre"]),
    dep("user-tool", SCRIPT_PRE, "", ["pre"]),
    dep("post-tool", SCRIPT_POST | GREATER | EQUAL, "1", ["post"]),
    dep("un-tool", SCRIPT_PREUN, "", ["preun"]),
    dep("un-tool", SCRIPT_POSTUN, "", ["postun"]),
    dep("pt-tool", PRETRANS, "", ["pretrans"]),
    dep("ptt-tool", POSTTRANS, "", ["posttrans"]),
    // one interpreter requirement per scriptlet
    dep("/bin/sh", INTERP | PRETRANS, "", ["pretrans", "interp"]),
    dep("/bin/sh", INTERP | SCRIPT_PRE, "", ["pre", "interp"]),
    dep("/bin/sh", INTERP | SCRIPT_POST, "", ["post", "interp"]),
    dep("/bin/sh", INTERP | SCRIPT_VERIFY, "", ["verify", "interp"]),
    // a %config file: config(N) = EVR is required and provided
    dep("config(info-fields)", CONFIG | EQUAL, EVR, []),
  ];
  const rpmlib = requires.filter((d) => d.name.startsWith("rpmlib("));
  assert.deepEqual(sorted(requires.filter((d) => !d.name.startsWith("rpmlib("))), sorted(want));
  // rpmlib() features are kept too: RPMLIB|LESS|EQUAL, no phases; the OR-group needs RichDependencies.
  assert.ok(
    rpmlib.some((d) => d.name === "rpmlib(RichDependencies)"),
    JSON.stringify(rpmlib),
  );
  for (const d of rpmlib) {
    assert.equal(d.flags, RPMLIB | LESS | EQUAL, d.name);
    assert.deepEqual(d.phases, [], d.name);
  }
});

test("the other lists verbatim: self-provides, config() provide, conflicts, obsoletes and the weak ones", async () => {
  const { info } = await build();
  const deps = rawOf(info).dependencies;
  assert.deepEqual(
    sorted(deps.provides),
    sorted([
      dep("info-fields", EQUAL, EVR, []),
      dep("info-fields(x86-64)", EQUAL, EVR, []),
      dep("config(info-fields)", CONFIG | EQUAL, EVR, []),
      dep("virt-demo", EQUAL, "1.0", []),
    ]),
  );
  assert.deepEqual(deps.conflicts, [dep("conf-pkg", LESS, "2", [])]);
  assert.deepEqual(deps.obsoletes, [dep("old-name", LESS | EQUAL, "1.1", [])]);
  assert.deepEqual(deps.recommends, [dep("rec-pkg", GREATER | EQUAL, "1", [])]);
  assert.deepEqual(deps.suggests, [dep("sugg-pkg", 0, "", [])]);
  assert.deepEqual(deps.supplements, [dep("supp-pkg", GREATER | EQUAL, "2", [])]);
  assert.deepEqual(deps.enhances, [dep("enh-pkg", GREATER, "0.5", [])]);
});

test("dependency lists keep the header's order", async () => {
  const { bytes, info } = await build();
  const raw = rawOf(info);
  const h = decodeHeader(bytes.slice(raw.headerStart, raw.headerEnd), raw.headerStart, REGION_IMMUTABLE);
  const names = (tag: number) => {
    const e = h.entries.get(tag);
    return e?.type === RPM_TYPE.STRING_ARRAY ? e.value : [];
  };
  assert.deepEqual(
    raw.dependencies.requires.map((d) => d.name),
    names(TAG.REQUIRENAME),
  );
  assert.deepEqual(
    raw.dependencies.provides.map((d) => d.name),
    names(TAG.PROVIDENAME),
  );
});

test("relations: supplements from SUPPLEMENT*, the neutral mapping for the rest", async () => {
  const { info } = await build();
  assert.deepEqual(info.relations.supplements, [[{ name: "supp-pkg", op: ">=", version: "2" }]]);
  // Only SCRIPT_PRE requires are preDepends; rpmlib(), interpreters and config() are not relations.
  assert.deepEqual(info.relations.preDepends, [
    [{ name: "setup-tool", op: ">=", version: "3" }],
    [{ name: "user-tool" }],
  ]);
  const depends = info.relations.depends?.map((g) => g.map((r) => r.name).join("|")).sort();
  assert.deepEqual(depends, [
    "alt-a|alt-b",
    "libfoo",
    "post-tool",
    "pt-tool",
    "ptt-tool",
    "un-tool",
    "un-tool",
  ]);
  assert.deepEqual(info.relations.provides, [[{ name: "virt-demo", op: "=", version: "1.0" }]]);
  const noSupplements = await readRpm(
    bytesSource(await collect(writeRpm(SPEC, { ...OPTIONS, supplements: [] }))),
  );
  assert.equal(noSupplements.relations.supplements, undefined);
});

test("sourcerpm and buildhost as the header has them", async () => {
  const { info } = await build();
  assert.equal(rawOf(info).sourcerpm, "info-fields-2.1.0-4.src.rpm");
  assert.equal(rawOf(info).buildhost, "build.example.org");
});

test("archiveSize is the size of the decompressed cpio payload (gzip and zstd)", async () => {
  for (const [algo, inflate] of [
    ["gzip", gunzipSync],
    ["zstd", zstdDecompressSync],
  ] as const) {
    const { bytes, info } = await build({ ...OPTIONS, compression: { algo } });
    const raw = rawOf(info);
    const cpio = inflate(bytes.subarray(raw.headerEnd));
    assert.equal(new TextDecoder().decode(cpio.subarray(0, 6)), "070701", algo);
    assert.equal(raw.archiveSize, cpio.length, algo);
  }
});

test("a header whose parallel arrays disagree is refused, not half read", () => {
  const header = (entries: HeaderEntry[]) =>
    decodeHeader(encodeHeader(entries, REGION_IMMUTABLE), 0, REGION_IMMUTABLE);
  const changelog = header([
    { tag: TAG.CHANGELOGTIME, type: RPM_TYPE.INT32, value: [1, 2] },
    { tag: TAG.CHANGELOGNAME, type: RPM_TYPE.STRING_ARRAY, value: ["a - 1"] },
    { tag: TAG.CHANGELOGTEXT, type: RPM_TYPE.STRING_ARRAY, value: ["x", "y"] },
  ]);
  assert.throws(
    () => readChangelog(changelog),
    (e) => e instanceof FormatError && e.code === "BAD_HEADER",
  );
  const requires = header([
    { tag: TAG.REQUIREFLAGS, type: RPM_TYPE.INT32, value: [0] },
    { tag: TAG.REQUIRENAME, type: RPM_TYPE.STRING_ARRAY, value: ["a", "b"] },
  ]);
  assert.throws(
    () => readDependencies(requires),
    (e) => e instanceof FormatError && e.code === "BAD_HEADER",
  );
  // Absent FLAGS / VERSION arrays (old packages) read as unversioned.
  assert.deepEqual(
    readDependencies(header([{ tag: TAG.PROVIDENAME, type: RPM_TYPE.STRING_ARRAY, value: ["p"] }])).provides,
    [dep("p", 0, "", [])],
  );
});

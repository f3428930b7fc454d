import assert from "node:assert/strict";
import { test } from "node:test";
import { SpecError } from "../../src/errors.ts";
import { parseArch } from "../../src/spec/arch.ts";
import { normalizeDestination, parentDirs } from "../../src/spec/path.ts";
import { formatRelationDeb, parseRelation } from "../../src/spec/relation.ts";
import { ROOT, type PackageSpec } from "../../src/spec/types.ts";
import { validateSpec } from "../../src/spec/validate.ts";
import { compareSemver, parseVersion } from "../../src/spec/version.ts";

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof SpecError, `expected SpecError, got ${e}`);
    return e.code;
  }
  assert.fail("expected a SpecError");
}

test("parseVersion splits semver like nfpm", () => {
  assert.deepEqual(parseVersion("v1.0.0-0.1.b1+git.abcdefgh"), {
    upstream: "1.0.0",
    prerelease: "0.1.b1",
    metadata: "git.abcdefgh",
  });
  assert.deepEqual(parseVersion("2.4"), { upstream: "2.4" });
  assert.deepEqual(parseVersion("1.2.3-rc1"), { upstream: "1.2.3", prerelease: "rc1" });
  assert.deepEqual(parseVersion("20240101.abc"), { upstream: "20240101.abc" });
  assert.deepEqual(parseVersion("v1.0.0-rc1", { schema: "none" }), { upstream: "v1.0.0-rc1" });
  assert.equal(
    code(() => parseVersion("  ")),
    "INVALID_VERSION",
  );
});

test("compareSemver follows semver precedence", () => {
  const ordered = [
    "1.0.0-alpha",
    "1.0.0-alpha.1",
    "1.0.0-alpha.beta",
    "1.0.0-beta",
    "1.0.0-beta.2",
    "1.0.0-beta.11",
    "1.0.0-rc.1",
    "1.0.0",
    "1.0.1",
    "1.10.0",
  ];
  for (let i = 0; i + 1 < ordered.length; i++) {
    const a = parseVersion(ordered[i]!);
    const b = parseVersion(ordered[i + 1]!);
    assert.equal(compareSemver(a, b), -1, `${ordered[i]} < ${ordered[i + 1]}`);
    assert.equal(compareSemver(b, a), 1);
  }
  assert.equal(compareSemver(parseVersion("1.0.0+a"), parseVersion("1.0.0+b")), 0);
});

test("parseArch maps Go, uname and distro names", () => {
  const cases: [string, string][] = [
    ["x86_64", "amd64"],
    ["aarch64", "arm64"],
    ["386", "i386"],
    ["i686", "i386"],
    ["armhf", "armv7"],
    ["arm6", "armv6"],
    ["arm5", "armv5"],
    ["noarch", "all"],
    ["loongarch64", "loong64"],
    ["ppc64el", "ppc64le"],
    ["mips64le_softfloat", "mips64le"],
  ];
  for (const [input, want] of cases) assert.equal(parseArch(input), want, input);
  assert.equal(
    code(() => parseArch("sparc")),
    "INVALID_ARCH",
  );
});

test("parseRelation reads nfpm's verbatim strings", () => {
  assert.deepEqual(parseRelation("foo (>= 1.2)"), [{ name: "foo", op: ">=", version: "1.2" }]);
  assert.deepEqual(parseRelation("foo >= 1.2"), [{ name: "foo", op: ">=", version: "1.2" }]);
  assert.deepEqual(parseRelation("foo>=1.2"), [{ name: "foo", op: ">=", version: "1.2" }]);
  assert.deepEqual(parseRelation("a | b (<< 2)"), [{ name: "a" }, { name: "b", op: "<", version: "2" }]);
  assert.deepEqual(parseRelation("python3:any"), [{ name: "python3", archQualifier: "any" }]);
  assert.deepEqual(parseRelation("perl(Foo::Bar) >= 1"), [
    { name: "perl(Foo::Bar)", op: ">=", version: "1" },
  ]);
  assert.deepEqual(parseRelation("/bin/sh"), [{ name: "/bin/sh" }]);
  assert.deepEqual(parseRelation("so:libc.musl-x86_64.so.1"), [{ name: "so:libc.musl-x86_64.so.1" }]);
  assert.deepEqual(parseRelation("pc:zlib"), [{ name: "pc:zlib" }]);
  assert.deepEqual(parseRelation("cmd:sh"), [{ name: "cmd:sh" }]);
  // A Debian package called pc, cmd or so keeps its qualifier (found by the deb round-trip property).
  assert.deepEqual(parseRelation("pc:any"), [{ name: "pc", archQualifier: "any" }]);
  assert.deepEqual(parseRelation("so:amd64"), [{ name: "so", archQualifier: "amd64" }]);
  assert.equal(
    code(() => parseRelation("a |")),
    "INVALID_RELATION",
  );
  assert.equal(
    code(() => parseRelation("foo >=")),
    "INVALID_RELATION",
  );
  assert.equal(
    code(() => parseRelation("foo bar")),
    "INVALID_RELATION",
  );
  assert.equal(formatRelationDeb(parseRelation("a (>= 1) | b:any | c (< 3)")), "a (>= 1) | b:any | c (<< 3)");
});

test("paths are normalised and escapes rejected", () => {
  assert.equal(normalizeDestination("usr//bin/./foo/"), "/usr/bin/foo");
  assert.equal(
    code(() => normalizeDestination("/usr/../etc/passwd")),
    "INVALID_PATH",
  );
  assert.equal(
    code(() => normalizeDestination("/")),
    "INVALID_PATH",
  );
  assert.deepEqual(parentDirs("/a/b/c"), ["/a", "/a/b"]);
});

function spec(entries: PackageSpec["entries"]): PackageSpec {
  return {
    name: "x",
    version: { upstream: "1" },
    arch: "amd64",
    date: 0,
    relations: {},
    entries,
    scripts: {},
    changelog: [],
  };
}
const empty = { size: 0, async *open() {} };

test("validateSpec sorts, normalises and rejects duplicates and dangling hardlinks", () => {
  const base = { mode: 0o644, owner: ROOT, group: ROOT };
  const out = validateSpec(
    spec([
      { ...base, type: "file", path: "usr/b", content: empty },
      { ...base, type: "file", path: "/usr/a", content: empty },
      { ...base, type: "hardlink", path: "/usr/c", target: "usr/a" },
    ]),
  );
  assert.deepEqual(
    out.entries.map((e) => e.path),
    ["/usr/a", "/usr/b", "/usr/c"],
  );
  assert.equal(
    code(() =>
      validateSpec(
        spec([
          { ...base, type: "dir", path: "/a" },
          { ...base, type: "dir", path: "a/" },
        ]),
      ),
    ),
    "DUPLICATE_PATH",
  );
  assert.equal(
    code(() => validateSpec(spec([{ ...base, type: "hardlink", path: "/a", target: "/b" }]))),
    "INVALID_PATH",
  );
  assert.equal(
    code(() => validateSpec(spec([{ ...base, mode: 0o10644, type: "dir", path: "/a" }]))),
    "INVALID_MODE",
  );
  assert.equal(
    code(() => validateSpec({ ...spec([]), name: "" })),
    "MISSING_FIELD",
  );
  assert.equal(
    code(() => validateSpec({ ...spec([]), maintainer: "a\nb" })),
    "INVALID_FIELD",
  );
});

/**
 * The cheap-per-entry spec checks (issue 18) against the checks as they were, kept in oracle.ts: on
 * random paths and random small specs, the new normalizeDestination, parentDirs and validateSpec give
 * the same value or throw the same error (class, code, message, data) as the old ones.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { SpecError } from "../../src/errors.ts";
import {
  isNormalDestination,
  NORMAL,
  NORMAL_HIGH,
  NOT_NORMAL,
  normalizeDestination,
  parentDirs,
  scanDestination,
} from "../../src/spec/path.ts";
import { type Entry, type PackageSpec, ROOT } from "../../src/spec/types.ts";
import { validateSpec } from "../../src/spec/validate.ts";
import { oldNormalizeDestination, oldParentDirs, oldValidateSpec } from "./oracle.ts";

type Outcome = { value: unknown } | { error: { name: string; code: string; message: string; data: unknown } };

function outcome(fn: () => unknown): Outcome {
  try {
    return { value: fn() };
  } catch (e) {
    if (!(e instanceof SpecError)) throw e;
    return { error: { name: e.name, code: e.code, message: e.message, data: e.data } };
  }
}

// Pieces that make every kind of path likely: separators, dot segments, NUL, and code units on both
// sides of where UTF-16 order and UTF-8 byte order part (a lone surrogate encodes as U+FFFD).
const piece = fc.constantFrom(
  "/",
  "/",
  "//",
  ".",
  "..",
  "a",
  "b",
  "usr",
  "x.y",
  "...",
  ".a",
  "\0",
  " ",
  "é",
  "\ud7ff",
  "\ud800",
  "\udc00",
  "\ue000",
  "\ufffd",
  "\uffff",
  "\u{10000}",
  "\u{1f600}",
);
const pathLike = fc.oneof(
  { weight: 4, arbitrary: fc.array(piece, { maxLength: 8 }).map((p) => p.join("")) },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 12 }) },
  { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom("/", ".", "a", "\0"), maxLength: 10 }) },
);

test("normalizeDestination returns and throws what the old one did, for any string", () => {
  fc.assert(
    fc.property(
      pathLike,
      fc.option(fc.constantFrom("entries[3].path", "dst"), { nil: undefined }),
      (p, field) => {
        assert.deepStrictEqual(
          outcome(() => normalizeDestination(p, field)),
          outcome(() => oldNormalizeDestination(p, field)),
        );
      },
    ),
    { numRuns: 20_000 },
  );
});

test("isNormalDestination holds exactly for the paths normalisation returns unchanged", () => {
  fc.assert(
    fc.property(pathLike, (p) => {
      const old = outcome(() => oldNormalizeDestination(p));
      const unchanged = "value" in old && old.value === p;
      assert.equal(isNormalDestination(p), unchanged);
      const scan = scanDestination(p);
      assert.equal(scan === NOT_NORMAL, !unchanged);
      if (unchanged) assert.equal(scan, /[\ud800-\uffff]/.test(p) ? NORMAL_HIGH : NORMAL);
    }),
    { numRuns: 20_000 },
  );
  // and on hand-picked edges, independently of the oracle
  for (const p of ["/a", "/a/b", "/...", "/.a/a.", "/a/.../b", "/\ud800"])
    assert.ok(isNormalDestination(p), p);
  for (const p of ["", "/", "a", "a/b", "//a", "/a/", "/./a", "/a/.", "/a/..", "/../a", "/a\0", "/a//b"]) {
    assert.ok(!isNormalDestination(p), p);
  }
});

test("parentDirs gives what the old one did, for any string", () => {
  fc.assert(
    fc.property(pathLike, (p) => assert.deepStrictEqual(parentDirs(p), oldParentDirs(p))),
    { numRuns: 20_000 },
  );
  assert.deepStrictEqual(parentDirs("/usr/share/doc/x"), ["/usr", "/usr/share", "/usr/share/doc"]);
});

const empty = { size: 0, async *open() {} };

/** A normal path from few pieces, so duplicates, hardlink hits and surrogate neighbours come up often. */
const normalPath = fc
  .array(fc.constantFrom("a", "b", "\ufffd", "\ud800", "\ue000", "\u{10000}", "é"), {
    minLength: 1,
    maxLength: 3,
  })
  .map((s) => `/${s.join("/")}`);
/** Mostly normal paths, some to be normalised (relative, `//`, `.`, trailing `/`), a few of any kind. */
const entryPath = fc.oneof(
  { weight: 12, arbitrary: normalPath },
  {
    weight: 4,
    arbitrary: fc
      .tuple(normalPath, fc.constantFrom("relative", "double", "dot", "trailing"))
      .map(([p, how]) =>
        how === "relative"
          ? p.slice(1)
          : how === "double"
            ? `/${p}`
            : how === "dot"
              ? p.replace("/", "/./")
              : `${p}/`,
      ),
  },
  { weight: 1, arbitrary: pathLike },
);
/** A valid principal, or an invalid one of each kind. */
const principal = (bad: boolean) =>
  bad
    ? fc.oneof(
        fc.record({ name: fc.constantFrom("", "a b", "a:b", "x\u00a0y"), id: fc.constant(0) }),
        fc.record({ name: fc.constant("ok"), id: fc.constantFrom(-1, 1.5, 2 ** 32, Number.NaN) }),
        fc.constantFrom(undefined, null) as fc.Arbitrary<never>,
      )
    : fc.oneof(
        { weight: 6, arbitrary: fc.constant(ROOT) },
        {
          weight: 2,
          arbitrary: fc.record({ name: fc.constantFrom("root", "daemon", "bin"), id: fc.nat(3) }),
        },
      );
/** A field made invalid in a few entries; the others are valid. */
const fault = fc.oneof(
  { weight: 24, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: fc.constantFrom("mode", "owner", "group", "mtime", "size", "symlink-target") },
);
const entry: fc.Arbitrary<Entry> = fc
  .record({
    kind: fc.constantFrom("file", "file", "dir", "symlink", "hardlink"),
    fault,
    path: entryPath,
    target: fc.oneof(
      { weight: 12, arbitrary: entryPath },
      { weight: 1, arbitrary: fc.constantFrom("", "a\0b", "../x") },
    ),
    goodMode: fc.constantFrom(0o644, 0o755, 0o7777, 0),
    badMode: fc.constantFrom(-1, 0o10000, 1.5, Number.NaN),
    goodOwner: principal(false),
    badOwner: principal(true),
    goodGroup: principal(false),
    badGroup: principal(true),
    mtime: fc.option(fc.nat(), { nil: undefined }),
    badMtime: fc.constantFrom(-1, 0.5),
    size: fc.nat(),
    badSize: fc.constantFrom(-1, 0.5, 2 ** 53),
    badLink: fc.constantFrom("", "a\0b"),
  })
  .map((r) => {
    const f = r.fault;
    const base = {
      path: r.path,
      mode: f === "mode" ? r.badMode : r.goodMode,
      owner: f === "owner" ? r.badOwner : r.goodOwner,
      group: f === "group" ? r.badGroup : r.goodGroup,
      ...(f === "mtime" ? { mtime: r.badMtime } : r.mtime === undefined ? {} : { mtime: r.mtime }),
    };
    const kind = f === "size" ? "file" : f === "symlink-target" ? "symlink" : r.kind;
    if (kind === "file")
      return { ...base, type: "file", content: { ...empty, size: f === "size" ? r.badSize : r.size } };
    if (kind === "dir") return { ...base, type: "dir" };
    if (kind === "symlink")
      return { ...base, type: "symlink", target: f === "symlink-target" ? r.badLink : r.target };
    return { ...base, type: "hardlink", target: r.target };
  });

/** Up to 8 entries; most hardlinks aim at another entry's path (as written, normal or not). */
const specEntries = fc
  .array(fc.tuple(entry, fc.option(fc.nat(), { freq: 4, nil: undefined })), { maxLength: 8 })
  .map((list) =>
    list.map(([e, aim]) =>
      e.type === "hardlink" && aim !== undefined ? { ...e, target: list[aim % list.length]![0].path } : e,
    ),
  );

function spec(entries: Entry[]): PackageSpec {
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

/** How often each outcome came up (a code, "valid", "valid with hardlinks"), to check the mix. */
const seen = new Map<string, number>();

function sameAsOracle(entries: Entry[]): void {
  const input = spec(entries);
  const before = structuredClone(entries.map((e) => ({ ...e, content: undefined })));
  const got = outcome(() => validateSpec(input));
  const kind =
    "error" in got
      ? `${got.error.code} ${got.error.message.replace(/^entries\[\d+\]|".*"|hardlink .* to be/g, "")}`
      : entries.some((e) => e.type === "hardlink") && entries.length > 2
        ? "valid with hardlinks"
        : entries.length > 2
          ? "valid"
          : "valid, short";
  seen.set(kind, (seen.get(kind) ?? 0) + 1);
  assert.deepStrictEqual(
    got,
    outcome(() => oldValidateSpec(input)),
  );
  // The input is left as it was, and an entry that needed no change is passed on as it is.
  assert.deepStrictEqual(structuredClone(entries.map((e) => ({ ...e, content: undefined }))), before);
  if ("value" in got) {
    // Each input entry is in the output as it is when its paths needed no change, else as a copy.
    // (Matched by identity, not by path: two paths can differ as strings and be the same bytes.)
    const out = (got.value as PackageSpec).entries;
    assert.notEqual(out, entries);
    let kept = 0;
    for (const src of entries) {
      const unchanged =
        oldNormalizeDestination(src.path) === src.path &&
        (src.type !== "hardlink" || oldNormalizeDestination(src.target) === src.target);
      assert.equal(
        out.includes(src),
        unchanged,
        `entry ${JSON.stringify(src.path)}: kept as it is iff unchanged`,
      );
      if (unchanged) kept++;
    }
    assert.equal(out.filter((e) => entries.includes(e)).length, kept);
  }
}

test("validateSpec gives what the old one did on random small specs", () => {
  fc.assert(fc.property(specEntries, sameAsOracle), { numRuns: 5_000 });
  // The mix reaches every branch: valid specs (with hardlinks too), and each kind of error.
  const count = (prefix: string) =>
    [...seen].filter(([k]) => k.startsWith(prefix)).reduce((n, [, c]) => n + c, 0);
  assert.ok(count("valid") >= 1000 && count("valid with hardlinks") >= 100, JSON.stringify([...seen]));
  for (const kind of [
    "DUPLICATE_PATH",
    "INVALID_PATH  a file of this package",
    "INVALID_PATH .path: a path must not contain NUL",
    "INVALID_PATH .path: expected a path inside",
    "INVALID_PATH .path: expected a file path",
    "INVALID_PATH .target: expected a link target",
    "INVALID_PATH .target: expected a path inside",
    "INVALID_MODE",
    "INVALID_FIELD .owner",
    "INVALID_FIELD .group",
    "INVALID_FIELD .mtime",
    "INVALID_FIELD .content.size",
  ]) {
    assert.ok(count(kind) >= 5, `${kind}: ${count(kind)} of 5,000`);
  }
});

test("validateSpec gives what the old one did on random valid specs long enough to merge sorted runs", () => {
  // Valid entries with unique paths, so the sort (and its stability on byte-equal paths) decides.
  const valid = fc
    .uniqueArray(
      fc
        .array(
          fc.constantFrom("a", "b", "c", "\ufffd", "\ud800", "\udbff", "\ue000", "\uffff", "\u{10000}", "é"),
          { minLength: 1, maxLength: 4 },
        )
        .map((s) => s.join("")),
      { minLength: 0, maxLength: 300, size: "max" },
    )
    .chain((names) =>
      fc.tuple(
        fc.constant(names),
        fc.array(fc.boolean(), { minLength: names.length, maxLength: names.length }),
        fc.boolean(),
      ),
    )
    .map(([names, relative, sorted]) => {
      const list = sorted ? [...names].sort() : names;
      return list.map(
        (n, i): Entry => ({
          type: "file",
          path: relative[i] ? `usr/${n}/` : `/usr/${n}`,
          mode: 0o644,
          owner: ROOT,
          group: ROOT,
          content: { ...empty, size: i },
        }),
      );
    });
  fc.assert(fc.property(valid, sameAsOracle), { numRuns: 300 });
});

test("a validated spec validates again to the same entries, kept as they are", () => {
  fc.assert(
    fc.property(specEntries, (entries) => {
      let first: PackageSpec;
      try {
        first = validateSpec(spec(entries));
      } catch {
        return;
      }
      const again = validateSpec(first);
      assert.deepStrictEqual(again, first);
      assert.ok(again.entries.every((e, i) => e === first.entries[i]));
    }),
    { numRuns: 2_000 },
  );
});

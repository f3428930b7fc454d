/**
 * fast-check generator of a package's entries, shared by every format's spec generator: unique paths
 * (unicode and long segments, so names pass 100 and 255 bytes), files, directories, symlinks and hardlinks,
 * modes, owners, mtimes and flags. Each format passes the value domains it supports (where its paths may
 * go, which modes and owners, which flags); the mechanism is the same for all:
 *
 * - paths are unique, and a path that is the parent of another becomes a directory;
 * - a hardlink points at a file of the same package that can be linked (by default not a config or ghost
 *   file), and becomes an empty file when there is none; it draws its own mode, owner and mtime, so a
 *   writer that must use the target's (one inode) is tested on that.
 */
import type { Entry, EntryFlags, Principal } from "@packyard/formats";
import { bytesSource } from "@packyard/formats";
import fc from "fast-check";

/** The kinds of entry the generator makes. */
export type EntryKind = "file" | "dir" | "symlink" | "hardlink";

/** The value domains of {@link arbEntries}; each defaults to the general-purpose one shown. */
export interface EntryDomains {
  /** Where paths start: each path is one of these followed by `/` and segments (`""` for the top). Default `["/opt/pkg"]`. */
  roots?: readonly string[];
  /** One path segment. Default: short ASCII names, some unicode ones, some of 60-120 letters. */
  segment?: fc.Arbitrary<string>;
  /** How many segments follow the root. Default 1 to 4. */
  depth?: { min: number; max: number };
  /** At most this many entries. Default 10. */
  maxEntries?: number;
  /** The kinds, drawn uniformly from this list (repeat a kind to weight it). Default file, file, dir, symlink, hardlink. */
  kinds?: readonly EntryKind[];
  /** Modes of files and hardlinks. Default 0644, 0755, 0600, 04755, 02755, 01777, 0444. */
  fileMode?: fc.Arbitrary<number>;
  /** Modes of directories. Default: a file mode with the owner's rwx added. */
  dirMode?: fc.Arbitrary<number>;
  /** The mode of every symlink. Default 0777. */
  symlinkMode?: number;
  /** Owners. Default root, daemon, nobody. */
  owner?: fc.Arbitrary<Principal>;
  /** Groups. Default: the entry's owner. */
  group?: fc.Arbitrary<Principal>;
  /** File contents. Default: 0, 1, 100, 1023, 1024, 1025 or 5000 bytes. */
  content?: fc.Arbitrary<Uint8Array>;
  /** Symlink targets. Default `../x`, `/usr/bin/env`, or 120-300 characters of letters and slashes. */
  target?: fc.Arbitrary<string>;
  /** mtimes (`undefined`: the spec's date). Default: none, or 0 to 2^32. */
  mtime?: fc.Arbitrary<number | undefined>;
  /** Flags of files. Default: none, or `{ config: true }`. */
  flags?: fc.Arbitrary<EntryFlags | undefined>;
  /** rpm `%lang` of any entry. Default: none. */
  lang?: fc.Arbitrary<string | undefined>;
  /** Which files a hardlink may point at. Default: neither config nor ghost files. */
  linkable?: (file: Entry & { type: "file" }) => boolean;
}

const PRINCIPALS: Principal[] = [
  { name: "root", id: 0 },
  { name: "daemon", id: 1 },
  { name: "nobody", id: 65534 },
];

const MODES = [0o644, 0o755, 0o600, 0o4755, 0o2755, 0o1777, 0o444];

/** The general-purpose path segment: mostly short ASCII names, some unicode, some very long. */
export const arbSegment: fc.Arbitrary<string> = fc.oneof(
  { weight: 5, arbitrary: fc.stringMatching(/^[a-z0-9_][a-z0-9_.-]{0,10}$/) },
  { weight: 2, arbitrary: fc.constantFrom("héllo", "日本語", "naïve file", "emoji-🎉", "Ünïcödé") },
  { weight: 1, arbitrary: fc.stringMatching(/^[a-z]{60,120}$/) },
);

/** `size` bytes of `x`. */
const filled = (size: number) => new Uint8Array(size).fill(0x78);

/** The entries of one package (without the implicit parents of its paths). */
export function arbEntries(domains: EntryDomains = {}): fc.Arbitrary<Entry[]> {
  const roots = domains.roots ?? ["/opt/pkg"];
  const segment = domains.segment ?? arbSegment;
  const depth = domains.depth ?? { min: 1, max: 4 };
  const owner = domains.owner ?? fc.constantFrom(...PRINCIPALS);
  const linkable = domains.linkable ?? ((f) => !f.flags?.config && !f.flags?.ghost);
  const symlinkMode = domains.symlinkMode ?? 0o777;
  const path = fc
    .tuple(fc.constantFrom(...roots), fc.array(segment, { minLength: depth.min, maxLength: depth.max }))
    .map(([root, segs]) => `${root}/${segs.join("/")}`);
  const slot = fc.record({
    kind: fc.constantFrom(...(domains.kinds ?? ["file", "file", "dir", "symlink", "hardlink"])),
    fileMode: domains.fileMode ?? fc.constantFrom(...MODES),
    dirMode: domains.dirMode ?? fc.constantFrom(...MODES).map((m) => m | 0o700),
    owner,
    group: domains.group ?? fc.constant(undefined),
    content: domains.content ?? fc.constantFrom(0, 1, 100, 1023, 1024, 1025, 5000).map(filled),
    target:
      domains.target ??
      fc.oneof(fc.constant("../x"), fc.stringMatching(/^[a-z/]{120,300}$/), fc.constant("/usr/bin/env")),
    mtime: domains.mtime ?? fc.option(fc.integer({ min: 0, max: 2 ** 32 }), { nil: undefined }),
    flags: domains.flags ?? fc.boolean().map((config) => (config ? { config } : undefined)),
    lang: domains.lang ?? fc.constant(undefined),
  });
  return fc
    .uniqueArray(path, { maxLength: domains.maxEntries ?? 10 })
    .chain((paths) =>
      fc.tuple(fc.constant(paths), fc.array(slot, { minLength: paths.length, maxLength: paths.length })),
    )
    .map(([paths, slots]) => {
      const parents = new Set<string>();
      for (const p of paths) {
        const parts = p.split("/");
        for (let i = 2; i < parts.length; i++) parents.add(parts.slice(0, i).join("/"));
      }
      const entries = paths.map((path, i): Entry => {
        const s = slots[i]!;
        const kind = parents.has(path) ? "dir" : s.kind;
        const base = {
          path,
          owner: s.owner,
          group: s.group ?? s.owner,
          ...(s.mtime !== undefined ? { mtime: s.mtime } : {}),
          ...(s.lang !== undefined ? { lang: s.lang } : {}),
        };
        if (kind === "file")
          return {
            ...base,
            type: "file",
            mode: s.fileMode,
            content: bytesSource(s.content),
            ...(s.flags !== undefined ? { flags: s.flags } : {}),
          };
        if (kind === "dir") return { ...base, type: "dir", mode: s.dirMode };
        if (kind === "symlink") return { ...base, type: "symlink", mode: symlinkMode, target: s.target };
        return { ...base, type: "hardlink", mode: s.fileMode, target: "" };
      });
      const files = entries.filter((e): e is Entry & { type: "file" } => e.type === "file" && linkable(e));
      return entries.map((e, i): Entry => {
        if (e.type !== "hardlink") return e;
        const target = files[i % Math.max(files.length, 1)];
        if (target !== undefined) return { ...e, target: target.path };
        const { target: _none, ...rest } = e;
        return { ...rest, type: "file", content: bytesSource(new Uint8Array(0)) };
      });
    });
}

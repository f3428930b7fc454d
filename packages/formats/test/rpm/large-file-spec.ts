/**
 * The large-file rpm case shared by test/rpm/large-file.test.ts (golden + structure) and
 * test/interop/rpm-large.test.ts (rpm judges the same bytes): one file of 4 GiB + 1 byte of zeros, produced
 * lazily (one shared 1 MiB chunk, never held whole), beside a directory, a small file with a hardlink, a
 * symlink and a ghost, so every kind of payload entry goes through the stripped `07070X` path.
 */
import { bytesSource } from "../../src/bytes/bytes.ts";
import type { RpmOptions } from "../../src/rpm/index.ts";
import { type ByteSource, type PackageSpec, ROOT } from "../../src/spec/types.ts";

/** 4 GiB + 1: the smallest size that needs LONGFILESIZES (rpm's 32-bit FILESIZES cannot hold it). */
export const LARGE_SIZE = 2 ** 32 + 1;

const CHUNK = 1 << 20;
const ZEROS = new Uint8Array(CHUNK);

/** A ByteSource of `size` zero bytes, generated chunk by chunk on every `open()`. */
export function zeroSource(size: number): ByteSource {
  return {
    size,
    async *open(range) {
      let left = (range?.end ?? size) - (range?.start ?? 0);
      while (left > 0) {
        const n = Math.min(CHUNK, left);
        yield n === CHUNK ? ZEROS : ZEROS.subarray(0, n);
        left -= n;
      }
    },
  };
}

/** Index of each entry in the rpm header's file arrays (entries sorted by path). */
export const LARGE_INDEX = {
  dir: 0,
  ghost: 1,
  hardlink: 2,
  small: 3,
  symlink: 4,
  zeros: 5,
} as const;

/** The spec: `/opt/big/{ghost.log,hard,small,link,zeros}` and the owned directory `/opt/big`. */
export function largeSpec(): PackageSpec {
  const own = { owner: ROOT, group: ROOT };
  return {
    name: "packyard-large",
    version: { upstream: "1.0", release: "1" },
    arch: "amd64",
    date: 1700000000,
    summary: "one file of 4 GiB + 1 byte",
    description: "Exercises the LONGFILESIZES / 07070X payload path.",
    license: "MIT",
    maintainer: "Packyard Tests <tests@example.org>",
    relations: {},
    scripts: {},
    changelog: [],
    entries: [
      { type: "dir", path: "/opt/big", mode: 0o755, ...own },
      {
        type: "file",
        path: "/opt/big/ghost.log",
        mode: 0o644,
        ...own,
        content: zeroSource(0),
        flags: { ghost: true },
      },
      { type: "hardlink", path: "/opt/big/hard", mode: 0o644, ...own, target: "/opt/big/small" },
      {
        type: "file",
        path: "/opt/big/small",
        mode: 0o644,
        ...own,
        content: bytesSource(new TextEncoder().encode("hello\n")),
      },
      { type: "symlink", path: "/opt/big/tiny-link", mode: 0o777, ...own, target: "small" },
      { type: "file", path: "/opt/big/zeros", mode: 0o600, ...own, content: zeroSource(LARGE_SIZE) },
    ],
  };
}

/** zstd level 1: the cheapest payload for 4 GiB of zeros here (about 7 s, 137 KB; gzip -1 is 9.6 s, 18 MB). */
export const LARGE_OPTIONS: RpmOptions = { compression: { algo: "zstd", level: 1 } };

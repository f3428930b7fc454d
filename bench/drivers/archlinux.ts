/**
 * Bench driver: `node bench/drivers/archlinux.ts PAYLOAD_DIR OUT.pkg.tar.zst [LEVEL|COMPRESSION]` packages the
 * folder as an Arch package with packyard's library (zstd, one stream, level 3 by default; a compression
 * string such as `zstd:3/8MiB` selects framed output on worker threads), streaming file content:
 * the writer reads each file twice (digests for .MTREE, then the tar), as makepkg does.
 */
import { createWriteStream } from "node:fs";
import type { Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { writeArchlinux } from "../../packages/formats/src/archlinux/index.ts";
import { parseCompression } from "../../packages/formats/src/compress/index.ts";
import type { PackageSpec } from "../../packages/formats/src/spec/types.ts";
import { walkTree } from "./walk.ts";

const [payload, out, level] = process.argv.slice(2);
if (payload === undefined || out === undefined) {
  process.stderr.write(
    "usage: node bench/drivers/archlinux.ts PAYLOAD_DIR OUT.pkg.tar.zst [LEVEL|COMPRESSION]\n",
  );
  process.exit(2);
}
const entries = await walkTree(payload);
const spec: PackageSpec = {
  name: "bench",
  version: { upstream: "1.0.0", release: "1" },
  arch: "amd64",
  date: 1700000000,
  description: "bench payload",
  relations: {},
  entries,
  scripts: {},
  changelog: [],
};
const compression =
  level !== undefined && !/^\d+$/.test(level)
    ? parseCompression(level, "compression")
    : { algo: "zstd" as const, level: level === undefined ? 3 : Number(level) };
const pkg = writeArchlinux(spec, { compression });
await pipeline(pkg, createWriteStream(out) as Writable);

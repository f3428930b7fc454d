/**
 * Bench driver: `node bench/drivers/rpm.ts PAYLOAD_DIR OUT.rpm [ALGO] [LEVEL]` packages the folder as an
 * rpm with packyard's library (gzip-6 by default), streaming file content through the payload spool.
 */
import { createWriteStream } from "node:fs";
import type { Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { writeRpm } from "../../packages/formats/src/rpm/index.ts";
import type { PackageSpec } from "../../packages/formats/src/spec/types.ts";
import { walkTree } from "./walk.ts";

const [payload, out, algo = "gzip", level = "6"] = process.argv.slice(2);
if (payload === undefined || out === undefined || (algo !== "gzip" && algo !== "zstd" && algo !== "xz")) {
  process.stderr.write("usage: node bench/drivers/rpm.ts PAYLOAD_DIR OUT.rpm [gzip|zstd|xz] [LEVEL]\n");
  process.exit(2);
}
// rpm, like rpmbuild's %files with the payload root listed, owns every file; directories stay unowned.
const entries = await walkTree(payload, { noDirs: true });
const spec: PackageSpec = {
  name: "bench",
  version: { upstream: "1.0.0", release: "1" },
  arch: "amd64",
  date: 1700000000,
  description: "bench payload",
  license: "MIT",
  relations: {},
  entries,
  scripts: {},
  changelog: [],
};
await pipeline(
  writeRpm(spec, { compression: { algo, level: Number(level) } }),
  createWriteStream(out) as Writable,
);

/**
 * Bench driver: `node bench/drivers/deb.ts PAYLOAD_DIR OUT.deb [gzip|zstd|xz|none] [LEVEL]` packages the
 * folder as a .deb with packyard's library (file content read once: md5 while data.tar streams; data member
 * spooled). A top-level DEBIAN/ folder (the native side's control dir) is skipped, and no docs
 * are generated, so both sides package the same tree.
 */
import { createWriteStream } from "node:fs";
import type { Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { writeDeb } from "../../packages/formats/src/deb/index.ts";
import type { PackageSpec } from "../../packages/formats/src/spec/types.ts";
import { walkTree } from "./walk.ts";

const [payload, out, algo = "gzip", level = algo === "zstd" ? "3" : "6"] = process.argv.slice(2);
if (payload === undefined || out === undefined || !["gzip", "zstd", "xz", "none"].includes(algo)) {
  process.stderr.write("usage: node bench/drivers/deb.ts PAYLOAD_DIR OUT.deb [gzip|zstd|xz|none] [LEVEL]\n");
  process.exit(2);
}
const entries = await walkTree(payload, { skipTop: ["DEBIAN"] });
const spec: PackageSpec = {
  name: "bench",
  version: { upstream: "1.0.0", release: "1" },
  arch: "amd64",
  date: 1704067200,
  maintainer: "Bench <bench@example.org>",
  description: "bench payload",
  relations: {},
  entries,
  scripts: {},
  changelog: [],
};
const compression =
  algo === "none"
    ? { algo: "none" as const }
    : { algo: algo as "gzip" | "zstd" | "xz", level: Number(level) };
await pipeline(writeDeb(spec, { compression, generateDocs: false }), createWriteStream(out) as Writable);

/**
 * Bench driver: `node bench/drivers/apk.ts PAYLOAD_DIR OUT.apk [LEVEL]` packages the folder as an
 * unsigned Alpine apk with packyard's library (file content streamed from disk, data member spooled).
 */
import { createWriteStream } from "node:fs";
import type { Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { apkFormat } from "../../packages/formats/src/apk/index.ts";
import { walkTree } from "./walk.ts";

const [root, out, level] = process.argv.slice(2);
if (root === undefined || out === undefined) {
  process.stderr.write("usage: node bench/drivers/apk.ts PAYLOAD_DIR OUT.apk [LEVEL]\n");
  process.exit(2);
}
const entries = await walkTree(root);
const spec = {
  name: "bench",
  version: { upstream: "1.0.0" },
  arch: "amd64" as const,
  date: 1704067200,
  relations: {},
  entries,
  scripts: {},
  changelog: [],
};
const bytes = apkFormat.write(spec, { gzipLevel: level === undefined ? 9 : Number(level) });
await pipeline(bytes, createWriteStream(out) as Writable);

/**
 * Bench driver: `node bench/drivers/macos.ts PAYLOAD_DIR OUT.pkg` packages the folder as a macOS product
 * archive with packyard's library (Payload = gzip-6 cpio odc, Bom, PackageInfo, Distribution). The tree is
 * installed below /usr/local (macOS forbids /usr/lib etc.), content streamed from disk, payload spooled.
 */
import { createWriteStream } from "node:fs";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { writeMacos } from "../../packages/formats/src/macos/index.ts";
import type { PackageSpec } from "../../packages/formats/src/spec/types.ts";
import { walkTree } from "./walk.ts";

const [dir, outFile] = process.argv.slice(2);
if (!dir || !outFile) throw new Error("usage: macos.ts PAYLOAD_DIR OUT.pkg");
const entries = await walkTree(dir, { prefix: "/usr/local" });
const spec: PackageSpec = {
  name: "bench",
  version: { upstream: "1.0.0" },
  arch: "all",
  date: 1_700_000_000,
  relations: {},
  changelog: [],
  scripts: {},
  entries,
};
await pipeline(Readable.from(writeMacos(spec, {})), createWriteStream(outFile));

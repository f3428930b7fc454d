/**
 * Bench driver: `node bench/drivers/deb.ts PAYLOAD_DIR OUT.deb [gzip|zstd|xz|none] [LEVEL]` packages the
 * folder as a .deb with packyard's library (file content streamed from disk twice: md5sums, then data.tar;
 * data member spooled). A top-level DEBIAN/ folder (the native side's control dir) is skipped, and no docs
 * are generated, so both sides package the same tree.
 */
import { createWriteStream, readFileSync } from "node:fs";
import { lstat, readdir, readlink } from "node:fs/promises";
import { join } from "node:path";
import type { Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { writeDeb } from "../../packages/formats/src/deb/index.ts";
import { fileSource } from "../../packages/formats/src/source/index.ts";
import { type Entry, type PackageSpec, ROOT } from "../../packages/formats/src/spec/types.ts";

const SMALL = 256 * 1024;

// Small files are read synchronously: one blocking syscall sequence beats four thread-pool round trips.
async function* readWhole(p: string): AsyncGenerator<Uint8Array> {
  const b = readFileSync(p);
  yield new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

async function walk(root: string, rel: string, out: Entry[]): Promise<void> {
  for (const name of (await readdir(join(root, rel))).sort()) {
    if (rel === "" && name === "DEBIAN") continue;
    const r = `${rel}/${name}`;
    const p = join(root, r);
    const st = await lstat(p);
    const base = { path: r, mode: st.mode & 0o7777, owner: ROOT, group: ROOT };
    if (st.isDirectory()) {
      out.push({ ...base, type: "dir" });
      await walk(root, r, out);
    } else if (st.isSymbolicLink()) out.push({ ...base, type: "symlink", target: await readlink(p) });
    else if (st.isFile()) {
      // small files in one read: a stream per file costs a 64 KiB buffer and thread-pool round trips
      const big = await fileSource(p);
      const content =
        st.size > SMALL
          ? big
          : {
              size: st.size,
              open: (range?: { start: number; end: number }) =>
                range === undefined ? readWhole(p) : big.open(range),
            };
      out.push({ ...base, type: "file", content });
    }
  }
}

const [payload, out, algo = "gzip", level = algo === "zstd" ? "3" : "6"] = process.argv.slice(2);
if (payload === undefined || out === undefined || !["gzip", "zstd", "xz", "none"].includes(algo)) {
  process.stderr.write("usage: node bench/drivers/deb.ts PAYLOAD_DIR OUT.deb [gzip|zstd|xz|none] [LEVEL]\n");
  process.exit(2);
}
const entries: Entry[] = [];
await walk(payload, "", entries);
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

/**
 * Bench driver: `node bench/drivers/rpm.ts PAYLOAD_DIR OUT.rpm [ALGO] [LEVEL]` packages the folder as an
 * rpm with packyard's library (gzip-6 by default), streaming file content through the payload spool.
 */
import { createReadStream, createWriteStream } from "node:fs";
import { lstat, readdir, readlink } from "node:fs/promises";
import { join } from "node:path";
import type { Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { writeRpm } from "../../packages/formats/src/rpm/index.ts";
import type { Entry, PackageSpec } from "../../packages/formats/src/spec/types.ts";

const root = { name: "root", id: 0 };

// rpm, like rpmbuild's %files with the payload root listed, owns every file; directories stay unowned.
async function walk(base: string, rel: string, out: Entry[]): Promise<void> {
  for (const name of (await readdir(join(base, rel))).sort()) {
    const r = `${rel}/${name}`;
    const p = join(base, r);
    const st = await lstat(p);
    const common = { path: r, mode: st.mode & 0o7777, owner: root, group: root };
    if (st.isDirectory()) await walk(base, r, out);
    else if (st.isSymbolicLink()) out.push({ ...common, type: "symlink", target: await readlink(p) });
    else if (st.isFile()) {
      const content = {
        size: st.size,
        open: (range?: { start: number; end: number }) =>
          createReadStream(
            p,
            range === undefined ? {} : { start: range.start, end: range.end - 1 },
          ) as AsyncIterable<Uint8Array>,
      };
      out.push({ ...common, type: "file", content });
    }
  }
}

const [payload, out, algo = "gzip", level = "6"] = process.argv.slice(2);
if (payload === undefined || out === undefined || (algo !== "gzip" && algo !== "zstd" && algo !== "xz")) {
  process.stderr.write("usage: node bench/drivers/rpm.ts PAYLOAD_DIR OUT.rpm [gzip|zstd|xz] [LEVEL]\n");
  process.exit(2);
}
const entries: Entry[] = [];
await walk(payload, "", entries);
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

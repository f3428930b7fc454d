/**
 * Bench driver: `node bench/drivers/apk.ts PAYLOAD_DIR OUT.apk [LEVEL]` packages the folder as an
 * unsigned Alpine apk with packyard's library (file content streamed from disk, data member spooled).
 */
import { createReadStream, createWriteStream } from "node:fs";
import { lstat, readdir, readlink } from "node:fs/promises";
import { join } from "node:path";
import type { Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { apkFormat } from "../../packages/formats/src/apk/index.ts";
import { type Entry, ROOT } from "../../packages/formats/src/spec/types.ts";

async function walk(root: string, rel: string, out: Entry[]): Promise<void> {
  for (const name of (await readdir(join(root, rel))).sort()) {
    const r = `${rel}/${name}`;
    const p = join(root, r);
    const st = await lstat(p);
    const base = { path: r, mode: st.mode & 0o7777, owner: ROOT, group: ROOT };
    if (st.isDirectory()) {
      out.push({ ...base, type: "dir" });
      await walk(root, r, out);
    } else if (st.isSymbolicLink()) {
      out.push({ ...base, type: "symlink", target: await readlink(p) });
    } else if (st.isFile()) {
      const content = {
        size: st.size,
        open: (range?: { start: number; end: number }) =>
          createReadStream(
            p,
            range === undefined ? {} : { start: range.start, end: range.end - 1 },
          ) as AsyncIterable<Uint8Array>,
      };
      out.push({ ...base, type: "file", content });
    }
  }
}

const [root, out, level] = process.argv.slice(2);
if (root === undefined || out === undefined) {
  process.stderr.write("usage: node bench/drivers/apk.ts PAYLOAD_DIR OUT.apk [LEVEL]\n");
  process.exit(2);
}
const entries: Entry[] = [];
await walk(root, "", entries);
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

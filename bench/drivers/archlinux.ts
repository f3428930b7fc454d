/**
 * Bench driver: `node bench/drivers/archlinux.ts PAYLOAD_DIR OUT.pkg.tar.zst [LEVEL]` packages the folder as
 * an Arch package with packyard's library (zstd, one stream, level 3 by default), streaming file content:
 * the writer reads each file twice (digests for .MTREE, then the tar), as makepkg does.
 */
import { createReadStream, createWriteStream } from "node:fs";
import { lstat, readdir, readFile, readlink } from "node:fs/promises";
import { join } from "node:path";
import type { Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { writeArchlinux } from "../../packages/formats/src/archlinux/index.ts";
import type { Entry, PackageSpec } from "../../packages/formats/src/spec/types.ts";

const root = { name: "root", id: 0 };
const SMALL = 256 * 1024;

async function* readWhole(p: string): AsyncGenerator<Uint8Array> {
  const b = await readFile(p);
  yield new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

async function walk(base: string, rel: string, out: Entry[]): Promise<void> {
  for (const name of (await readdir(join(base, rel))).sort()) {
    const r = `${rel}/${name}`;
    const p = join(base, r);
    const st = await lstat(p);
    const common = { path: r, mode: st.mode & 0o7777, owner: root, group: root };
    if (st.isDirectory()) {
      out.push({ ...common, type: "dir" });
      await walk(base, r, out);
    } else if (st.isSymbolicLink()) {
      out.push({ ...common, type: "symlink", target: await readlink(p) });
    } else if (st.isFile()) {
      // small files in one read: a stream per file costs a 64 KiB buffer and several thread-pool round trips
      const content = {
        size: st.size,
        open: (range?: { start: number; end: number }) =>
          st.size <= SMALL && range === undefined
            ? readWhole(p)
            : (createReadStream(
                p,
                range === undefined ? {} : { start: range.start, end: range.end - 1 },
              ) as AsyncIterable<Uint8Array>),
      };
      out.push({ ...common, type: "file", content });
    }
  }
}

const [payload, out, level] = process.argv.slice(2);
if (payload === undefined || out === undefined) {
  process.stderr.write("usage: node bench/drivers/archlinux.ts PAYLOAD_DIR OUT.pkg.tar.zst [LEVEL]\n");
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
  relations: {},
  entries,
  scripts: {},
  changelog: [],
};
const pkg = writeArchlinux(spec, {
  compression: { algo: "zstd", level: level === undefined ? 3 : Number(level) },
});
await pipeline(pkg, createWriteStream(out) as Writable);

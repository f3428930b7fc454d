/**
 * Bench driver: `node bench/drivers/tar.ts PAYLOAD_DIR OUT.tar.gz [LEVEL]` writes a gzip-compressed tar of
 * the folder with packyard's tar writer (GNU flavour) and the library's gzip, streaming file content.
 */
import { createWriteStream } from "node:fs";
import { lstat, readdir, readlink } from "node:fs/promises";
import { join } from "node:path";
import type { Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { compress } from "../../packages/formats/src/compress/compress.ts";
import { type TarWriteEntry, writeTar } from "../../packages/formats/src/container/tar.ts";
import { fileSource } from "../../packages/formats/src/source/index.ts";

async function* walk(root: string, rel: string): AsyncGenerator<TarWriteEntry> {
  const names = (await readdir(join(root, rel))).sort();
  for (const name of names) {
    const r = rel === "" ? name : `${rel}/${name}`;
    const p = join(root, r);
    const st = await lstat(p);
    const base = {
      mode: st.mode & 0o7777,
      uid: 0,
      gid: 0,
      uname: "root",
      gname: "root",
      mtime: Math.floor(st.mtimeMs / 1000),
    };
    if (st.isDirectory()) {
      yield { header: { ...base, name: `./${r}/`, type: "dir", size: 0 } };
      yield* walk(root, r);
    } else if (st.isSymbolicLink()) {
      yield { header: { ...base, name: `./${r}`, type: "symlink", size: 0, linkname: await readlink(p) } };
    } else if (st.isFile()) {
      const size = st.size;
      const content = await fileSource(p, size);
      yield { header: { ...base, name: `./${r}`, type: "file", size }, content };
    }
  }
}

const [root, out, level] = process.argv.slice(2);
if (root === undefined || out === undefined) {
  process.stderr.write("usage: node bench/drivers/tar.ts PAYLOAD_DIR OUT.tar.gz [LEVEL]\n");
  process.exit(2);
}
const tar = writeTar(walk(root, ""), { flavour: "gnu" });
const gz = compress(tar, { algo: "gzip", level: level === undefined ? 6 : Number(level) });
await pipeline(gz, createWriteStream(out) as Writable);

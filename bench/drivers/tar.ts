/**
 * Bench driver: `node bench/drivers/tar.ts PAYLOAD_DIR OUT.tar.gz [LEVEL]` writes a gzip-compressed tar of
 * the folder with packyard's tar writer (GNU flavour) and the library's gzip, file contents read by the
 * library's batch reader as the format writers read them. The tree is walked by the drivers' one walker.
 */
import { createWriteStream } from "node:fs";
import type { Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { compress } from "../../packages/formats/src/compress/compress.ts";
import { type TarWriteEntry, writeTar } from "../../packages/formats/src/container/tar.ts";
import { type FileRead, readFiles } from "../../packages/formats/src/source/batch-read.ts";
import { walkTree } from "./walk.ts";

/** The payload's date (bench/payload.ts writes every file at once; a fixed time keeps output stable). */
const MTIME = 1704067200;

const [root, out, level] = process.argv.slice(2);
if (root === undefined || out === undefined) {
  process.stderr.write("usage: node bench/drivers/tar.ts PAYLOAD_DIR OUT.tar.gz [LEVEL]\n");
  process.exit(2);
}
async function* tarEntries(entries: Awaited<ReturnType<typeof walkTree>>): AsyncGenerator<TarWriteEntry> {
  const reads = readFiles(entries.flatMap((e) => (e.type === "file" ? [e.content] : [])));
  for (const e of entries) {
    const base = { mode: e.mode, uid: 0, gid: 0, uname: "root", gname: "root", mtime: MTIME };
    if (e.type === "dir") yield { header: { ...base, name: `.${e.path}/`, type: "dir", size: 0 } };
    else if (e.type === "symlink")
      yield { header: { ...base, name: `.${e.path}`, type: "symlink", size: 0, linkname: e.target } };
    else if (e.type === "file")
      yield {
        header: { ...base, name: `.${e.path}`, type: "file", size: e.content.size },
        content: ((await reads.next()).value as FileRead).content!,
      };
  }
}
const tar = writeTar(tarEntries(await walkTree(root)), { flavour: "gnu" });
const gz = compress(tar, { algo: "gzip", level: level === undefined ? 6 : Number(level) });
await pipeline(gz, createWriteStream(out) as Writable);

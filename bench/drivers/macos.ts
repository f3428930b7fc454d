/**
 * Bench driver: `node bench/drivers/macos.ts PAYLOAD_DIR OUT.pkg` packages the folder as a macOS product
 * archive with packyard's library (Payload = gzip-6 cpio odc, Bom, PackageInfo, Distribution). The tree is
 * installed below /usr/local (macOS forbids /usr/lib etc.), content streamed from disk, payload spooled.
 */
import { createWriteStream } from "node:fs";
import { lstat, readdir, readlink } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { writeMacos } from "../../packages/formats/src/macos/index.ts";
import { fileSource } from "../../packages/formats/src/source/index.ts";
import type { Entry, PackageSpec } from "../../packages/formats/src/spec/types.ts";

const ROOT = { name: "root", id: 0 };

async function walk(root: string, rel: string, out: Entry[]): Promise<void> {
  for (const name of (await readdir(join(root, rel))).sort()) {
    const r = rel === "" ? name : `${rel}/${name}`;
    const p = join(root, r);
    const st = await lstat(p);
    const base = { path: `/usr/local/${r}`, mode: st.mode & 0o7777, owner: ROOT, group: ROOT };
    if (st.isDirectory()) {
      out.push({ ...base, type: "dir" });
      await walk(root, r, out);
    } else if (st.isSymbolicLink()) out.push({ ...base, type: "symlink", target: await readlink(p) });
    else if (st.isFile()) out.push({ ...base, type: "file", content: await fileSource(p) });
  }
}

const [dir, outFile] = process.argv.slice(2);
if (!dir || !outFile) throw new Error("usage: macos.ts PAYLOAD_DIR OUT.pkg");
const entries: Entry[] = [];
await walk(dir, "", entries);
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

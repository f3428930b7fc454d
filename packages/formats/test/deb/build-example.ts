/**
 * Child process of determinism.test.ts: writes the example project's deb (through the config loader) plus the files of `srcDir` (listed in
 * readdir order, read through fileSource) to `out`. Usage: node build-example.ts <out> [srcDir]
 */
import { readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { collect } from "../../src/bytes/bytes.ts";
import { writeDeb } from "../../src/deb/writer.ts";
import { fileSource } from "../../src/source/file.ts";
import { type Entry, ROOT } from "../../src/spec/types.ts";
import type { DebOptions } from "../../src/deb/options.ts";
import { exampleFromConfig } from "@packyard/testkit/example";

const [out, srcDir] = process.argv.slice(2);
const { spec, options } = await exampleFromConfig<DebOptions>("deb");
if (srcDir !== undefined) {
  const extra: Entry[] = [];
  for (const name of readdirSync(srcDir)) {
    extra.push({
      type: "file",
      path: `/usr/share/hello-packyard/${name}`,
      mode: 0o644,
      owner: ROOT,
      group: ROOT,
      content: await fileSource(join(srcDir, name)),
    });
  }
  spec.entries = [...spec.entries, ...extra];
}
writeFileSync(out!, await collect(writeDeb(spec, options)));

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { collect } from "../../src/bytes/bytes.ts";
import { debFormat } from "../../src/deb/format.ts";
import type { DebOptions } from "../../src/deb/options.ts";
import { writeDeb } from "../../src/deb/writer.ts";
import { exampleFromConfig } from "@packyard/testkit/example";

const script = fileURLToPath(new URL("./build-example.ts", import.meta.url));
const golden = fileURLToPath(new URL("../../../../fixtures/deb/example.sha256", import.meta.url));

test("two processes with different TZ, umask, cwd, source mtimes and readdir order write identical bytes", () => {
  const dir = mkdtempSync(join(tmpdir(), "packyard-deb-det-"));
  try {
    const names = ["b.txt", "a.txt", "c.txt"];
    for (const [i, order] of [names, [...names].reverse()].entries()) {
      const src = join(dir, `src${i}`);
      mkdirSync(src);
      for (const n of order) {
        writeFileSync(join(src, n), `content of ${n}\n`);
        utimesSync(join(src, n), 1000 + i * 99999, 1000 + i * 99999);
      }
    }
    const outs = [0, 1].map((i) => {
      const out = join(dir, `out${i}.deb`);
      const r = spawnSync(
        "sh",
        [
          "-c",
          `umask ${i ? "077" : "022"} && cd "$1" && exec "$2" --conditions=@packyard/source "$3" "$4" "$5"`,
          "sh",
          i ? dir : "/",
          process.execPath,
          script,
          out,
          join(dir, `src${i}`),
        ],
        {
          env: { ...process.env, TZ: i ? "Pacific/Chatham" : "UTC", LANG: i ? "de_DE.UTF-8" : "C" },
          encoding: "utf8",
        },
      );
      assert.equal(r.status, 0, r.stderr);
      return readFileSync(out);
    });
    assert.equal(outs[0]!.length, outs[1]!.length);
    assert.ok(outs[0]!.equals(outs[1]!), "byte-identical");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the example project (through the config loader) matches its committed golden sha256 (UPDATE_GOLDEN=1 refreshes it)", async () => {
  const { spec, options } = await exampleFromConfig<DebOptions>("deb");
  const sha = createHash("sha256")
    .update(await collect(writeDeb(spec, options)))
    .digest("hex");
  if (process.env.UPDATE_GOLDEN === "1")
    writeFileSync(golden, `${sha}  ${debFormat.fileName(spec, options)}\n`);
  assert.equal(readFileSync(golden, "utf8").split(/\s+/)[0], sha);
});

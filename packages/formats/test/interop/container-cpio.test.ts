/** GNU cpio judges our newc and odc archives; we read what it writes. */
import assert from "node:assert/strict";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { collect, encodeUtf8 } from "../../src/bytes/bytes.ts";
import { chunked } from "@packyard/testkit/chunked";
import { type CpioFormat, readCpio, writeCpio } from "../../src/container/cpio.ts";
import { needTool, run } from "@packyard/testkit/tools";

const entries = [
  { header: { name: ".", mode: 0o040755, size: 0, ino: 1, nlink: 2, mtime: 1700000000 } },
  { header: { name: "./bin", mode: 0o040755, size: 0, ino: 2, nlink: 2, mtime: 1700000000 } },
  {
    header: { name: "./bin/tool", mode: 0o104755, size: 9, ino: 3, mtime: 1700000000 },
    content: encodeUtf8("#!/bin/sh"),
  },
  {
    header: { name: "./ünïcødé", mode: 0o100644, size: 0, ino: 4, mtime: 1700000000 },
    content: encodeUtf8(""),
  },
  {
    header: { name: "./link", mode: 0o120777, size: 8, ino: 5, mtime: 1700000000 },
    content: encodeUtf8("bin/tool"),
  },
];

for (const format of ["newc", "odc"] as const satisfies CpioFormat[]) {
  test(`${format}: GNU cpio lists and extracts what we write`, async (t) => {
    if (!needTool(t, "cpio")) return;
    const dir = mkdtempSync(join(tmpdir(), "packyard-cpio-"));
    try {
      const bytes = await collect(writeCpio(entries, { format }));
      const env = { ...process.env, LC_ALL: "C.UTF-8", TZ: "UTC" };
      const listing = run("cpio", ["-itv", "--quiet"], { input: bytes, env });
      const lines = listing.trim().split("\n");
      assert.equal(lines.length, entries.length, listing);
      assert.match(lines[2]!, /^-rwsr-xr-x +1 root +root +9 .* \.\/bin\/tool$/);
      assert.match(lines[4]!, /^lrwxrwxrwx .* \.\/link -> bin\/tool$/);
      assert.ok(lines[3]!.endsWith("./ünïcødé"));
      run("cpio", ["-idm", "--quiet", "--no-absolute-filenames"], { input: bytes, cwd: dir });
      assert.equal(readFileSync(join(dir, "bin/tool"), "utf8"), "#!/bin/sh");
      assert.equal(readFileSync(join(dir, "link"), "utf8"), "#!/bin/sh");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test(`${format}: we read cpio -o -H ${format} output`, async (t) => {
    if (!needTool(t, "cpio")) return;
    const dir = mkdtempSync(join(tmpdir(), "packyard-cpio-"));
    try {
      mkdirSync(join(dir, "d"));
      writeFileSync(join(dir, "d/a"), "alpha\n");
      writeFileSync(join(dir, "d/b"), "b".repeat(1001));
      chmodSync(join(dir, "d"), 0o755);
      chmodSync(join(dir, "d/a"), 0o4755);
      chmodSync(join(dir, "d/b"), 0o644);
      symlinkSync("a", join(dir, "d/s"));
      const archive = run(
        "sh",
        ["-c", `printf 'd\\nd/a\\nd/b\\nd/s\\n' | cpio -o --quiet -H ${format} | base64 -w0`],
        { cwd: dir },
      );
      const bytes = new Uint8Array(Buffer.from(archive, "base64"));
      const got = [];
      for await (const e of readCpio(chunked(bytes, 7))) {
        assert.equal(e.format, format);
        got.push([e.header.name, e.header.mode.toString(8), new TextDecoder().decode(await e.bytes())]);
      }
      assert.deepEqual(got, [
        ["d", "40755", ""],
        ["d/a", "104755", "alpha\n"],
        ["d/b", "100644", "b".repeat(1001)],
        ["d/s", "120777", "a"],
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

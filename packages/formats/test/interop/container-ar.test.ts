/** binutils ar and dpkg-deb judge our ar container. */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { collect, encodeUtf8 } from "../../src/bytes/bytes.ts";
import { chunked } from "@packyard/testkit/chunked";
import { readAr, writeAr } from "../../src/container/ar.ts";
import { needTool, run } from "@packyard/testkit/tools";

test("ar t / ar p read our archives", async (t) => {
  if (!needTool(t, "ar")) return;
  const dir = mkdtempSync(join(tmpdir(), "packyard-ar-"));
  try {
    const members = [
      { name: "debian-binary", content: encodeUtf8("2.0\n") },
      { name: "_gpgorigin", content: encodeUtf8("odd") },
      { name: "data.tar.xz", content: new Uint8Array(1001).fill(7) },
    ];
    const file = join(dir, "x.ar");
    writeFileSync(
      file,
      await collect(writeAr(members.map((m) => ({ ...m, size: m.content.length, mtime: 1700000000 })))),
    );
    assert.deepEqual(
      run("ar", ["t", file]).trim().split("\n"),
      members.map((m) => m.name),
    );
    // every content is ASCII, so ar's stdout read as text is exact
    for (const m of members)
      assert.equal(run("ar", ["p", file, m.name]), new TextDecoder().decode(m.content));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("re-writing a dpkg-deb package's members with writeAr gives dpkg-deb's exact bytes; we read GNU ar output", async (t) => {
  if (!needTool(t, "dpkg-deb", "ar")) return;
  const dir = mkdtempSync(join(tmpdir(), "packyard-ar-"));
  try {
    mkdirSync(join(dir, "pkg/DEBIAN"), { recursive: true });
    writeFileSync(
      join(dir, "pkg/DEBIAN/control"),
      "Package: t\nVersion: 1\nArchitecture: all\nMaintainer: a <a@b.c>\nDescription: t\n",
    );
    run("dpkg-deb", ["--root-owner-group", "-Zgzip", "--build", join(dir, "pkg"), join(dir, "t.deb")], {
      env: { ...process.env, SOURCE_DATE_EPOCH: "1700000000" },
    });
    const deb = new Uint8Array(readFileSync(join(dir, "t.deb")));
    const members = [];
    for await (const m of readAr(chunked(deb, 7)))
      members.push({ name: m.name, size: m.size, mtime: m.mtime, mode: m.mode, content: await m.bytes() });
    assert.deepEqual(
      members.map((m) => m.name),
      ["debian-binary", "control.tar.gz", "data.tar.gz"],
    );
    assert.deepEqual(await collect(writeAr(members)), deb);

    // GNU ar writes "name/" and its own field values; we strip the slash
    writeFileSync(join(dir, "one"), "1");
    writeFileSync(join(dir, "two.txt"), "22");
    run("ar", ["rcD", join(dir, "g.a"), "one", "two.txt"], { cwd: dir });
    const got = [];
    for await (const m of readAr(chunked(new Uint8Array(readFileSync(join(dir, "g.a"))), 3)))
      got.push([m.name, new TextDecoder().decode(await m.bytes())]);
    assert.deepEqual(got, [
      ["one", "1"],
      ["two.txt", "22"],
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

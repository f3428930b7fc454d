/** Real tar implementations judge our tar: GNU tar and bsdtar list and extract it; we read theirs. */
import assert from "node:assert/strict";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { collect, encodeUtf8 } from "../../src/bytes/bytes.ts";
import { chunked } from "@packyard/testkit/chunked";
import { readTar, type TarFlavour, type TarHeader, writeTar } from "../../src/container/tar.ts";
import { needTool, run } from "@packyard/testkit/tools";

const MTIME = 1700000000;
const deep = `${"deep-directory-".repeat(6)}/${"x".repeat(120)}`; // > 100 bytes, no ustar split
const longest = `${"seg-".repeat(50)}/${"y".repeat(90)}`; // > 255 bytes
const unicode = "ünïcødé-名前.txt";
const target = `${"../".repeat(10)}${"t".repeat(150)}`; // long symlink target

function entries(): { header: TarHeader; content?: Uint8Array }[] {
  const h = (
    name: string,
    type: TarHeader["type"],
    mode: number,
    extra: Partial<TarHeader> = {},
  ): TarHeader => ({
    name,
    type,
    mode,
    uid: 0,
    gid: 0,
    size: 0,
    mtime: MTIME,
    ...extra,
  });
  const file = (name: string, mode: number, text: string) => ({
    header: h(name, "file", mode, { size: encodeUtf8(text).length }),
    content: encodeUtf8(text),
  });
  return [
    { header: h("r/", "dir", 0o755) },
    file("r/setuid", 0o4755, "setuid\n"),
    { header: h("r/sticky/", "dir", 0o1777) },
    file("r/empty", 0o644, ""),
    { header: h(`r/${deep.split("/")[0]}/`, "dir", 0o755) },
    file(`r/${deep}`, 0o644, "deep\n"),
    { header: h(`r/${longest.split("/")[0]}/`, "dir", 0o755) },
    file(`r/${longest}`, 0o600, "longest\n"),
    file(`r/${unicode}`, 0o644, "unicode\n"),
    { header: h("r/link", "symlink", 0o777, { linkname: target }) },
    { header: h("r/hard", "hardlink", 0o644, { linkname: "r/setuid" }) },
  ];
}

function tmp(): string {
  return mkdtempSync(join(tmpdir(), "packyard-tar-"));
}

for (const flavour of ["gnu", "pax"] as const satisfies TarFlavour[]) {
  test(`${flavour}: GNU tar and bsdtar list and extract what we write`, async (t) => {
    if (!needTool(t, "tar", "bsdtar")) return;
    const dir = tmp();
    try {
      const file = join(dir, "a.tar");
      writeFileSync(file, await collect(writeTar(entries(), { flavour })));
      for (const tool of ["tar", "bsdtar"]) {
        const listing = run(tool, ["-tvf", file], { env: { ...process.env, LC_ALL: "C.UTF-8", TZ: "UTC" } });
        for (const e of entries())
          assert.ok(listing.includes(e.header.name), `${tool} lists ${e.header.name}\n${listing}`);
        assert.match(listing, /^-rwsr-xr-x .*r\/setuid$/m);
        assert.match(listing, /^drwxrwxrwt .*r\/sticky\/$/m);
        assert.ok(listing.includes(`r/link -> ${target}`));
        assert.ok(listing.includes("r/hard link to r/setuid"));
        const out = join(dir, tool);
        mkdirSync(out);
        run(tool, ["-xf", file, "-C", out]);
        for (const e of entries()) {
          if (e.header.type === "file")
            assert.deepEqual(readFileSync(join(out, e.header.name)), Buffer.from(e.content!));
        }
        assert.equal(readFileSync(join(out, "r/hard"), "utf8"), "setuid\n");
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

/** Builds d/, d/hello, d/<120 n>, d/sl with fixed modes and lets GNU tar archive it. */
function gnuTarTree(dir: string, longName: string): void {
  mkdirSync(join(dir, "d"));
  writeFileSync(join(dir, "d/hello"), "hello\n");
  writeFileSync(join(dir, "d", longName), "");
  symlinkSync("hello", join(dir, "d/sl"));
  chmodSync(join(dir, "d"), 0o755);
  chmodSync(join(dir, "d/hello"), 0o644);
  chmodSync(join(dir, "d", longName), 0o644);
}

test("gnu flavour is byte-identical to GNU tar --format=gnu; pax flavour to --format=ustar when no pax is needed", async (t) => {
  if (!needTool(t, "tar")) return;
  for (const [format, flavour, longName] of [
    ["gnu", "gnu", "n".repeat(120)],
    ["ustar", "pax", "n".repeat(90)],
  ] as const) {
    const dir = tmp();
    try {
      gnuTarTree(dir, longName);
      run(
        "tar",
        [
          `--format=${format}`,
          "--owner=0",
          "--group=0",
          "--numeric-owner",
          `--mtime=@${MTIME}`,
          "--sort=name",
          "-cf",
          "out.tar",
          "d",
        ],
        {
          cwd: dir,
        },
      );
      const gnuBytes = new Uint8Array(readFileSync(join(dir, "out.tar")));
      const base = { uid: 0, gid: 0, mtime: MTIME, size: 0 };
      const ours = await collect(
        writeTar(
          [
            { header: { ...base, name: "d/", type: "dir", mode: 0o755 } },
            {
              header: { ...base, name: "d/hello", type: "file", mode: 0o644, size: 6 },
              content: encodeUtf8("hello\n"),
            },
            { header: { ...base, name: `d/${longName}`, type: "file", mode: 0o644 } },
            { header: { ...base, name: "d/sl", type: "symlink", mode: 0o777, linkname: "hello" } },
          ],
          { flavour },
        ),
      );
      assert.deepEqual(gnuBytes.subarray(0, ours.length), ours, `${format} bytes differ`);
      assert.ok(gnuBytes.subarray(ours.length).every((b) => b === 0));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
});

test("we read what GNU tar (gnu, oldgnu, posix, ustar, v7) and bsdtar (pax, ustar, v7) write", async (t) => {
  if (!needTool(t, "tar", "bsdtar")) return;
  const dir = tmp();
  try {
    const src = join(dir, "src");
    mkdirSync(src);
    const tree = join(src, "t");
    mkdirSync(join(tree, "sub"), { recursive: true });
    const files: Record<string, string> = {
      "t/a.txt": "alpha\n",
      "t/sub/b.bin": "b".repeat(1500),
      [`t/sub/${"l".repeat(80)}`]: "long\n",
      [`t/${unicode}`]: "u\n",
    };
    for (const [name, text] of Object.entries(files)) writeFileSync(join(src, name), text);
    chmodSync(join(src, "t/a.txt"), 0o4755);
    symlinkSync("a.txt", join(tree, "s"));
    const cases: [string, string[], string][] = [
      ["tar", ["--format=gnu"], "gnu"],
      ["tar", ["--format=oldgnu"], "gnu"],
      ["tar", ["--format=posix"], "pax"],
      ["tar", ["--format=ustar"], "ustar"],
      ["bsdtar", ["--format=pax"], "pax"],
      ["bsdtar", ["--format=ustar"], "ustar"],
    ];
    for (const [tool, args, format] of cases) {
      const out = join(dir, `${tool}${args.join("")}.tar`);
      run(tool, [...args, "-cf", out, "-C", src, "t"]);
      const bytes = new Uint8Array(readFileSync(out));
      const got = new Map<string, { h: TarHeader; format: string; text: string }>();
      for await (const e of readTar(chunked(bytes, 321))) {
        got.set(e.header.name.replace(/\/$/, ""), {
          h: e.header,
          format: e.format,
          text: new TextDecoder().decode(await e.bytes()),
        });
      }
      const label = `${tool} ${args.join(" ")}`;
      for (const [name, text] of Object.entries(files)) {
        if (format === "ustar" && name.includes("l".repeat(80)) && tool === "bsdtar") continue;
        assert.equal(got.get(name)?.text, text, `${label}: ${name}`);
      }
      assert.equal(got.get("t/a.txt")?.h.mode, 0o4755, label);
      assert.equal(got.get("t/s")?.h.type, "symlink", label);
      assert.equal(got.get("t/s")?.h.linkname, "a.txt", label);
      assert.equal(got.get("t/sub")?.h.type, "dir", label);
      if (format !== "pax")
        assert.ok(
          [...got.values()].every((v) => v.format === format || v.format === "pax"),
          label,
        );
      else
        assert.ok(
          [...got.values()].some((v) => v.format === "pax"),
          label,
        );
    }
    // v7: no long or unicode names beyond 100 bytes in this tree, plain listing must match
    const v7 = join(dir, "v7.tar");
    run("tar", ["--format=v7", "-cf", v7, "-C", src, "t/a.txt", "t/sub/b.bin", "t/s"]);
    const names = [];
    for await (const e of readTar(chunked(new Uint8Array(readFileSync(v7)), 7))) {
      assert.equal(e.format, "v7");
      names.push(`${e.header.type}:${e.header.name}`);
    }
    assert.deepEqual(names, ["file:t/a.txt", "file:t/sub/b.bin", "symlink:t/s"]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("GNU tar lists our 8 GiB+ headers (base-256 in gnu, pax size record) with the right size", async (t) => {
  if (!needTool(t, "tar")) return;
  const { encodeTarHeader } = await import("../../src/container/tar.ts");
  for (const flavour of ["gnu", "pax"] as const) {
    const header = encodeTarHeader(
      { name: "big", type: "file", mode: 0o644, uid: 0, gid: 0, size: 9 * 1024 ** 3, mtime: MTIME },
      flavour,
    );
    const r = (await import("@packyard/testkit/tools")).tryRun("tar", ["-tvf", "-"], { input: header });
    assert.match(r.stdout, /9663676416 .* big/, `${flavour}: ${r.stdout} ${r.stderr}`);
  }
});

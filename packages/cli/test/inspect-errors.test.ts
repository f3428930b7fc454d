/**
 * `packyard inspect` on hostile and broken packages: over-limit and decompression-bomb .debs built here,
 * and a truncated real .deb. Each must exit 1 with one paragraph naming the error code, and print a
 * stack trace only with --debug.
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { formatById, type PackageFormat } from "@packyard/formats";
import { compress, compressBytes } from "@packyard/formats/compress";
import { writeAr } from "@packyard/formats/container/ar";
import { encodeTarHeader, type TarHeader, writeTar } from "@packyard/formats/container/tar";
import { FORMATS } from "../src/formats.ts";
import { type CliResult, isOneParagraph, REPO, runMain, spawnCli } from "./run-cli.ts";
import { tempDirs } from "./temp-dirs.ts";

/** All chunks of a stream in one array. */
async function collect(chunks: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const c of chunks) parts.push(c);
  return new Uint8Array(Buffer.concat(parts));
}

const tmp = tempDirs("packyard-cli-inspect-");

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const CONTROL =
  "Package: bomb\nVersion: 1.0\nArchitecture: all\nMaintainer: x <x@example.org>\nDescription: bomb\n";

function header(name: string, size: number): TarHeader {
  return { name, type: "file", mode: 0o644, uid: 0, gid: 0, size, mtime: 0 };
}

/** An ar .deb with a valid debian-binary and control.tar.gz, and the given data.tar.gz bytes. */
async function debWithData(data: Uint8Array): Promise<Uint8Array> {
  const control = enc(CONTROL);
  const controlTar = await compressBytes(
    await collect(
      writeTar([{ header: header("./control", control.length), content: control }], { flavour: "gnu" }),
    ),
    { algo: "gzip" },
  );
  const members = [
    { name: "debian-binary", bytes: enc("2.0\n") },
    { name: "control.tar.gz", bytes: controlTar },
    { name: "data.tar.gz", bytes: data },
  ];
  return collect(writeAr(members.map((m) => ({ name: m.name, size: m.bytes.length, content: m.bytes }))));
}

/** A gzip'd tar that inflates to 64 MiB: one 1 KiB entry, then zeros far past the tar's end blocks. */
async function zeroBomb(): Promise<Uint8Array> {
  async function* tarStream(): AsyncGenerator<Uint8Array> {
    yield encodeTarHeader(header("./small", 1024), "gnu");
    const chunk = new Uint8Array(1024 * 1024);
    for (let i = 0; i < 64; i++) yield chunk;
  }
  return collect(compress(tarStream(), { algo: "gzip", level: 9 }));
}

/** The real deb format with a lowered maxUnpackedBytes (the CLI has no flag for limits; 64 GiB is too far to inflate in a test). */
// biome-ignore lint/suspicious/noExplicitAny: formats carry their own option types.
function debWithLimit(maxUnpackedBytes: number): readonly PackageFormat<any>[] {
  const deb = formatById("deb");
  assert.ok(deb !== undefined, "the deb format is registered");
  const limited: PackageFormat<unknown> = {
    ...deb,
    read: (source, ctx = {}) => deb.read(source, { ...ctx, limits: { ...ctx.limits, maxUnpackedBytes } }),
  };
  return [limited, ...FORMATS.filter((f) => f.id !== "deb")];
}

function assertOneParagraph(r: CliResult, code: string): void {
  assert.equal(r.status, 1, r.stderr);
  assert.equal(r.stdout, "", "nothing on stdout");
  assert.ok(isOneParagraph(r.stderr), `one paragraph, no stack:\n${r.stderr}`);
  assert.equal(r.stderr.trimEnd().split("\n").length, 1, `a single line:\n${r.stderr}`);
  assert.match(r.stderr, new RegExp(`\\[FormatError ${code}\\]`), r.stderr);
}

function assertStack(r: CliResult, code: string): void {
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, new RegExp(`^error: .*\\[FormatError ${code}\\]\n`), r.stderr);
  assert.match(r.stderr, /\n\s+at /, `a stack trace with --debug:\n${r.stderr}`);
}

test("inspect: a data.tar.gz whose entry claims 100 GiB is LIMIT_UNPACKED_BYTES in one paragraph (default limits)", async () => {
  const cwd = tmp();
  // 100 GiB is past the default 64 GiB maxUnpackedBytes; the size is base-256 in the header, no data follows
  const tar = await collect(
    (async function* () {
      yield encodeTarHeader(header("./huge", 100 * 1024 ** 3), "gnu");
      yield new Uint8Array(1024);
    })(),
  );
  const data = await compressBytes(tar, { algo: "gzip" });
  writeFileSync(join(cwd, "claims.deb"), await debWithData(data));
  const plain = await runMain(["inspect", "claims.deb"], cwd, FORMATS);
  assertOneParagraph(plain, "LIMIT_UNPACKED_BYTES");
  assert.match(plain.stderr, /\.\/huge/, "names the entry");
  const debug = await runMain(["inspect", "claims.deb", "--debug"], cwd, FORMATS);
  assertStack(debug, "LIMIT_UNPACKED_BYTES");
});

test("inspect: a gzip bomb in data.tar.gz is LIMIT_UNPACKED_BYTES in one paragraph, stack only with --debug", async () => {
  const cwd = tmp();
  const data = await zeroBomb();
  assert.ok(data.length < 256 * 1024, `bomb is small (${data.length} bytes)`);
  writeFileSync(join(cwd, "bomb.deb"), await debWithData(data));
  const formats = debWithLimit(4 * 1024 * 1024);
  // the same file under the default limits inflates fine: the limit, not a broken file, is what stops it
  const unlimited = await runMain(["inspect", "bomb.deb"], cwd, FORMATS);
  assert.equal(unlimited.status, 0, unlimited.stderr);
  const plain = await runMain(["inspect", "bomb.deb"], cwd, formats);
  assertOneParagraph(plain, "LIMIT_UNPACKED_BYTES");
  assert.match(plain.stderr, /data\.tar\.gz/, "names the member");
  assert.match(plain.stderr, /maxUnpackedBytes/, "names the limit");
  const debug = await runMain(["--debug", "inspect", "bomb.deb"], cwd, formats);
  assertStack(debug, "LIMIT_UNPACKED_BYTES");
});

test("inspect: a truncated .deb is TRUNCATED in one paragraph, in-process and through the real launcher", async () => {
  const cwd = tmp();
  // foo-gzip.deb is made by dpkg-deb (fixtures/deb/make.sh); cut it inside data.tar.gz
  const full = readFileSync(join(REPO, "fixtures/deb/foo-gzip.deb"));
  writeFileSync(join(cwd, "cut.deb"), full.subarray(0, Math.floor(full.length * 0.9)));
  const plain = await runMain(["inspect", "cut.deb"], cwd, FORMATS);
  assertOneParagraph(plain, "TRUNCATED");
  assert.match(plain.stderr, /offset \d+/, "says where");
  const debug = await runMain(["inspect", "cut.deb", "--debug"], cwd, FORMATS);
  assertStack(debug, "TRUNCATED");
  const launcher = spawnCli(["inspect", "cut.deb"], cwd);
  assertOneParagraph(launcher, "TRUNCATED");
  assert.equal(launcher.stderr, plain.stderr, "the launcher prints what main() returns");
});

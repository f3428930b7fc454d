/**
 * Bad .debs: truncated, bit-flipped and crafted archives. Each crafted case asserts its exact error
 * code and offset; every read runs under expectWithinBudget (support/budget.ts).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { bytesSource, collect } from "../../src/bytes/bytes.ts";
import { compress, compressBytes } from "../../src/compress/compress.ts";
import { writeAr } from "../../src/container/ar.ts";
import { encodeTarHeader, type TarHeader, writeTar } from "../../src/container/tar.ts";
import { readDeb } from "../../src/deb/reader.ts";
import { writeDeb } from "../../src/deb/writer.ts";
import { FormatError, type FormatErrorCode } from "../../src/errors.ts";
import type { ReadLimits } from "../../src/limits.ts";
import { exampleSpec } from "@packyard/testkit/example";
import { expectWithinBudget } from "../support/budget.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const CONTROL = "Package: bad\nVersion: 1.0\nArchitecture: all\nDescription: bad\n";

function header(name: string, size: number, extra: Partial<TarHeader> = {}): TarHeader {
  return { name, type: "file", mode: 0o644, uid: 0, gid: 0, size, mtime: 0, ...extra };
}

async function tarGz(
  files: { header: TarHeader; content?: Uint8Array }[],
  flavour: "gnu" | "pax" = "gnu",
): Promise<Uint8Array> {
  return compressBytes(await collect(writeTar(files, { flavour })), { algo: "gzip" });
}

async function controlTar(control = CONTROL): Promise<Uint8Array> {
  return tarGz([{ header: header("./control", enc(control).length), content: enc(control) }]);
}

async function deb(members: { name: string; bytes: Uint8Array }[]): Promise<Uint8Array> {
  return collect(writeAr(members.map((m) => ({ name: m.name, size: m.bytes.length, content: m.bytes }))));
}

/** Offset of member `index`'s header in an ar made by {@link deb} (8-byte magic, 60-byte headers, even padding). */
function memberOffset(members: { bytes: Uint8Array }[], index: number): number {
  let off = 8;
  for (let i = 0; i < index; i++) off += 60 + members[i]!.bytes.length + (members[i]!.bytes.length % 2);
  return off;
}

async function expectError(
  bytes: Uint8Array,
  code: FormatErrorCode,
  offset: number | undefined,
  limits?: Partial<ReadLimits>,
): Promise<FormatError> {
  const err = await expectWithinBudget(
    () => readDeb(bytesSource(bytes), limits ? { limits } : {}),
    undefined,
    code,
  );
  assert.ok(err instanceof FormatError, `expected FormatError, got ${err}`);
  assert.equal(err.code, code, err.message);
  if (offset !== undefined) assert.equal(err.data.offset, offset, err.message);
  return err;
}

const binary = { name: "debian-binary", bytes: enc("2.0\n") };

test("not an ar archive: BAD_MAGIC at 0", async () => {
  await expectError(enc("0.939000\nold format"), "BAD_MAGIC", 0);
});

test("debian-binary with major 3: UNSUPPORTED_VERSION at its data", async () => {
  const members = [
    { name: "debian-binary", bytes: enc("3.0\n") },
    { name: "control.tar.gz", bytes: await controlTar() },
  ];
  await expectError(await deb(members), "UNSUPPORTED_VERSION", 8 + 60);
});

test("multi-part deb: UNSUPPORTED at the debian-split member", async () => {
  await expectError(await deb([{ name: "debian-split", bytes: enc("2.1\n") }]), "UNSUPPORTED", 8);
});

test("data.tar before control.tar: BAD_MEMBER_ORDER at the data member", async () => {
  const data = await tarGz([]);
  const members = [
    binary,
    { name: "data.tar.gz", bytes: data },
    { name: "control.tar.gz", bytes: await controlTar() },
  ];
  await expectError(await deb(members), "BAD_MEMBER_ORDER", memberOffset(members, 1));
});

test("an unknown member before data.tar: UNEXPECTED_MEMBER (dpkg: premature member)", async () => {
  const members = [
    binary,
    { name: "control.tar.gz", bytes: await controlTar() },
    { name: "extra", bytes: enc("x") },
  ];
  await expectError(await deb(members), "UNEXPECTED_MEMBER", memberOffset(members, 2));
});

test("no data.tar: MISSING_MEMBER at the end", async () => {
  const bytes = await deb([binary, { name: "control.tar.gz", bytes: await controlTar() }]);
  await expectError(bytes, "MISSING_MEMBER", bytes.length);
});

test('".." in a data.tar name: UNSAFE_PATH at the data member\'s content', async () => {
  const data = await tarGz([{ header: header("./../../etc/passwd", 1), content: enc("x") }]);
  const members = [
    binary,
    { name: "control.tar.gz", bytes: await controlTar() },
    { name: "data.tar.gz", bytes: data },
  ];
  await expectError(await deb(members), "UNSAFE_PATH", memberOffset(members, 2) + 60);
});

test("pax headers (rejected by dpkg): UNSUPPORTED at the data member's content", async () => {
  const data = await tarGz([{ header: header(`./${"a".repeat(150)}`, 1), content: enc("x") }], "pax");
  const members = [
    binary,
    { name: "control.tar.gz", bytes: await controlTar() },
    { name: "data.tar.gz", bytes: data },
  ];
  await expectError(await deb(members), "UNSUPPORTED", memberOffset(members, 2) + 60);
});

test("ar member size past the end of the file: TRUNCATED at the end", async () => {
  const data = await tarGz([]);
  const members = [
    binary,
    { name: "control.tar.gz", bytes: await controlTar() },
    { name: "data.tar.gz", bytes: data },
  ];
  const bytes = await deb(members);
  const sizeField = memberOffset(members, 2) + 48;
  bytes.set(enc(String(data.length + 5000).padEnd(10, " ")), sizeField);
  await expectError(bytes, "TRUNCATED", bytes.length);
});

test("duplicate control field: DUPLICATE_KEY at its line", async () => {
  const control = "Package: bad\nVersion: 1.0\nPackage: again\nArchitecture: all\n";
  const members = [
    binary,
    { name: "control.tar.gz", bytes: await controlTar(control) },
    { name: "data.tar.gz", bytes: await tarGz([]) },
  ];
  await expectError(await deb(members), "DUPLICATE_KEY", "Package: bad\nVersion: 1.0\n".length);
});

test("control file over maxHeaderBytes: LIMIT_HEADER_BYTES", async () => {
  const control = `${CONTROL}X-Big: ${"y".repeat(5000)}\n`;
  const members = [
    binary,
    { name: "control.tar.gz", bytes: await controlTar(control) },
    { name: "data.tar.gz", bytes: await tarGz([]) },
  ];
  await expectError(await deb(members), "LIMIT_HEADER_BYTES", memberOffset(members, 1) + 60, {
    maxHeaderBytes: 4096,
  });
});

test("gzip bomb beyond maxUnpackedBytes: LIMIT_UNPACKED_BYTES, bounded memory", async () => {
  const size = 256 * 1024 * 1024;
  async function* zeros(): AsyncGenerator<Uint8Array> {
    const chunk = new Uint8Array(1024 * 1024);
    for (let i = 0; i < size / chunk.length; i++) yield chunk;
  }
  // header block + 256 MiB of zeros + end blocks, gzip'd as it streams (~260 KB)
  async function* tarStream(): AsyncGenerator<Uint8Array> {
    yield encodeTarHeader(header("./zeros", size), "gnu");
    yield* zeros();
    yield new Uint8Array(1024);
  }
  const data = await collect(compress(tarStream(), { algo: "gzip", level: 9 }));
  assert.ok(data.length < 2 * 1024 * 1024);
  const members = [
    binary,
    { name: "control.tar.gz", bytes: await controlTar() },
    { name: "data.tar.gz", bytes: data },
  ];
  const bytes = await deb(members);
  // caught at the tar header (offset 0 of the decompressed data.tar), before inflating anything
  const err = await expectError(bytes, "LIMIT_UNPACKED_BYTES", 0, { maxUnpackedBytes: 16 * 1024 * 1024 });
  assert.equal(err.data.path, "./zeros");
});

test("64 MiB of zeros hidden after the tar end blocks: LIMIT_UNPACKED_BYTES while draining, bounded memory", async () => {
  // the tar ends after one small entry; the member is still read to its end (as dpkg does), and what
  // inflates counts against maxUnpackedBytes
  async function* tarStream(): AsyncGenerator<Uint8Array> {
    yield encodeTarHeader(header("./small", 1024), "gnu");
    const chunk = new Uint8Array(1024 * 1024);
    for (let i = 0; i < 64; i++) yield chunk;
  }
  const data = await collect(compress(tarStream(), { algo: "gzip", level: 9 }));
  const members = [
    binary,
    { name: "control.tar.gz", bytes: await controlTar() },
    { name: "data.tar.gz", bytes: data },
  ];
  const err = await expectError(await deb(members), "LIMIT_UNPACKED_BYTES", undefined, {
    maxUnpackedBytes: 4 * 1024 * 1024,
  });
  assert.equal(err.data.path, "data.tar.gz");
});

test("every truncation of a real deb gives a typed error quickly", async () => {
  const bytes = await collect(writeDeb(exampleSpec()));
  for (let cut = 0; cut < bytes.length; cut += Math.max(1, Math.floor(bytes.length / 97))) {
    const err = await expectWithinBudget(
      () => readDeb(bytesSource(bytes.subarray(0, cut))),
      undefined,
      `cut at ${cut}`,
    );
    assert.ok(err instanceof FormatError, `cut at ${cut}: ${err}`);
    if (cut < 8) assert.equal(err.code, "BAD_MAGIC");
  }
});

test("bit flips give a typed error or a successful read, never a crash or a hang", async () => {
  const bytes = await collect(writeDeb(exampleSpec()));
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 0, max: bytes.length * 8 - 1 }), async (bit) => {
      const flipped = bytes.slice();
      flipped[bit >> 3]! ^= 1 << (bit & 7);
      const err = await expectWithinBudget(() => readDeb(bytesSource(flipped)), undefined, `bit ${bit}`);
      if (err !== undefined && !(err instanceof FormatError)) throw err;
    }),
    { numRuns: 300 },
  );
});

test("members after data.tar are ignored (dpkg does), _gpg members are reported", async () => {
  const members = [
    binary,
    { name: "control.tar.gz", bytes: await controlTar() },
    { name: "data.tar.gz", bytes: await tarGz([]) },
    { name: "trailing", bytes: enc("junk") },
  ];
  const bytes = await deb(members);
  assert.equal(await expectWithinBudget(() => readDeb(bytesSource(bytes))), undefined, "reads");
  const info = await readDeb(bytesSource(bytes));
  assert.equal(info.name, "bad");
  assert.deepEqual(info.raw.format === "deb" && info.raw.members, [
    "debian-binary",
    "control.tar.gz",
    "data.tar.gz",
    "trailing",
  ]);
});

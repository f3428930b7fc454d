/**
 * The rpm large-file path (rpm docs/manual/large_files.md, lib/cpio.cc): a file of 4 GiB + 1 byte switches
 * the writer to LONGFILESIZES / LONGSIZE, the signature header to LONGARCHIVESIZE, adds rpmlib(LargeFiles)
 * and writes every payload entry as a stripped `07070X` header. The 4 GiB are generated lazily (see
 * large-file-spec.ts): writing takes about 9 s here (two SHA-256 passes over 4 GiB and zstd -1) and holds
 * only the 137 KB result; reading it back (zstd -d, two SHA-256 passes) about 12 s.
 *
 * What pins what:
 * - the sha256 of the whole package (fixtures/rpm/large.sha256, refresh with UPDATE_GOLDEN=1); the same
 *   bytes are judged by rpm in test/interop/rpm-large.test.ts, which checks this golden too;
 * - PAYLOADDIGESTALT, the sha256 of the uncompressed payload, against a value computed without packyard
 *   from a shell-built stream (fixtures/rpm/PROVENANCE-large.txt): it fixes every byte of the `07070X`
 *   payload, trailer included, independently of the compressor;
 * - the file digest of the 4 GiB + 1 zeros against `head -c 4294967297 /dev/zero | sha256sum`.
 * Reading back also guards the reader's stripped-payload rule for hardlinks: a member that does not carry
 * the set's data has no bytes in the payload although LONGFILESIZES gives it the set's size.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { before, test } from "node:test";
import { bytesSource, collect } from "../../src/bytes/bytes.ts";
import { ByteReader } from "../../src/bytes/reader.ts";
import { decompress } from "../../src/compress/decompress.ts";
import { headerNumbers, headerStrings } from "../../src/rpm/header.ts";
import { type RpmOptions, readHeaders, readRpm, RPM_TYPE, SIG, TAG, writeRpm } from "../../src/rpm/index.ts";
import { SENSE } from "../../src/rpm/sense.ts";
import type { PackageSpec } from "../../src/spec/types.ts";
import { LARGE_INDEX, LARGE_OPTIONS, LARGE_SIZE, largeSpec } from "./large-file-spec.ts";

/** `head -c 4294967297 /dev/zero | sha256sum` (coreutils 9.1 here). */
const ZEROS_SHA256 = "fbb82f7b353676bb562eb82157fcf0ea42c36492ca13ee56dbf82c08b6802c5c";
/** sha256 and length of the stripped payload built by printf/head (fixtures/rpm/PROVENANCE-large.txt). */
const PAYLOAD_PLAIN_SHA256 = "2d9257e33f92a36408ca8793767cfc22d7981646017ad29d37fbd980a7851090";
const PAYLOAD_PLAIN_BYTES = 4294967520;

const GOLDEN = new URL("../../../../fixtures/rpm/large.sha256", import.meta.url).pathname;

async function headersOf(bytes: Uint8Array) {
  const parsed = await readHeaders(new ByteReader([bytes]), 64 * 1024 * 1024);
  return { ...parsed, payload: bytes.subarray(parsed.payloadStart) };
}

/** Type of a tag in a decoded header, or undefined when absent. */
function typeOf(h: { entries: Map<number, { type: number }> }, tag: number): number | undefined {
  return h.entries.get(tag)?.type;
}

/** The first `n` bytes of the decompressed payload, without decompressing the rest. */
async function plainPrefix(payload: Uint8Array, algo: "zstd" | "gzip", n: number): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let have = 0;
  const input = (async function* () {
    yield payload;
  })();
  for await (const chunk of decompress(input, algo)) {
    parts.push(chunk);
    have += chunk.length;
    if (have >= n) break;
  }
  const out = new Uint8Array(have);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out.subarray(0, n);
}

const ascii = (s: string) => new TextEncoder().encode(s);

let bytes: Uint8Array;
before(async () => {
  bytes = await collect(writeRpm(largeSpec(), LARGE_OPTIONS));
});

test("golden: the large-file package's sha256 is pinned (refresh on purpose with UPDATE_GOLDEN=1)", () => {
  const digest = createHash("sha256").update(bytes).digest("hex");
  if (process.env.UPDATE_GOLDEN === "1") writeFileSync(GOLDEN, `${digest}\n`);
  assert.equal(digest, readFileSync(GOLDEN, "utf8").trim());
});

test("main header: LONGFILESIZES and LONGSIZE as INT64, no FILESIZES or SIZE, rpmlib(LargeFiles)", async () => {
  const { header: h } = await headersOf(bytes);
  assert.equal(typeOf(h, TAG.LONGFILESIZES), RPM_TYPE.INT64);
  // dir, ghost, hardlink member, hardlink carrier, symlink (target length), the large file
  assert.deepEqual(headerNumbers(h, TAG.LONGFILESIZES), [0, 0, 6, 6, 5, LARGE_SIZE]);
  assert.equal(typeOf(h, TAG.FILESIZES), undefined);
  assert.equal(typeOf(h, TAG.LONGSIZE), RPM_TYPE.INT64);
  // each inode counted once (rpmbuild's SIZE rule): "hello\n" + the zeros
  assert.deepEqual(headerNumbers(h, TAG.LONGSIZE), [6 + LARGE_SIZE]);
  assert.equal(typeOf(h, TAG.SIZE), undefined);
  const names = headerStrings(h, TAG.REQUIRENAME) ?? [];
  const i = names.indexOf("rpmlib(LargeFiles)");
  assert.ok(i >= 0, `rpmlib(LargeFiles) missing from ${names.join(", ")}`);
  assert.equal(headerStrings(h, TAG.REQUIREVERSION)?.[i], "4.12.0-1");
  assert.equal(headerNumbers(h, TAG.REQUIREFLAGS)?.[i], SENSE.RPMLIB | SENSE.LESS | SENSE.EQUAL);
  assert.equal(headerStrings(h, TAG.FILEDIGESTS)?.[LARGE_INDEX.zeros], ZEROS_SHA256);
  assert.equal(headerStrings(h, TAG.PAYLOADDIGESTALT)?.[0], PAYLOAD_PLAIN_SHA256);
});

test("signature header: LONGARCHIVESIZE as INT64 instead of PAYLOADSIZE; SIZE stays 32-bit", async () => {
  const { signature: s, header: h, payload } = await headersOf(bytes);
  // SIZE counts the compressed payload (137 KB here), so it stays INT32: LONG* only at >= 4 GiB
  // (rpm docs/manual/large_files.md)
  assert.equal(typeOf(s, SIG.SIZE), RPM_TYPE.INT32);
  assert.deepEqual(headerNumbers(s, SIG.SIZE), [h.bytes.length + payload.length]);
  assert.equal(typeOf(s, SIG.LONGSIZE), undefined);
  assert.equal(typeOf(s, SIG.LONGARCHIVESIZE), RPM_TYPE.INT64);
  assert.deepEqual(headerNumbers(s, SIG.LONGARCHIVESIZE), [PAYLOAD_PLAIN_BYTES]);
  assert.equal(typeOf(s, SIG.PAYLOADSIZE), undefined);
  assert.equal(headerStrings(h, TAG.PAYLOADDIGEST)?.[0], createHash("sha256").update(payload).digest("hex"));
});

test("payload: stripped 07070X headers carry the file index; hardlink members before the carrier have no data", async () => {
  const { payload } = await headersOf(bytes);
  const expected = [
    "07070X00000000\0\0", // /opt/big (dir): no data; the ghost (index 1) is not in the payload
    "07070X00000002\0\0", // /opt/big/hard: hardlink member without data
    "07070X00000003\0\0hello\n\0\0", // /opt/big/small carries the set's data, padded to 4
    "07070X00000004\0\0small\0\0\0", // symlink: the target as data
    "07070X00000005\0\0", // the 4 GiB + 1 zeros follow
  ].join("");
  const want = ascii(expected);
  const got = await plainPrefix(payload, "zstd", want.length + 64);
  assert.deepEqual(got.subarray(0, want.length), want);
  assert.ok(
    got.subarray(want.length).every((b) => b === 0),
    "the large file's zeros follow its header",
  );
});

test("our reader reads it back: every digest verified over the 4 GiB payload, sizes from LONGFILESIZES", async () => {
  const info = await readRpm(bytesSource(bytes));
  assert.deepEqual(
    info.files.map((f) => [f.path, f.type, f.size]),
    [
      ["/opt/big", "dir", 0],
      ["/opt/big/ghost.log", "file", 0],
      ["/opt/big/hard", "file", 6],
      ["/opt/big/small", "hardlink", 6],
      ["/opt/big/tiny-link", "symlink", 5],
      ["/opt/big/zeros", "file", LARGE_SIZE],
    ],
  );
  assert.equal(info.files[LARGE_INDEX.zeros]!.digests.sha256, ZEROS_SHA256);
  assert.equal(info.installedSize, 6 + LARGE_SIZE);
});

test("below 4 GiB the same package keeps FILESIZES, SIZE, the newc payload and no rpmlib(LargeFiles)", async () => {
  const spec: PackageSpec = largeSpec();
  spec.entries = spec.entries.filter((e) => e.path !== "/opt/big/zeros");
  const options: RpmOptions = LARGE_OPTIONS;
  const small = await headersOf(await collect(writeRpm(spec, options)));
  const h = small.header;
  assert.deepEqual(headerNumbers(h, TAG.FILESIZES), [0, 0, 6, 6, 5]);
  assert.equal(typeOf(h, TAG.FILESIZES), RPM_TYPE.INT32);
  assert.equal(typeOf(h, TAG.LONGFILESIZES), undefined);
  assert.deepEqual(headerNumbers(h, TAG.SIZE), [6]);
  assert.equal(typeOf(h, TAG.LONGSIZE), undefined);
  assert.ok(!(headerStrings(h, TAG.REQUIRENAME) ?? []).includes("rpmlib(LargeFiles)"));
  assert.equal(typeOf(small.signature, SIG.SIZE), RPM_TYPE.INT32);
  assert.equal(typeOf(small.signature, SIG.LONGSIZE), undefined);
  assert.equal(typeOf(small.signature, SIG.PAYLOADSIZE), RPM_TYPE.INT32);
  assert.equal(typeOf(small.signature, SIG.LONGARCHIVESIZE), undefined);
  const head = await plainPrefix(small.payload, "zstd", 6);
  assert.deepEqual(head, ascii("070701"));
});

/**
 * Bad apk input gives exact typed errors, never a hang or unbounded memory: member counts, uncut
 * segments, wrong datahash and checksums, missing parent directories, "./" and ".." names, size 0,
 * gzip bombs, v3 packages, truncation and random bit flips. Every read runs under expectWithinBudget
 * (support/budget.ts: at most 64 MiB decompressed, under 64 MB allocated).
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import zlib from "node:zlib";
import { test } from "node:test";
import fc from "fast-check";
import { apkFormat } from "../../src/apk/index.ts";
import { bytesSource, collect, concatBytes } from "../../src/bytes/bytes.ts";
import { compressBytes } from "../../src/compress/compress.ts";
import { type TarWriteEntry, writeTar } from "../../src/container/tar.ts";
import { FormatError, isPackyardError } from "../../src/errors.ts";
import type { ReadLimits } from "../../src/limits.ts";
import type { ByteSource } from "../../src/spec/types.ts";
import { exampleSpec } from "@packyard/testkit/example";
import { exampleSigner } from "../apk/example-signer.ts";
import { expectWithinBudget } from "../support/budget.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const gz = (b: Uint8Array) => compressBytes(b, { algo: "gzip", level: 6 });
const tar = (entries: TarWriteEntry[], end: boolean) => collect(writeTar(entries, { flavour: "pax", end }));
const sha1 = (b: Uint8Array) => createHash("sha1").update(b).digest("hex");

function file(name: string, text: string, pax = true): TarWriteEntry {
  const bytes = enc(text);
  return {
    header: {
      name,
      type: "file",
      mode: 0o644,
      uid: 0,
      gid: 0,
      size: bytes.length,
      mtime: 0,
      ...(pax ? { pax: { "APK-TOOLS.checksum.SHA1": sha1(bytes) } } : {}),
    },
    content: bytes,
  };
}
function dir(name: string): TarWriteEntry {
  return { header: { name, type: "dir", mode: 0o755, uid: 0, gid: 0, size: 0, mtime: 0 } };
}

interface Parts {
  data?: TarWriteEntry[];
  size?: number;
  datahash?: (real: string) => string;
  cutControl?: boolean;
  extraMembers?: Uint8Array[];
  pkginfo?: boolean;
  /** Lines appended to .PKGINFO. */
  extraInfo?: string;
  /** The data member's bytes as stored, instead of the gzipped tar of `data`. */
  dataMember?: Uint8Array;
  /** A first member (a signature's place), before control. */
  signatureMember?: Uint8Array;
  /** Leave datahash out of .PKGINFO. */
  noDatahash?: boolean;
}

/** Builds an unsigned apk by hand, so each rule can be broken on its own. */
async function build(p: Parts = {}): Promise<Uint8Array> {
  const data =
    p.dataMember ??
    (await gz(await tar(p.data ?? [dir("usr/"), dir("usr/bin/"), file("usr/bin/x", "x\n")], true)));
  // apk-tools hashes everything after the control member, extra members included.
  const hash = createHash("sha256")
    .update(concatBytes([data, ...(p.extraMembers ?? [])]))
    .digest("hex");
  const datahash = p.noDatahash ? "" : `datahash = ${p.datahash ? p.datahash(hash) : hash}\n`;
  const info = `pkgname = bad\npkgver = 1.0-r0\nsize = ${p.size ?? 2}\narch = noarch\n${datahash}${p.extraInfo ?? ""}`;
  const control = await gz(
    await tar(
      p.pkginfo === false ? [file(".post-install", "#!/bin/sh\n", false)] : [file(".PKGINFO", info, false)],
      p.cutControl === false,
    ),
  );
  return concatBytes([
    ...(p.signatureMember ? [p.signatureMember] : []),
    control,
    data,
    ...(p.extraMembers ?? []),
  ]);
}

async function rejects(bytes: Uint8Array, code: string, limits?: Partial<ReadLimits>): Promise<FormatError> {
  const caught = await expectWithinBudget(
    () => apkFormat.read(bytesSource(bytes), limits ? { limits } : {}),
    undefined,
    code,
  );
  assert.ok(caught instanceof FormatError, `expected FormatError ${code}, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  return caught;
}

test("the hand-built baseline reads fine (so every case below breaks one rule only)", async () => {
  const info = await apkFormat.read(bytesSource(await build()));
  assert.deepEqual(
    info.files.map((f) => f.path),
    ["/usr", "/usr/bin", "/usr/bin/x"],
  );
});

test("member count: a fourth member, a split data part, a lone member", async () => {
  // A member appended to a signed package changes what datahash covers (everything after control).
  const signed = await collect(apkFormat.write(exampleSpec(), {}, { signer: exampleSigner() }));
  const appended = await rejects(concatBytes([signed, await gz(enc("more"))]), "DIGEST_MISMATCH");
  assert.equal(appended.data.path, "datahash");
  // With datahash covering it, the fourth member itself is refused.
  const sig = await gz(await tar([file(".SIGN.RSA.key.rsa.pub", "not checked without keys", false)], false));
  const more = await gz(enc("more"));
  const fourth = await rejects(
    await build({ signatureMember: sig, extraMembers: [more] }),
    "UNEXPECTED_MEMBER",
  );
  assert.equal(
    fourth.data.offset,
    (await build({ signatureMember: sig, extraMembers: [more] })).length - more.length,
  );
  await rejects(await build({ signatureMember: sig, extraMembers: [enc("junk")] }), "BAD_MAGIC");
  await rejects(await build({ extraMembers: [await gz(new Uint8Array(1024))] }), "UNEXPECTED_MEMBER");
  const four = await build({ extraMembers: [await gz(enc("a")), await gz(enc("b"))] });
  const four4 = await rejects(four, "UNEXPECTED_MEMBER");
  assert.ok(typeof four4.data.offset === "number" && four4.data.offset > 0);
  await rejects(await gz(await tar([file(".PKGINFO", "pkgname = x\n", false)], false)), "MISSING_MEMBER");
});

test("an uncut control tar is UNCUT_SEGMENT; a control without .PKGINFO is MISSING_MEMBER", async () => {
  const e = await rejects(await build({ cutControl: false }), "UNCUT_SEGMENT");
  assert.equal(e.data.offset, 0);
  await rejects(await build({ pkginfo: false }), "MISSING_MEMBER");
});

test("wrong datahash and wrong per-file SHA-1 are DIGEST_MISMATCH", async () => {
  await rejects(await build({ datahash: (h) => (h[0] === "0" ? "1" : "0") + h.slice(1) }), "DIGEST_MISMATCH");
  const bad = file("usr/bin/x", "x\n");
  bad.header.pax = { "APK-TOOLS.checksum.SHA1": "0".repeat(40) };
  const e = await rejects(await build({ data: [dir("usr/"), dir("usr/bin/"), bad] }), "DIGEST_MISMATCH");
  assert.equal(e.data.path, "/usr/bin/x");
});

test("a depend, provides or replaces value without a package name is INVALID_VALUE, not a TypeError", async () => {
  for (const line of ["depend = !", "depend = <1.0", "depend = foo >=2", "provides = =1", "replaces = ~1"]) {
    const e = await rejects(await build({ extraInfo: `${line}\n` }), "INVALID_VALUE");
    assert.equal(e.data.path, ".PKGINFO", line);
    assert.equal(e.data.field, line.split(" ")[0], line);
  }
  const ok = await apkFormat.read(
    bytesSource(await build({ extraInfo: "depend = so:libc.so !bar>=1 baz~2\n" })),
  );
  assert.deepEqual(ok.relations.depends, [
    [{ name: "so:libc.so" }],
    [{ name: "baz", op: "=", version: "2" }],
  ]);
  assert.deepEqual(ok.relations.conflicts, [[{ name: "bar", op: ">=", version: "1" }]]);
});

test("missing parent directory entries are MISSING_PARENT_DIR", async () => {
  const e = await rejects(
    await build({ data: [dir("usr/"), file("usr/bin/x", "x\n")] }),
    "MISSING_PARENT_DIR",
  );
  assert.equal(e.data.path, "usr/bin/x");
  await rejects(
    await build({ data: [file("usr/bin/x", "x\n"), dir("usr/"), dir("usr/bin/")] }),
    "MISSING_PARENT_DIR",
  );
});

test('"./", "/" and ".." names are UNSAFE_PATH; top-level dot names UNEXPECTED_MEMBER', async () => {
  await rejects(await build({ data: [dir("./"), dir("./usr/"), file("./usr/x", "x\n")] }), "UNSAFE_PATH");
  await rejects(await build({ data: [dir("usr/"), file("usr/../../etc/passwd", "x\n")] }), "UNSAFE_PATH");
  await rejects(await build({ data: [dir("/etc/"), file("/etc/x", "x\n")] }), "UNSAFE_PATH");
  await rejects(await build({ data: [file(".hidden", "x\n")] }), "UNEXPECTED_MEMBER");
});

test("size = 0 with files to install is INVALID_VALUE", async () => {
  const e = await rejects(await build({ size: 0 }), "INVALID_VALUE");
  assert.equal(e.data.field, "size");
});

test("gzip bombs stop at maxUnpackedBytes, in the data and in the control member", async () => {
  const zeros = new Uint8Array(8 * 1024 * 1024);
  const bomb = await gz(zeros);
  assert.ok(bomb.length < 20_000);
  const control = await gz(
    await tar([file(".PKGINFO", "pkgname = b\npkgver = 1-r0\nsize = 1\n", false)], false),
  );
  await rejects(concatBytes([control, bomb]), "LIMIT_UNPACKED_BYTES", { maxUnpackedBytes: 1024 * 1024 });
  await rejects(concatBytes([bomb, control]), "LIMIT_UNPACKED_BYTES", {
    maxUnpackedBytes: 64 * 1024 * 1024,
    maxHeaderBytes: 1024 * 1024,
  });
});

/**
 * `mib` MiB of zeros as one gzip member of about mib KiB, made without holding the zeros: a deflate block of
 * 1 MiB of zeros ended by a full flush (byte-aligned, no references back past it) repeated `mib` times,
 * then an empty final block (RFC 1951 §3.2.3) and the trailer.
 */
function gzipBombOfZeros(mib: number): Uint8Array {
  const zeros = new Uint8Array(1024 * 1024);
  const block = zlib.deflateRawSync(zeros, { level: 9, finishFlush: zlib.constants.Z_FULL_FLUSH });
  const final = zlib.deflateRawSync(new Uint8Array(0));
  let crc = 0;
  for (let i = 0; i < mib; i++) crc = zlib.crc32(zeros, crc);
  const trailer = new Uint8Array(8);
  new DataView(trailer.buffer).setUint32(0, crc, true);
  new DataView(trailer.buffer).setUint32(4, (mib * zeros.length) >>> 0, true);
  const header = new Uint8Array([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]);
  return concatBytes([header, ...new Array<Uint8Array>(mib).fill(block), final, trailer]);
}

/** A source serving `chunk`-byte pieces that counts the bytes its readers actually pulled. */
function countingSource(bytes: Uint8Array, chunk = 64 * 1024): { source: ByteSource; pulled: () => number } {
  let pulled = 0;
  const source: ByteSource = {
    size: bytes.length,
    async *open(range) {
      const end = range?.end ?? bytes.length;
      for (let at = range?.start ?? 0; at < end; at += chunk) {
        const piece = bytes.subarray(at, Math.min(end, at + chunk));
        pulled += piece.length;
        yield piece;
      }
    },
  };
  return { source, pulled: () => pulled };
}

test("a 1 GiB gzip bomb as data with a wrong datahash is DIGEST_MISMATCH, refused before any inflating", async () => {
  const bomb = gzipBombOfZeros(1024);
  assert.ok(bomb.length < 1.1 * 1024 * 1024, `bomb is ${bomb.length} bytes`);
  const bytes = await build({ dataMember: bomb, datahash: (h) => (h[0] === "0" ? "1" : "0") + h.slice(1) });
  const dataStart = bytes.length - bomb.length;
  const { source, pulled } = countingSource(bytes);
  const e = await expectWithinBudget(() => apkFormat.read(source), undefined, "bomb");
  assert.ok(e instanceof FormatError, String(e));
  assert.equal(e.code, "DIGEST_MISMATCH", e.message);
  assert.equal(e.data.path, "datahash");
  assert.equal(e.data.offset, dataStart);
  // The hash reads the data member once. Finding where the member ends means inflating it, which reads it
  // again: more than one pass over the file (plus a chunk of read-ahead per open) means it was inflated.
  assert.ok(
    pulled() <= bytes.length + 2 * 64 * 1024,
    `pulled ${pulled()} bytes of a ${bytes.length}-byte file`,
  );
  // Inflating with a 1 MiB limit would stop with LIMIT_UNPACKED_BYTES; the datahash answers first.
  await rejects(bytes, "DIGEST_MISMATCH", { maxUnpackedBytes: 1024 * 1024 });
  // With the right datahash the bomb is inflated, and the limit stops it.
  await rejects(await build({ dataMember: bomb }), "LIMIT_UNPACKED_BYTES", { maxUnpackedBytes: 1024 * 1024 });
});

test("v3 (ADB) packages are UNSUPPORTED_VERSION; other bytes BAD_MAGIC; truncation TRUNCATED", async () => {
  await rejects(concatBytes([enc("ADBd"), new Uint8Array(64)]), "UNSUPPORTED_VERSION");
  await rejects(enc("PK\u0003\u0004 an android apk"), "BAD_MAGIC");
  // A cut package fails its datahash, which is checked before the data is inflated; without one, TRUNCATED.
  const good = await build();
  await rejects(good.subarray(0, good.length - 5), "DIGEST_MISMATCH");
  const plain = await build({ noDatahash: true });
  await rejects(plain.subarray(0, plain.length - 5), "TRUNCATED");
});

test("random truncations and bit flips give typed errors or a valid read, never a hang", async () => {
  const good = await collect(apkFormat.write(exampleSpec(), {}));
  await fc.assert(
    fc.asyncProperty(fc.nat(good.length - 1), fc.nat(255), fc.boolean(), async (at, value, cut) => {
      const bytes = cut ? good.slice(0, at) : good.slice();
      if (!cut) bytes[at] = value;
      const e = await expectWithinBudget(
        () => apkFormat.read(bytesSource(bytes), { limits: { maxUnpackedBytes: 16 * 1024 * 1024 } }),
        undefined,
        `${cut ? "cut" : "byte"} at ${at}`,
      );
      if (e !== undefined) assert.ok(isPackyardError(e), `untyped error: ${String(e)}`);
    }),
    { numRuns: 300 },
  );
});

test(".PKGINFO that is not UTF-8 (ff fe): INVALID_VALUE when read and when re-signed", async () => {
  const info = concatBytes([enc("pkgname = bad\npkgdesc = "), new Uint8Array([0xff, 0xfe]), enc("\n")]);
  const pkginfo: TarWriteEntry = {
    header: { name: ".PKGINFO", type: "file", mode: 0o644, uid: 0, gid: 0, size: info.length, mtime: 0 },
    content: info,
  };
  const data = await gz(await tar([dir("usr/")], true));
  const bytes = concatBytes([await gz(await tar([pkginfo], false)), data]);
  const e = await rejects(bytes, "INVALID_VALUE");
  assert.equal(e.data.path, ".PKGINFO");
  const caught = await expectWithinBudget(
    () => collect(apkFormat.sign!(bytesSource(bytes), exampleSigner(), { date: 1_700_000_000 })),
    undefined,
    "re-sign",
  );
  assert.ok(caught instanceof FormatError, `expected FormatError, got ${String(caught)}`);
  assert.equal(caught.code, "INVALID_VALUE", caught.message);
  assert.equal(caught.data.path, ".PKGINFO");
});

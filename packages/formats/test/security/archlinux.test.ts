/**
 * Bad Arch packages: truncated, bit-flipped and crafted ones give exact FormatError codes, fast, with
 * bounded memory.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { readArchlinux, writeArchlinux } from "../../src/archlinux/index.ts";
import { bytesSource, collect, encodeUtf8 } from "../../src/bytes/bytes.ts";
import { compress, compressBytes } from "../../src/compress/compress.ts";
import { type TarHeader, writeTar } from "../../src/container/tar.ts";
import { FormatError, isPackyardError } from "../../src/errors.ts";
import type { ReadLimits } from "../../src/limits.ts";
import { helloSpec } from "../archlinux/hello.ts";
import { expectWithinBudget } from "../support/budget.ts";

const PKGINFO = "pkgname = evil\npkgver = 1.0-1\narch = any\n";

interface Member {
  name: string;
  body?: string | Uint8Array;
  type?: TarHeader["type"];
  linkname?: string;
}

function header(m: Member, size: number): TarHeader {
  const h: TarHeader = {
    name: m.name,
    type: m.type ?? "file",
    mode: m.type === "dir" ? 0o755 : 0o644,
    uid: 0,
    gid: 0,
    size,
    mtime: 0,
  };
  if (m.linkname !== undefined) h.linkname = m.linkname;
  return h;
}

/** A zstd tar of the given members, in order. */
async function craft(members: Member[]): Promise<Uint8Array> {
  const entries = members.map((m) => {
    const body = typeof m.body === "string" ? encodeUtf8(m.body) : (m.body ?? new Uint8Array(0));
    return { header: header(m, m.type === undefined || m.type === "file" ? body.length : 0), content: body };
  });
  return collect(compress(writeTar(entries, { flavour: "pax" }), { algo: "zstd" }));
}

async function mtree(lines: string): Promise<Uint8Array> {
  return compressBytes(encodeUtf8(`#mtree\n/set type=file uid=0 gid=0 mode=644\n${lines}`), { algo: "gzip" });
}

/** Asserts that reading `bytes` fails with FormatError `code` (or one of `codes`), within the bad-input budget. */
async function rejects(
  bytes: Uint8Array,
  code: string | string[],
  limits?: Partial<ReadLimits>,
): Promise<FormatError> {
  const codes = typeof code === "string" ? [code] : code;
  const caught = await expectWithinBudget(
    () => readArchlinux(bytesSource(bytes), limits ? { limits } : {}),
    undefined,
    codes.join("|"),
  );
  assert.ok(
    caught instanceof FormatError,
    `expected FormatError ${codes}, got ${caught instanceof Error ? caught.stack : String(caught)}`,
  );
  assert.ok(codes.includes(caught.code), `expected ${codes}, got ${caught.code}: ${caught.message}`);
  return caught;
}

test("crafted .PKGINFO: duplicate key, unknown key, missing pkgrel, missing .PKGINFO", async () => {
  const dup = await rejects(
    await craft([{ name: ".PKGINFO", body: `${PKGINFO}pkgname = again\n` }]),
    "DUPLICATE_KEY",
  );
  assert.equal(dup.data.field, "pkgname");
  const unknown = await rejects(
    await craft([{ name: ".PKGINFO", body: `${PKGINFO}favourite = colour\n` }]),
    "UNKNOWN_KEY",
  );
  assert.equal(unknown.data.field, "favourite");
  await rejects(await craft([{ name: ".PKGINFO", body: "pkgname = evil\npkgver = 1.0\n" }]), "INVALID_VALUE");
  await rejects(
    await craft([{ name: ".PKGINFO", body: "pkgname = evil\npkgver = 1.0-1\nsize = -1\n" }]),
    "INVALID_VALUE",
  );
  await rejects(await craft([{ name: ".PKGINFO", body: "pkgname evil\n" }]), "BAD_HEADER");
  await rejects(
    await craft([
      { name: "./.PKGINFO", body: PKGINFO },
      { name: "usr/", type: "dir" },
    ]),
    "MISSING_MEMBER",
  );
});

test("crafted names: .. segments, absolute names, hard links out of the package", async () => {
  const dots = await rejects(
    await craft([
      { name: ".PKGINFO", body: PKGINFO },
      { name: "usr/../../etc/passwd", body: "x" },
    ]),
    "UNSAFE_PATH",
  );
  assert.equal(dots.data.path, "usr/../../etc/passwd");
  await rejects(
    await craft([
      { name: ".PKGINFO", body: PKGINFO },
      { name: "/etc/passwd", body: "x" },
    ]),
    "UNSAFE_PATH",
  );
  await rejects(
    await craft([
      { name: ".PKGINFO", body: PKGINFO },
      { name: "usr/x", type: "hardlink", linkname: "../../etc/shadow" },
    ]),
    "UNSAFE_PATH",
  );
  await rejects(
    await craft([
      { name: ".PKGINFO", body: PKGINFO },
      { name: "usr/x", type: "hardlink", linkname: "usr/missing" },
    ]),
    "MISSING_MEMBER",
  );
});

test("crafted .MTREE that disagrees with the files", async () => {
  const body = "hello\n";
  const sha = "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03";
  const base = [{ name: ".PKGINFO", body: PKGINFO }];
  const ok = await craft([
    ...base,
    {
      name: ".MTREE",
      body: await mtree(`./usr time=0.0 mode=755 type=dir\n./usr/f time=0.0 size=6 sha256digest=${sha}\n`),
    },
    { name: "usr/", type: "dir" },
    { name: "usr/f", body },
  ]);
  assert.equal(await expectWithinBudget(() => readArchlinux(bytesSource(ok))), undefined, "control reads");
  const info = await readArchlinux(bytesSource(ok));
  assert.deepEqual(
    info.files.map((f) => f.path),
    ["/usr", "/usr/f"],
    "the control case reads",
  );

  const wrongSha = await rejects(
    await craft([
      ...base,
      {
        name: ".MTREE",
        body: await mtree(
          `./usr time=0.0 mode=755 type=dir\n./usr/f time=0.0 size=6 sha256digest=${"0".repeat(64)}\n`,
        ),
      },
      { name: "usr/", type: "dir" },
      { name: "usr/f", body },
    ]),
    "DIGEST_MISMATCH",
  );
  assert.equal(wrongSha.data.field, "sha256digest");
  const wrongMode = await rejects(
    await craft([
      ...base,
      {
        name: ".MTREE",
        body: await mtree(`./usr time=0.0 mode=755 type=dir\n./usr/f time=0.0 mode=4755 size=6\n`),
      },
      { name: "usr/", type: "dir" },
      { name: "usr/f", body },
    ]),
    "DIGEST_MISMATCH",
  );
  assert.equal(wrongMode.data.field, "mode");
  // pacman would skip usr/ at install ("file not found in file list"): nfpm #638
  const unlisted = await rejects(
    await craft([
      ...base,
      { name: ".MTREE", body: await mtree(`./usr/f time=0.0 size=6\n`) },
      { name: "usr/", type: "dir" },
      { name: "usr/f", body },
    ]),
    "UNEXPECTED_MEMBER",
  );
  assert.equal(unlisted.data.path, "usr");
  await rejects(
    await craft([
      ...base,
      { name: ".MTREE", body: await mtree(`./usr/f time=0.0 size=6\n./usr/g time=0.0 size=1\n`) },
      { name: "usr/f", body },
    ]),
    "MISSING_MEMBER",
  );
  await rejects(
    await craft([
      ...base,
      { name: ".MTREE", body: await mtree(`./usr/f time=0.0 size=six\n`) },
      { name: "usr/f", body },
    ]),
    "BAD_HEADER",
  );
  await rejects(
    await craft([...base, { name: ".MTREE", body: encodeUtf8("not gzip") }, { name: "usr/f", body }]),
    "BAD_HEADER",
  );
  await rejects(await craft([...base, ...base]), "UNEXPECTED_MEMBER");
});

test("zstd bombs stop at the limits: a huge .PKGINFO, a huge file, trailing zeros", async () => {
  async function* zeros(n: number): AsyncGenerator<Uint8Array> {
    const chunk = new Uint8Array(1 << 20);
    for (let i = 0; i < n; i += chunk.length) yield chunk;
  }
  const huge = 256 * 1024 * 1024;
  // a 256 MiB .PKGINFO claims more than maxHeaderBytes; the reader refuses before reading it
  async function* bomb(first: TarHeader): AsyncGenerator<Uint8Array> {
    yield* writeTar([{ header: first, content: { size: huge, open: () => zeros(huge) } }], {
      flavour: "pax",
    });
  }
  const pkginfoBomb = await collect(
    compress(bomb({ ...header({ name: ".PKGINFO" }, huge) }), { algo: "zstd", level: 1 }),
  );
  assert.ok(pkginfoBomb.length < 64 * 1024, `bomb is ${pkginfoBomb.length} bytes`);
  await rejects(pkginfoBomb, "LIMIT_HEADER_BYTES", { maxHeaderBytes: 1024 * 1024 });
  const fileBomb = await collect(
    compress(bomb({ ...header({ name: "usr/zeros" }, huge) }), { algo: "zstd", level: 1 }),
  );
  await rejects(fileBomb, "LIMIT_UNPACKED_BYTES", { maxUnpackedBytes: 16 * 1024 * 1024 });
  // 256 MiB of zeros after a valid package: stopped after 1 MiB of "padding", default limits
  const ok = await collect(
    writeTar([{ header: header({ name: ".PKGINFO" }, PKGINFO.length), content: encodeUtf8(PKGINFO) }], {
      flavour: "pax",
    }),
  );
  async function* tail(): AsyncGenerator<Uint8Array> {
    yield ok;
    yield* zeros(huge);
  }
  await rejects(await collect(compress(tail(), { algo: "zstd", level: 1 })), "UNEXPECTED_MEMBER");
});

test("truncated packages give TRUNCATED or CORRUPT_COMPRESSED_DATA", async () => {
  const bytes = await collect(writeArchlinux(helloSpec()));
  for (let cut = 0; cut < bytes.length; cut += Math.max(1, Math.floor(bytes.length / 40))) {
    await rejects(bytes.subarray(0, cut), ["TRUNCATED", "CORRUPT_COMPRESSED_DATA"]);
  }
});

test("bit flips never escape as untyped errors and never pass unnoticed in the payload", async () => {
  const bytes = await collect(writeArchlinux(helloSpec()));
  await fc.assert(
    fc.asyncProperty(fc.nat(bytes.length - 1), fc.integer({ min: 1, max: 255 }), async (pos, mask) => {
      const bad = bytes.slice();
      bad[pos]! ^= mask;
      const e = await expectWithinBudget(() => readArchlinux(bytesSource(bad)), undefined, `flip at ${pos}`);
      // zstd's content checksum covers every byte: only a flip in the frame header's unused bits may pass
      if (e === undefined) assert.ok(pos < 6, `flip at ${pos} was not detected`);
      else assert.ok(isPackyardError(e), `flip at ${pos}: ${(e as Error).stack}`);
    }),
    { numRuns: 200, seed: 3 },
  );
});

/**
 * Framing as each format's default (issue 18 item 3): a package spanning about ten 2 MiB frames
 * (framed-payload.ts) is built with 1, 2 and 8 compression workers and must come out byte-identical,
 * for every format that frames by default (deb data.tar.gz and control.tar.gz, rpm gzip payload, Arch
 * gzip, tar.gz) and for the one-member parts made in blocks (apk's data member, macOS's Payload); the
 * opt-in framed zstd of rpm and Arch and the one-stream settings are compared at 2. The compressed parts
 * are cut out and checked without packyard's readers: their gzip members are counted by header (one per
 * 2 MiB of uncompressed input, or one with `/stream` or in blocks, whose sync flushes are counted) and
 * node:zlib decompresses them to the expected size.
 * The real tools read the same packages in test/interop/framed-formats.test.ts.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { gunzipSync, inflateSync, zstdDecompressSync } from "node:zlib";
import { writeApk } from "../../src/apk/writer.ts";
import { writeArchlinux } from "../../src/archlinux/writer.ts";
import { collect } from "../../src/bytes/bytes.ts";
import { withCompressionWorkers } from "../../src/compress/compress.ts";
import { DEFAULT_FRAME_BYTES, parseCompression } from "../../src/compress/compression.ts";
import { liveFrameWorkers } from "../../src/compress/frame-pool.ts";
import { DEFAULT_BLOCK_BYTES } from "../../src/compress/gzip-blocks.ts";
import { writeDeb } from "../../src/deb/writer.ts";
import { writeMacos } from "../../src/macos/writer.ts";
import { writeRpm } from "../../src/rpm/writer.ts";
import type { PackageSpec } from "../../src/spec/types.ts";
import { writeTarball } from "../../src/tarball/writer.ts";
import { arMembers, framedSpec, gzipMembers, rpmPayload, syncFlushes, zstdFrames } from "./framed-payload.ts";
import { sameBytes } from "./helpers.ts";

let dir: string;
let spec: PackageSpec;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), "packyard-format-framing-"));
  spec = await framedSpec(join(dir, "payload"));
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** Frames the default framing cuts `plain` bytes into. */
const frames = (plain: number): number => Math.max(1, Math.ceil(plain / DEFAULT_FRAME_BYTES));

/** Builds with `workers` compression threads, noting the most worker threads leased at once. */
async function build(
  workers: number,
  write: () => AsyncIterable<Uint8Array>,
): Promise<{ bytes: Uint8Array; leased: number }> {
  let leased = 0;
  const tick = setInterval(() => {
    leased = Math.max(leased, liveFrameWorkers());
  }, 2);
  try {
    const bytes = await withCompressionWorkers(workers, () => collect(write()));
    return { bytes, leased };
  } finally {
    clearInterval(tick);
  }
}

interface Case {
  name: string;
  write: () => AsyncIterable<Uint8Array>;
  /** The compressed parts of the package, by name. */
  parts: (pkg: Uint8Array) => Record<string, Uint8Array>;
  /** Worker counts compared with 1: 2 and 8 where the format frames by default, else 2. */
  workers?: number[];
  /**
   * Per part: its codec and whether it is framed (members = one per 2 MiB) or one stream; `blocks`: one
   * gzip member whose deflate stream is made of a block per MiB (compress/gzip-blocks.ts).
   */
  expect: Record<string, { algo: "gzip" | "zstd"; framed: boolean; blocks?: boolean }>;
}

const debParts = (pkg: Uint8Array): Record<string, Uint8Array> => {
  const m = arMembers(pkg);
  return { "control.tar.gz": m.get("control.tar.gz")!, "data.tar.gz": m.get("data.tar.gz")! };
};

/** An unsigned apk's two gzip members (control, data), cut at the data member's header. */
const apkParts = (pkg: Uint8Array): Record<string, Uint8Array> => {
  const header = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0]);
  const at = Buffer.from(pkg.buffer, pkg.byteOffset, pkg.byteLength).indexOf(header, 10);
  assert.ok(at > 0, "a second gzip member");
  return { control: pkg.subarray(0, at), data: pkg.subarray(at) };
};

/** The framed payload where macOS installs: below /usr/local (Installer refuses /usr itself). */
const macosSpec = (): PackageSpec => ({
  ...spec,
  entries: spec.entries.map((e) => ({ ...e, path: e.path.replace("/usr/share/", "/usr/local/share/") })),
});

/** A macOS product archive's Payload, as its xar stores it. */
const xarPayload = (pkg: Uint8Array): Uint8Array => {
  const view = new DataView(pkg.buffer, pkg.byteOffset, pkg.byteLength);
  // xar: header size and compressed TOC length in the header; the heap follows the TOC.
  const tocEnd = view.getUint16(4) + Number(view.getBigUint64(8));
  const toc = inflateSync(pkg.subarray(view.getUint16(4), tocEnd)).toString();
  const file = /<file id="\d+">\s*<data>((?:(?!<\/data>)[\s\S])*)<\/data>\s*<name>Payload<\/name>/.exec(toc);
  assert.ok(file !== null, "a Payload in the xar table of contents");
  const num = (tag: string) => Number(new RegExp(`<${tag}>(\\d+)</${tag}>`).exec(file[1]!)![1]);
  return pkg.subarray(tocEnd + num("offset"), tocEnd + num("offset") + num("length"));
};

const CASES: Case[] = [
  {
    name: "deb (default gzip-9)",
    write: () => writeDeb(spec),
    parts: debParts,
    expect: {
      "control.tar.gz": { algo: "gzip", framed: true },
      "data.tar.gz": { algo: "gzip", framed: true },
    },
  },
  {
    name: "deb gzip:9/stream",
    workers: [2],
    write: () => writeDeb(spec, { compression: parseCompression("gzip:9/stream", "deb.compression") }),
    parts: debParts,
    expect: {
      "control.tar.gz": { algo: "gzip", framed: false },
      "data.tar.gz": { algo: "gzip", framed: false },
    },
  },
  {
    name: "rpm (default gzip-6)",
    write: () => writeRpm(spec),
    parts: (pkg) => ({ payload: rpmPayload(pkg) }),
    expect: { payload: { algo: "gzip", framed: true } },
  },
  {
    name: "rpm zstd:3/2MiB",
    workers: [2],
    write: () => writeRpm(spec, { compression: parseCompression("zstd:3/2MiB", "rpm.compression") }),
    parts: (pkg) => ({ payload: rpmPayload(pkg) }),
    expect: { payload: { algo: "zstd", framed: true } },
  },
  {
    name: "Arch gzip",
    write: () => writeArchlinux(spec, { compression: parseCompression("gzip", "archlinux.compression") }),
    parts: (pkg) => ({ package: pkg }),
    expect: { package: { algo: "gzip", framed: true } },
  },
  {
    name: "Arch (default zstd-3, one stream)",
    workers: [2],
    write: () => writeArchlinux(spec),
    parts: (pkg) => ({ package: pkg }),
    expect: { package: { algo: "zstd", framed: false } },
  },
  {
    name: "Arch zstd:3/2MiB",
    workers: [2],
    write: () =>
      writeArchlinux(spec, { compression: parseCompression("zstd:3/2MiB", "archlinux.compression") }),
    parts: (pkg) => ({ package: pkg }),
    expect: { package: { algo: "zstd", framed: true } },
  },
  {
    name: "tar.gz (default)",
    write: () => writeTarball(spec),
    parts: (pkg) => ({ archive: pkg }),
    expect: { archive: { algo: "gzip", framed: true } },
  },
  {
    name: "apk (gzip-9: the data member in blocks)",
    write: () => writeApk(spec, {}),
    parts: apkParts,
    expect: {
      control: { algo: "gzip", framed: false },
      data: { algo: "gzip", framed: false, blocks: true },
    },
  },
  {
    name: "macOS (gzip-6 Payload in blocks)",
    write: () => writeMacos(macosSpec(), {}),
    parts: (pkg) => ({ Payload: xarPayload(pkg) }),
    expect: { Payload: { algo: "gzip", framed: false, blocks: true } },
  },
  {
    name: "tar.gz framing: false",
    workers: [2],
    write: () => writeTarball(spec, { framing: false }),
    parts: (pkg) => ({ archive: pkg }),
    expect: { archive: { algo: "gzip", framed: false } },
  },
];

for (const c of CASES) {
  test(`${c.name}: the same bytes with 1, 2 and 8 workers; framed as expected`, async () => {
    const one = await build(1, c.write);
    assert.equal(one.leased, 0, "workers 1: no worker thread");
    const parts = c.parts(one.bytes);
    let framedPlain = 0;
    for (const [name, want] of Object.entries(c.expect)) {
      const part = parts[name];
      assert.ok(part !== undefined && part.length > 0, `${name} is in the package`);
      const plain = (want.algo === "gzip" ? gunzipSync(part) : zstdDecompressSync(part)).length;
      const count = want.algo === "gzip" ? gzipMembers(part) : zstdFrames(part);
      const what = `${name}: ${plain} bytes in ${count} ${want.algo === "gzip" ? "members" : "frames"}`;
      assert.equal(count, want.framed ? frames(plain) : 1, what);
      if (want.framed && plain > DEFAULT_FRAME_BYTES) framedPlain = plain;
      if (want.blocks === true) {
        const blocks = Math.ceil(plain / DEFAULT_BLOCK_BYTES);
        assert.ok(syncFlushes(part) >= blocks - 1, `${what}: ${syncFlushes(part)} sync flushes`);
        framedPlain = Math.max(framedPlain, plain);
      }
    }
    const framed = Object.values(c.expect).some((e) => e.framed || e.blocks === true);
    if (framed) assert.ok(framedPlain > 8 * DEFAULT_FRAME_BYTES, "a framed part spans several frames");
    for (const workers of c.workers ?? [2, 8]) {
      const other = await build(workers, c.write);
      sameBytes(other.bytes, one.bytes, `${c.name}, workers ${workers} against 1`);
      // Frames go to several workers; one stream to one.
      if (framed) assert.ok(other.leased >= 2, `workers ${workers}: ${other.leased} leased at most`);
      else assert.ok(other.leased >= 1, `workers ${workers}: one stream compressed on a worker`);
    }
  });
}

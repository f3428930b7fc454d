/**
 * Real tools judge our compressed output and supply the input for our decoders: gzip, zstd, xz (also
 * byte-for-byte, and its -lvv listing), bzip2, python3's zlib (member boundaries) and coreutils' *sum.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { concatBytes } from "../../src/bytes/bytes.ts";
import { compress, compressBytes } from "../../src/compress/compress.ts";
import type { Compression } from "../../src/compress/compression.ts";
import { decompress, decompressBytes } from "../../src/compress/decompress.ts";
import { gzipMembers } from "../../src/compress/gzip-members.ts";
import { setLzmaNativeLoader } from "../../src/compress/lzma-native.ts";
import { FormatError } from "../../src/errors.ts";
import { hashBytes } from "../../src/hash/hasher.ts";
import { collect, sameBytes, sampleBytes } from "../compress/helpers.ts";
import { chunked } from "@packyard/testkit/chunked";
import { needTool, run } from "@packyard/testkit/tools";

const dir = mkdtempSync(join(tmpdir(), "packyard-compress-interop-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const data = sampleBytes(1_500_000, 11);
const dataPath = join(dir, "data.bin");
writeFileSync(dataPath, data);

function bytesOf(path: string): Uint8Array {
  return new Uint8Array(readFileSync(path));
}

/** Runs `cmd args` with stdout captured as bytes. */
function runBytes(cmd: string, args: string[]): Uint8Array {
  const out = join(dir, "stdout.bin");
  run("sh", ["-c", `"$0" "$@" > "${out}"`, cmd, ...args]);
  return bytesOf(out);
}

const judges: Array<[Compression, string, string[]]> = [
  [{ algo: "gzip" }, "gzip", ["-dc"]],
  [{ algo: "gzip", level: 9, framing: { chunkBytes: 300_000 } }, "gzip", ["-dc"]],
  [{ algo: "zstd" }, "zstd", ["-dc"]],
  [{ algo: "zstd", level: 19, framing: { chunkBytes: 400_000 } }, "zstd", ["-dc"]],
];

for (const [c, tool, decodeArgs] of judges) {
  test(`${tool} -t and ${tool} ${decodeArgs.join(" ")} accept our ${c.algo}${c.framing ? " (framed)" : ""}`, async (t) => {
    if (!needTool(t, tool)) return;
    const out = await collect(compress(chunked(data, 65_536), c));
    const file = join(dir, `ours.${c.algo}`);
    writeFileSync(file, out);
    run(tool, ["-t", file]);
    sameBytes(runBytes(tool, [...decodeArgs, file]), data, `${tool} output`);
  });
}

test("zcat reads our gzip and reports no timestamp", async (t) => {
  if (!needTool(t, "zcat", "gzip")) return;
  const file = join(dir, "ts.gz");
  writeFileSync(file, await compressBytes(data, { algo: "gzip" }));
  sameBytes(runBytes("zcat", [file]), data);
  // Python's gzip module exposes the header's MTIME after reading; GNU gzip -lv would show the file's.
  if (!needTool(t, "python3")) return;
  const mtime = run("python3", [
    "-c",
    "import gzip,sys; f=gzip.open(sys.argv[1]); f.read(); print(f.mtime)",
    file,
  ]).trim();
  assert.equal(mtime, "0");
});

test("xz -t, xz -d and xz -lvv accept our xz: CRC64, really compressed", async (t) => {
  if (!needTool(t, "xz")) return;
  const file = join(dir, "ours.xz");
  writeFileSync(file, await collect(compress(chunked(data, 65_536), { algo: "xz" })));
  run("xz", ["-t", file]);
  sameBytes(runBytes("xz", ["-dc", file]), data);
  const listing = run("xz", ["-lvv", file]);
  const ratio = Number(/^\s*Ratio:\s+([\d.]+)/m.exec(listing)?.[1]);
  assert.ok(ratio > 0 && ratio < 0.5, `xz -lvv ratio ${ratio}:\n${listing}`);
  assert.match(listing, /^\s*Check:\s+CRC64$/m);
  const framed = join(dir, "framed.xz");
  writeFileSync(framed, await compressBytes(data, { algo: "xz", framing: { chunkBytes: 500_000 } }));
  run("xz", ["-t", framed]);
  assert.match(run("xz", ["--robot", "-l", framed]), /^totals\t3\t/m);
});

test("our xz equals xz -T1 -<preset> byte for byte (same LZMA2 encoder)", async (t) => {
  if (!needTool(t, "xz")) return;
  const sample = data.subarray(0, 400_000);
  const samplePath = join(dir, "sample.bin");
  writeFileSync(samplePath, sample);
  for (const level of [0, 3, 6]) {
    const ours = await collect(compress(chunked(sample, 10_007), { algo: "xz", level }));
    sameBytes(ours, runBytes("xz", ["-T1", `-${level}`, "-c", samplePath]), `preset ${level}`);
  }
});

test("we read xz --check=sha256/crc32/none streams, with and without lzma-native", async (t) => {
  if (!needTool(t, "xz")) return;
  const made = Object.fromEntries(
    ["sha256", "crc32", "crc64", "none"].map((check) => [
      check,
      runBytes("xz", ["-T1", "-3", `--check=${check}`, "-c", dataPath]),
    ]),
  );
  for (const [check, bytes] of Object.entries(made)) {
    sameBytes(await collect(decompress(chunked(bytes, 4093), "auto")), data, `--check=${check}`);
    if (check === "none") continue;
    // Flipping a byte of the check value: the codec verifies it (for none there is nothing to verify).
    const footer = new DataView(bytes.buffer, bytes.byteOffset + bytes.length - 12, 12);
    const indexBytes = (footer.getUint32(4, true) + 1) * 4;
    const checkBytes = { sha256: 32, crc32: 4, crc64: 8 }[check] as number;
    const bad = bytes.slice();
    const at = bytes.length - 12 - indexBytes - checkBytes;
    bad[at] = (bad[at] as number) ^ 1;
    await assert.rejects(
      decompressBytes(bad, "xz"),
      (e: unknown) => e instanceof FormatError && e.code === "CORRUPT_COMPRESSED_DATA",
      `--check=${check} with a wrong check value`,
    );
  }
  const sha = made.sha256 as Uint8Array;
  await assert.rejects(
    decompressBytes(sha.subarray(0, sha.length - 100), "xz"),
    (e: unknown) => e instanceof FormatError && e.code === "TRUNCATED",
  );
  setLzmaNativeLoader(() => {
    throw new Error("Cannot find module 'lzma-native'");
  });
  try {
    for (const check of ["crc32", "crc64", "none"])
      sameBytes(
        await decompressBytes(made[check] as Uint8Array, "xz"),
        data,
        `--check=${check} via xz-decompress`,
      );
    await assert.rejects(
      decompressBytes(sha, "xz"),
      (e: unknown) => e instanceof FormatError && e.code === "UNSUPPORTED" && /lzma-native/.test(e.message),
    );
  } finally {
    setLzmaNativeLoader();
  }
});

/** Two CLI-made streams concatenated: gzip members (with file names), zstd frames, xz streams, bzip2 streams. */
const cliMade: Array<[string, string[], "gzip" | "zstd" | "xz" | "bzip2"]> = [
  ["gzip", ["-c", "-6"], "gzip"],
  ["zstd", ["-q", "-c", "-3"], "zstd"],
  ["xz", ["-c", "-1"], "xz"],
  ["bzip2", ["-c", "-9"], "bzip2"],
];

for (const [tool, args, algo] of cliMade) {
  test(`we read ${tool}-made multi-stream files, chunk by chunk, and type their damage`, async (t) => {
    if (!needTool(t, tool)) return;
    const first = join(dir, `first-${tool}`);
    const second = join(dir, `second-${tool}`);
    writeFileSync(first, data.subarray(0, 300_000));
    writeFileSync(second, data.subarray(300_000));
    const made = new Uint8Array([...runBytes(tool, [...args, first]), ...runBytes(tool, [...args, second])]);
    for (const chunk of [4093, 1 << 20])
      sameBytes(
        await collect(decompress(chunked(made, chunk), "auto")),
        data,
        `${tool} in ${chunk}-byte chunks`,
      );
    await assert.rejects(
      decompressBytes(made.subarray(0, made.length - 7), algo),
      (e: unknown) => e instanceof FormatError && e.code === "TRUNCATED",
      "truncated",
    );
    const bad = made.slice();
    for (let i = 200; i < 260; i++) bad[i] = (bad[i] as number) ^ 0xa5;
    await assert.rejects(
      decompressBytes(bad, algo),
      (e: unknown) =>
        e instanceof FormatError &&
        (e.code === "CORRUPT_COMPRESSED_DATA" || e.code === "BAD_CHECKSUM") &&
        e.cause !== undefined,
      "corrupt",
    );
    await assert.rejects(
      decompressBytes(made, algo, { limits: { maxUnpackedBytes: 100_000 } }),
      (e: unknown) => e instanceof FormatError && e.code === "LIMIT_UNPACKED_BYTES",
    );
  });
}

test("gzip member ranges equal python zlib's unused_data boundaries", async (t) => {
  if (!needTool(t, "gzip", "python3")) return;
  const parts = [data.subarray(0, 10), data.subarray(10, 200_000), data.subarray(200_000)];
  const files = parts.map((p, i) => {
    const f = join(dir, `m${i}`);
    writeFileSync(f, p);
    return runBytes("gzip", ["-c", `-${i + 1}`, f]);
  });
  const whole = concatBytes(files);
  const wholePath = join(dir, "members.gz");
  writeFileSync(wholePath, whole);
  const py = `
import sys, zlib
data = open(sys.argv[1], 'rb').read()
pos = 0
while pos < len(data):
    d = zlib.decompressobj(wbits=31)
    d.decompress(data[pos:])
    end = len(data) - len(d.unused_data)
    print(pos, end)
    pos = end
`;
  const expected = run("python3", ["-c", py, wholePath])
    .trim()
    .split("\n")
    .map((l) => l.split(" ").map(Number));
  const ours = [];
  for await (const m of gzipMembers(whole)) ours.push([m.start, m.end]);
  assert.deepEqual(ours, expected);
  assert.equal(expected.length, 3);
});

test("digests equal md5sum, sha1sum, sha256sum, sha512sum", (t) => {
  if (!needTool(t, "md5sum", "sha1sum", "sha256sum", "sha512sum")) return;
  for (const algo of ["md5", "sha1", "sha256", "sha512"] as const) {
    const expected = run(`${algo}sum`, [dataPath]).split(" ")[0];
    assert.equal(hashBytes(data, algo), expected, algo);
  }
});

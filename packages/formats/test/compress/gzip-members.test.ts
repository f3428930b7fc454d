import assert from "node:assert/strict";
import { test } from "node:test";
import zlib from "node:zlib";
import { concatBytes } from "../../src/bytes/bytes.ts";
import {
  type GzipMember,
  gzipMemberAt,
  gzipMembers,
  inflateMember,
} from "../../src/compress/gzip-members.ts";
import { FormatError } from "../../src/errors.ts";
import type { ByteSource } from "../../src/spec/types.ts";
import { sameBytes, sampleBytes } from "./helpers.ts";

/** A source that yields odd-sized chunks, like a file read. */
function source(bytes: Uint8Array, chunk: number): ByteSource {
  return {
    size: bytes.length,
    async *open(range) {
      const end = range?.end ?? bytes.length;
      for (let at = range?.start ?? 0; at < end; at += chunk)
        yield bytes.slice(at, Math.min(end, at + chunk));
    },
  };
}

const parts = [sampleBytes(10, 1), sampleBytes(7_000, 2), new Uint8Array(0), sampleBytes(30_000, 3)];
const members = parts.map((p, i) => new Uint8Array(zlib.gzipSync(p, { level: i + 1 })));
const whole = concatBytes(members);

for (const chunk of [1, 7, 321, 1 << 20]) {
  test(`member ranges are exact with ${chunk}-byte reads`, async () => {
    const found = [];
    for await (const m of gzipMembers(chunk === 1 << 20 ? whole : source(whole, chunk))) found.push(m);
    assert.equal(found.length, members.length);
    let at = 0;
    found.forEach((m, i) => {
      assert.equal(m.start, at);
      assert.equal(m.end, at + (members[i] as Uint8Array).length);
      assert.equal(m.deflateStart, at + 10);
      assert.equal(m.isize, (parts[i] as Uint8Array).length);
      assert.equal(m.crc32, zlib.crc32(parts[i] as Uint8Array));
      at = m.end;
    });
  });
}

test("optional header fields (FNAME, FEXTRA, FCOMMENT, FHCRC) are skipped", async () => {
  const plain = new Uint8Array(zlib.gzipSync(sampleBytes(1000)));
  // flags: FHCRC|FEXTRA|FNAME|FCOMMENT, extra of 3 bytes, name "a.txt", comment "hi", header CRC (not checked).
  const header = concatBytes([
    plain.subarray(0, 3),
    new Uint8Array([0x1e]),
    plain.subarray(4, 10),
    new Uint8Array([3, 0, 9, 9, 9]),
    new TextEncoder().encode("a.txt\0hi\0"),
    new Uint8Array([0, 0]),
  ]);
  const member = concatBytes([header, plain.subarray(10)]);
  const found = [];
  for await (const m of gzipMembers(concatBytes([member, plain]))) found.push(m);
  assert.equal(found[0]?.deflateStart, header.length);
  assert.equal(found[0]?.end, member.length);
  assert.equal(found[1]?.end, member.length + plain.length);
});

test("trailing garbage, truncation and corruption are typed errors", async () => {
  const collect = async (b: Uint8Array) => {
    for await (const _ of gzipMembers(b));
  };
  await assert.rejects(
    collect(concatBytes([whole, new Uint8Array([1, 2, 3])])),
    (e: unknown) => e instanceof FormatError && e.code === "BAD_MAGIC" && e.data.offset === whole.length,
  );
  await assert.rejects(
    collect(whole.subarray(0, whole.length - 3)),
    (e: unknown) => e instanceof FormatError && e.code === "TRUNCATED",
  );
  await assert.rejects(
    collect(whole.subarray(0, 5)),
    (e: unknown) => e instanceof FormatError && e.code === "TRUNCATED",
  );
  const last = members[3] as Uint8Array;
  await assert.rejects(
    collect(last.subarray(0, 1000)),
    (e: unknown) => e instanceof FormatError && e.code === "TRUNCATED",
  );
  const bad = last.slice();
  bad.fill(0xff, 20, 60);
  await assert.rejects(
    collect(bad),
    (e: unknown) => e instanceof FormatError && e.code === "CORRUPT_COMPRESSED_DATA",
  );
  await assert.rejects(
    collect(new Uint8Array(0)),
    (e: unknown) => e instanceof FormatError && e.code === "TRUNCATED",
  );
});

test("limits: unpacked bytes and member count", async () => {
  const collect = async (b: Uint8Array, limits: object) => {
    for await (const _ of gzipMembers(b, { limits }));
  };
  await assert.rejects(
    collect(whole, { maxUnpackedBytes: 20_000 }),
    (e: unknown) => e instanceof FormatError && e.code === "LIMIT_UNPACKED_BYTES",
  );
  await assert.rejects(
    collect(whole, { maxEntries: 3 }),
    (e: unknown) => e instanceof FormatError && e.code === "LIMIT_ENTRIES",
  );
});

/** inflateMember's output and member, read the way the apk reader does (output to its end, then end()). */
async function inflateAll(
  src: ByteSource,
  start: number,
  limits: object = {},
): Promise<{ out: Uint8Array; member: GzipMember }> {
  const inflation = inflateMember(src, start, limits);
  try {
    const parts: Uint8Array[] = [];
    for await (const c of inflation.output) parts.push(c);
    return { out: concatBytes(parts), member: await inflation.end() };
  } finally {
    await inflation.cancel();
  }
}

/** Offsets of every member in `whole`. */
const starts = members.map((_, i) => members.slice(0, i).reduce((n, m) => n + m.length, 0));
/** 3 MiB in one member: more output than the inflater's 1 MiB read-ahead, so back-pressure is exercised. */
const big = new Uint8Array(zlib.gzipSync(sampleBytes(3 * 1024 * 1024, 4)));

for (const chunk of [1, 7, 321, 1 << 20]) {
  test(`inflateMember yields gunzip's output and gzipMemberAt's member with ${chunk}-byte reads`, async () => {
    for (const [i, start] of starts.entries()) {
      const { out, member } = await inflateAll(source(whole, chunk), start);
      // Only this member's output: gunzip of the member alone (gunzip of `whole` would go on to the next).
      sameBytes(out, new Uint8Array(zlib.gunzipSync(members[i] as Uint8Array)), `member ${i}`);
      assert.deepEqual(member, await gzipMemberAt(source(whole, chunk), start));
      assert.equal(member.end, start + (members[i] as Uint8Array).length);
    }
    if (chunk < 321) return; // 3 MiB one byte at a time is slow and adds nothing
    const { out, member } = await inflateAll(source(big, chunk), 0);
    sameBytes(out, new Uint8Array(zlib.gunzipSync(big)), "3 MiB member");
    assert.deepEqual(member, await gzipMemberAt(source(big, chunk), 0));
  });
}

test("inflateMember: a member followed by another ends where the first ends, the second is not inflated", async () => {
  const two = concatBytes([big, members[1] as Uint8Array]);
  const { out, member } = await inflateAll(source(two, 64 * 1024), 0);
  assert.equal(member.end, big.length);
  assert.equal(out.length, 3 * 1024 * 1024);
  // The first member's deflate data ends in the middle of a read; a second member right after it is left.
  const { member: first } = await inflateAll(source(two, big.length - 3), 0);
  assert.equal(first.end, big.length);
});

test("inflateMember: a consumer that stops early still gets the member from end()", async () => {
  const inflation = inflateMember(source(big, 64 * 1024), 0);
  for await (const c of inflation.output) {
    assert.ok(c.length > 0);
    break;
  }
  const member = await inflation.end();
  assert.deepEqual(member, await gzipMemberAt(source(big, 1 << 20), 0));
  assert.equal(member.isize, 3 * 1024 * 1024);
});

test("inflateMember: a wrong CRC-32 or ISIZE in the trailer is CORRUPT_COMPRESSED_DATA naming both values", async () => {
  const crcAt = big.length - 8;
  for (const [at, field] of [
    [crcAt, "CRC32"],
    [crcAt + 4, "ISIZE"],
  ] as const) {
    const bad = big.slice();
    (bad[at] as number) ^= 0x01;
    const view = new DataView(big.buffer, big.byteOffset, big.byteLength);
    const right = view.getUint32(at, true);
    const wrong = new DataView(bad.buffer).getUint32(at, true);
    const hex = (n: number) => n.toString(16).padStart(8, "0");
    await assert.rejects(inflateAll(source(bad, 50_000), 0), (e: unknown) => {
      assert.ok(e instanceof FormatError, String(e));
      assert.equal(e.code, "CORRUPT_COMPRESSED_DATA", e.message);
      assert.equal(e.data.field, field);
      assert.equal(e.data.offset, at);
      if (field === "CRC32") {
        assert.equal(e.data.expected, hex(wrong));
        assert.equal(e.data.found, hex(right));
        assert.match(e.message, new RegExp(`${hex(right)}.*${hex(wrong)}`));
      } else {
        assert.equal(e.data.expected, wrong);
        assert.equal(e.data.found, right);
      }
      return true;
    });
  }
});

test("inflateMember: truncation in the header, the deflate data or the trailer is TRUNCATED", async () => {
  for (const cut of [5, 1000, big.length - 8, big.length - 3]) {
    await assert.rejects(
      inflateAll(source(big.subarray(0, cut), 4096), 0),
      (e: unknown) => e instanceof FormatError && e.code === "TRUNCATED" && e.data.offset === cut,
      `cut at ${cut}`,
    );
  }
  // end() after output failed throws the same error, not a hang or a different one.
  const inflation = inflateMember(source(big.subarray(0, 1000), 4096), 0);
  await assert.rejects(
    (async () => {
      for await (const _ of inflation.output);
    })(),
    (e: unknown) => e instanceof FormatError && e.code === "TRUNCATED",
  );
  await assert.rejects(inflation.end(), (e: unknown) => e instanceof FormatError && e.code === "TRUNCATED");
});

test("inflateMember: corrupt deflate data is CORRUPT_COMPRESSED_DATA, bytes that are no member BAD_MAGIC", async () => {
  const bad = big.slice();
  bad.fill(0xff, 20, 60);
  await assert.rejects(
    inflateAll(source(bad, 4096), 0),
    (e: unknown) => e instanceof FormatError && e.code === "CORRUPT_COMPRESSED_DATA",
  );
  await assert.rejects(
    inflateAll(source(concatBytes([big, new Uint8Array([1, 2, 3])]), 4096), big.length),
    (e: unknown) => e instanceof FormatError && e.code === "BAD_MAGIC" && e.data.offset === big.length,
  );
});

test("inflateMember: output over maxUnpackedBytes is LIMIT_UNPACKED_BYTES, also when nobody reads it", async () => {
  const limits = { maxUnpackedBytes: 3 * 1024 * 1024 - 1 };
  await assert.rejects(
    inflateAll(source(big, 64 * 1024), 0, limits),
    (e: unknown) => e instanceof FormatError && e.code === "LIMIT_UNPACKED_BYTES",
  );
  await assert.rejects(
    inflateMember(source(big, 64 * 1024), 0, limits).end(),
    (e: unknown) => e instanceof FormatError && e.code === "LIMIT_UNPACKED_BYTES",
  );
  // Exactly at the limit is fine.
  const { member } = await inflateAll(source(big, 64 * 1024), 0, { maxUnpackedBytes: 3 * 1024 * 1024 });
  assert.equal(member.end, big.length);
});

test("inflateMember: the source's own error passes through, and cancel() closes the source", async () => {
  const failure = new Error("disk on fire");
  let closed = 0;
  const failing: ByteSource = {
    size: big.length,
    async *open(range) {
      try {
        yield big.subarray(range?.start ?? 0, 100_000);
        throw failure;
      } finally {
        closed++;
      }
    },
  };
  await assert.rejects(inflateAll(failing, 0), (e: unknown) => e === failure);
  assert.equal(closed, 1);
  const inflation = inflateMember(source(big, 4096), 0);
  let opened = 0;
  const counted: ByteSource = {
    size: big.length,
    async *open(range) {
      opened++;
      try {
        yield* source(big, 4096).open(range);
      } finally {
        closed++;
      }
    },
  };
  const cancelled = inflateMember(counted, 0);
  for await (const _ of cancelled.output) break;
  await cancelled.cancel();
  assert.equal(opened, 1);
  assert.equal(closed, 2);
  await inflation.cancel(); // never started: nothing to close
});

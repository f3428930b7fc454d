/**
 * Bad input for the macOS reader: truncated and bit-flipped packages, TOC offsets outside the heap, Apple
 * Archive payloads, a Bom that disagrees with the Payload. Every case ends in a typed FormatError, fast.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";
import { zlibSync } from "fflate";
import { bytesSource, collect, concatBytes, encodeUtf8 } from "../../src/bytes/bytes.ts";
import { encodeBom } from "../../src/container/bom.ts";
import { writeXar, xarStored, xarZlib } from "../../src/container/xar.ts";
import { FormatError } from "../../src/errors.ts";
import { readMacos, writeMacosBytes } from "../../src/macos/index.ts";
import { helloSpec } from "../macos/hello.ts";
import { expectWithinBudget } from "../support/budget.ts";

const typed = (e: unknown) => e instanceof FormatError;
const code = (c: string) => (e: unknown) => e instanceof FormatError && e.code === c;

/** Runs `f` (which asserts on its own) within the bad-input budget: < 1 s, < 64 MB allocated. */
async function timed(f: () => Promise<unknown>): Promise<void> {
  const e = await expectWithinBudget(f);
  if (e !== undefined) throw e;
}

test("truncated at every 97th byte: typed errors only", async () => {
  const bytes = await writeMacosBytes(helloSpec());
  for (let n = 0; n < bytes.length; n += 97) {
    await timed(() => assert.rejects(readMacos(bytesSource(bytes.subarray(0, n))), typed, `cut at ${n}`));
  }
});

test("single bit flips across the file: typed errors or a clean read, never anything else", async () => {
  const bytes = await writeMacosBytes(helloSpec());
  let failures = 0;
  for (let i = 0; i < bytes.length; i += 13) {
    const b = bytes.slice();
    b[i]! ^= 1 << (i % 8);
    await timed(async () => {
      try {
        await readMacos(bytesSource(b));
      } catch (e) {
        assert.ok(typed(e), `flip at ${i}: ${String(e)}`);
        failures++;
      }
    });
  }
  assert.ok(failures > 0);
});

/** Reading `bytes` fails with FormatError `c` within the bad-input budget. */
async function rejectsWith(bytes: Uint8Array, c: string): Promise<FormatError> {
  const e = await expectWithinBudget(() => readMacos(bytesSource(bytes)), undefined, c);
  assert.ok(e instanceof FormatError, `expected FormatError ${c}, got ${String(e)}`);
  assert.equal(e.code, c, e.message);
  return e;
}

/** A xar whose TOC names data at `offset`, with `heap` bytes after the checksum. */
function xarWithOffset(offset: number): Uint8Array {
  const xml = encodeUtf8(
    `<?xml version="1.0"?><xar><toc><checksum style="sha1"><offset>0</offset><size>20</size></checksum><file id="1"><name>PackageInfo</name><type>file</type><data><offset>${offset}</offset><length>10</length><size>10</size><encoding style="application/octet-stream"/></data></file></toc></xar>`,
  );
  const ctoc = zlibSync(xml);
  const h = new Uint8Array(28);
  const dv = new DataView(h.buffer);
  dv.setUint32(0, 0x78617221);
  dv.setUint16(4, 28);
  dv.setUint16(6, 1);
  dv.setBigUint64(8, BigInt(ctoc.length));
  dv.setBigUint64(16, BigInt(xml.length));
  dv.setUint32(24, 1);
  const sha = new Uint8Array(createHash("sha1").update(ctoc).digest());
  return concatBytes([h, ctoc, sha, new Uint8Array(10)]);
}

test("TOC offsets outside the heap: OFFSET_OUT_OF_RANGE", async () => {
  await timed(() =>
    readMacos(bytesSource(xarWithOffset(20))).catch((e) => assert.ok(!code("OFFSET_OUT_OF_RANGE")(e))),
  );
  await timed(() => assert.rejects(readMacos(bytesSource(xarWithOffset(21))), code("OFFSET_OUT_OF_RANGE")));
  await timed(() =>
    assert.rejects(readMacos(bytesSource(xarWithOffset(2 ** 40))), code("OFFSET_OUT_OF_RANGE")),
  );
});

async function componentWith(
  payload: Uint8Array,
  bom = encodeBom([
    { path: ".", type: "dir", mode: 0o40755, uid: 0, gid: 0, mtime: 0, size: 0, checksum: 0 },
  ]),
): Promise<Uint8Array> {
  return collect(
    writeXar([
      { name: "Bom", type: "file", data: xarZlib(bom) },
      {
        name: "PackageInfo",
        type: "file",
        data: xarZlib(
          encodeUtf8('<pkg-info format-version="2" identifier="a.b" version="1" install-location="/"/>'),
        ),
      },
      { name: "Payload", type: "file", data: xarStored(payload) },
    ]),
  );
}

test("Apple Archive and unknown payloads: UNSUPPORTED_PAYLOAD", async () => {
  await rejectsWith(await componentWith(encodeUtf8("AA01\x00\x00rest")), "UNSUPPORTED_PAYLOAD");
  await rejectsWith(await componentWith(encodeUtf8("pbze-lzfse")), "UNSUPPORTED_PAYLOAD");
  const { gzipSync } = await import("fflate");
  await rejectsWith(await componentWith(gzipSync(encodeUtf8("YAA1xxxxxx"))), "UNSUPPORTED_PAYLOAD");
});

test("a Bom that disagrees with the Payload: DIGEST_MISMATCH / MISSING_MEMBER / UNEXPECTED_MEMBER", async () => {
  const bytes = await writeMacosBytes(helloSpec(), { componentOnly: true });
  const { readXar, findXarNode, xarFileBytes } = await import("../../src/container/xar.ts");
  const { decodeBom } = await import("../../src/container/bom.ts");
  const a = await readXar(bytesSource(bytes));
  const payload = await xarFileBytes(bytesSource(bytes), a, findXarNode(a.nodes, "Payload")!, {}, 1 << 20);
  const bom = decodeBom(await xarFileBytes(bytesSource(bytes), a, findXarNode(a.nodes, "Bom")!));
  const changed = bom.map((e) => (e.type === "file" ? { ...e, checksum: (e.checksum + 1) >>> 0 } : e));
  await rejectsWith(await componentWith(payload, encodeBom(changed)), "DIGEST_MISMATCH");
  const extra = [
    ...bom,
    {
      path: "./extra",
      type: "file" as const,
      mode: 0o100644,
      uid: 0,
      gid: 0,
      mtime: 0,
      size: 0,
      checksum: 0,
    },
  ];
  await rejectsWith(await componentWith(payload, encodeBom(extra)), "MISSING_MEMBER");
  const fewer = bom.filter((e) => e.path !== "./usr/local/bin/hi");
  await rejectsWith(await componentWith(payload, encodeBom(fewer)), "UNEXPECTED_MEMBER");
});

test("PackageInfo or Distribution that is not UTF-8 (ff fe): FormatError INVALID_VALUE naming the file", async () => {
  const notUtf8 = concatBytes([encodeUtf8("<?xml version="), new Uint8Array([0xff, 0xfe]), encodeUtf8("?>")]);
  const component = await collect(
    writeXar([
      { name: "Bom", type: "file", data: xarZlib(encodeBom([])) },
      { name: "PackageInfo", type: "file", data: xarZlib(notUtf8) },
      { name: "Payload", type: "file", data: xarStored(new Uint8Array(0)) },
    ]),
  );
  const product = await collect(writeXar([{ name: "Distribution", type: "file", data: xarZlib(notUtf8) }]));
  for (const [bytes, path] of [
    [component, "PackageInfo"],
    [product, "Distribution"],
  ] as const) {
    await timed(() =>
      assert.rejects(readMacos(bytesSource(bytes)), (e: unknown) => {
        assert.ok(code("INVALID_VALUE")(e), String(e));
        assert.equal((e as FormatError).data.path, path);
        assert.match((e as FormatError).message, /not valid UTF-8/);
        return true;
      }),
    );
  }
});

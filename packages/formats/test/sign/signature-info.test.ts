import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { FormatError } from "../../src/errors.ts";
import { readSignatureInfo } from "../../src/sign/signature-info.ts";

const FPR = Uint8Array.from({ length: 20 }, (_, i) => 0xa0 + i);
const KEYID = FPR.subarray(12);
const CREATED = 0x65000000;

function u32(n: number): number[] {
  return [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
}

/** A v4 signature body: creation time + fingerprint hashed, key id unhashed (rpm's layout), fake MPI. */
function v4Body(
  options: { hash?: number; algo?: number; mpiBytes?: number; keyId?: boolean; fpr?: boolean } = {},
): number[] {
  const hashed = [5, 2, ...u32(CREATED), ...(options.fpr === false ? [] : [22, 33, 4, ...FPR])];
  const unhashed = options.keyId === false ? [] : [9, 16, ...KEYID];
  const mpiBytes = options.mpiBytes ?? 16;
  return [
    4,
    0x00,
    options.algo ?? 1,
    options.hash ?? 8,
    0,
    hashed.length,
    ...hashed,
    0,
    unhashed.length,
    ...unhashed,
    0xbe,
    0xef,
    (mpiBytes * 8) >> 8,
    (mpiBytes * 8) & 0xff,
    ...new Array(mpiBytes).fill(0x5a),
  ];
}

test("old-format packet, 2-octet length (rpm's 0x89 CTB)", () => {
  const body = v4Body();
  const info = readSignatureInfo(Uint8Array.from([0x89, body.length >> 8, body.length & 0xff, ...body]));
  assert.deepEqual(info, {
    version: 4,
    signatureType: 0,
    algorithm: "rsa",
    hash: "sha256",
    keyId: "ACADAEAFB0B1B2B3",
    fingerprint: "A0A1A2A3A4A5A6A7A8A9AAABACADAEAFB0B1B2B3",
    created: new Date(CREATED * 1000),
  });
});

test("new-format packet, one- and two-octet lengths; algorithm and hash names", () => {
  const small = v4Body({ hash: 10, algo: 22 });
  assert.ok(small.length < 192);
  const a = readSignatureInfo(Uint8Array.from([0xc2, small.length, ...small]));
  assert.equal(a.hash, "sha512");
  assert.equal(a.algorithm, "eddsa");
  const big = v4Body({ mpiBytes: 512, hash: 2 });
  assert.ok(big.length >= 192 && big.length < 8384);
  const len = big.length - 192;
  const b = readSignatureInfo(Uint8Array.from([0xc2, (len >> 8) + 192, len & 0xff, ...big]));
  assert.equal(b.hash, "sha1");
  assert.equal(b.keyId, "ACADAEAFB0B1B2B3");
});

test("key id falls back to the fingerprint's low 64 bits; fingerprint optional", () => {
  const noKeyId = v4Body({ keyId: false });
  assert.equal(
    readSignatureInfo(Uint8Array.from([0xc2, noKeyId.length, ...noKeyId])).keyId,
    "ACADAEAFB0B1B2B3",
  );
  const noFpr = v4Body({ fpr: false });
  const info = readSignatureInfo(Uint8Array.from([0xc2, noFpr.length, ...noFpr]));
  assert.equal(info.fingerprint, undefined);
  assert.equal(info.keyId, "ACADAEAFB0B1B2B3");
  const neither = v4Body({ fpr: false, keyId: false });
  assert.throws(
    () => readSignatureInfo(Uint8Array.from([0xc2, neither.length, ...neither])),
    (e: unknown) => e instanceof FormatError && e.code === "BAD_HEADER",
  );
});

test("v3 signature packets (old rpm and gpg 1.x)", () => {
  const body = [3, 5, 0x00, ...u32(CREATED), ...KEYID, 17, 2, 0xbe, 0xef, 0, 8, 0x42];
  const info = readSignatureInfo(Uint8Array.from([0x88, body.length, ...body]));
  assert.deepEqual(info, {
    version: 3,
    signatureType: 0,
    algorithm: "dsa",
    hash: "sha1",
    keyId: "ACADAEAFB0B1B2B3",
    created: new Date(CREATED * 1000),
  });
});

test("armored input, also inside a cleartext message, as bytes or string; packets before the signature are skipped", () => {
  const body = v4Body();
  const marker = [0xca, 3, 0x50, 0x47, 0x50]; // marker packet (tag 10)
  const bin = Uint8Array.from([...marker, 0xc2, body.length, ...body]);
  const b64 = btoa(String.fromCharCode(...bin));
  const armored = `-----BEGIN PGP SIGNATURE-----\nComment: x\n\n${b64.replace(/(.{64})/g, "$1\n")}\n=AAAA\n-----END PGP SIGNATURE-----\n`;
  const clear = `-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\nOrigin: x\n${armored}`;
  for (const input of [armored, new TextEncoder().encode(armored), clear]) {
    assert.equal(readSignatureInfo(input).keyId, "ACADAEAFB0B1B2B3");
  }
});

test("malformed input gives FormatError with a code and an offset", () => {
  const body = v4Body();
  const full = Uint8Array.from([0xc2, body.length, ...body]);
  const codeOf = (input: Uint8Array | string): string => {
    try {
      readSignatureInfo(input);
    } catch (e) {
      assert.ok(e instanceof FormatError, String(e));
      if (e.code === "TRUNCATED" || e.code === "BAD_HEADER") assert.equal(typeof e.data.offset, "number");
      return e.code;
    }
    return "none";
  };
  assert.equal(codeOf(full.subarray(0, 40)), "TRUNCATED");
  assert.equal(codeOf(Uint8Array.from([0x00, 0x00])), "BAD_MAGIC"); // not a packet tag, so read as (non-)armor
  assert.equal(codeOf(Uint8Array.from([0xca, 0x01, 0x00, 0x05])), "BAD_HEADER"); // a non-packet byte after a packet
  assert.equal(codeOf(Uint8Array.from([0xc2, 0x01, 0x04])), "TRUNCATED");
  assert.equal(codeOf("hello"), "BAD_MAGIC");
  assert.equal(codeOf(Uint8Array.from([0xc2, 3, 5, 0, 1])), "UNSUPPORTED_VERSION");
  assert.equal(codeOf(Uint8Array.from([0xcb, 1, 0])), "MISSING_MEMBER");
  assert.equal(codeOf(new Uint8Array(0)), "BAD_MAGIC");
});

test("any truncation or bit flip yields a result or a FormatError, never another exception", () => {
  const body = v4Body();
  const full = Uint8Array.from([0x89, 0, body.length, ...body]);
  fc.assert(
    fc.property(fc.nat(full.length), fc.nat(full.length - 1), fc.nat(7), (cut, at, bit) => {
      const bytes = full.slice(0, Math.max(cut, 1));
      if (at < bytes.length) bytes[at] = (bytes[at] ?? 0) ^ (1 << bit);
      try {
        readSignatureInfo(bytes);
      } catch (e) {
        assert.ok(e instanceof FormatError, `unexpected ${String(e)}`);
      }
    }),
  );
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { createHasher, digestStream, hashBytes, hashBytesRaw, hashing } from "../../src/hash/hasher.ts";
import { collect, sameBytes } from "../compress/helpers.ts";
import { chunked } from "@packyard/testkit/chunked";

const abc = new TextEncoder().encode("abc");

// FIPS 180 / RFC 1321 test vectors for "abc".
const ABC = {
  md5: "900150983cd24fb0d6963f7d28e17f72",
  sha1: "a9993e364706816aba3e25717850c26c9cd0d89d",
  sha256: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  sha512:
    "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
};

test("known vectors, lowercase hex", () => {
  for (const [algo, hex] of Object.entries(ABC)) assert.equal(hashBytes(abc, algo as keyof typeof ABC), hex);
  assert.equal(Buffer.from(hashBytesRaw(abc, "sha256")).toString("hex"), ABC.sha256);
  assert.equal(hashBytesRaw(abc, "sha256").constructor, Uint8Array);
});

test("one pass over chunks equals one-shot", async () => {
  const h = createHasher();
  h.update(abc.subarray(0, 1));
  h.update(abc.subarray(1));
  assert.deepEqual(h.digest(), ABC);
  const only = createHasher(["sha1"]);
  only.update(abc);
  assert.deepEqual(only.digest(), { sha1: ABC.sha1 });
});

test("digestStream and hashing", async () => {
  const data = new Uint8Array(100_000).map((_, i) => (i * 31) & 0xff);
  const expected = hashBytes(data, "sha512");
  const r = await digestStream(chunked(data, [1, 7, 321]), ["sha512"]);
  assert.equal(r.size, data.length);
  assert.equal(r.digests.sha512, expected);
  const h = createHasher(["sha512"]);
  sameBytes(await collect(hashing(chunked(data, 999), h)), data);
  assert.equal(h.digest().sha512, expected);
});

/** apt/armor: CRC-24 and the signature armor that joins two signers' packets. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { openpgpTestKey } from "@packyard/testkit/keyrings";
import { armorSignature, crc24, dearmorSignature } from "../../src/apt/armor.ts";
import { isRepoError } from "../../src/errors.ts";
import { DATE, utf8 } from "./support.ts";

test("crc24: RFC 4880's initial value and the CRC-24/OPENPGP check value", () => {
  assert.equal(crc24(new Uint8Array(0)), 0xb704ce);
  assert.equal(crc24(utf8("123456789")), 0x21cf02);
});

test("dearmor reads openpgp.js armor; armor then dearmor gives the same packets", async () => {
  const { signer } = await openpgpTestKey();
  const armored = await signer.detached(utf8("data"), { date: DATE, armor: true });
  const binary = await signer.detached(utf8("data"), { date: DATE });
  const packets = dearmorSignature(armored);
  assert.deepEqual(packets, binary);
  const again = armorSignature(packets);
  assert.match(
    again,
    /^-----BEGIN PGP SIGNATURE-----\n\n[A-Za-z0-9+/=\n]+\n=[A-Za-z0-9+/]{4}\n-----END PGP SIGNATURE-----\n$/,
  );
  assert.deepEqual(dearmorSignature(again), packets);
  for (const line of again.split("\n")) assert.ok(line.length <= 64);
});

test("dearmor skips armor headers and refuses a wrong CRC, a missing END, bad base64", () => {
  const packets = new Uint8Array(200).map((_, i) => i);
  const armored = armorSignature(packets);
  const withHeaders = armored.replace("-----\n\n", "-----\nVersion: x\nComment: y\n\n");
  assert.deepEqual(dearmorSignature(withHeaders), packets);
  const bad = [
    armored.replace(/\n=(....)\n/, "\n=AAAA\n"),
    armored.replace("-----END PGP SIGNATURE-----\n", ""),
    armored.replace(/\n\n./, "\n\n*"),
    "no armor here",
  ];
  for (const b of bad)
    assert.throws(
      () => dearmorSignature(b),
      (e) => isRepoError(e) && e.code === "VERIFY_FAILED",
      b.slice(0, 80),
    );
});

/**
 * Verifying a detached `.sig` tries every key the caller gives and skips those that are not OpenPGP keys
 * (an apk RSA key, a certificate's key), as the deb reader does: found by the fuzzer, which reads every
 * format with all three kinds of keys and saw Arch reads fail with SignError KEY_READ instead.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { archlinuxFormat } from "../../src/archlinux/index.ts";
import { bytesSource, collect } from "../../src/bytes/bytes.ts";
import { KEYS_DIR, openpgpTestKey } from "@packyard/testkit/keyrings";
import { helloSpec } from "./hello.ts";

const { key, signer } = await openpgpTestKey({ type: "ecc", name: "Arch Signer", email: "arch@example.org" });
const rsaPem = readFileSync(`${KEYS_DIR}openssl-pkcs8.rsa.pub`, "utf8");

test("a PEM key among the keys is skipped: the OpenPGP key after it verifies the .sig", async () => {
  const bytes = await collect(archlinuxFormat.write(helloSpec(), {}));
  const sig = await archlinuxFormat.detachedSignature!(bytesSource(bytes), {}, signer, {
    date: 1_700_000_000,
  });
  assert.ok(sig);
  const read = (publicKeys: string[]) =>
    archlinuxFormat.read(bytesSource(bytes), { publicKeys, detachedSignature: sig.bytes });
  assert.equal((await read([rsaPem, key.publicKeyArmored])).signatures[0]?.verified, true);
  assert.equal((await read([rsaPem])).signatures[0]?.verified, false);
});

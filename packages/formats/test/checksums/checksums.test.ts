import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";
import { bytesSource, encodeUtf8 } from "../../src/bytes/bytes.ts";
import { checksumsFile, parseChecksums } from "../../src/checksums/checksums.ts";
import { checksumsName, parseChecksumConfig } from "../../src/checksums/config.ts";
import { signChecksums } from "../../src/checksums/sign.ts";
import { FormatError, SignError, SpecError } from "../../src/errors.ts";
import { verifyDetached } from "../../src/sign/openpgp.ts";
import type { RSASigner } from "../../src/sign/signer.ts";
import { openpgpTestKey } from "@packyard/testkit/keyrings";

const sha = (s: string, a = "sha256") => createHash(a).update(s).digest("hex");

test("lines are '<hex>  <name>', sorted by name, from bytes, sources or given digests", async () => {
  const text = await checksumsFile([
    { name: "b.zip", bytes: encodeUtf8("bbb") },
    { name: "a.tar.gz", source: bytesSource(encodeUtf8("aaa")) },
    { name: "c.deb", digest: sha("ccc").toUpperCase() },
  ]);
  assert.equal(text, `${sha("aaa")}  a.tar.gz\n${sha("bbb")}  b.zip\n${sha("ccc")}  c.deb\n`);
  const t512 = await checksumsFile([{ name: "x", bytes: encodeUtf8("x") }], "sha512");
  assert.equal(t512, `${sha("x", "sha512")}  x\n`);
});

test("names with a backslash or newline are escaped as coreutils does, and parse back", async () => {
  const text = await checksumsFile([{ name: "a\\b\nc", bytes: encodeUtf8("z") }]);
  assert.equal(text, `\\${sha("z")}  a\\\\b\\nc\n`);
  assert.deepEqual(parseChecksums(text), {
    algo: "sha256",
    lines: [{ name: "a\\b\nc", digest: sha("z"), binary: false }],
  });
  assert.deepEqual(parseChecksums(`${sha("z", "sha512")} *bin.zip\n`).lines, [
    { name: "bin.zip", digest: sha("z", "sha512"), binary: true },
  ]);
});

test("bad artifacts and bad files are typed errors", async () => {
  const spec = (code: string) => (e: unknown) => e instanceof SpecError && e.code === code;
  await assert.rejects(
    checksumsFile([
      { name: "a", bytes: new Uint8Array() },
      { name: "a", bytes: new Uint8Array() },
    ]),
    spec("DUPLICATE_PATH"),
  );
  await assert.rejects(checksumsFile([{ name: "d/a", bytes: new Uint8Array() }]), spec("INVALID_NAME"));
  await assert.rejects(checksumsFile([{ name: "a", digest: "abc" }]), spec("INVALID_FIELD"));
  await assert.rejects(
    checksumsFile([{ name: "a", bytes: new Uint8Array() }], "md5" as "sha256"),
    spec("INVALID_FIELD"),
  );
  const fmt = (e: unknown) => e instanceof FormatError && e.code === "INVALID_VALUE";
  assert.throws(() => parseChecksums("nothex  a\n"), fmt);
  assert.throws(() => parseChecksums(`${sha("a")}  a\n${sha("a", "sha512")}  b\n`), fmt);
  assert.throws(() => parseChecksums(""), fmt);
});

test("checksum: block", () => {
  const ctx = { field: "checksum", baseDir: "/p" };
  assert.deepEqual(
    parseChecksumConfig(
      { algorithm: "SHA512", signature: { key_file: "k.asc", key_id: "0123456789abcdef" } },
      ctx,
    ),
    {
      algorithm: "sha512",
      signature: { keyFile: "k.asc", keyId: "0123456789ABCDEF" },
    },
  );
  assert.throws(
    () => parseChecksumConfig({ split: true }, ctx),
    (e: unknown) =>
      e instanceof SpecError && e.code === "UNSUPPORTED_KEY" && e.data.field === "checksum.split",
  );
  assert.throws(
    () => parseChecksumConfig({ algo: "x" }, ctx),
    (e: unknown) => e instanceof SpecError && e.code === "UNKNOWN_KEY",
  );
  assert.throws(
    () => parseChecksumConfig({ algorithm: "crc32" }, ctx),
    (e: unknown) => e instanceof SpecError && e.code === "INVALID_FIELD",
  );
  assert.equal(checksumsName({}, { name: "a", version: "1" }), "SHA256SUMS");
  assert.equal(checksumsName({ algorithm: "sha512" }, { name: "a", version: "1" }), "SHA512SUMS");
  assert.equal(
    checksumsName(
      { nameTemplate: "{{ .ProjectName }}_{{version}}_checksums.txt" },
      { name: "a", version: "1" },
    ),
    "a_1_checksums.txt",
  );
});

test("signChecksums: armored detached signature over the exact text; RSA signers refused", async () => {
  const { key, signer } = await openpgpTestKey({ name: "T", email: "t@example.invalid", type: "ecc" });
  const text = `${sha("a")}  a\n`;
  const sig = await signChecksums(text, "SHA256SUMS", signer, { date: new Date(1_700_000_000_000) });
  assert.equal(sig.name, "SHA256SUMS.asc");
  assert.match(sig.text, /^-----BEGIN PGP SIGNATURE-----\n/);
  assert.equal((await verifyDetached(encodeUtf8(text), sig.text, key.publicKeyArmored)).valid, true);
  assert.equal((await verifyDetached(encodeUtf8(`${text} `), sig.text, key.publicKeyArmored)).valid, false);
  const rsa = { kind: "rsa" } as RSASigner;
  await assert.rejects(
    signChecksums(text, "SHA256SUMS", rsa, { date: new Date(1_700_000_000_000) }),
    (e: unknown) => e instanceof SignError && e.code === "KEY_UNSUPPORTED",
  );
});

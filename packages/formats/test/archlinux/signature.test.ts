/** Arch `.sig` signing without a build date: the date comes from the package's .PKGINFO, never the clock. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { archlinuxFormat } from "../../src/archlinux/index.ts";
import { bytesSource, collect } from "../../src/bytes/bytes.ts";
import { writeTar } from "../../src/container/tar.ts";
import { FormatError, SpecError } from "../../src/errors.ts";
import { verifyDetached } from "../../src/sign/openpgp.ts";
import { readSignatureInfo } from "../../src/sign/signature-info.ts";
import { helloSpec } from "./hello.ts";
import { openpgpTestKey } from "@packyard/testkit/keyrings";

const { key, signer } = await openpgpTestKey({
  type: "ecc",
  name: "Arch Signer",
  email: "arch@example.org",
  date: new Date("2020-01-01T00:00:00Z"),
});

/** An uncompressed tar holding only `.PKGINFO` with this text (enough for the date lookup). */
async function tarWithPkginfo(text: string): Promise<Uint8Array> {
  const content = new TextEncoder().encode(text);
  const header = {
    name: ".PKGINFO",
    type: "file" as const,
    mode: 0o644,
    uid: 0,
    gid: 0,
    size: content.length,
    mtime: 0,
  };
  return collect(writeTar([{ header, content }], { flavour: "pax" }));
}

test("without ctx.date the signature is dated the package's builddate, and verifies streamed", async () => {
  const spec = { ...helloSpec(), date: 1_650_000_000 };
  const pkg = bytesSource(await collect(archlinuxFormat.write(spec, {})));
  const sig = await archlinuxFormat.detachedSignature!(pkg, {}, signer);
  assert.ok(sig);
  assert.equal(sig.suffix, ".sig");
  assert.equal(readSignatureInfo(sig.bytes).created.getTime(), 1_650_000_000_000);
  // ctx.date wins over builddate.
  const dated = await archlinuxFormat.detachedSignature!(pkg, {}, signer, { date: 1_700_000_000 });
  assert.equal(readSignatureInfo(dated!.bytes).created.getTime(), 1_700_000_000_000);
  assert.equal(
    (await verifyDetached(pkg.open(), sig.bytes, key.publicKeyArmored, { date: null })).valid,
    true,
  );
  const other = bytesSource(await collect(archlinuxFormat.write({ ...spec, description: "other\nx" }, {})));
  assert.equal(
    (await verifyDetached(other.open(), sig.bytes, key.publicKeyArmored, { date: null })).valid,
    false,
  );
});

test("no ctx.date and no builddate: SpecError MISSING_FIELD naming the date; no .PKGINFO: FormatError", async () => {
  const noDate = bytesSource(await tarWithPkginfo("pkgname = hello\npkgver = 1.0-1\n"));
  await assert.rejects(archlinuxFormat.detachedSignature!(noDate, {}, signer), (e: unknown) => {
    assert.ok(e instanceof SpecError);
    assert.equal(e.code, "MISSING_FIELD");
    assert.equal(e.data.field, "date");
    assert.match(e.message, /builddate/);
    return true;
  });
  // With a date given, the same package is signed without reading it for one.
  assert.ok(await archlinuxFormat.detachedSignature!(noDate, {}, signer, { date: 1 }));
  const dated = bytesSource(await tarWithPkginfo("pkgname = hello\npkgver = 1.0-1\nbuilddate = 1234567\n"));
  const sig = await archlinuxFormat.detachedSignature!(dated, {}, signer);
  // Raised to the key's creation time (2020): verifiers refuse a signature older than its key.
  assert.equal(readSignatureInfo(sig!.bytes).created.getTime(), Date.UTC(2020, 0, 1));
  const empty = bytesSource(await collect(writeTar([], { flavour: "pax" })));
  await assert.rejects(archlinuxFormat.detachedSignature!(empty, {}, signer), (e: unknown) => {
    assert.ok(e instanceof FormatError);
    assert.equal(e.code, "MISSING_MEMBER");
    return true;
  });
});

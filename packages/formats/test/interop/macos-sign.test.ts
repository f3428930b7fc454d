/**
 * Signatures judged by openssl: a test CA and a Developer ID Installer–style leaf made here with openssl,
 * loaded from PEM, a legacy (RC2/3DES, `-legacy`) .p12 and an AES .p12; the TOC digest is recomputed by
 * python3 from the file, the CMS blob verified with `openssl cms -verify`, the RSA slot with
 * `openssl pkeyutl -verify`; both fail after a flipped TOC byte.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { bytesSource, collect } from "../../src/bytes/bytes.ts";
import { SignError } from "../../src/errors.ts";
import { macosFormat, readMacos, writeMacosBytes } from "../../src/macos/index.ts";
import { loadX509Signer, type X509Signer } from "../../src/sign/x509.ts";
import { helloSpec } from "../macos/hello.ts";
import { needTool, run, tryRun } from "@packyard/testkit/tools";

/** Cuts the compressed TOC, writes sha1(TOC) (optionally of a flipped copy), the RSA and the CMS slots. */
const PY_SIG = `
import hashlib, struct, sys, zlib, xml.etree.ElementTree as ET
b = open(sys.argv[1], 'rb').read(); out = sys.argv[2]; flip = sys.argv[3] == '1'
_, hsize, _, clen, ulen, _ = struct.unpack('>4sHHQQI', b[:28])
ctoc = bytearray(b[hsize:hsize + clen]); heap = hsize + clen
toc = ET.fromstring(zlib.decompress(bytes(ctoc))).find('toc')
if flip: ctoc[len(ctoc) // 2] ^= 1
open(out + '/digest.bin', 'wb').write(hashlib.sha1(bytes(ctoc)).digest())
for tag, name in (('signature', 'rsa.bin'), ('x-signature', 'cms.der')):
    el = toc.find(tag); off = int(el.find('offset').text); size = int(el.find('size').text)
    open(out + '/' + name, 'wb').write(b[heap + off:heap + off + size])
print(toc.find('signature').get('style'), toc.find('x-signature').get('style'), len(toc.find('signature').findall('{http://www.w3.org/2000/09/xmldsig#}KeyInfo/{http://www.w3.org/2000/09/xmldsig#}X509Data/{http://www.w3.org/2000/09/xmldsig#}X509Certificate')))
`;

function makeCa(dir: string): void {
  const o = (args: string[]) => run("openssl", args, { cwd: dir });
  o([
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    "ca.key",
    "-out",
    "ca.pem",
    "-subj",
    "/CN=Packyard Test Root CA",
    "-days",
    "3650",
  ]);
  o([
    "req",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    "leaf.key",
    "-out",
    "leaf.csr",
    "-subj",
    "/CN=Developer ID Installer: Packyard Test (ABCDE12345)/OU=ABCDE12345/O=Packyard Test/C=US",
  ]);
  writeFileSync(
    join(dir, "ext.cnf"),
    "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=codeSigning\n",
  );
  o([
    "x509",
    "-req",
    "-in",
    "leaf.csr",
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    "leaf.pem",
    "-days",
    "365",
    "-extfile",
    "ext.cnf",
  ]);
  o(["x509", "-in", "leaf.pem", "-pubkey", "-noout", "-out", "leafpub.pem"]);
  o([
    "pkcs12",
    "-export",
    "-legacy",
    "-inkey",
    "leaf.key",
    "-in",
    "leaf.pem",
    "-certfile",
    "ca.pem",
    "-out",
    "legacy.p12",
    "-passout",
    "pass:s3cret",
  ]);
  o([
    "pkcs12",
    "-export",
    "-inkey",
    "leaf.key",
    "-in",
    "leaf.pem",
    "-certfile",
    "ca.pem",
    "-out",
    "aes.p12",
    "-passout",
    "pass:s3cret",
  ]);
}

function judge(dir: string, pkg: string, flip: boolean): { cms: boolean; rsa: boolean; styles: string } {
  const styles = run("python3", ["-c", PY_SIG, pkg, dir, flip ? "1" : "0"]).trim();
  const cms = tryRun(
    "openssl",
    [
      "cms",
      "-verify",
      "-inform",
      "DER",
      "-in",
      "cms.der",
      "-binary",
      "-content",
      "digest.bin",
      "-CAfile",
      "ca.pem",
      "-purpose",
      "any",
      "-out",
      "/dev/null",
    ],
    { cwd: dir },
  );
  const rsa = tryRun(
    "openssl",
    [
      "pkeyutl",
      "-verify",
      "-pubin",
      "-inkey",
      "leafpub.pem",
      "-in",
      "digest.bin",
      "-sigfile",
      "rsa.bin",
      "-pkeyopt",
      "digest:sha1",
    ],
    { cwd: dir },
  );
  return { cms: cms.status === 0, rsa: rsa.status === 0, styles };
}

test("signed product archives and component packages verify with openssl (PEM, legacy .p12, AES .p12)", async (t) => {
  if (!needTool(t, "openssl", "python3", "bsdtar")) return;
  const dir = mkdtempSync(join(tmpdir(), "packyard-macos-sign-"));
  try {
    makeCa(dir);
    const read = (f: string) => readFileSync(join(dir, f));
    const signers: [string, X509Signer][] = [
      [
        "pem",
        loadX509Signer({
          certificatePem: read("leaf.pem").toString() + read("ca.pem").toString(),
          keyPem: read("leaf.key").toString(),
        }),
      ],
      ["legacy.p12", loadX509Signer({ p12: new Uint8Array(read("legacy.p12")), passphrase: "s3cret" })],
      ["aes.p12", loadX509Signer({ p12: new Uint8Array(read("aes.p12")), passphrase: "s3cret" })],
    ];
    for (const [label, signer] of signers) {
      assert.equal(signer.certificates.length, 2, label);
      assert.match(signer.subjects[0]!, /^CN=Developer ID Installer: Packyard Test/);
      for (const componentOnly of [false, true]) {
        const bytes = await writeMacosBytes(helloSpec(), { signer, componentOnly });
        const pkg = join(dir, "s.pkg");
        writeFileSync(pkg, bytes);
        assert.equal(
          tryRun("bsdtar", ["-xOf", pkg, componentOnly ? "Payload" : "hello.pkg/Payload"]).status,
          0,
        );
        assert.deepEqual(
          judge(dir, pkg, false),
          { cms: true, rsa: true, styles: "RSA CMS 2" },
          `${label} ${componentOnly}`,
        );
        assert.deepEqual(
          judge(dir, pkg, true),
          { cms: false, rsa: false, styles: "RSA CMS 2" },
          `${label} flipped`,
        );
        const info = await readMacos(bytesSource(bytes), { publicKeys: [read("leafpub.pem").toString()] });
        assert.deepEqual(
          info.signatures.map((s) => [s.kind, s.location, s.verified]),
          [
            ["x509", "xar:signature:RSA", true],
            ["x509", "xar:x-signature:CMS", undefined],
          ],
        );
        const other = await readMacos(bytesSource(bytes), { publicKeys: [read("ca.pem").toString()] });
        assert.equal(other.signatures[0]!.verified, false, "not the trusted key");
      }
    }
    // signing is deterministic (build date as signingTime)
    const [, s] = signers[0]!;
    assert.deepEqual(
      await writeMacosBytes(helloSpec(), { signer: s }),
      await writeMacosBytes(helloSpec(), { signer: s }),
    );
    // re-signing an unsigned archive through the PackageFormat keeps every member and verifies
    const unsigned = await writeMacosBytes(helloSpec());
    const resigned = await collect(macosFormat.sign!(bytesSource(unsigned), s as never));
    const pkg = join(dir, "r.pkg");
    writeFileSync(pkg, resigned);
    assert.deepEqual(judge(dir, pkg, false), { cms: true, rsa: true, styles: "RSA CMS 2" });
    assert.equal(run("bsdtar", ["-xOf", pkg, "hello.pkg/Payload"]).length > 0, true);
    assert.deepEqual(
      (await readMacos(bytesSource(resigned))).files,
      (await readMacos(bytesSource(unsigned))).files,
    );
    assert.throws(
      () => loadX509Signer({ p12: new Uint8Array(read("legacy.p12")), passphrase: "wrong" }),
      (e) => e instanceof SignError && e.code === "BAD_PASSPHRASE",
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

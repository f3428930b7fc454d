/**
 * Child process of sign-reproducible.test.ts: writes signed rpm, deb, apk and Arch packages (and `.sig`)
 * of the example spec, built signed and re-signed, all dated argv[3] (seconds), into the folder argv[2].
 * Run twice in separate processes, the two folders must hold the same bytes.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { apkFormat } from "../../src/apk/index.ts";
import { archlinuxFormat } from "../../src/archlinux/index.ts";
import { bytesSource, collect } from "../../src/bytes/bytes.ts";
import { debFormat } from "../../src/deb/index.ts";
import type { PackageFormat } from "../../src/format.ts";
import { rpmFormat } from "../../src/rpm/index.ts";
import { loadOpenPGPSigner } from "../../src/sign/openpgp.ts";
import { loadRSASigner } from "../../src/sign/rsa.ts";
import type { Signer } from "../../src/sign/signer.ts";
import { exampleSpec } from "@packyard/testkit/example";

const keys = new URL("../../../../fixtures/keys/", import.meta.url).pathname;
const [out, dateArg] = process.argv.slice(2);
if (out === undefined || dateArg === undefined) throw new Error("usage: OUT_DIR DATE_SECONDS");
const date = Number(dateArg);

const signers: Record<string, Signer> = {
  rsa: await loadOpenPGPSigner(readFileSync(join(keys, "gpg-plain.secret.asc"), "utf8")),
  eddsa: await loadOpenPGPSigner(readFileSync(join(keys, "gpg-locked.secret.asc"), "utf8"), {
    passphrase: "packyard-test",
  }),
  apk: loadRSASigner(readFileSync(join(keys, "openssl-pkcs1.rsa"), "utf8"), { keyName: "test.rsa.pub" }),
};

// biome-ignore lint/suspicious/noExplicitAny: formats carry their own option types.
const plans: [PackageFormat<any>, string[]][] = [
  [rpmFormat, ["rsa", "eddsa"]],
  [debFormat, ["rsa", "eddsa"]],
  [archlinuxFormat, ["rsa", "eddsa"]],
  [apkFormat, ["apk"]],
];

for (const [format, keyNames] of plans) {
  const spec = exampleSpec();
  const unsigned = await collect(format.write(spec, {}));
  for (const keyName of keyNames) {
    const signer = signers[keyName]!;
    const base = join(out, `${format.id}-${keyName}`);
    if (format.sign !== undefined) {
      // Embedded signatures: signed while writing (ctx.signer), and an unsigned package signed afterwards.
      writeFileSync(`${base}.built`, await collect(format.write(spec, {}, { signer, date })));
      writeFileSync(`${base}.resigned`, await collect(format.sign(bytesSource(unsigned), signer, { date })));
    }
    if (format.detachedSignature !== undefined) {
      writeFileSync(`${base}.unsigned`, unsigned);
      const sig = await format.detachedSignature(bytesSource(unsigned), {}, signer, { date });
      if (sig !== undefined) writeFileSync(`${base}.unsigned${sig.suffix}`, sig.bytes);
    }
  }
}

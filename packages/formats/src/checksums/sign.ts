/** The armored detached OpenPGP signature of a checksums file (`SHA256SUMS.asc`), as `gpg --armor --detach-sign` makes. */
import { encodeUtf8 } from "../bytes/bytes.ts";
import { SignError } from "../errors.ts";
import type { OpenPGPSignOptions, Signer } from "../sign/signer.ts";

/**
 * Signs the exact bytes of a checksums file; returns the `.asc` name and armored text, dated `options.date`
 * (the build date, SOURCE_DATE_EPOCH: reproducible for RSA and EdDSA keys). Throws SignError KEY_UNSUPPORTED
 * for a non-OpenPGP signer.
 */
export async function signChecksums(
  text: string,
  fileName: string,
  signer: Signer,
  options: OpenPGPSignOptions,
): Promise<{ name: string; text: string }> {
  if (signer.kind !== "openpgp") {
    throw new SignError(
      "KEY_UNSUPPORTED",
      `checksums are signed with an OpenPGP key; found a ${signer.kind} key`,
      {
        expected: "openpgp",
        found: signer.kind,
      },
    );
  }
  const armored = await signer.detached(encodeUtf8(text), { ...options, armor: true });
  return { name: `${fileName}.asc`, text: armored };
}

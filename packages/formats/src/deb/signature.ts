/**
 * debsigs-style signatures (what nfpm's default deb signing writes): an ASCII-armored detached OpenPGP
 * signature over the concatenation of the debian-binary, control and data member contents, stored as
 * the ar member `_gpgorigin` (or `_gpgmaint`, `_gpgarchive`) after data.tar.
 */
import { concatBytes, encodeUtf8 } from "../bytes/bytes.ts";
import { SignError } from "../errors.ts";
import type { WriteContext } from "../format.ts";
import type { Signer } from "../sign/signer.ts";

/**
 * Signs the three member contents. The signature is dated `date` (deterministic for RSA and EdDSA keys);
 * when the key is newer than `date`, it is dated by openpgp.js instead and a warning says so.
 */
export async function signDebMembers(
  parts: readonly Uint8Array[],
  signer: Signer,
  date: Date,
  ctx: WriteContext = {},
): Promise<Uint8Array> {
  if (signer.kind !== "openpgp") {
    throw new SignError(
      "KEY_UNSUPPORTED",
      `deb signatures are OpenPGP (debsigs); found a ${signer.kind} signer`,
      { expected: "openpgp", found: signer.kind },
    );
  }
  const data = concatBytes(parts);
  try {
    return encodeUtf8(await signer.detached(data, { armor: true, date }));
  } catch (first) {
    ctx.warn?.({
      code: "DEB_SIGNATURE_DATE",
      message: `the signature could not be dated ${date.toISOString()} (${(first as Error).message}); it carries the current time instead and the package is not reproducible`,
    });
    return encodeUtf8(await signer.detached(data, { armor: true }));
  }
}

/**
 * debsigs-style signatures (what nfpm's default deb signing writes): an ASCII-armored detached OpenPGP
 * signature over the concatenation of the debian-binary, control and data member contents, stored as
 * the ar member `_gpgorigin` (or `_gpgmaint`, `_gpgarchive`) after data.tar.
 */
import { encodeUtf8 } from "../bytes/bytes.ts";
import { SignError } from "../errors.ts";
import type { SignInput, Signer } from "../sign/signer.ts";

/** The parts one after the other, as one stream; nothing is held beyond the chunk being hashed. */
export async function* chainParts(parts: readonly SignInput[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) {
    if (part instanceof Uint8Array) yield part;
    else yield* part;
  }
}

/**
 * Signs the three member contents, dated `date` (seconds): deterministic for RSA and EdDSA keys. A date
 * before the key's creation is raised to it by the signer, so the output stays fixed for a given key.
 * Parts may be streams (a spooled data.tar's `open()`): they are hashed as they arrive, never held whole.
 */
export async function signDebMembers(
  parts: readonly SignInput[],
  signer: Signer,
  date: number,
): Promise<Uint8Array> {
  if (signer.kind !== "openpgp") {
    throw new SignError(
      "KEY_UNSUPPORTED",
      `deb signatures are OpenPGP (debsigs); found a ${signer.kind} signer`,
      { expected: "openpgp", found: signer.kind },
    );
  }
  return encodeUtf8(await signer.detached(chainParts(parts), { armor: true, date: new Date(date * 1000) }));
}

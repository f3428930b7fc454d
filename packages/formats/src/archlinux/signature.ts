/** Arch package signatures: a detached binary OpenPGP signature `FILE.sig` over the whole package file (makepkg --sign). */
import { collect } from "../bytes/bytes.ts";
import { SignError } from "../errors.ts";
import type { DetachedArtifact, WriteContext } from "../format.ts";
import type { Signer } from "../sign/signer.ts";
import type { ByteSource } from "../spec/types.ts";

/**
 * Signs a package file: binary (never armored: repo-add refuses armored package signatures) detached OpenPGP
 * signature, returned with the `.sig` suffix. The package is read into memory once (openpgp.js signs bytes).
 * The signature is dated `ctx.date` (seconds; reproducible for RSA and EdDSA keys), else the current time.
 * @throws SignError KEY_UNSUPPORTED when the signer is not OpenPGP.
 */
export async function signArchlinux(
  artifact: ByteSource,
  signer: Signer,
  ctx: WriteContext = {},
): Promise<DetachedArtifact> {
  if (signer.kind !== "openpgp") {
    throw new SignError(
      "KEY_UNSUPPORTED",
      `archlinux: packages are signed with OpenPGP keys (pacman-key); found a ${signer.kind} key`,
      {
        expected: "openpgp",
        found: signer.kind,
      },
    );
  }
  const bytes = await collect(artifact.open());
  const date = ctx.date === undefined ? {} : { date: new Date(ctx.date * 1000) };
  return { suffix: ".sig", bytes: await signer.detached(bytes, date) };
}

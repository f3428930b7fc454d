/** Arch package signatures: a detached binary OpenPGP signature `FILE.sig` over the whole package file (makepkg --sign). */
import { SignError, SpecError } from "../errors.ts";
import type { DetachedArtifact, WriteContext } from "../format.ts";
import type { Signer } from "../sign/signer.ts";
import type { ByteSource } from "../spec/types.ts";
import { readArchlinuxBuildDate } from "./build-date.ts";

/**
 * Signs a package file: binary (never armored: repo-add refuses armored package signatures) detached OpenPGP
 * signature, returned with the `.sig` suffix. The package is streamed into the signer, never held whole.
 * The signature is dated `ctx.date` (seconds), else the package's `.PKGINFO` builddate, so signing is
 * reproducible for RSA and EdDSA keys either way.
 * @throws SignError KEY_UNSUPPORTED when the signer is not OpenPGP; SpecError MISSING_FIELD (field `date`)
 * when there is neither `ctx.date` nor a builddate; FormatError when the package cannot be read for it.
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
  const seconds = ctx.date ?? (await readArchlinuxBuildDate(artifact));
  if (seconds === undefined) {
    throw new SpecError(
      "MISSING_FIELD",
      "archlinux: a signature needs a date: expected the build date (WriteContext.date, e.g. SOURCE_DATE_EPOCH) or a builddate in the package's .PKGINFO, found neither",
      { field: "date" },
    );
  }
  return {
    suffix: ".sig",
    bytes: await signer.detached(artifact.open(), { date: new Date(seconds * 1000) }),
  };
}

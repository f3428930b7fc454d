/** The X.509 signer of a macOS build: given directly, loaded from the resolved `signature` material, or from the write context. */
import { SignError } from "../errors.ts";
import type { WriteContext } from "../format.ts";
import { loadX509Signer, type X509Signer } from "../sign/x509.ts";
import type { MacosOptions } from "./options.ts";

/**
 * The signer to use: `options.signer`, else the context's (the build loads the block's `signing` material
 * into it, with the passphrase from the environment), else one loaded from `options.signing` material.
 */
export function macosSigner(options: MacosOptions, ctx: WriteContext = {}): X509Signer | undefined {
  if (options.signer) return options.signer;
  const c = ctx.signer as { kind: string } | undefined;
  if (c !== undefined) {
    if (c.kind !== "x509")
      throw new SignError(
        "KEY_UNSUPPORTED",
        `macOS packages are signed with an X.509 certificate and RSA key, not a ${c.kind} key`,
        { found: c.kind },
      );
    return c as unknown as X509Signer;
  }
  const s = options.signing;
  if (s && (s.p12 !== undefined || (s.certificatePem !== undefined && s.keyPem !== undefined))) {
    const o: Parameters<typeof loadX509Signer>[0] = {};
    if (s.p12 !== undefined) o.p12 = s.p12;
    if (s.certificatePem !== undefined) o.certificatePem = s.certificatePem;
    if (s.keyPem !== undefined) o.keyPem = s.keyPem;
    if (s.passphrase !== undefined) o.passphrase = s.passphrase;
    return loadX509Signer(o);
  }
  return undefined;
}

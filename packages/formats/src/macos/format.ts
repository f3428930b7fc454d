/** The macOS PackageFormat: naming, validation, writing, reading, signing and the `macos:` config block. */
import type { PackageFormat } from "../format.ts";
import type { X509Signer } from "../sign/x509.ts";
import { macosConfig } from "./config.ts";
import type { MacosOptions } from "./options.ts";
import { planMacos } from "./plan.ts";
import { readMacos } from "./reader.ts";
import { signMacos } from "./signature.ts";
import { macosSigner } from "./signer.ts";
import { writeMacos } from "./writer.ts";

/** "xar!" */
const XAR = [0x78, 0x61, 0x72, 0x21];

/** macOS flat packages (`.pkg`): product archives by default, component packages on request. */
export const macosFormat: PackageFormat<MacosOptions> = {
  id: "macos",
  fileName(spec, options) {
    return planMacos(spec, options ?? {}).fileName;
  },
  validate(spec, options) {
    planMacos(spec, options ?? {});
  },
  write(spec, options, ctx) {
    return writeMacos(spec, options ?? {}, ctx);
  },
  read(source, ctx) {
    return readMacos(source, ctx);
  },
  sign(artifact, signer, ctx) {
    // The Signer union has no X.509 member yet: macosSigner checks the kind and refuses others.
    const x509 = macosSigner({}, { ...ctx, signer }) as X509Signer;
    return signMacos(artifact, x509, ctx?.date);
  },
  sniff(head, fileName) {
    return fileName.endsWith(".pkg") && XAR.every((b, i) => head[i] === b);
  },
  config: macosConfig,
};

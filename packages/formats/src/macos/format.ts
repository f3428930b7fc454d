/** The macOS PackageFormat: naming, validation, writing, reading, signing and the `macos:` config block. */
import type { PackageFormat } from "../format.ts";
import type { X509Signer } from "../sign/x509.ts";
import { compareSemverStrings, versionOrder } from "../version-order.ts";
import { macosConfig } from "./config.ts";
import type { MacosOptions } from "./options.ts";
import { macosFileName, planMacos } from "./plan.ts";
import { readMacos } from "./reader.ts";
import { macosSigner, signMacos } from "./sign.ts";
import { writeMacos } from "./writer.ts";

/** "xar!" */
const XAR = [0x78, 0x61, 0x72, 0x21];

/** macOS flat packages (`.pkg`): product archives by default, component packages on request. */
export const macosFormat: PackageFormat<MacosOptions> = {
  id: "macos",
  fileName(spec) {
    return macosFileName(spec);
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
  // macOS keeps no package database order of its own: pkgutil only records the PackageInfo version, and
  // Installer JS's system.compareVersions compares dotted numbers. Semver precedence is that order plus
  // "a prerelease sorts before its release", which keeps the order of the `upstream[-prerelease]` strings
  // packyard writes (compareMacosVersions is the same rule; this one also accepts an empty string).
  ...versionOrder(compareSemverStrings),
  sniff(head, fileName) {
    return fileName.endsWith(".pkg") && XAR.every((b, i) => head[i] === b);
  },
  config: macosConfig,
};

/** The apk (v2) PackageFormat: naming, validation, writer, reader, re-signing, sniffing, config block. */
import type { PackageFormat } from "../format.ts";
import { validateSpec } from "../spec/validate.ts";
import { versionOrder } from "../version-order.ts";
import { apkConfig } from "./config.ts";
import { ADB_MAGIC } from "./members.ts";
import { apkFileName, validateApk } from "./name.ts";
import type { ApkOptions } from "./options.ts";
import { readApk } from "./reader.ts";
import { signApk } from "./sign.ts";
import { compareApkVersions } from "./version.ts";
import { writeApk } from "./writer.ts";

/** True for a `.apk` file that starts like a v2 (gzip) or v3 (ADB) package. */
export function sniffApk(head: Uint8Array, fileName: string): boolean {
  if (!fileName.toLowerCase().endsWith(".apk")) return false;
  // Android .apk files are zip ("PK"), so the extension alone is not enough.
  return (head[0] === 0x1f && head[1] === 0x8b) || ADB_MAGIC.every((b, i) => head[i] === b);
}

/** Alpine .apk (v2): three gzip members, RSA signatures, Gentoo-style versions. */
export const apkFormat: PackageFormat<ApkOptions> = {
  id: "apk",
  fileName: (spec) => apkFileName(spec),
  validate: (spec, options) => validateApk(validateSpec(spec), options),
  write: writeApk,
  read: readApk,
  sign: signApk,
  // apk-tools' version order (apk-package(5)): suffixes, letters, `-rN`
  ...versionOrder(compareApkVersions),
  sniff: sniffApk,
  config: apkConfig,
};

/** Alpine .apk (v2): the format object, its options, naming rules, reader and building blocks. */
export { APK_ARCHES, apkArch, archFromApk } from "./arch.ts";
export { apkConfig, parseApkConfig } from "./config.ts";
export { APK_CHECKSUM_SHA1, dataEntries, installedSize } from "./data.ts";
export { apkFormat, sniffApk } from "./format.ts";
export { type ApkMembers, checkApkMagic, listMembers } from "./members.ts";
export type { ApkOptions, ApkSignatureOptions } from "./options.ts";
export { type PkgInfo, type PkgInfoFields, parsePkgInfo, renderPkgInfo } from "./pkginfo.ts";
export { apkChecksumQ1, readApk } from "./reader.ts";
export { type ApkRelationLines, apkRelations, formatApkRelation, parseApkRelation } from "./relations.ts";
export { signApk } from "./resign.ts";
export { APK_SCRIPT_FILES, parseScript, renderScript } from "./scripts.ts";
export { APK_GZIP_LEVEL, tarEnding } from "./segment.ts";
export { APK_SIGNATURE_TYPES, parseSignatureName, resolveKeyName } from "./signature.ts";
export { APK_NAME, validateApk } from "./validate.ts";
export {
  APK_PRERELEASE_SUFFIXES,
  apkPrerelease,
  compareApkVersions,
  fromApkVersion,
  isValidApkVersion,
  toApkVersion,
} from "./version.ts";
export { apkFileName, controlTar, writeApk } from "./writer.ts";

/** Alpine .apk (v2): the format object, its options, naming rules, reader and building blocks. */
export { APK_ARCHES, apkArch, archFromApk } from "./arch.ts";
export { apkConfig, parseApkConfig } from "./config.ts";
export { apkFormat, sniffApk } from "./format.ts";
export { APK_CHECKSUM_SHA1, dataEntries, installedSize } from "./layout.ts";
export { type ApkMembers, checkApkMagic, listMembers } from "./members.ts";
export { APK_NAME, apkFileName, validateApk } from "./name.ts";
export type { ApkOptions, ApkSignatureOptions } from "./options.ts";
export {
  decodePkginfo,
  encodePkginfo,
  type Pkginfo,
  type PkginfoFields,
  // The names these had before they matched Arch's encodePkginfo/decodePkginfo, kept for the public API.
  decodePkginfo as parsePkgInfo,
  encodePkginfo as renderPkgInfo,
  type Pkginfo as PkgInfo,
  type PkginfoFields as PkgInfoFields,
} from "./pkginfo.ts";
export { apkChecksumQ1, readApk } from "./reader.ts";
export { type ApkRelationLines, apkRelations, formatApkRelation, parseApkRelation } from "./relations.ts";
export { APK_SCRIPT_FILES, parseScript, renderScript } from "./scripts.ts";
export { APK_GZIP_LEVEL, tarEnding } from "./segment.ts";
export { APK_SIGNATURE_TYPES, parseSignatureName, resolveKeyName, signApk } from "./sign.ts";
export {
  APK_PRERELEASE_SUFFIXES,
  apkPrerelease,
  compareApkVersions,
  fromApkVersion,
  isValidApkVersion,
  toApkVersion,
} from "./version.ts";
export { controlTar, writeApk } from "./writer.ts";

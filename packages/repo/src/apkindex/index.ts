/** Alpine APKINDEX builders: pure functions from package records to the index text and the signed archive. */
export { type ApkIndexOptions, buildApkIndex } from "./build.ts";
export { apkIndexText, compareApkEntries, compareApkNames } from "./index-text.ts";
export { apkIndexInfo } from "./info.ts";
export type { ApkEntry, ApkIndexInfo } from "./types.ts";

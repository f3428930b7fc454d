/** RPM-MD (dnf, yum, zypper) metadata builders: pure functions from package records to documents. */
export { filelistsXml } from "./filelists.ts";
export { compareLibcDependency, type RpmIndexInfoOptions, rpmIndexInfo, splitDependencyEvr } from "./info.ts";
export { otherXml } from "./other.ts";
export { isPrimaryFile, primaryXml } from "./primary.ts";
export {
  buildRpmMetadata,
  type RpmMetadata,
  type RpmMetadataFile,
  type RpmMetadataOptions,
} from "./repomd.ts";
export type { RpmMdPackage } from "./types.ts";
export { xmlAttr, xmlText } from "./xml.ts";

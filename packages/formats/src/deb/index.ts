/** Debian binary packages: the format object, options, naming rules, reader and signing. */
export { archFromDeb, debArch } from "./arch.ts";
export { debConfig, parseDebBlock } from "./config.ts";
export { renderControl } from "./control.ts";
export { debFormat } from "./format.ts";
export { assertDebName, debFileName, debNameProblem, validateDeb } from "./name.ts";
export type { DebMultiArch, DebOptions, DebSignatureType, DebTriggers } from "./options.ts";
export { readDeb } from "./reader.ts";
export { resignDeb } from "./sign.ts";
export {
  assertDebVersion,
  compareDebVersions,
  debVersion,
  debVersionProblem,
  parseDebVersion,
  versionFromDeb,
} from "./version.ts";
export { DEFAULT_DEB_COMPRESSION, writeDeb } from "./writer.ts";

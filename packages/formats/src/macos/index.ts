/** macOS flat packages (`.pkg`): writer, reader, signing, naming rules and the `macos:` block. */
export { fromMacosArchitectures, toMacosArchitectures } from "./arch.ts";
export { macosConfig, parseMacosConfig, resolveMacosConfig } from "./config.ts";
export { type DistributionXml, parseDistribution, renderDistribution } from "./distribution.ts";
export { macosFormat } from "./format.ts";
export { checkIdentifier, defaultIdentifier } from "./identifier.ts";
export type { MacosOptions, MacosResource, MacosSigningSource } from "./options.ts";
export { type PackageInfoXml, parsePackageInfo, renderPackageInfo } from "./package-info.ts";
export { isSipProtected, type MacosPlan, macosFileName, planMacos } from "./plan.ts";
export { isPbzx, readPbzx } from "./pbzx.ts";
export { type MacosComponent, type MacosDetails, readMacos } from "./reader.ts";
export { macosSigner, signMacos } from "./sign.ts";
export { compareMacosVersions, formatMacosVersion, parseMacosVersion } from "./version.ts";
export { buildComponent, PAYLOAD_GZIP_LEVEL, writeMacos, writeMacosBytes } from "./writer.ts";

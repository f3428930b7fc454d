/** Arch Linux packages (`.pkg.tar.zst`): writer, reader, detached signatures, naming rules. */
export { fromArchlinuxArch, toArchlinuxArch } from "./arch.ts";
export { archlinuxConfig, parseArchlinuxConfig } from "./config.ts";
export { archlinuxFormat } from "./format.ts";
export type { ArchlinuxOptions, ArchlinuxSignatureOptions } from "./options.ts";
export { type ArchlinuxPlan, archlinuxFileName, packageSuffix, planArchlinuxPackage } from "./plan.ts";
export { readArchlinux } from "./reader.ts";
export { signArchlinux } from "./sign.ts";
export {
  type ArchlinuxVersion,
  archlinuxVersionToVersion,
  compareArchlinuxVersions,
  formatArchlinuxVersion,
  parseArchlinuxVersion,
  toArchlinuxVersion,
} from "./version.ts";
export { DEFAULT_COMPRESSION, writeArchlinux } from "./writer.ts";

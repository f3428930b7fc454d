/**
 * The CLI's narrow seam onto @packyard/formats for `packyard build`: the build API (`@packyard/formats/build`)
 * and the error classes (`@packyard/formats/errors`), neither of which loads the formats' writers and
 * readers, openpgp.js or node-forge; `build` loads the formats asked for, and a key only when one is to be
 * used (test/lazy-loading.test.ts). Everything else comes through formats.ts, which loads the whole library.
 */
export {
  type BuildProgress,
  type BuildWarning,
  build,
  PACKAGERS,
  packagerFromFileName,
  parseWorkers,
} from "@packyard/formats/build";
export { SpecError } from "@packyard/formats/errors";
export type { PackageFormat } from "@packyard/formats";

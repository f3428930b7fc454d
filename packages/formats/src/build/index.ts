/** The build API: config or spec in; packages, signatures, checksums and `packyard-build.json` out. */
export {
  type BuildFormatOptions,
  type BuildOptions,
  type BuildProgress,
  type BuildResult,
  type BuildSource,
  type BuildWarning,
  build,
} from "./build.ts";
export type { BuildHost } from "../source/host.ts";
export {
  BUILD_CONFIG_BLOCKS,
  type BuildSettings,
  type BuildSettingsOptions,
  type BuildStep,
  buildSettingsConfig,
  buildSettingsOf,
  DEFAULT_STEPS_TIMEOUT_SECONDS,
  MAX_STEPS_TIMEOUT_SECONDS,
  parseBuildSettings,
  parseWorkers,
  STEP_ENV_NAME,
  STEP_PACKAGERS,
  type StepPackager,
  stepsFor,
  stepsTimeoutSeconds,
} from "./settings.ts";
export {
  type ArtifactKind,
  BUILD_MANIFEST_NAME,
  BUILD_MANIFEST_SCHEMA,
  type BuildArtifact,
  type BuildManifest,
  parseBuildManifest,
  serializeBuildManifest,
} from "./manifest.ts";
export {
  formatForPackager,
  formatIdForPackager,
  isArchivePackager,
  type Packager,
  PACKAGERS,
  packagerFromFileName,
} from "./packagers.ts";
export { nodeBuildHost } from "../source/node-build-host.ts";
export { FORMAT_ENTRIES, type FormatEntry, loadFormat } from "../registry-lazy.ts";

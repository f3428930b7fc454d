export type { BlockResolveContext, ConfigBlock, ConfigContext, JsonSchema } from "./block.ts";
export { loadConfig, type LoadConfigInput, type LoadedConfig, type ResolvedPackage } from "./load.ts";
export { configJsonSchema } from "./schema.ts";
export { initConfigText } from "./init.ts";
export { expandEnv } from "./expand.ts";
export { parseChangelog } from "./changelog.ts";
export type { ConfigHost, HostStat } from "../source/host.ts";
export { nodeConfigHost } from "../source/node-config-host.ts";
export { TOP_KEYS, CONTENT_KEYS, FILE_INFO_KEYS, SCRIPT_KEYS, type KeyDef } from "./keys.ts";

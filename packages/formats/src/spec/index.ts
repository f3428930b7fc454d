export * from "./types.ts";
export { parseVersion, formatSemver, compareSemver } from "./version.ts";
export { parseArch } from "./arch.ts";
export { parseRelation, formatRelationDeb } from "./relation.ts";
export { normalizeDestination, parentDirs } from "./path.ts";
export { compareBytes } from "./order.ts";
export { validateSpec } from "./validate.ts";
export { scriptInterpreter } from "./script.ts";

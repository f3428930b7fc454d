/** The rpm format: writer, reader, in-place signing, naming rules and the `rpm:` config block. */
export { archFromRpm, rpmArch, rpmIsa } from "./arch.ts";
export { parseRpmOptions, RPM_SCHEMA, rpmConfig } from "./config.ts";
export { buildDeps } from "./deps.ts";
export { rpmFormat } from "./format.ts";
export { decodeHeader, encodeHeader, type HeaderEntry } from "./header.ts";
export { decodeLead, encodeLead } from "./lead.ts";
export { rpmNaming, validateRpm } from "./name.ts";
export { REQUIRE_PHASES, type RequirePhase, type RpmOptions } from "./options.ts";
export { readHeaders, readRpm } from "./reader.ts";
export { signRpm } from "./sign.ts";
export { REGION_IMMUTABLE, REGION_SIGNATURES, RPM_TYPE, SIG, TAG } from "./tags.ts";
export { compareRpmEvr, compareRpmVersions, formatEvr, parseEvr, type RpmEvr, rpmEvr } from "./version.ts";
export { writeRpm } from "./writer.ts";

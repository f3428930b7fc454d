/** The rpm format: writer, reader, in-place signing, naming rules and the `rpm:` config block. */
import type { PackageFormat } from "../format.ts";
import type { PackageSpec } from "../spec/types.ts";
import { validateSpec } from "../spec/validate.ts";
import { type RpmOptions, rpmConfig } from "./options.ts";
import { readRpm } from "./read.ts";
import { signRpm } from "./sign.ts";
import { rpmNaming, validateRpm, writeRpm } from "./write.ts";

export { archFromRpm, rpmArch, rpmIsa } from "./arch.ts";
export { decodeHeader, encodeHeader, type HeaderEntry } from "./header.ts";
export { decodeLead, encodeLead } from "./lead.ts";
export {
  parseRpmOptions,
  REQUIRE_PHASES,
  type RequirePhase,
  RPM_SCHEMA,
  type RpmOptions,
  rpmConfig,
} from "./options.ts";
export { readHeaders, readRpm } from "./read.ts";
export { signRpm } from "./sign.ts";
export { REGION_IMMUTABLE, REGION_SIGNATURES, RPM_TYPE, SIG, TAG } from "./tags.ts";
export { compareRpmEvr, compareRpmVersions, formatEvr, parseEvr, type RpmEvr, rpmEvr } from "./version.ts";
export { buildDeps, rpmNaming, validateRpm, writeRpm } from "./write.ts";

const LEAD_MAGIC = [0xed, 0xab, 0xee, 0xdb];

/** The rpm PackageFormat (format v4). */
export const rpmFormat: PackageFormat<RpmOptions> = {
  id: "rpm",
  fileName(spec: PackageSpec, options: RpmOptions): string {
    return rpmNaming(spec, options).fileName;
  },
  validate(spec: PackageSpec, options: RpmOptions): void {
    validateRpm(validateSpec(spec), options);
  },
  write: writeRpm,
  read: readRpm,
  sign: signRpm,
  sniff(head: Uint8Array, fileName: string): boolean {
    if (head.length >= 4) return LEAD_MAGIC.every((b, i) => head[i] === b);
    return fileName.endsWith(".rpm");
  },
  config: rpmConfig,
};

/** The rpm format: writer, reader, in-place signing, naming rules and the `rpm:` config block. */
import type { PackageFormat } from "../format.ts";
import type { PackageSpec } from "../spec/types.ts";
import { validateSpec } from "../spec/validate.ts";
import { versionOrder } from "../version-order.ts";
import { type RpmOptions, rpmConfig } from "./options.ts";
import { readRpm } from "./read.ts";
import { signRpm } from "./sign.ts";
import { compareRpmEvr, parseEvr } from "./version.ts";
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

/**
 * Orders `[E:]V-R` strings as rpm orders packages (lib/rpmver.c rpmverCmp, what Lua's `rpm.vercmp` runs):
 * epoch (absent = 0), version, release. A side without a release compares as an empty release, so
 * `1.0` < `1.0-1`, unlike a dependency range, where a missing release matches any.
 */
function compareRpmVersionStrings(a: string, b: string): number {
  const x = parseEvr(a);
  const y = parseEvr(b);
  return compareRpmEvr({ ...x, release: x.release ?? "" }, { ...y, release: y.release ?? "" });
}

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
  ...versionOrder(compareRpmVersionStrings),
  sniff(head: Uint8Array, fileName: string): boolean {
    if (head.length >= 4) return LEAD_MAGIC.every((b, i) => head[i] === b);
    return fileName.endsWith(".rpm");
  },
  config: rpmConfig,
};

/** The rpm PackageFormat (format v4): naming, validation, writer, reader, signing, sniffing and the packyard.yml block. */
import type { PackageFormat } from "../format.ts";
import type { PackageSpec } from "../spec/types.ts";
import { validateSpec } from "../spec/validate.ts";
import { versionOrder } from "../version-order.ts";
import { rpmConfig } from "./config.ts";
import { LEAD_MAGIC } from "./lead.ts";
import { rpmNaming, validateRpm } from "./name.ts";
import type { RpmOptions } from "./options.ts";
import { readRpm } from "./reader.ts";
import { signRpm } from "./sign.ts";
import { compareRpmVersionStrings } from "./version.ts";
import { writeRpm } from "./writer.ts";

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

/** The deb PackageFormat: naming, validation, writer, reader, signing, sniffing and the packyard.yml block. */
import type { PackageFormat } from "../format.ts";
import type { PackageSpec } from "../spec/types.ts";
import { validateSpec } from "../spec/validate.ts";
import { versionOrder } from "../version-order.ts";
import { debArch } from "./arch.ts";
import { debConfig } from "./config.ts";
import { debFileName, validateDeb } from "./name.ts";
import type { DebOptions } from "./options.ts";
import { readDeb } from "./reader.ts";
import { resignDeb } from "./sign.ts";
import { compareDebVersions, debVersion } from "./version.ts";
import { writeDeb } from "./writer.ts";

/** "!<arch>\ndebian-binary" — how every deb starts (the first member's name follows the ar magic). */
const DEB_HEAD = new TextEncoder().encode("!<arch>\ndebian-binary");

/** Debian binary packages (.deb). */
export const debFormat: PackageFormat<DebOptions> = {
  id: "deb",
  fileName(spec: PackageSpec, options: DebOptions): string {
    return debFileName(spec.name, debVersion(spec.version), options.arch ?? debArch(spec.arch));
  },
  validate(spec: PackageSpec, options: DebOptions): void {
    validateDeb(validateSpec(spec), options);
  },
  write: writeDeb,
  read: readDeb,
  // dpkg --compare-versions (lib/dpkg/version.c)
  ...versionOrder(compareDebVersions),
  sign(artifact, signer, ctx) {
    return resignDeb(artifact, signer, "origin", ctx);
  },
  sniff(head: Uint8Array, fileName: string): boolean {
    if (head.length >= DEB_HEAD.length) return DEB_HEAD.every((b, i) => head[i] === b);
    return fileName.endsWith(".deb") && DEB_HEAD.subarray(0, head.length).every((b, i) => head[i] === b);
  },
  config: debConfig,
};

/** The Arch Linux PackageFormat: naming, validation, writing, reading, `.sig` signatures and the config block. */
import { detectCompression } from "../compress/detect.ts";
import type { PackageFormat } from "../format.ts";
import { versionOrder } from "../version-order.ts";
import { archlinuxConfig } from "./config.ts";
import type { ArchlinuxOptions } from "./options.ts";
import { archlinuxFileName, planArchlinuxPackage } from "./plan.ts";
import { readArchlinux } from "./reader.ts";
import { signArchlinux } from "./sign.ts";
import { compareArchlinuxVersions } from "./version.ts";
import { writeArchlinux } from "./writer.ts";

const NAME = /\.pkg\.tar(\.(zst|xz|gz|bz2))?$/;

function isTarHeader(head: Uint8Array): boolean {
  // "ustar" at offset 257 (POSIX and GNU magic)
  const m = [0x75, 0x73, 0x74, 0x61, 0x72];
  return head.length >= 262 && m.every((b, i) => head[257 + i] === b);
}

/** Arch Linux `.pkg.tar.zst` (pacman). */
export const archlinuxFormat: PackageFormat<ArchlinuxOptions> = {
  id: "archlinux",
  fileName(spec, options) {
    return archlinuxFileName(spec, options ?? {});
  },
  validate(spec, options) {
    planArchlinuxPackage(spec, options ?? {});
  },
  write(spec, options, ctx) {
    return writeArchlinux(spec, options ?? {}, ctx);
  },
  read(source, ctx) {
    return readArchlinux(source, ctx);
  },
  async detachedSignature(artifact, _options, signer, ctx) {
    return signArchlinux(artifact, signer, ctx);
  },
  // pacman's vercmp (libalpm alpm_pkg_vercmp)
  ...versionOrder(compareArchlinuxVersions),
  sniff(head, fileName) {
    if (!NAME.test(fileName)) return false;
    const algo = detectCompression(head);
    return algo !== undefined || isTarHeader(head);
  },
  config: archlinuxConfig,
};

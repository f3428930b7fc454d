/** The release-archive PackageFormat (`tarball`): one format, the container and compression chosen by `options.format`. */
import { detectCompression } from "../compress/detect.ts";
import type { PackageFormat } from "../format.ts";
import { compareSemverStrings, versionOrder } from "../version-order.ts";
import { tarballConfig } from "./config.ts";
import { archiveFileName } from "./name.ts";
import type { TarballOptions } from "./options.ts";
import { validateTarball } from "./plan.ts";
import { isZipHead, readTarball } from "./reader.ts";
import { writeTarball } from "./writer.ts";

const NAME = /\.(tar\.gz|tgz|tar\.zst|tar\.xz|tar\.bz2|tar|zip)$/;

/** Release archives: `.tar.gz` (default), `.tar.zst`, `.tar.xz`, `.zip`. */
export const tarballFormat: PackageFormat<TarballOptions> = {
  id: "tarball",
  fileName(spec, options) {
    return archiveFileName(spec, options ?? {});
  },
  validate(spec, options) {
    validateTarball(spec, options ?? {});
  },
  write(spec, options, ctx) {
    return writeTarball(spec, options ?? {}, ctx);
  },
  read(source, ctx) {
    return readTarball(source, ctx);
  },
  // No package manager orders release archives; their versions are the spec's semver text (GoReleaser
  // names them from the git tag), so semver precedence is the order a person expects. A name that does
  // not parse gives an empty version, which sorts first.
  ...versionOrder(compareSemverStrings),
  sniff(head, fileName) {
    // Arch packages are tars too; their format claims `.pkg.tar.*`.
    if (!NAME.test(fileName) || /\.pkg\.tar(\.\w+)?$/.test(fileName)) return false;
    if (fileName.endsWith(".zip")) return isZipHead(head);
    const tar = head.length >= 262 && [0x75, 0x73, 0x74, 0x61, 0x72].every((b, i) => head[257 + i] === b);
    return detectCompression(head) !== undefined || tar;
  },
  config: tarballConfig,
};

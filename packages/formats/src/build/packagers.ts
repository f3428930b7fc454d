/**
 * Packager names as `packyard build -p` and the build API take them: nfpm's packager names plus packyard's
 * release archives, each mapped to the registered format that writes it.
 */
import { SpecError } from "../errors.ts";
import type { PackageFormat } from "../format.ts";
import { ARCHIVE_FORMATS, type ArchiveFormat } from "../tarball/options.ts";

/** Every packager name, in the order `--help` lists them. */
export const PACKAGERS = [
  "deb",
  "rpm",
  "archlinux",
  "apk",
  "macos",
  "tar.gz",
  "tar.zst",
  "tar.xz",
  "zip",
] as const;
export type Packager = (typeof PACKAGERS)[number];

/** File name endings that name a packager (nfpm guesses the packager from `--target` the same way). */
const EXTENSIONS: readonly [string, Packager][] = [
  [".pkg.tar.zst", "archlinux"],
  [".tar.gz", "tar.gz"],
  [".tgz", "tar.gz"],
  [".tar.zst", "tar.zst"],
  [".tar.xz", "tar.xz"],
  [".deb", "deb"],
  [".rpm", "rpm"],
  [".apk", "apk"],
  [".pkg", "macos"],
  [".zip", "zip"],
];

/** The packager a file name implies (`hello.deb` → `deb`), if any. */
export function packagerFromFileName(name: string): Packager | undefined {
  return EXTENSIONS.find(([ext]) => name.endsWith(ext))?.[1];
}

/** True for the packager names that are release archives, all written by the one `tarball` format. */
export function isArchivePackager(packager: string): packager is ArchiveFormat {
  return (ARCHIVE_FORMATS as readonly string[]).includes(packager);
}

/**
 * The id of the format, among `ids`, that writes a packager: the packager itself (`deb`, `rpm`, ...), or
 * `tarball` for the release archives (`tar.gz`, `zip`, ...). Throws SpecError UNKNOWN_FORMAT.
 */
export function formatIdForPackager(packager: string, ids: readonly string[]): string {
  if (ids.includes(packager)) return packager;
  if (isArchivePackager(packager) && ids.includes("tarball")) return "tarball";
  throw new SpecError(
    "UNKNOWN_FORMAT",
    `unknown packager ${JSON.stringify(packager)}: expected one of ${PACKAGERS.join(", ")}` +
      ` (formats available in this build: ${ids.length > 0 ? ids.join(", ") : "none yet"})`,
    { field: "packager", found: packager, expected: PACKAGERS },
  );
}

/**
 * The format among `formats` behind a packager name. Archives (`tar.gz`, `zip`, ...) are one `tarball`
 * format whose options say which container and compression to write. Throws SpecError UNKNOWN_FORMAT.
 * (The root entry's `formatForPackager` defaults `formats` to FORMATS; this subpath does not load them.)
 */
export function formatForPackager(
  packager: string,
  // biome-ignore lint/suspicious/noExplicitAny: formats carry their own option types.
  formats: readonly PackageFormat<any>[],
  // biome-ignore lint/suspicious/noExplicitAny: formats carry their own option types.
): PackageFormat<any> {
  const id = formatIdForPackager(
    packager,
    formats.map((f) => f.id),
  );
  // formatIdForPackager returned one of the formats' ids.
  return formats.find((f) => f.id === id)!;
}

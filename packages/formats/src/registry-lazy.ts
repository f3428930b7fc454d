/**
 * The registry of package formats as the build API uses it: each format's id and packyard.yml block (the
 * cheap `config.ts` files, all the config loader needs to check every block), and a loader that imports the
 * format's writer and reader only when that format is built. `registry.ts` (FORMATS) is the eager list of
 * the same formats, in the same order, for callers that want every format at hand.
 */
import { apkConfig } from "./apk/config.ts";
import type { ApkOptions } from "./apk/options.ts";
import { archlinuxConfig } from "./archlinux/config.ts";
import type { ArchlinuxOptions } from "./archlinux/options.ts";
import type { ConfigBlock } from "./config/block.ts";
import { debConfig } from "./deb/config.ts";
import type { DebOptions } from "./deb/options.ts";
import { SpecError } from "./errors.ts";
import type { PackageFormat } from "./format.ts";
import type { FormatId } from "./info/types.ts";
import { macosConfig } from "./macos/config.ts";
import type { MacosOptions } from "./macos/options.ts";
import { rpmConfig } from "./rpm/config.ts";
import type { RpmOptions } from "./rpm/options.ts";
import { tarballConfig } from "./tarball/config.ts";
import type { TarballOptions } from "./tarball/options.ts";

/** Each format id's options type: what `writePackage(id, spec, options)` takes. */
export interface FormatOptionsMap {
  deb: DebOptions;
  rpm: RpmOptions;
  archlinux: ArchlinuxOptions;
  apk: ApkOptions;
  macos: MacosOptions;
  tarball: TarballOptions;
}

/** One format of the registry before its code is loaded. */
export interface FormatEntry {
  id: FormatId;
  /** The format's packyard.yml block: the same object as the loaded format's `config`. */
  // biome-ignore lint/suspicious/noExplicitAny: each format has its own options type.
  config: ConfigBlock<any>;
  /** Imports the format (writer, reader, signing) on first use; later calls return the same object. */
  // biome-ignore lint/suspicious/noExplicitAny: each format has its own options type.
  load(): Promise<PackageFormat<any>>;
}

/** The registered formats, in FORMATS' order. */
export const FORMAT_ENTRIES: readonly FormatEntry[] = [
  { id: "deb", config: debConfig, load: async () => (await import("./deb/format.ts")).debFormat },
  {
    id: "archlinux",
    config: archlinuxConfig,
    load: async () => (await import("./archlinux/format.ts")).archlinuxFormat,
  },
  { id: "rpm", config: rpmConfig, load: async () => (await import("./rpm/format.ts")).rpmFormat },
  { id: "apk", config: apkConfig, load: async () => (await import("./apk/format.ts")).apkFormat },
  {
    id: "tarball",
    config: tarballConfig,
    load: async () => (await import("./tarball/format.ts")).tarballFormat,
  },
  { id: "macos", config: macosConfig, load: async () => (await import("./macos/format.ts")).macosFormat },
];

/**
 * Loads the format with this id (`deb`, `rpm`, `archlinux`, `apk`, `macos`, `tarball`), importing only
 * its own code. Throws SpecError UNKNOWN_FORMAT for any other id.
 * @example const deb = await loadFormat("deb");
 */
// biome-ignore lint/suspicious/noExplicitAny: an id only known at run time gives a format of unknown options.
export async function loadFormat(id: string): Promise<PackageFormat<any>> {
  const entry = FORMAT_ENTRIES.find((e) => e.id === id);
  if (entry === undefined) {
    const known = FORMAT_ENTRIES.map((e) => e.id);
    throw new SpecError(
      "UNKNOWN_FORMAT",
      `no format ${JSON.stringify(id)} is available; expected one of ${known.join(", ")}`,
      { field: "format", found: id, expected: known },
    );
  }
  return entry.load();
}

/**
 * The registry of package formats, built by plain imports (nothing registers itself on import).
 * Each format folder exports one PackageFormat; add it here with one import and one array entry.
 */
import { type ApkOptions, apkFormat } from "./apk/index.ts";
import { type ArchlinuxOptions, archlinuxFormat } from "./archlinux/index.ts";
import { type DebOptions, debFormat } from "./deb/index.ts";
import type { PackageFormat } from "./format.ts";
import type { FormatId } from "./info/types.ts";
import { type MacosOptions, macosFormat } from "./macos/index.ts";
import { type RpmOptions, rpmFormat } from "./rpm/index.ts";
import { type TarballOptions, tarballFormat } from "./tarball/index.ts";

/** Each format id's options type: what `writePackage(id, spec, options)` takes. */
export interface FormatOptionsMap {
  deb: DebOptions;
  rpm: RpmOptions;
  archlinux: ArchlinuxOptions;
  apk: ApkOptions;
  macos: MacosOptions;
  tarball: TarballOptions;
}

// biome-ignore lint/suspicious/noExplicitAny: each format has its own options type; callers narrow by id.
export const FORMATS: readonly PackageFormat<any>[] = [
  debFormat,
  archlinuxFormat,
  rpmFormat,
  apkFormat,
  tarballFormat,
  macosFormat,
];

/** The format with this id (`deb`, `rpm`, `archlinux`, `apk`, `macos`, `tarball`), or undefined. */
export function formatById<F extends FormatId>(id: F): PackageFormat<FormatOptionsMap[F]>;
// biome-ignore lint/suspicious/noExplicitAny: an id only known at run time gives a format of unknown options.
export function formatById(id: string): PackageFormat<any> | undefined;
// biome-ignore lint/suspicious/noExplicitAny: see FORMATS.
export function formatById(id: string): PackageFormat<any> | undefined {
  return FORMATS.find((f) => f.id === id);
}

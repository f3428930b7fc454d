/**
 * The registry of package formats, built by plain imports (nothing registers itself on import): every
 * format's code is loaded with it. Each format folder exports one PackageFormat; add it here with one import
 * and one array entry, and to `registry-lazy.ts` (what the build API loads a format through) in the same order.
 */
import { apkFormat } from "./apk/index.ts";
import { archlinuxFormat } from "./archlinux/index.ts";
import { formatForPackager as packagerFormat } from "./build/packagers.ts";
import { debFormat } from "./deb/index.ts";
import type { PackageFormat } from "./format.ts";
import type { FormatId } from "./info/types.ts";
import { macosFormat } from "./macos/index.ts";
import type { FormatOptionsMap } from "./registry-lazy.ts";
import { rpmFormat } from "./rpm/index.ts";
import { tarballFormat } from "./tarball/index.ts";

export type { FormatOptionsMap } from "./registry-lazy.ts";

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

/**
 * The format behind a packager name (`deb`, `tar.gz`, ...) among `formats` (default FORMATS); archives are
 * the one `tarball` format. Throws SpecError UNKNOWN_FORMAT.
 */
export function formatForPackager(
  packager: string,
  // biome-ignore lint/suspicious/noExplicitAny: see FORMATS.
  formats: readonly PackageFormat<any>[] = FORMATS,
  // biome-ignore lint/suspicious/noExplicitAny: see FORMATS.
): PackageFormat<any> {
  return packagerFormat(packager, formats);
}

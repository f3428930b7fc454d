/**
 * The registry of package formats, built by plain imports (nothing registers itself on import).
 * Each format folder exports one PackageFormat; add it here with one import and one array entry.
 */
import { apkFormat } from "./apk/index.ts";
import { archlinuxFormat } from "./archlinux/index.ts";
import { debFormat } from "./deb/index.ts";
import type { PackageFormat } from "./format.ts";
import { macosFormat } from "./macos/index.ts";
import { rpmFormat } from "./rpm/index.ts";
import { tarballFormat } from "./tarball/index.ts";

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
// biome-ignore lint/suspicious/noExplicitAny: see FORMATS.
export function formatById(id: string): PackageFormat<any> | undefined {
  return FORMATS.find((f) => f.id === id);
}

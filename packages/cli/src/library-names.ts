/**
 * Names of @packyard/formats that the CLI needs before it loads the library: the packager names and the
 * build manifest's file name, which command help quotes and `publish` reads by default. Repeated here so
 * that `--help` (and every command's help) loads no format code; test/lazy-loading.test.ts checks that
 * they are the library's (PACKAGERS, BUILD_MANIFEST_NAME).
 */
import { join } from "node:path";

/** Every `build -p` packager name, in the order `--help` lists them (the library's PACKAGERS). */
export const PACKAGER_NAMES = [
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

/** The file `packyard build` writes its manifest to (the library's BUILD_MANIFEST_NAME). */
export const MANIFEST_FILE_NAME = "packyard-build.json";

/** The manifest `packyard publish` reads when given no files: what `packyard build` wrote into dist/. */
export const DEFAULT_MANIFEST = join("dist", MANIFEST_FILE_NAME);

/** apk naming and validation: `<name>-<pkgver>.apk`, and the apk-specific checks `write` runs after validateSpec. */
import { SpecError } from "../errors.ts";
import type { PackageSpec } from "../spec/types.ts";
import { apkArch } from "./arch.ts";
import type { ApkOptions } from "./options.ts";
import { apkRelations } from "./relations.ts";
import { toApkVersion } from "./version.ts";

/** `<name>-<pkgver>.apk`, e.g. `hello-1.2.0_rc1-r0.apk`. */
export function apkFileName(spec: PackageSpec): string {
  return `${spec.name}-${toApkVersion(spec.version)}.apk`;
}

/** apk package names: `[a-zA-Z0-9._+-]`, starting with a letter or digit (apk-package(5)). */
export const APK_NAME = /^[a-zA-Z0-9][a-zA-Z0-9._+-]*$/;

/** apk refuses paths this long or longer (io_archive.c: PATH_MAX - 10). */
const MAX_PATH_BYTES = 4086;

function invalid(field: string, message: string, found?: unknown): SpecError {
  return new SpecError("INVALID_FIELD", `${field}: ${message}`, { field, found });
}

/**
 * Throws SpecError naming the field when the spec or options cannot become an apk: name, version, arch,
 * relations, scripts, paths apk ignores, option ranges.
 */
export function validateApk(spec: PackageSpec, options: ApkOptions): void {
  if (!APK_NAME.test(spec.name)) {
    throw new SpecError(
      "INVALID_NAME",
      `name: apk names use [a-zA-Z0-9._+-] and start with a letter or digit; found "${spec.name}"`,
      {
        field: "name",
        found: spec.name,
      },
    );
  }
  toApkVersion(spec.version);
  apkArch(spec.arch, options.arch);
  apkRelations(spec.relations, () => {});
  const oneLine = (field: string, v: string | undefined) => {
    if (v !== undefined && (/[\r\n]/.test(v) || v.trim() === ""))
      throw invalid(field, "expected a non-empty single line", v);
  };
  oneLine("apk.origin", options.origin);
  oneLine("apk.commit", options.commit);
  oneLine("apk.packager", options.packager);
  for (const [field, v] of [
    ["apk.providerPriority", options.providerPriority],
    ["apk.replacesPriority", options.replacesPriority],
  ] as const) {
    if (v !== undefined && !(Number.isInteger(v) && v >= 0))
      throw invalid(field, "expected a non-negative integer", v);
  }
  if (
    options.gzipLevel !== undefined &&
    !(Number.isInteger(options.gzipLevel) && options.gzipLevel >= 1 && options.gzipLevel <= 9)
  ) {
    throw invalid("apk.gzipLevel", "expected an integer from 1 to 9", options.gzipLevel);
  }
  options.installIf?.forEach((d, i) => {
    if (d.trim() === "" || /\s/.test(d))
      throw invalid(`apk.installIf[${i}]`, "expected one dependency without spaces", d);
  });
  options.triggers?.forEach((t, i) => {
    if (!t.startsWith("/") || /\s/.test(t))
      throw invalid(`apk.triggers[${i}]`, "expected an absolute path glob without spaces", t);
  });
  const hasTrigger = spec.scripts.trigger !== undefined;
  const hasGlobs = (options.triggers?.length ?? 0) > 0;
  if (hasTrigger !== hasGlobs) {
    throw new SpecError(
      "INVALID_SCRIPT",
      hasTrigger
        ? "scripts.trigger: apk runs .trigger only for the directories in apk.triggers; set apk.triggers"
        : "apk.triggers: the globs need a trigger script (scripts.trigger) to run",
      { field: hasTrigger ? "scripts.trigger" : "apk.triggers" },
    );
  }
  spec.entries.forEach((e, i) => {
    const rel = e.path.slice(1);
    // apk ignores entries whose top-level name starts with "." (they look like control files).
    if (rel.startsWith(".")) {
      throw new SpecError(
        "INVALID_PATH",
        `entries[${i}].path: apk ignores top-level names starting with "."; found ${e.path}`,
        {
          field: `entries[${i}].path`,
          path: e.path,
        },
      );
    }
    if (new TextEncoder().encode(rel).length >= MAX_PATH_BYTES) {
      throw new SpecError(
        "INVALID_PATH",
        `entries[${i}].path: apk refuses paths of ${MAX_PATH_BYTES} bytes or more`,
        {
          field: `entries[${i}].path`,
          path: e.path,
        },
      );
    }
  });
}

/**
 * Artifact names: a small template language (`{{name}}_{{version}}_{{os}}_{{arch}}`, GoReleaser's
 * `{{ .ProjectName }}` spellings accepted) and the extension of each archive kind.
 */
import { SpecError } from "../errors.ts";
import { formatSemver } from "../spec/version.ts";
import type { PackageSpec } from "../spec/types.ts";
import type { ArchiveFormat, TarballOptions } from "./options.ts";

/** GoReleaser's default archive name, in packyard's spelling. */
export const DEFAULT_NAME_TEMPLATE = "{{name}}_{{version}}_{{os}}_{{arch}}";

/** GoReleaser field names accepted as aliases of packyard's template variables. */
const ALIASES: Record<string, string> = {
  ProjectName: "name",
  Name: "name",
  Version: "version",
  Os: "os",
  Arch: "arch",
  Release: "release",
};

/** The variables a template may use, for a spec. */
export function templateVariables(spec: PackageSpec, options: TarballOptions): Record<string, string> {
  return {
    name: spec.name,
    version: formatSemver(spec.version),
    os: options.os ?? "linux",
    arch: spec.arch,
    release: spec.version.release ?? "",
  };
}

/**
 * Renders `{{var}}` / `{{ .Var }}` placeholders; an unknown variable or an unclosed `{{` is a SpecError
 * INVALID_FIELD naming `field`.
 * @example renderNameTemplate("{{name}}_{{version}}", { name: "hello", version: "1.0.0" }, "archives.name_template") // "hello_1.0.0"
 */
export function renderNameTemplate(template: string, vars: Record<string, string>, field: string): string {
  let out = "";
  let pos = 0;
  while (pos < template.length) {
    const open = template.indexOf("{{", pos);
    if (open === -1) {
      out += template.slice(pos);
      break;
    }
    const close = template.indexOf("}}", open + 2);
    if (close === -1) {
      throw new SpecError(
        "INVALID_FIELD",
        `${field}: "{{" at character ${open} is never closed in ${JSON.stringify(template)}`,
        {
          field,
          found: template,
        },
      );
    }
    out += template.slice(pos, open);
    const raw = template.slice(open + 2, close).trim();
    const key = raw.startsWith(".") ? (ALIASES[raw.slice(1)] ?? raw.slice(1)) : raw;
    const value = Object.hasOwn(vars, key) ? vars[key] : undefined;
    if (value === undefined) {
      throw new SpecError(
        "INVALID_FIELD",
        `${field}: unknown template variable {{${raw}}}; expected one of ${Object.keys(vars)
          .map((k) => `{{${k}}}`)
          .join(", ")}`,
        { field, found: raw, expected: Object.keys(vars) },
      );
    }
    out += value;
    pos = close + 2;
  }
  return out;
}

/** Checks that a rendered name is one path segment (no `/`, NUL, `.` or `..`). */
export function checkBaseName(name: string, field: string): string {
  if (name === "" || name === "." || name === ".." || /[/\\\0]/.test(name)) {
    throw new SpecError(
      "INVALID_NAME",
      `${field}: expected a file name without "/", "\\" or NUL, found ${JSON.stringify(name)}`,
      {
        field,
        found: name,
      },
    );
  }
  return name;
}

/** File name extension of an archive kind, with the dot. */
export function archiveExtension(format: ArchiveFormat): string {
  return `.${format}`;
}

/** The artifact's base name (no extension), rendered from `nameTemplate`. */
export function archiveBaseName(spec: PackageSpec, options: TarballOptions): string {
  const template = options.nameTemplate ?? DEFAULT_NAME_TEMPLATE;
  return checkBaseName(
    renderNameTemplate(template, templateVariables(spec, options), "archives.name_template"),
    "archives.name_template",
  );
}

/** The top folder every entry sits in, or undefined when `wrapInDirectory` is off. */
export function wrapDirectory(spec: PackageSpec, options: TarballOptions): string | undefined {
  const w = options.wrapInDirectory;
  if (w === undefined || w === false) return undefined;
  if (w === true) return archiveBaseName(spec, options);
  return checkBaseName(
    renderNameTemplate(w, templateVariables(spec, options), "archives.wrap_in_directory"),
    "archives.wrap_in_directory",
  );
}

/** The artifact's file name, e.g. `hello_1.0.0_linux_amd64.tar.gz`. */
export function archiveFileName(spec: PackageSpec, options: TarballOptions): string {
  return archiveBaseName(spec, options) + archiveExtension(options.format ?? "tar.gz");
}

/**
 * Best-effort split of a default-template name (`name_version_os_arch`, extension removed) back into its
 * parts, for readers: archives carry no metadata of their own.
 */
export function parseArchiveBaseName(
  base: string,
): { name: string; version: string; os: string; arch: string } | undefined {
  const m = /^(.+)_([^_]+)_([^_]+)_([^_]+)$/.exec(base);
  if (m === null) return undefined;
  return { name: m[1]!, version: m[2]!, os: m[3]!, arch: m[4]! };
}

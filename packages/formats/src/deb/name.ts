/**
 * Debian package names (deb-control(5), Debian Policy §5.6.1), deb file names, and the Debian-specific
 * checks on a validated spec (validateDeb).
 */
import { SpecError } from "../errors.ts";
import { refuseRichRelation } from "../spec/relation.ts";
import { RELATION_KINDS, type PackageSpec } from "../spec/types.ts";
import { assertExtraFields, debRelations } from "./control.ts";
import type { DebOptions } from "./options.ts";
import { assertDebVersion, debVersion } from "./version.ts";

/**
 * Why dpkg-deb would refuse `name`, or undefined. dpkg-deb --build (src/deb/build.c) insists on
 * lowercase `[a-z0-9+.-]` starting with an alphanumeric; Policy asks for at least two characters.
 */
export function debNameProblem(name: string): string | undefined {
  if (name.length < 2) return "a Debian package name has at least two characters";
  if (!/^[a-z0-9]/.test(name)) return "a Debian package name starts with a lowercase letter or a digit";
  const bad = /[^a-z0-9+.-]/.exec(name);
  if (bad) return `a Debian package name contains only a-z, 0-9, "+", "-" and "."; found "${bad[0]}"`;
  return undefined;
}

/** Throws SpecError INVALID_NAME when dpkg-deb would refuse the package name. */
export function assertDebName(name: string, field = "name"): void {
  const problem = debNameProblem(name);
  if (problem !== undefined) {
    throw new SpecError(
      "INVALID_NAME",
      `${field}: "${name}" is not a valid Debian package name: ${problem}`,
      {
        field,
        found: name,
      },
    );
  }
}

/**
 * The conventional file name `name_version_arch.deb`, with the epoch left out (as dpkg-name and
 * Debian archives do, since ":" is awkward in file names).
 * @example debFileName("hello", "1:1.0-1", "amd64") // "hello_1.0-1_amd64.deb"
 */
export function debFileName(name: string, version: string, arch: string): string {
  const noEpoch = version.replace(/^[0-9]+:/, "");
  return `${name}_${noEpoch}_${arch}.deb`;
}

/** Relation package names as dpkg's parser accepts them (lib/dpkg/parsehelp.c pkg_name_is_illegal), lowercase. */
const RELATION_NAME = /^[a-z0-9][a-z0-9+.-]*$/;
const ARCH_NAME = /^[a-z0-9][a-z0-9-]*$/;
const TRIGGER_NAME = /^[^\s#]+$/;

function fail(
  code: "INVALID_FIELD" | "INVALID_RELATION" | "INVALID_PATH" | "INVALID_ARCH" | "UNSUPPORTED_FEATURE",
  field: string,
  message: string,
  found?: unknown,
): never {
  throw new SpecError(code, `${field}: ${message}`, { field, found });
}

/**
 * Debian-specific validation on top of validateSpec: package name, rendered version, architecture
 * override, relation names/versions/operators, extra fields, entry paths and config flags, triggers.
 */
export function validateDeb(spec: PackageSpec, options: DebOptions): void {
  assertDebName(spec.name);
  assertDebVersion(debVersion(spec.version));
  if (options.arch !== undefined && !ARCH_NAME.test(options.arch)) {
    fail(
      "INVALID_ARCH",
      "deb.arch",
      `expected a Debian architecture name such as amd64 or armhf, found "${options.arch}"`,
      options.arch,
    );
  }
  if (options.archVariant !== undefined && !ARCH_NAME.test(options.archVariant)) {
    fail(
      "INVALID_FIELD",
      "deb.arch_variant",
      `expected a name such as amd64v3, found "${options.archVariant}"`,
      options.archVariant,
    );
  }
  if (options.compression?.algo === "bzip2") {
    fail(
      "INVALID_FIELD",
      "deb.compression",
      "expected gzip, xz, zstd or none (bzip2 can be read, not written)",
      "bzip2",
    );
  }
  const c = options.compression;
  if (c?.framing && c.algo !== "gzip") {
    // Measured with dpkg 1.21.23: its built-in zstd and xz decoders stop after the first frame/stream, so
    // dpkg-deb -x fails with "Unexpected EOF in archive"; multi-member gzip is read to the end.
    fail(
      "UNSUPPORTED_FEATURE",
      "deb.compression",
      `framing (independent frames) works only with gzip for deb: dpkg reads just the first ${c.algo} ${c.algo === "xz" ? "stream" : "frame"} of data.tar; found ${c.algo} with frames of ${c.framing.chunkBytes} bytes`,
      c,
    );
  }
  for (const kind of RELATION_KINDS) {
    debRelations(spec, options, kind).forEach((group, i) => {
      group.forEach((r, j) => {
        const field = `relations.${kind}[${i}][${j}]`;
        refuseRichRelation(
          r,
          kind,
          `relations.${kind}[${i}]`,
          "deb",
          'deb writes alternatives as "a | b (>= 2)"',
        );
        if (!RELATION_NAME.test(r.name)) {
          fail(
            "INVALID_RELATION",
            field,
            `"${r.name}" is not a Debian package name (lowercase a-z, 0-9, "+", "-", ".")`,
            r.name,
          );
        }
        if (r.archQualifier !== undefined && !ARCH_NAME.test(r.archQualifier)) {
          fail(
            "INVALID_RELATION",
            field,
            `"${r.archQualifier}" is not an architecture qualifier (any, native or an architecture)`,
            r.archQualifier,
          );
        }
        if (r.version !== undefined) assertDebVersion(r.version, `${field}.version`);
        if (kind === "provides" && r.op !== undefined && r.op !== "=") {
          fail(
            "INVALID_RELATION",
            field,
            `Provides only allows "=" versions (deb-control(5)), found "${r.op}"`,
            r.op,
          );
        }
      });
    });
  }
  assertExtraFields(options.fields);
  for (const [i, e] of spec.entries.entries()) {
    const field = `entries[${i}]`;
    if (/[\n\r]/.test(e.path))
      fail(
        "INVALID_PATH",
        `${field}.path`,
        "a path in a deb must not contain a line break (md5sums and conffiles are line-based)",
        e.path,
      );
    for (const who of ["owner", "group"] as const) {
      if (new TextEncoder().encode(e[who].name).length > 32) {
        fail(
          "INVALID_FIELD",
          `${field}.${who}`,
          `the ${who} name "${e[who].name}" is over the 32 bytes a tar header holds`,
          e[who].name,
        );
      }
    }
    if (e.flags?.config && e.type !== "file" && !e.flags.ghost) {
      fail(
        "INVALID_FIELD",
        `${field}.flags.config`,
        `a conffile must be a regular file; "${e.path}" is a ${e.type} (deb-conffiles(5))`,
        e.type,
      );
    }
  }
  // Measured with dpkg 1.21.23: an admin's edit to a conffile that shares its inode with another packaged
  // file is lost on upgrade, so a conffile may not be the target of a hardlink.
  const conffiles = new Set(
    spec.entries.filter((e) => e.type === "file" && e.flags?.config).map((e) => e.path),
  );
  for (const [i, e] of spec.entries.entries()) {
    if (e.type === "hardlink" && conffiles.has(e.target))
      fail(
        "INVALID_PATH",
        `entries[${i}].target`,
        `"${e.path}" hardlinks the conffile "${e.target}"; dpkg would not keep an admin's edit to it on upgrade`,
        e.target,
      );
  }
  const t = options.triggers ?? {};
  for (const [key, names] of Object.entries(t)) {
    for (const name of names ?? []) {
      if (!TRIGGER_NAME.test(name))
        fail(
          "INVALID_FIELD",
          `deb.triggers.${key}`,
          `a trigger name has no whitespace or "#", found "${name}"`,
          name,
        );
    }
  }
}

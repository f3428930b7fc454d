/** rpm naming and validation: `N-V-R.A.rpm`, and the checks rpm-specific options and names must pass. */
import { LEVEL_RANGES } from "../compress/compression.ts";
import { SpecError } from "../errors.ts";
import type { PackageSpec } from "../spec/types.ts";
import { rpmArch } from "./arch.ts";
import { assertRpmRichRelations } from "./deps.ts";
import { LARGE_FILE_BYTES } from "./files.ts";
import type { RpmOptions } from "./options.ts";
import { type RpmEvr, rpmEvr } from "./version.ts";

/** Resolved naming of a package: EVR, arch string and `N-V-R.A.rpm`. */
export function rpmNaming(
  spec: PackageSpec,
  options: RpmOptions,
): { evr: RpmEvr; arch: string; nvr: string; fileName: string } {
  const evr = rpmEvr(spec.version);
  const arch = options.arch ?? rpmArch(spec.arch);
  const nvr = `${spec.name}-${evr.version}-${evr.release}`;
  return { evr, arch, nvr, fileName: `${nvr}.${arch}.rpm` };
}

/** rpm-specific checks on a validated spec; throws SpecError naming the field. */
export function validateRpm(spec: PackageSpec, options: RpmOptions): void {
  if (!/^[A-Za-z0-9_+.][A-Za-z0-9_+.-]*$/.test(spec.name)) {
    throw new SpecError(
      "INVALID_NAME",
      `name: rpm names use letters, digits and _ + . - (not starting with -), found "${spec.name}"`,
      {
        field: "name",
        found: spec.name,
      },
    );
  }
  rpmEvr(spec.version);
  assertRpmRichRelations(spec.relations, options);
  if (options.arch !== undefined && !/^[A-Za-z0-9_]+$/.test(options.arch)) {
    throw new SpecError(
      "INVALID_ARCH",
      `rpm.arch: expected an rpm arch such as x86_64, found "${options.arch}"`,
      { field: "rpm.arch", found: options.arch },
    );
  }
  const c = options.compression;
  if (c !== undefined && c.algo !== "gzip" && c.algo !== "zstd" && c.algo !== "xz" && c.algo !== "lzma") {
    throw new SpecError(
      "UNSUPPORTED_FEATURE",
      `rpm.compression: expected gzip, zstd, xz or lzma, found ${c.algo}`,
      { field: "rpm.compression", found: c.algo },
    );
  }
  if (c?.algo === "lzma" && c.level !== undefined) {
    const [lo, hi] = LEVEL_RANGES.xz;
    if (!Number.isInteger(c.level) || c.level < lo || c.level > hi)
      throw new SpecError(
        "INVALID_FIELD",
        `rpm.compression: expected an lzma level from ${lo} to ${hi}, found ${c.level}`,
        {
          field: "rpm.compression",
          found: c.level,
        },
      );
  }
  if (c !== undefined && "framing" in c && c.framing && c.algo !== "gzip" && c.algo !== "zstd") {
    // rpm reads every gzip member (zlib's gzread) and every zstd frame (ZSTD_decompressStream), but only
    // the first xz stream: test/interop/framed-formats.test.ts runs rpm on each.
    throw new SpecError(
      "UNSUPPORTED_FEATURE",
      `rpm.compression: framing (independent frames) works only with gzip and zstd for rpm payloads: rpm reads just the first ${c.algo} stream; found ${c.algo} with frames of ${c.framing.chunkBytes} bytes`,
      { field: "rpm.compression", found: c },
    );
  }
  if (options.format !== undefined && options.format !== 4) {
    throw new SpecError("UNSUPPORTED_FEATURE", `rpm.format: only 4 is written, found ${options.format}`, {
      field: "rpm.format",
    });
  }
  for (const p of options.prefixes ?? []) {
    if (!p.startsWith("/"))
      throw new SpecError("INVALID_PATH", `rpm.prefixes: expected an absolute path, found "${p}"`, {
        field: "rpm.prefixes",
        found: p,
      });
  }
  // Files outside every prefix are allowed, as rpmbuild allows them: rpm -i --prefix/--relocate moves the
  // files under a prefix and leaves the others where they are (lib/relocation.c).
  for (const e of spec.entries) {
    if (
      e.type === "file" &&
      !e.flags?.ghost &&
      e.content.size >= LARGE_FILE_BYTES &&
      e.content.size > Number.MAX_SAFE_INTEGER
    ) {
      throw new SpecError("INVALID_FIELD", `${e.path}: file too large`, { path: e.path });
    }
  }
}

/**
 * The Arch package plan: everything the writer emits, derived from the spec and options and checked once.
 * `validate` runs it without touching file contents; `write` hashes the files and renders the members.
 */
import { SpecError } from "../errors.ts";
import type { Warning } from "../format.ts";
import { parentDirs } from "../spec/path.ts";
import type { Entry, PackageSpec, Script } from "../spec/types.ts";
import { sortByPath } from "../spec/order.ts";
import { validateSpec } from "../spec/validate.ts";
import { toArchlinuxArch } from "./arch.ts";
import { INSTALL_FUNCTIONS, type InstallScriptKind } from "./install.ts";
import type { ArchlinuxOptions } from "./options.ts";
import { emptyPkginfo, type Pkginfo } from "./pkginfo.ts";
import { toArchlinuxRelations } from "./relations.ts";
import { type ArchlinuxVersion, formatArchlinuxVersion, toArchlinuxVersion } from "./version.ts";

/** pkgname/pkgbase: letters, digits and `@._+-`, not starting with `-` or `.` (makepkg lint_pkgbuild/pkgname.sh). */
const PKGNAME = /^[A-Za-z0-9@_+][A-Za-z0-9@._+-]*$/;

/** makepkg's packager default. */
export const UNKNOWN_PACKAGER = "Unknown Packager";

/** Root names pacman treats as package metadata (libalpm add.c): a payload entry must never use them. */
export const METADATA_NAMES = [".PKGINFO", ".BUILDINFO", ".MTREE", ".INSTALL", ".CHANGELOG"] as const;

/** Everything needed to write one package. */
export interface ArchlinuxPlan {
  spec: PackageSpec;
  version: ArchlinuxVersion;
  versionString: string;
  arch: string;
  pkgbase: string;
  packager: string;
  /** .PKGINFO without `size` digests: the writer fills nothing else in. */
  pkginfo: Pkginfo;
  /** Payload entries in tar order: the spec's (minus ghosts) plus implicit parent directories. */
  entries: Entry[];
  scripts: Partial<Record<InstallScriptKind, Script>>;
  warnings: Warning[];
  fileName: string;
}

function checkName(value: string, field: string): void {
  if (!PKGNAME.test(value)) {
    throw new SpecError(
      "INVALID_NAME",
      `${field}: pacman names use letters, digits and @._+- and must not start with "-" or ".", found "${value}"`,
      {
        field,
        found: value,
      },
    );
  }
}

function firstLine(s: string | undefined): string | undefined {
  const line = s
    ?.split("\n")
    .find((l) => l.trim() !== "")
    ?.trim();
  return line === "" ? undefined : line;
}

/** Adds every missing ancestor directory (0755 root:root, the spec's date), keeping byte order. */
function withParents(entries: readonly Entry[], date: number): Entry[] {
  const have = new Set(entries.map((e) => e.path));
  const out = [...entries];
  for (const e of entries) {
    for (const dir of parentDirs(e.path)) {
      if (have.has(dir)) continue;
      have.add(dir);
      out.push({
        type: "dir",
        path: dir,
        mode: 0o755,
        owner: { name: "root", id: 0 },
        group: { name: "root", id: 0 },
        mtime: date,
      });
    }
  }
  return sortByPath(out);
}

/** Builds and checks the plan; throws SpecError naming the field. Does not read file contents. */
export function planArchlinuxPackage(input: PackageSpec, options: ArchlinuxOptions = {}): ArchlinuxPlan {
  const spec = validateSpec(input);
  const warnings: Warning[] = [];
  checkName(spec.name, "name");
  const pkgbase = options.pkgbase ?? spec.name;
  checkName(pkgbase, "archlinux.pkgbase");
  const version = toArchlinuxVersion(spec.version);
  if (spec.version.metadata !== undefined) {
    warnings.push({
      code: "VERSION_METADATA_DROPPED",
      message: `archlinux: build metadata "+${spec.version.metadata}" is not part of pkgver (pacman would sort it after the release)`,
    });
  }
  const versionString = formatArchlinuxVersion(version);
  const arch = toArchlinuxArch(spec.arch, options.arch);
  const packager = options.packager ?? spec.maintainer ?? UNKNOWN_PACKAGER;
  if (/[\r\n]/.test(packager)) {
    throw new SpecError("INVALID_FIELD", "archlinux.packager: expected one line", {
      field: "archlinux.packager",
      found: packager,
    });
  }

  const payload: Entry[] = [];
  for (const e of spec.entries) {
    if (e.flags?.ghost) {
      warnings.push({
        code: "GHOST_SKIPPED",
        message: `archlinux: ${e.path} is a ghost entry (rpm only); it is not written`,
      });
      continue;
    }
    if (/[\n\r]/.test(e.path)) {
      throw new SpecError(
        "INVALID_PATH",
        `entries: pacman's file database is line-based; "${e.path}" contains a line break`,
        { field: "entries", path: e.path },
      );
    }
    const top = e.path.split("/")[1]!;
    if (top.startsWith(".")) {
      throw new SpecError(
        "INVALID_PATH",
        `entries: pacman treats top-level names starting with "." as package metadata and would skip "${e.path}"`,
        {
          field: "entries",
          path: e.path,
        },
      );
    }
    if (e.flags?.config && e.type !== "file") {
      throw new SpecError(
        "INVALID_FIELD",
        `entries: ${e.path} is a config file (pacman backup) but not a regular file`,
        { field: "entries", path: e.path },
      );
    }
    payload.push(e);
  }
  // a hard link shares its target's inode: mode, owner and time are the target's (pacman -Qkk checks them)
  const files = new Map(payload.map((e) => [e.path, e]));
  for (const [i, e] of payload.entries()) {
    const t = e.type === "hardlink" ? files.get(e.target) : undefined;
    if (e.type === "hardlink" && t !== undefined) {
      const { mtime: _m, ...rest } = e;
      payload[i] = {
        ...rest,
        mode: t.mode,
        owner: t.owner,
        group: t.group,
        ...(t.mtime !== undefined ? { mtime: t.mtime } : {}),
      };
    }
  }
  const entries = withParents(payload, spec.date);

  const { out: rel, dropped } = toArchlinuxRelations(spec.relations);
  for (const kind of dropped)
    warnings.push({
      code: "RELATION_DROPPED",
      message: `archlinux: pacman has no "${kind}" relation; it is not written`,
    });
  for (const groups of Object.values(spec.relations)) {
    for (const g of groups ?? []) {
      for (const r of g) {
        if (r.archQualifier !== undefined) {
          warnings.push({
            code: "ARCH_QUALIFIER_DROPPED",
            message: `archlinux: "${r.name}:${r.archQualifier}" is written as "${r.name}" (no multiarch in pacman)`,
          });
        }
      }
    }
  }

  const scripts: Partial<Record<InstallScriptKind, Script>> = {};
  for (const kind of Object.keys(spec.scripts) as (keyof PackageSpec["scripts"])[]) {
    const s = spec.scripts[kind];
    if (s === undefined) continue;
    if (kind in INSTALL_FUNCTIONS) scripts[kind as InstallScriptKind] = s;
    else
      warnings.push({
        code: "SCRIPT_DROPPED",
        message: `archlinux: pacman has no ${kind} script; it is not written`,
      });
  }
  if (options.scripts?.preupgrade) scripts.preupgrade = options.scripts.preupgrade;
  if (options.scripts?.postupgrade) scripts.postupgrade = options.scripts.postupgrade;
  if (
    options.scriptFiles &&
    (options.scriptFiles.preupgrade ?? options.scriptFiles.postupgrade) !== undefined
  ) {
    for (const k of ["preupgrade", "postupgrade"] as const) {
      // The config loader reads these files into spec.scripts; a library caller reads them into either.
      if (options.scriptFiles[k] !== undefined && scripts[k] === undefined) {
        throw new SpecError(
          "MISSING_SOURCE",
          `archlinux.scripts.${k}: the file ${options.scriptFiles[k]} must be read into spec.scripts.${k} or options.scripts.${k} before writing`,
          {
            field: `archlinux.scripts.${k}`,
            path: options.scriptFiles[k],
          },
        );
      }
    }
  }

  const p = emptyPkginfo(spec.name, versionString);
  p.pkgbase = pkgbase;
  p.xdata.push("pkgtype=pkg");
  const desc = spec.summary ?? firstLine(spec.description);
  if (desc !== undefined) p.pkgdesc = desc;
  if (spec.homepage !== undefined) p.url = spec.homepage;
  p.builddate = spec.date;
  p.packager = packager;
  let size = 0;
  for (const e of entries) if (e.type === "file") size += e.content.size;
  p.size = size;
  p.arch = arch;
  if (spec.license !== undefined) p.license.push(spec.license);
  p.replaces = rel.replaces;
  if (spec.section !== undefined) p.group.push(spec.section);
  p.conflict = rel.conflict;
  p.provides = rel.provides;
  p.backup = entries.filter((e) => e.type === "file" && e.flags?.config).map((e) => e.path.slice(1));
  p.depend = rel.depend;
  p.optdepend = rel.optdepend;

  return {
    spec,
    version,
    versionString,
    arch,
    pkgbase,
    packager,
    pkginfo: p,
    entries,
    scripts,
    warnings,
    fileName: archlinuxFileName(spec, options),
  };
}

/**
 * `<pkgname>-<pkgver>-<pkgrel>-<arch>.pkg.tar.zst`: the plan's file name, from the name, version, arch
 * and compression alone (no pass over the entries).
 */
export function archlinuxFileName(spec: PackageSpec, options: ArchlinuxOptions): string {
  const version = formatArchlinuxVersion(toArchlinuxVersion(spec.version));
  return `${spec.name}-${version}-${toArchlinuxArch(spec.arch, options.arch)}${packageSuffix(options)}`;
}

/** `.pkg.tar.zst`, `.pkg.tar.gz`, `.pkg.tar.xz` or `.pkg.tar` (pacman sniffs the magic, the name is convention). */
export function packageSuffix(options: ArchlinuxOptions): string {
  const ext = { zstd: ".zst", gzip: ".gz", xz: ".xz", bzip2: ".bz2", none: "" }[
    options.compression?.algo ?? "zstd"
  ];
  return `.pkg.tar${ext}`;
}

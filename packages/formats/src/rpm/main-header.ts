/**
 * The main header: every tag rpmbuild writes for a binary package (naming, descriptions, the file arrays,
 * scriptlets, the dependency sets, the changelog, the payload's format and digests), built from the spec,
 * the rpm options, the file list and the spooled payload.
 */
import type { PackageSpec } from "../spec/types.ts";
import { buildDeps, type Dep } from "./deps.ts";
import type { RpmFile } from "./files.ts";
import {
  type HeaderEntry,
  i18nEntry,
  int16Entry,
  int32Entry,
  int64Entry,
  stringArrayEntry,
  stringEntry,
  U32_MAX,
} from "./header.ts";
import { rpmNaming } from "./name.ts";
import type { RpmCompression, RpmOptions } from "./options.ts";
import { COMPRESSOR_NAME, type PayloadResult, payloadLevel } from "./payload.ts";
import { SCRIPT_SLOTS, scriptInterpreter } from "./scripts.ts";
import { DIGEST_ALGO, TAG } from "./tags.ts";

function depEntries(deps: Dep[], nameTag: number, flagsTag: number, versionTag: number): HeaderEntry[] {
  if (deps.length === 0) return [];
  return [
    stringArrayEntry(
      nameTag,
      deps.map((d) => d.name),
    ),
    int32Entry(
      flagsTag,
      deps.map((d) => d.flags),
    ),
    stringArrayEntry(
      versionTag,
      deps.map((d) => d.version),
    ),
  ];
}

function summaryOf(spec: PackageSpec, options: RpmOptions): string {
  return options.summary ?? spec.summary ?? (spec.description ?? "").split("\n")[0]?.trim() ?? "";
}

/** Builds the main header's entries. */
export function mainHeaderEntries(
  spec: PackageSpec,
  options: RpmOptions,
  files: RpmFile[],
  payload: PayloadResult,
  compression: RpmCompression,
  large: boolean,
): HeaderEntry[] {
  const { evr, arch } = rpmNaming(spec, options);
  const e: HeaderEntry[] = [];
  e.push(stringArrayEntry(TAG.HEADERI18NTABLE, ["C"]));
  e.push(
    stringEntry(TAG.NAME, spec.name),
    stringEntry(TAG.VERSION, evr.version),
    stringEntry(TAG.RELEASE, evr.release),
  );
  if (evr.epoch !== undefined) e.push(int32Entry(TAG.EPOCH, [evr.epoch]));
  e.push(i18nEntry(TAG.SUMMARY, summaryOf(spec, options) || spec.name));
  e.push(i18nEntry(TAG.DESCRIPTION, spec.description ?? "no description given"));
  e.push(int32Entry(TAG.BUILDTIME, [spec.date]));
  e.push(stringEntry(TAG.BUILDHOST, options.buildhost ?? "localhost"));
  let total = 0;
  const counted = new Set<number>();
  for (const f of files) {
    if ((f.mode & 0o170000) === 0o100000 && !f.ghost && !counted.has(f.inode)) {
      counted.add(f.inode);
      total += f.size;
    }
  }
  if (total > U32_MAX) e.push(int64Entry(TAG.LONGSIZE, [total]));
  else e.push(int32Entry(TAG.SIZE, [total]));
  if (spec.vendor) e.push(stringEntry(TAG.VENDOR, spec.vendor));
  // Always present, empty when unset: rpmbuild refuses a spec without License, and nfpm (rpmpack) writes "".
  e.push(stringEntry(TAG.LICENSE, spec.license ?? ""));
  const packager = options.packager ?? spec.maintainer;
  if (packager) e.push(stringEntry(TAG.PACKAGER, packager));
  e.push(i18nEntry(TAG.GROUP, options.group ?? spec.section ?? "Unspecified"));
  if (spec.homepage) e.push(stringEntry(TAG.URL, spec.homepage));
  e.push(stringEntry(TAG.OS, "linux"), stringEntry(TAG.ARCH, arch));
  for (const slot of SCRIPT_SLOTS) {
    const s = spec.scripts[slot.kind];
    if (s === undefined) continue;
    const argv = scriptInterpreter(s);
    e.push(stringEntry(slot.body, s.body));
    e.push(argv.length === 1 ? stringEntry(slot.prog, argv[0]!) : stringArrayEntry(slot.prog, argv));
  }
  if (files.length > 0) {
    const column = <K extends keyof RpmFile>(key: K): RpmFile[K][] => files.map((f) => f[key]);
    const every = <T>(value: T): T[] => files.map(() => value);
    e.push(
      large ? int64Entry(TAG.LONGFILESIZES, column("size")) : int32Entry(TAG.FILESIZES, column("size")),
      int16Entry(TAG.FILEMODES, column("mode")),
      int16Entry(TAG.FILERDEVS, every(0)),
      int32Entry(TAG.FILEMTIMES, column("mtime")),
      stringArrayEntry(TAG.FILEDIGESTS, payload.fileDigests),
      stringArrayEntry(TAG.FILELINKTOS, column("linkTo")),
      int32Entry(TAG.FILEFLAGS, column("flags")),
      stringArrayEntry(TAG.FILEUSERNAME, column("user")),
      stringArrayEntry(TAG.FILEGROUPNAME, column("group")),
      int32Entry(TAG.FILEVERIFYFLAGS, every(0xffffffff)),
      int32Entry(TAG.FILEDEVICES, every(1)),
      int32Entry(TAG.FILEINODES, column("inode")),
      stringArrayEntry(TAG.FILELANGS, column("lang")),
    );
    const dirs: string[] = [];
    const dirIndex = new Map<string, number>();
    const indexes = files.map((f) => {
      let i = dirIndex.get(f.dirname);
      if (i === undefined) {
        i = dirs.length;
        dirs.push(f.dirname);
        dirIndex.set(f.dirname, i);
      }
      return i;
    });
    e.push(
      int32Entry(TAG.DIRINDEXES, indexes),
      stringArrayEntry(TAG.BASENAMES, column("basename")),
      stringArrayEntry(TAG.DIRNAMES, dirs),
    );
    e.push(int32Entry(TAG.FILEDIGESTALGO, [DIGEST_ALGO.SHA256]));
  }
  e.push(stringEntry(TAG.SOURCERPM, `${spec.name}-${evr.version}-${evr.release}.src.rpm`));
  const deps = buildDeps(spec, options, {
    evr,
    arch,
    compression,
    large,
    hasConfig: files.some((f) => f.flags & 1),
  });
  e.push(...depEntries(deps.provides, TAG.PROVIDENAME, TAG.PROVIDEFLAGS, TAG.PROVIDEVERSION));
  e.push(...depEntries(deps.requires, TAG.REQUIRENAME, TAG.REQUIREFLAGS, TAG.REQUIREVERSION));
  e.push(...depEntries(deps.conflicts, TAG.CONFLICTNAME, TAG.CONFLICTFLAGS, TAG.CONFLICTVERSION));
  e.push(...depEntries(deps.obsoletes, TAG.OBSOLETENAME, TAG.OBSOLETEFLAGS, TAG.OBSOLETEVERSION));
  e.push(...depEntries(deps.recommends, TAG.RECOMMENDNAME, TAG.RECOMMENDFLAGS, TAG.RECOMMENDVERSION));
  e.push(...depEntries(deps.suggests, TAG.SUGGESTNAME, TAG.SUGGESTFLAGS, TAG.SUGGESTVERSION));
  e.push(...depEntries(deps.supplements, TAG.SUPPLEMENTNAME, TAG.SUPPLEMENTFLAGS, TAG.SUPPLEMENTVERSION));
  e.push(...depEntries(deps.enhances, TAG.ENHANCENAME, TAG.ENHANCEFLAGS, TAG.ENHANCEVERSION));
  if (spec.changelog.length > 0) {
    e.push(
      int32Entry(
        TAG.CHANGELOGTIME,
        spec.changelog.map((c) => c.date),
      ),
    );
    e.push(
      stringArrayEntry(
        TAG.CHANGELOGNAME,
        spec.changelog.map((c) => `${c.author} - ${c.version}`),
      ),
    );
    e.push(
      stringArrayEntry(
        TAG.CHANGELOGTEXT,
        spec.changelog.map((c) => c.changes.map((l) => `- ${l}`).join("\n")),
      ),
    );
  }
  if (options.prefixes?.length)
    e.push(
      stringArrayEntry(
        TAG.PREFIXES,
        options.prefixes.map((p) => (p === "/" ? p : p.replace(/\/+$/, ""))),
      ),
    );
  e.push(stringEntry(TAG.PAYLOADFORMAT, "cpio"));
  e.push(
    stringEntry(TAG.PAYLOADCOMPRESSOR, COMPRESSOR_NAME[compression.algo as keyof typeof COMPRESSOR_NAME]),
  );
  e.push(stringEntry(TAG.PAYLOADFLAGS, String(payloadLevel(compression) ?? "")));
  e.push(stringEntry(TAG.ENCODING, "utf-8"));
  e.push(stringArrayEntry(TAG.PAYLOADDIGEST, [payload.spooled.digests.sha256]));
  e.push(int32Entry(TAG.PAYLOADDIGESTALGO, [DIGEST_ALGO.SHA256]));
  e.push(stringArrayEntry(TAG.PAYLOADDIGESTALT, [payload.uncompressedSha256]));
  return e;
}

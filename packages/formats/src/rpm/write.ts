/**
 * The rpm v4 writer (formats.md §2.10a): payload first (cpio → compressed → spool, hashing on the way),
 * then the main header that records the payload's digests, then the signature header over both.
 * Memory: the payload is spooled (`ctx.spool`, default memory below 32 MiB and a temp file above);
 * headers are small and built in memory.
 */
import { compress } from "../compress/compress.ts";
import { type Compression, DEFAULT_LEVELS, effectiveLevel, LEVEL_RANGES } from "../compress/compression.ts";
import { compressLzmaAlone } from "../compress/lzma-alone.ts";
import { encodeCpioHeader, encodeCpioStrippedHeader, encodeCpioTrailer } from "../container/cpio.ts";
import { SpecError } from "../errors.ts";
import type { WriteContext } from "../format.ts";
import { createHasher, hashBytes, hashing } from "../hash/index.ts";
import type { OpenPGPSigner } from "../sign/signer.ts";
import { createSpool } from "../spool/index.ts";
import type { SpooledBytes } from "../spool/spool.ts";
import type { PackageSpec } from "../spec/types.ts";
import { validateSpec } from "../spec/validate.ts";
import { rpmArch, rpmIsa } from "./arch.ts";
import { assertRpmRichRelations, type Dep, depOf, hasRich, normalizeDeps, rpmlibDep } from "./deps.ts";
import { buildFileList, LARGE_FILE_BYTES, type RpmFile } from "./files.ts";
import { encodeHeader, type HeaderEntry } from "./header.ts";
import { encodeLead } from "./lead.ts";
import { REQUIRE_PHASES, type RequirePhase, type RpmCompression, type RpmOptions } from "./options.ts";
import { SCRIPT_SLOTS, scriptInterpreter, UNMAPPED_SCRIPT_KINDS } from "./scripts.ts";
import { SENSE } from "./sense.ts";
import { encodeSignatureHeader, fitSignatureHeader, signatureEntries } from "./signature-header.ts";
import { DIGEST_ALGO, REGION_IMMUTABLE, RESERVED_SPACE_BYTES, RPM_TYPE, SIG, TAG } from "./tags.ts";
import { formatEvr, type RpmEvr, rpmEvr } from "./version.ts";

const DEFAULT_COMPRESSION: Compression = { algo: "gzip", level: 6 };
const U32_MAX = 0xffffffff;

/** rpm's compressor names (PAYLOADCOMPRESSOR). */
const COMPRESSOR_NAME = { gzip: "gzip", zstd: "zstd", xz: "xz", lzma: "lzma" } as const;

/** The level rpm records in PAYLOADFLAGS (rpmbuild writes the digit of `w6.xzdio`). */
function payloadLevel(c: RpmCompression): number | undefined {
  return c.algo === "lzma" ? (c.level ?? DEFAULT_LEVELS.xz) : effectiveLevel(c);
}

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
  if (c !== undefined && "framing" in c && c.framing !== undefined) {
    throw new SpecError(
      "UNSUPPORTED_FEATURE",
      "rpm.compression: framing is not used for rpm payloads (rpm reads one stream)",
      { field: "rpm.compression" },
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

interface PayloadResult {
  spooled: SpooledBytes;
  uncompressedSize: number;
  uncompressedSha256: string;
  fileDigests: string[];
}

/** Streams the cpio payload of `files` (newc, or stripped when `large`), recording file digests. */
/**
 * Payload order: header order, except that the members of a hardlink set follow each other at the place
 * of the first one (the last carrying the data). rpm's installer keeps one "first link" open until the
 * data arrives, so any file between two members would be linked into the set (rpm lib/fsm.c fsmMkfile;
 * rpmbuild writes the same order, lib/rpmfi.c iterWriteArchiveNext).
 */
export function payloadOrder(files: readonly RpmFile[]): number[] {
  const order: number[] = [];
  const done = new Set<number>();
  files.forEach((f, i) => {
    if (done.has(i) || f.ghost) return;
    if (f.nlink > 1) {
      files.forEach((g, j) => {
        if (g.inode === f.inode && !g.ghost && (g.mode & 0o170000) === 0o100000) {
          order.push(j);
          done.add(j);
        }
      });
    } else {
      order.push(i);
      done.add(i);
    }
  });
  return order;
}

async function* cpioStream(
  files: RpmFile[],
  large: boolean,
  fileDigests: string[],
): AsyncGenerator<Uint8Array> {
  for (const i of payloadOrder(files)) {
    const f = files[i]!;
    const data = f.carriesData ? f.size : 0;
    if (large) {
      yield encodeCpioStrippedHeader(i);
    } else {
      yield encodeCpioHeader(
        {
          name: `.${f.path}`,
          ino: f.inode,
          mode: f.mode,
          uid: 0,
          gid: 0,
          nlink: f.nlink,
          mtime: f.mtime,
          size: data,
          devMajor: 0,
          devMinor: 0,
        },
        "newc",
      );
    }
    if (f.linkTo !== "") {
      yield new TextEncoder().encode(f.linkTo);
    } else if (f.content !== undefined && f.carriesData) {
      const h = createHasher(["sha256"]);
      let n = 0;
      for await (const chunk of f.content.open()) {
        n += chunk.length;
        if (n > f.size) break;
        h.update(chunk);
        yield chunk;
      }
      if (n !== f.size) {
        throw new SpecError(
          "INVALID_FIELD",
          `content of ${f.path} has ${n > f.size ? "more than " : ""}${n} bytes, its size says ${f.size}`,
          {
            field: "content",
            path: f.path,
            expected: f.size,
            found: n,
          },
        );
      }
      fileDigests[i] = h.digest().sha256!;
    }
    const pad = (4 - (data % 4)) % 4;
    if (pad > 0) yield new Uint8Array(pad);
  }
  yield encodeCpioTrailer("newc");
}

async function writePayload(
  files: RpmFile[],
  large: boolean,
  compression: RpmCompression,
  ctx: WriteContext,
): Promise<PayloadResult> {
  const fileDigests: string[] = files.map(() => "");
  const plainHasher = createHasher(["sha256"]);
  let uncompressedSize = 0;
  const plain = hashing(cpioStream(files, large, fileDigests), {
    update(b) {
      plainHasher.update(b);
      uncompressedSize += b.length;
    },
  });
  const writer = (ctx.spool ?? createSpool())();
  try {
    const compressed =
      compression.algo === "lzma"
        ? compressLzmaAlone(plain, compression.level ?? DEFAULT_LEVELS.xz)
        : compress(plain, compression);
    for await (const chunk of compressed) await writer.write(chunk);
  } catch (e) {
    await writer.abort();
    throw e;
  }
  const spooled = await writer.close();
  // Hardlink members without data share the digest of the member that carries it.
  files.forEach((f, i) => {
    if (f.content !== undefined && !f.carriesData) {
      const carrier = files.findIndex((g) => g.inode === f.inode && g.carriesData);
      fileDigests[i] = fileDigests[carrier] ?? "";
    }
  });
  return { spooled, uncompressedSize, uncompressedSha256: plainHasher.digest().sha256!, fileDigests };
}

const str = (tag: number, value: string): HeaderEntry => ({ tag, type: RPM_TYPE.STRING, value });
const i18n = (tag: number, value: string): HeaderEntry => ({
  tag,
  type: RPM_TYPE.I18NSTRING,
  value: [value],
});
const strs = (tag: number, value: string[]): HeaderEntry => ({ tag, type: RPM_TYPE.STRING_ARRAY, value });
const int32 = (tag: number, value: number[]): HeaderEntry => ({ tag, type: RPM_TYPE.INT32, value });
const int16 = (tag: number, value: number[]): HeaderEntry => ({ tag, type: RPM_TYPE.INT16, value });
const int64 = (tag: number, value: number[]): HeaderEntry => ({
  tag,
  type: RPM_TYPE.INT64,
  value: value.map((v) => BigInt(v)),
});

function depEntries(deps: Dep[], nameTag: number, flagsTag: number, versionTag: number): HeaderEntry[] {
  if (deps.length === 0) return [];
  return [
    strs(
      nameTag,
      deps.map((d) => d.name),
    ),
    int32(
      flagsTag,
      deps.map((d) => d.flags),
    ),
    strs(
      versionTag,
      deps.map((d) => d.version),
    ),
  ];
}

/** All dependency sets of the package, rpmlib() features included. */
export function buildDeps(
  spec: PackageSpec,
  options: RpmOptions,
  ctx: { evr: RpmEvr; arch: string; compression: RpmCompression; large: boolean; hasConfig: boolean },
): Record<
  | "requires"
  | "provides"
  | "conflicts"
  | "obsoletes"
  | "recommends"
  | "suggests"
  | "supplements"
  | "enhances",
  Dep[]
> {
  const r = spec.relations;
  const evrText = formatEvr(ctx.evr);
  const requires: Dep[] = (r.depends ?? []).map((g) => depOf(g));
  for (const g of r.preDepends ?? []) requires.push(depOf(g, SENSE.SCRIPT_PRE));
  const phaseSense: Record<RequirePhase, number> = {
    pre: SENSE.SCRIPT_PRE,
    post: SENSE.SCRIPT_POST,
    preun: SENSE.SCRIPT_PREUN,
    postun: SENSE.SCRIPT_POSTUN,
    pretrans: SENSE.PRETRANS,
    posttrans: SENSE.POSTTRANS,
  };
  // A fixed phase order, not the options object's key order, so nothing depends on how it was built.
  for (const phase of REQUIRE_PHASES) {
    for (const g of options.requires?.[phase] ?? []) requires.push(depOf(g, phaseSense[phase]));
  }
  for (const slot of SCRIPT_SLOTS) {
    const s = spec.scripts[slot.kind];
    if (s === undefined) continue;
    const prog = scriptInterpreter(s)[0]!;
    if (prog.startsWith("/")) requires.push({ name: prog, flags: SENSE.INTERP | slot.sense, version: "" });
  }
  const provides: Dep[] = (r.provides ?? []).map((g) => depOf(g));
  provides.push({ name: spec.name, flags: SENSE.EQUAL, version: evrText });
  const isa = rpmIsa(ctx.arch);
  if (isa !== undefined)
    provides.push({ name: `${spec.name}(${isa})`, flags: SENSE.EQUAL, version: evrText });
  if (ctx.hasConfig) {
    const config = { name: `config(${spec.name})`, flags: SENSE.CONFIG | SENSE.EQUAL, version: evrText };
    provides.push(config);
    requires.push(config);
  }
  const conflicts = [...(r.conflicts ?? []), ...(r.breaks ?? [])].map((g) => depOf(g));
  const obsoletes = (r.replaces ?? []).map((g) => depOf(g));
  const recommends = (r.recommends ?? []).map((g) => depOf(g));
  const suggests = (r.suggests ?? []).map((g) => depOf(g));
  const supplements = (options.supplements ?? []).map((g) => depOf(g));
  const enhances = (r.enhances ?? []).map((g) => depOf(g));
  const all = [
    ...requires,
    ...provides,
    ...conflicts,
    ...obsoletes,
    ...recommends,
    ...suggests,
    ...supplements,
    ...enhances,
  ];
  requires.push(
    rpmlibDep("CompressedFileNames"),
    rpmlibDep("FileDigests"),
    rpmlibDep("PayloadFilesHavePrefix"),
  );
  if (ctx.compression.algo === "xz") requires.push(rpmlibDep("PayloadIsXz"));
  if (ctx.compression.algo === "zstd") requires.push(rpmlibDep("PayloadIsZstd"));
  if (ctx.compression.algo === "lzma") requires.push(rpmlibDep("PayloadIsLzma"));
  if (ctx.large) requires.push(rpmlibDep("LargeFiles"));
  if (hasRich(all)) requires.push(rpmlibDep("RichDependencies"));
  const versions = [
    ctx.evr.version,
    ctx.evr.release,
    ...all.map((d) => d.version),
    ...all.filter((d) => d.name.startsWith("(")).map((d) => d.name),
  ];
  if (versions.some((v) => v.includes("~"))) requires.push(rpmlibDep("TildeInVersions"));
  if (versions.some((v) => v.includes("^"))) requires.push(rpmlibDep("CaretInVersions"));
  return {
    requires: normalizeDeps(requires),
    provides: normalizeDeps(provides),
    conflicts: normalizeDeps(conflicts),
    obsoletes: normalizeDeps(obsoletes),
    recommends: normalizeDeps(recommends),
    suggests: normalizeDeps(suggests),
    supplements: normalizeDeps(supplements),
    enhances: normalizeDeps(enhances),
  };
}

function summaryOf(spec: PackageSpec, options: RpmOptions): string {
  return options.summary ?? spec.summary ?? (spec.description ?? "").split("\n")[0]?.trim() ?? "";
}

/** Builds the main header's entries. */
function mainHeaderEntries(
  spec: PackageSpec,
  options: RpmOptions,
  files: RpmFile[],
  payload: PayloadResult,
  compression: RpmCompression,
  large: boolean,
): HeaderEntry[] {
  const { evr, arch } = rpmNaming(spec, options);
  const e: HeaderEntry[] = [];
  e.push(strs(TAG.HEADERI18NTABLE, ["C"]));
  e.push(str(TAG.NAME, spec.name), str(TAG.VERSION, evr.version), str(TAG.RELEASE, evr.release));
  if (evr.epoch !== undefined) e.push(int32(TAG.EPOCH, [evr.epoch]));
  e.push(i18n(TAG.SUMMARY, summaryOf(spec, options) || spec.name));
  e.push(i18n(TAG.DESCRIPTION, spec.description ?? "no description given"));
  e.push(int32(TAG.BUILDTIME, [spec.date]));
  e.push(str(TAG.BUILDHOST, options.buildhost ?? "localhost"));
  let total = 0;
  const counted = new Set<number>();
  for (const f of files) {
    if ((f.mode & 0o170000) === 0o100000 && !f.ghost && !counted.has(f.inode)) {
      counted.add(f.inode);
      total += f.size;
    }
  }
  if (total > U32_MAX) e.push(int64(TAG.LONGSIZE, [total]));
  else e.push(int32(TAG.SIZE, [total]));
  if (spec.vendor) e.push(str(TAG.VENDOR, spec.vendor));
  // Always present, empty when unset: rpmbuild refuses a spec without License, and nfpm (rpmpack) writes "".
  e.push(str(TAG.LICENSE, spec.license ?? ""));
  const packager = options.packager ?? spec.maintainer;
  if (packager) e.push(str(TAG.PACKAGER, packager));
  e.push(i18n(TAG.GROUP, options.group ?? spec.section ?? "Unspecified"));
  if (spec.homepage) e.push(str(TAG.URL, spec.homepage));
  e.push(str(TAG.OS, "linux"), str(TAG.ARCH, arch));
  for (const slot of SCRIPT_SLOTS) {
    const s = spec.scripts[slot.kind];
    if (s === undefined) continue;
    const argv = scriptInterpreter(s);
    e.push(str(slot.body, s.body));
    e.push(argv.length === 1 ? str(slot.prog, argv[0]!) : strs(slot.prog, argv));
  }
  if (files.length > 0) {
    const column = <K extends keyof RpmFile>(key: K): RpmFile[K][] => files.map((f) => f[key]);
    const every = <T>(value: T): T[] => files.map(() => value);
    e.push(
      large ? int64(TAG.LONGFILESIZES, column("size")) : int32(TAG.FILESIZES, column("size")),
      int16(TAG.FILEMODES, column("mode")),
      int16(TAG.FILERDEVS, every(0)),
      int32(TAG.FILEMTIMES, column("mtime")),
      strs(TAG.FILEDIGESTS, payload.fileDigests),
      strs(TAG.FILELINKTOS, column("linkTo")),
      int32(TAG.FILEFLAGS, column("flags")),
      strs(TAG.FILEUSERNAME, column("user")),
      strs(TAG.FILEGROUPNAME, column("group")),
      int32(TAG.FILEVERIFYFLAGS, every(0xffffffff)),
      int32(TAG.FILEDEVICES, every(1)),
      int32(TAG.FILEINODES, column("inode")),
      strs(TAG.FILELANGS, column("lang")),
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
    e.push(int32(TAG.DIRINDEXES, indexes), strs(TAG.BASENAMES, column("basename")), strs(TAG.DIRNAMES, dirs));
    e.push(int32(TAG.FILEDIGESTALGO, [DIGEST_ALGO.SHA256]));
  }
  e.push(str(TAG.SOURCERPM, `${spec.name}-${evr.version}-${evr.release}.src.rpm`));
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
      int32(
        TAG.CHANGELOGTIME,
        spec.changelog.map((c) => c.date),
      ),
    );
    e.push(
      strs(
        TAG.CHANGELOGNAME,
        spec.changelog.map((c) => `${c.author} - ${c.version}`),
      ),
    );
    e.push(
      strs(
        TAG.CHANGELOGTEXT,
        spec.changelog.map((c) => c.changes.map((l) => `- ${l}`).join("\n")),
      ),
    );
  }
  if (options.prefixes?.length)
    e.push(
      strs(
        TAG.PREFIXES,
        options.prefixes.map((p) => (p === "/" ? p : p.replace(/\/+$/, ""))),
      ),
    );
  e.push(str(TAG.PAYLOADFORMAT, "cpio"));
  e.push(str(TAG.PAYLOADCOMPRESSOR, COMPRESSOR_NAME[compression.algo as keyof typeof COMPRESSOR_NAME]));
  e.push(str(TAG.PAYLOADFLAGS, String(payloadLevel(compression) ?? "")));
  e.push(str(TAG.ENCODING, "utf-8"));
  e.push(strs(TAG.PAYLOADDIGEST, [payload.spooled.digests.sha256]));
  e.push(int32(TAG.PAYLOADDIGESTALGO, [DIGEST_ALGO.SHA256]));
  e.push(strs(TAG.PAYLOADDIGESTALT, [payload.uncompressedSha256]));
  return e;
}

/** Digest entries of the signature header for main header `header` and payload `payload`. */
export async function digestEntries(
  header: Uint8Array,
  payload: SpooledBytes | Uint8Array,
  uncompressedSize: number,
): Promise<HeaderEntry[]> {
  const md5 = createHasher(["md5"]);
  md5.update(header);
  if (payload instanceof Uint8Array) md5.update(payload);
  else for await (const chunk of payload.open()) md5.update(chunk);
  const size = header.length + (payload instanceof Uint8Array ? payload.length : payload.size);
  const hex = md5.digest().md5!;
  const md5Bytes = new Uint8Array(16);
  for (let i = 0; i < 16; i++) md5Bytes[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  const e: HeaderEntry[] = [
    str(SIG.SHA1, hashBytes(header, "sha1")),
    str(SIG.SHA256, hashBytes(header, "sha256")),
  ];
  if (size > U32_MAX) e.push(int64(SIG.LONGSIZE, [size]));
  else e.push(int32(SIG.SIZE, [size]));
  e.push({ tag: SIG.MD5, type: RPM_TYPE.BIN, value: md5Bytes });
  if (uncompressedSize > U32_MAX) e.push(int64(SIG.LONGARCHIVESIZE, [uncompressedSize]));
  else e.push(int32(SIG.PAYLOADSIZE, [uncompressedSize]));
  return e;
}

/**
 * Writes an rpm v4 package. With an OpenPGP signer in `ctx`, the header-only signature (268 RSA / 267
 * EdDSA) is added inside the reserved space, as rpmsign would, dated `ctx.date` else `spec.date`.
 */
export async function* writeRpm(
  input: PackageSpec,
  options: RpmOptions = {},
  ctx: WriteContext = {},
): AsyncGenerator<Uint8Array> {
  const spec = validateSpec(input);
  validateRpm(spec, options);
  for (const kind of UNMAPPED_SCRIPT_KINDS) {
    if (spec.scripts[kind] !== undefined)
      ctx.warn?.({
        code: "RPM_SCRIPT_IGNORED",
        message: `scripts.${kind}: rpm has no ${kind} scriptlet; it is not written`,
      });
  }
  // rpmvercmp ranks a numeric segment above an alphabetic one, semver the other way round: `1.0.0-1`
  // sorts after `1.0.0-alpha` in rpm. Written as nfpm does, but said out loud when the prerelease starts
  // with a number (later identifiers, as in the common `rc.1`, only matter against `rc.beta`-style tags).
  if (/^\d/.test(spec.version.prerelease ?? ""))
    ctx.warn?.({
      code: "RPM_PRERELEASE_ORDER",
      message: `version: prerelease "${spec.version.prerelease}" has a numeric identifier; rpm sorts it after alphabetic prereleases (1.0.0-1 > 1.0.0-alpha in rpm, < in semver)`,
    });
  if (ctx.signer !== undefined && ctx.signer.kind !== "openpgp") {
    throw new SpecError(
      "UNSUPPORTED_KEY_TYPE",
      "rpm: packages are signed with an OpenPGP key, found an RSA (apk) signer",
      { field: "rpm.signature" },
    );
  }
  const compression: RpmCompression = options.compression ?? DEFAULT_COMPRESSION;
  const files = buildFileList(spec);
  const large = files.some((f) => f.size >= LARGE_FILE_BYTES);
  const payload = await writePayload(files, large, compression, ctx);
  try {
    const { nvr } = rpmNaming(spec, options);
    const header = encodeHeader(
      mainHeaderEntries(spec, options, files, payload, compression, large),
      REGION_IMMUTABLE,
    );
    const digests = await digestEntries(header, payload.spooled, payload.uncompressedSize);
    const reserve = options.reserveSignatureSpace !== false;
    const unsigned = encodeSignatureHeader(
      reserve
        ? [
            ...digests,
            { tag: SIG.RESERVEDSPACE, type: RPM_TYPE.BIN, value: new Uint8Array(RESERVED_SPACE_BYTES) },
          ]
        : digests,
    );
    let sigHeader = unsigned;
    if (ctx.signer !== undefined) {
      const signer = ctx.signer as OpenPGPSigner;
      const legacy = options.legacySignature
        ? async () => headerAndPayload(header, payload.spooled)
        : undefined;
      const sigs = await signatureEntries(signer, header, legacy, ctx.date ?? spec.date);
      sigHeader = reserve
        ? fitSignatureHeader([...digests, ...sigs], unsigned.length)
        : encodeSignatureHeader([...digests, ...sigs]);
    }
    yield encodeLead(nvr);
    yield sigHeader;
    yield header;
    yield* payload.spooled.open();
  } finally {
    await payload.spooled.dispose();
  }
}

/** The main header then the spooled payload, as one stream: what a legacy 1002/1005 signature covers. */
async function* headerAndPayload(header: Uint8Array, payload: SpooledBytes): AsyncGenerator<Uint8Array> {
  yield header;
  yield* payload.open();
}

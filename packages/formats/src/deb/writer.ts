/**
 * The deb writer: ar with `debian-binary`, `control.tar.gz`, `data.tar.<gz|xz|zst|none>` and an optional
 * debsigs `_gpg<type>` member (deb(5); laid out as dpkg-deb src/deb/build.c writes it). data.tar goes through
 * the spool because the ar header needs its size first; control.tar is small and built in memory.
 */
import { collect, encodeUtf8 } from "../bytes/bytes.ts";
import { compress, compressBytes } from "../compress/compress.ts";
import { applyDefaultFraming, type CompressionSetting } from "../compress/compression.ts";
import { type ArWriteMember, writeAr } from "../container/ar.ts";
import {
  headerAsRead,
  normalizeMemberPath,
  type TarHeader,
  type TarWriteEntry,
  writeTar,
} from "../container/tar.ts";
import { entryTarMember, rootDirMember, rootFileMember } from "../container/tar-member.ts";
import { SpecError } from "../errors.ts";
import type { WriteContext } from "../format.ts";
import { hashBytes } from "../hash/hasher.ts";
import { fileInfoFromTar } from "../info/file-info-from-tar.ts";
import type { FileInfo } from "../info/types.ts";
import { type FileRead, readFiles } from "../source/batch-read.ts";
import type { SpoolFactory } from "../spool/spool.ts";
import { createSpool, spoolStream } from "../spool/index.ts";
import type { Entry, PackageSpec, ScriptKind } from "../spec/types.ts";
import { validateSpec } from "../spec/validate.ts";
import { debArch } from "./arch.ts";
import { renderControl } from "./control.ts";
import { debDataEntries, installedSizeKiB } from "./layout.ts";
import { DEBIAN_BINARY, MEMBER_SUFFIX, signatureMemberName } from "./members.ts";
import { MAX_DEB_CHANGELOG_BYTES } from "./reader.ts";
import type { DebOptions, DebTriggers } from "./options.ts";
import { signDebMembers } from "./sign.ts";
import { validateDeb } from "./name.ts";
import { debVersion } from "./version.ts";

/**
 * Default data compression: gzip 9, as dpkg-deb and nfpm; readable by every dpkg in use. Like any gzip
 * setting without a framing, written in 2 MiB members (dpkg reads multi-member gzip to the end), so
 * worker threads compress it side by side; `gzip:9/stream` gives one stream.
 */
export const DEFAULT_DEB_COMPRESSION: CompressionSetting = { algo: "gzip", level: 9 };

/** Maintainer script file names in control.tar, by spec script kind. */
export const DEB_SCRIPTS: Readonly<Partial<Record<ScriptKind, string>>> = {
  preinstall: "preinst",
  postinstall: "postinst",
  preremove: "prerm",
  postremove: "postrm",
};

/** The header of an entry in data.tar: named "./usr/bin/x" as dpkg-deb names them, directories with a trailing "/". */
function dataHeader(e: Entry, mtime: number): TarHeader {
  return entryTarMember(e, { name: (path) => `.${path}`, mtime }).header;
}

/** Script text as shipped: the body when it starts with "#!", else the interpreter's shebang (default /bin/sh) first. */
export function scriptText(script: { interpreter?: string; body: string }): string {
  if (script.body.startsWith("#!")) return script.body;
  return `#!${script.interpreter ?? "/bin/sh"}\n${script.body}`;
}

/** Text of the `triggers` control file (deb-triggers(5)), or undefined when there is none. */
export function renderTriggers(t: DebTriggers | undefined): string | undefined {
  if (t === undefined) return undefined;
  const keys: [keyof DebTriggers, string][] = [
    ["interest", "interest"],
    ["interestAwait", "interest-await"],
    ["interestNoawait", "interest-noawait"],
    ["activate", "activate"],
    ["activateAwait", "activate-await"],
    ["activateNoawait", "activate-noawait"],
  ];
  let out = "";
  for (const [k, directive] of keys) for (const name of t[k] ?? []) out += `${directive} ${name}\n`;
  return out === "" ? undefined : out;
}

/** What the writer computed besides the bytes (used by tests and the CLI's summary). */
export interface DebLayout {
  version: string;
  arch: string;
  entries: Entry[];
  control: string;
  /** control.tar files in archive order with their contents. */
  controlFiles: { name: string; bytes: Uint8Array; mode: number }[];
}

/** Computes everything of a deb except the data bytes: version, arch, entries, control files. */
export async function debLayout(
  spec: PackageSpec,
  options: DebOptions,
  ctx: WriteContext = {},
  known?: { entries: Entry[]; md5: Map<string, string> },
): Promise<DebLayout> {
  const version = debVersion(spec.version);
  const arch = options.arch ?? debArch(spec.arch);
  const entries = known?.entries ?? (await debDataEntries(spec, version, options.generateDocs !== false));
  const md5 = known?.md5 ?? new Map<string, string>();
  if (known === undefined) {
    // A separate md5sums pass (the writer itself hashes while data.tar streams): digests only.
    const files = entries.filter((e) => e.type === "file");
    for await (const r of readFiles(
      files.map((e) => e.content),
      { digests: ["md5"], data: false },
    ))
      md5.set(files[r.index]!.path, r.digests!.md5!);
  }
  let md5sums = "";
  for (const e of entries) {
    const sum = e.type === "file" ? md5.get(e.path) : e.type === "hardlink" ? md5.get(e.target) : undefined;
    if (sum !== undefined) md5sums += `${sum}  ${e.path.slice(1)}\n`;
  }
  const conffiles = entries
    .filter((e) => e.type === "file" && e.flags?.config)
    .map((e) => `${e.path}\n`)
    .join("");
  if (spec.maintainer === undefined) {
    ctx.warn?.({
      code: "DEB_NO_MAINTAINER",
      message: 'maintainer: not set; writing "Unset Maintainer <unset@localhost>" (lintian flags it)',
    });
  }
  const control = renderControl(spec, options, {
    version,
    arch,
    installedSizeKiB: installedSizeKiB(entries),
  });
  const controlFiles: DebLayout["controlFiles"] = [
    { name: "control", bytes: encodeUtf8(control), mode: 0o644 },
  ];
  if (md5sums !== "") controlFiles.push({ name: "md5sums", bytes: encodeUtf8(md5sums), mode: 0o644 });
  if (conffiles !== "") controlFiles.push({ name: "conffiles", bytes: encodeUtf8(conffiles), mode: 0o644 });
  const triggers = renderTriggers(options.triggers);
  if (triggers !== undefined)
    controlFiles.push({ name: "triggers", bytes: encodeUtf8(triggers), mode: 0o644 });
  if (options.debconf?.templates !== undefined)
    controlFiles.push({ name: "templates", bytes: options.debconf.templates, mode: 0o644 });
  if (options.debconf?.config !== undefined)
    controlFiles.push({ name: "config", bytes: options.debconf.config, mode: 0o755 });
  for (const kind of Object.keys(spec.scripts) as ScriptKind[]) {
    const script = spec.scripts[kind];
    if (script === undefined) continue;
    const name = DEB_SCRIPTS[kind];
    if (name === undefined) {
      ctx.warn?.({
        code: "DEB_SCRIPT_IGNORED",
        message: `scripts.${kind}: deb has no ${kind} script; it is not included`,
      });
      continue;
    }
    controlFiles.push({ name, bytes: encodeUtf8(scriptText(script)), mode: 0o755 });
  }
  controlFiles.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { version, arch, entries, control, controlFiles };
}

/**
 * Builds control.tar.gz (gzip 9, as dpkg-deb; always gzip so every dpkg reads it), in 2 MiB members
 * like data.tar.gz unless `framed` is false (a control.tar that small is one member, the same bytes as
 * one stream).
 */
export async function buildControlTar(layout: DebLayout, mtime: number, framed = true): Promise<Uint8Array> {
  const entries: TarWriteEntry[] = [rootDirMember("./", 0o755, mtime)];
  for (const f of layout.controlFiles) {
    entries.push(rootFileMember(`./${f.name}`, f.bytes, f.mode, mtime));
  }
  const tar = await collect(writeTar(entries, { flavour: "gnu" }));
  const setting: CompressionSetting = framed
    ? { algo: "gzip", level: 9 }
    : { algo: "gzip", level: 9, framing: false };
  return compressBytes(tar, applyDefaultFraming(setting, true));
}

/**
 * What {@link dataTar} lists of the entries it writes: each as the deb reader lists a data.tar entry
 * (fileInfoFromTar of the header as read, md5 of every file), and the bytes of the files the reader
 * looks inside (the changelog, under /usr/share/doc/). For a KnownPayload (WriteContext.onPayload).
 */
export interface DataListing {
  files: FileInfo[];
  contents: Map<string, Uint8Array>;
  /** False when such a file's bytes were not at hand (streamed from its source): no KnownPayload then. */
  complete: boolean;
}

/** A file whose bytes the deb reader may look inside: a changelog under /usr/share/doc/ (deb/reader.ts). */
function readerLooksInside(path: string): boolean {
  return path.startsWith("/usr/share/doc/") && /\/changelog[^/]*$/.test(path);
}

/** The data.tar entry as the deb reader lists it (deb/reader.ts readDataTar), digests to come. */
function listed(header: TarHeader): FileInfo | undefined {
  const h = headerAsRead(header);
  const rel = normalizeMemberPath(h.name, 0);
  if (rel === "") return undefined; // the root "./"
  const info = fileInfoFromTar(h, rel);
  if (h.type === "hardlink") info.target = `/${normalizeMemberPath(h.linkname ?? "", 0)}`;
  return info;
}

/**
 * Streams data.tar (GNU flavour, "./" root first). File contents come from the batch reader (read off the
 * main thread, a bounded window ahead of the tar); when `md5` is given, each file's md5 is computed in the
 * same read and stored by path as the file passes, so every file is read once. With `listing` (and
 * `md5`), each entry is listed there as the reader would list it.
 */
export async function* dataTar(
  list: readonly Entry[],
  mtime: number,
  md5?: Map<string, string>,
  listing?: DataListing,
): AsyncGenerator<Uint8Array> {
  async function* entries(): AsyncGenerator<TarWriteEntry> {
    yield rootDirMember("./", 0o755, mtime);
    const files = list.filter((e) => e.type === "file");
    const reads = readFiles(
      files.map((e) => e.content),
      md5 === undefined ? {} : { digests: ["md5"] },
    );
    try {
      for (const e of list) {
        const header = dataHeader(e, mtime);
        const info = listing === undefined ? undefined : listed(header);
        if (info !== undefined) listing!.files.push(info);
        if (e.type !== "file") {
          yield { header };
          continue;
        }
        const r = (await reads.next()).value as FileRead;
        // A file the reader looks inside: its bytes, from the batch or read again from its source (small).
        let kept: Uint8Array | undefined;
        if (info !== undefined && readerLooksInside(info.path)) {
          if (r.content instanceof Uint8Array) kept = r.content.slice();
          else if (e.content !== undefined && e.content.size <= MAX_DEB_CHANGELOG_BYTES)
            kept = await collect(e.content.open());
          if (kept === undefined) listing!.complete = false;
        }
        yield { header, content: r.content! };
        // The tar writer asks for the next entry once this one's content has passed: its md5 is known.
        if (md5 !== undefined) {
          const sum = r.digests?.md5;
          if (sum === undefined) throw new Error(`deb: the content of ${e.path} was not read to its end`);
          md5.set(e.path, sum);
          if (info !== undefined) info.digests = { md5: sum };
        }
        // Kept only when they are the bytes packed (a source read twice could have changed between).
        if (kept !== undefined && info !== undefined) {
          if (md5 !== undefined && hashBytes(kept, "md5") === info.digests.md5)
            listing!.contents.set(info.path, kept);
          else listing!.complete = false;
        }
      }
    } finally {
      await reads.return(undefined);
    }
  }
  yield* writeTar(entries(), { flavour: "gnu" });
}

/**
 * Writes a .deb. Deterministic: same spec and options, same bytes (mtimes default to `spec.date`; a
 * signature is dated `ctx.date`, else `spec.date`). With `ctx.signer` (OpenPGP) a `_gpg<type>` member is appended.
 */
export async function* writeDeb(
  input: PackageSpec,
  options: DebOptions = {},
  ctx: WriteContext = {},
): AsyncGenerator<Uint8Array> {
  const spec = validateSpec(input);
  validateDeb(spec, options);
  const setting = options.compression ?? DEFAULT_DEB_COMPRESSION;
  // gzip without a framing: 2 MiB members (dpkg reads them all); zstd/xz one stream (dpkg reads one frame).
  const compression = applyDefaultFraming(setting, true);
  if (compression.algo === "bzip2") {
    throw new SpecError("INVALID_FIELD", "deb.compression: bzip2 can be read, not written", {
      field: "deb.compression",
    });
  }
  if (compression.algo === "zstd") {
    ctx.warn?.({
      code: "DEB_ZSTD",
      message:
        "deb.compression: zstd data members need dpkg >= 1.21.18; Debian 11 and older cannot install this package",
    });
  }
  // data.tar first (spooled), hashing each file as it passes; then md5sums and control.tar from those.
  const entries = await debDataEntries(spec, debVersion(spec.version), options.generateDocs !== false);
  const md5 = new Map<string, string>();
  const spool: SpoolFactory = ctx.spool ?? createSpool();
  const listing: DataListing | undefined =
    ctx.onPayload === undefined ? undefined : { files: [], contents: new Map(), complete: true };
  // No digests of data.tar: the deb records none (md5sums covers the files, a signature reads the member).
  const data = await spoolStream(spool, compress(dataTar(entries, spec.date, md5, listing), compression), []);
  if (listing?.complete === true)
    ctx.onPayload?.({ format: "deb", files: listing.files, contents: listing.contents });
  let control: Uint8Array;
  try {
    control = await buildControlTar(
      await debLayout(spec, options, ctx, { entries, md5 }),
      spec.date,
      setting.framing !== false,
    );
  } catch (e) {
    await data.dispose();
    throw e;
  }
  try {
    const debianBinary = encodeUtf8(DEBIAN_BINARY);
    const members: ArWriteMember[] = [
      { name: "debian-binary", size: debianBinary.length, content: debianBinary, mtime: spec.date },
      { name: "control.tar.gz", size: control.length, content: control, mtime: spec.date },
      {
        name: `data.tar${MEMBER_SUFFIX[compression.algo]}`,
        size: data.size,
        content: data,
        mtime: spec.date,
      },
    ];
    if (ctx.signer !== undefined) {
      const signature = await signDebMembers(
        [debianBinary, control, data.open()],
        ctx.signer,
        ctx.date ?? spec.date,
      );
      members.push({
        name: signatureMemberName(options.signatureType),
        size: signature.length,
        content: signature,
        mtime: spec.date,
      });
    }
    yield* writeAr(members);
  } finally {
    await data.dispose();
  }
}

/**
 * The deb reader: any .deb (ours or dpkg-deb's, members gzip/xz/zstd/bzip2/none) into PackageInfo.
 * Member rules follow dpkg (src/deb/extract.c): `debian-binary` first, `_`-prefixed members skipped,
 * then control.tar, then data.tar; members after data.tar ignored except `_gpg*` signatures. Tar
 * member names are normalised as dpkg does ("./x", "x" and "/x" are the same file); ".." is rejected,
 * and so are pax headers, which dpkg refuses. The package's debian/changelog is read from data.tar into
 * `changelog` (see {@link readDeb} for which file and how much of it).
 */
import { concatBytes, decodeAscii, decodeUtf8 } from "../bytes/bytes.ts";
import { decompress, decompressBytes } from "../compress/decompress.ts";
import { AR_HEADER_SIZE, type ArMember, readAr } from "../container/ar.ts";
import { normalizeMemberPath, readTar, type TarEntry } from "../container/tar.ts";
import { FormatError, isPackyardError } from "../errors.ts";
import type { ReadContext } from "../format.ts";
import type { KnownPayload } from "../info/known-payload.ts";
import { createHasher, hashing } from "../hash/hasher.ts";
import { artifactInfo, usableKnown } from "../info/artifact-info.ts";
import type { ChangelogInfo, FileInfo, PackageInfo, SignatureInfo } from "../info/types.ts";
import { fileInfoFromTar } from "../info/file-info-from-tar.ts";
import { resolveLimits, type ReadLimits } from "../limits.ts";
import { readSignatureInfo } from "../sign/signature-info.ts";
import { parseRelation } from "../spec/relation.ts";
import type { ByteSource, Relations, ScriptKind } from "../spec/types.ts";
import { getField, parseStanza, unfoldDescription } from "../text/deb822.ts";
import { archFromDeb } from "./arch.ts";
import { decodeDebianChangelog } from "./changelog.ts";
import { DEB_RELATION_FIELDS } from "./control.ts";
import { debDocPaths } from "./layout.ts";
import { memberCompression } from "./members.ts";
import { chainParts } from "./sign.ts";
import { versionFromDeb } from "./version.ts";

/** Control-archive script names and the spec script kinds they carry. */
const SCRIPT_KIND: Readonly<Record<string, ScriptKind>> = {
  preinst: "preinstall",
  postinst: "postinstall",
  prerm: "preremove",
  postrm: "postremove",
};

/**
 * Largest debian/changelog the reader parses, compressed and uncompressed (and never more than
 * `limits.maxHeaderBytes`). Real ones are far smaller: of 836 on a Debian 12 system the longest,
 * linux-libc-dev's, is 1.2 MB gzipped and 3.4 MB uncompressed. A larger one is left out of `changelog`,
 * not an error: dpkg does not read the file either.
 */
export const MAX_DEB_CHANGELOG_BYTES = 16 * 1024 * 1024;

/** Control-archive files the reader keeps. */
const CONTROL_FILES = new Set(["control", "md5sums", "conffiles", "triggers", ...Object.keys(SCRIPT_KIND)]);

interface MemberRange {
  name: string;
  start: number;
  end: number;
}

function memberRange(m: ArMember): MemberRange {
  return { name: m.name, start: m.offset + AR_HEADER_SIZE, end: m.offset + AR_HEADER_SIZE + m.size };
}

/**
 * Throws unless `m` is the `want` member (`control.tar*`, `data.tar*`): BAD_MEMBER_ORDER when it is the
 * `other` one instead, UNEXPECTED_MEMBER when it is anything else (dpkg: premature member).
 */
function expectMember(m: ArMember, want: string, other: string): void {
  if (m.name.startsWith(want)) return;
  throw new FormatError(
    m.name.startsWith(other) ? "BAD_MEMBER_ORDER" : "UNEXPECTED_MEMBER",
    `deb: expected ${want} at offset ${m.offset}, found ${JSON.stringify(m.name)} (dpkg: premature member)`,
    { offset: m.offset, path: m.name, expected: want },
  );
}

async function readMemberBytes(m: ArMember, limit: number): Promise<Uint8Array> {
  if (m.size > limit) {
    throw new FormatError(
      "LIMIT_HEADER_BYTES",
      `deb member ${m.name} at offset ${m.offset} has ${m.size} bytes, over the limit of ${limit}`,
      {
        offset: m.offset,
        path: m.name,
        expected: limit,
        found: m.size,
      },
    );
  }
  return m.bytes();
}

function rejectPax(entry: TarEntry, member: string, start: number): void {
  if (entry.format === "pax") {
    throw new FormatError(
      "UNSUPPORTED",
      `${member}: pax extended header before ${JSON.stringify(entry.header.name)} (tar offset ${entry.offset}); dpkg rejects pax headers`,
      {
        offset: start,
        path: member,
        tarOffset: entry.offset,
      },
    );
  }
}

/**
 * Decompresses a member and hands the tar reader a view that never closes the decompressor; once the
 * tar has ended, `drain` reads the decompressed rest to its end (still bounded by maxUnpackedBytes), so
 * the codec has consumed the whole member before the ar reader moves on. Stopping a codec half-way while
 * it still pulls from the shared ar stream can stall it (seen with xz fed in small chunks).
 */
function memberStream(
  m: ArMember,
  algo: Exclude<ReturnType<typeof memberCompression>, "lzma" | undefined>,
  limits: ReadLimits,
) {
  const it = decompress(m.body(), algo, { limits, offset: m.offset + AR_HEADER_SIZE, path: m.name })[
    Symbol.asyncIterator
  ]();
  const view: AsyncIterable<Uint8Array> = { [Symbol.asyncIterator]: () => ({ next: () => it.next() }) };
  return {
    view,
    async drain(): Promise<void> {
      while (!(await it.next()).done) {
        // trailing bytes after the tar end blocks: read and dropped
      }
    },
  };
}

/** Reads control.tar: the control files by name (bounded by maxHeaderBytes each). */
async function readControlTar(m: ArMember, limits: ReadLimits): Promise<Map<string, Uint8Array>> {
  const algo = memberAlgo(m, "control.tar");
  const start = m.offset + AR_HEADER_SIZE;
  const out = new Map<string, Uint8Array>();
  const stream = memberStream(m, algo, limits);
  for await (const entry of readTar(stream.view, { limits })) {
    rejectPax(entry, m.name, start);
    const name = normalizeMemberPath(entry.header.name, start);
    if (entry.header.type !== "file" || !CONTROL_FILES.has(name)) continue;
    if (entry.header.size > limits.maxHeaderBytes) {
      throw new FormatError(
        "LIMIT_HEADER_BYTES",
        `${m.name}: ${name} has ${entry.header.size} bytes, over the limit of ${limits.maxHeaderBytes}`,
        {
          offset: start,
          path: name,
        },
      );
    }
    out.set(name, await entry.bytes());
  }
  await stream.drain();
  return out;
}

/**
 * Where the package's debian/changelog may sit, best first: the name deb/layout.ts gives it
 * (`changelog.Debian.gz`, or `changelog.gz` for a native package, whose version has no revision), then
 * the uncompressed spelling. A native package's `changelog.Debian(.gz)` is accepted after those; a
 * non-native package's `changelog.gz` is the upstream changelog and is never read.
 */
function changelogCandidates(name: string, version: string): string[] {
  const first = debDocPaths(name, version).changelog;
  const dir = first.slice(0, first.lastIndexOf("/") + 1);
  const names = first.endsWith("/changelog.gz")
    ? ["changelog.gz", "changelog", "changelog.Debian.gz", "changelog.Debian"]
    : ["changelog.Debian.gz", "changelog.Debian"];
  return names.map((n) => dir + n);
}

/** The changelog candidates for the package the control file names; [] when it does not parse (reported later). */
function changelogCandidatesOf(control: Map<string, Uint8Array>): string[] {
  try {
    const stanza = parseStanza(decodeUtf8(control.get("control") ?? new Uint8Array()), "control");
    const name = getField(stanza, "Package");
    const version = getField(stanza, "Version");
    return name && version ? changelogCandidates(name, version) : [];
  } catch {
    return [];
  }
}

/** The captured changelog file: its rank among the candidates and its (possibly gzipped) bytes. */
interface ChangelogFile {
  rank: number;
  path: string;
  bytes: Uint8Array;
}

/**
 * Reads data.tar: one FileInfo per entry, md5 of every regular file computed while streaming. The best
 * of the `changelog` candidate paths (a regular file of at most `changelogMax` bytes) is kept in memory.
 */
async function readDataTar(
  m: ArMember,
  limits: ReadLimits,
  changelog: readonly string[],
  changelogMax: number,
): Promise<{ files: FileInfo[]; changelog?: ChangelogFile }> {
  const algo = memberAlgo(m, "data.tar");
  const start = m.offset + AR_HEADER_SIZE;
  const files: FileInfo[] = [];
  let best: ChangelogFile | undefined;
  const stream = memberStream(m, algo, limits);
  for await (const entry of readTar(stream.view, { limits })) {
    rejectPax(entry, m.name, start);
    const h = entry.header;
    const rel = normalizeMemberPath(h.name, start);
    if (rel === "") continue; // the root "./"
    const info = fileInfoFromTar(h, rel);
    if (h.type === "hardlink") info.target = `/${normalizeMemberPath(h.linkname ?? "", start)}`;
    if (h.type === "file") {
      const hasher = createHasher(["md5"]);
      const rank = h.size <= changelogMax ? changelog.indexOf(info.path) : -1;
      const keep = rank >= 0 && (best === undefined || rank < best.rank);
      const chunks: Uint8Array[] = [];
      for await (const chunk of hashing(entry.body(), hasher)) {
        // streamed through the hasher; only the changelog is kept
        if (keep) chunks.push(chunk);
      }
      info.digests = hasher.digest();
      if (keep) best = { rank, path: info.path, bytes: concatBytes(chunks) };
    }
    files.push(info);
  }
  await stream.drain();
  return best === undefined ? { files } : { files, changelog: best };
}

/**
 * data.tar as the writer that just wrote it listed it (ReadContext.knownPayload): its files, and the
 * changelog chosen as {@link readDataTar} chooses it; undefined when the payload lacks the chosen file's
 * bytes (then the member is read).
 */
function knownDataTar(
  known: KnownPayload,
  changelog: readonly string[],
  changelogMax: number,
): { files: FileInfo[]; changelog?: ChangelogFile } | undefined {
  // Copies: the reader marks conffiles on them.
  const files = known.files.map((f) => ({ ...f }));
  let best: ChangelogFile | undefined;
  for (const info of files) {
    if (info.type !== "file") continue;
    const rank = info.size <= changelogMax ? changelog.indexOf(info.path) : -1;
    if (rank < 0 || (best !== undefined && rank >= best.rank)) continue;
    const bytes = known.contents.get(info.path);
    if (bytes === undefined) return undefined;
    best = { rank, path: info.path, bytes };
  }
  return best === undefined ? { files } : { files, changelog: best };
}

/**
 * The compression of member `m` (control.tar or data.tar), which must be one the reader reads for that
 * member (control.tar: not bzip2 either) and not empty.
 */
function memberAlgo(
  m: ArMember,
  kind: "control.tar" | "data.tar",
): Exclude<ReturnType<typeof memberCompression>, "lzma" | undefined> {
  const algo = memberCompression(m.name, kind);
  if (algo === undefined || algo === "lzma" || (kind === "control.tar" && algo === "bzip2")) {
    throw new FormatError(
      "UNSUPPORTED",
      `deb member ${m.name} at offset ${m.offset}: ${kind === "data.tar" ? "unsupported" : "unknown"} ${kind} compression`,
      { offset: m.offset, path: m.name },
    );
  }
  if (m.size === 0)
    throw new FormatError("TRUNCATED", `deb member ${m.name} at offset ${m.offset} is empty`, {
      offset: m.offset,
      path: m.name,
    });
  return algo;
}

/**
 * The changelog file's entries; [] when it is not valid gzip, inflates past `max` bytes, or holds no
 * debian/changelog entry (a broken changelog does not make the package unreadable, as for dpkg). Bytes
 * that are not UTF-8 (old Latin-1 changelogs) become U+FFFD.
 */
async function changelogEntries(file: ChangelogFile | undefined, max: number): Promise<ChangelogInfo[]> {
  if (file === undefined) return [];
  let bytes = file.bytes;
  if (file.path.endsWith(".gz")) {
    try {
      bytes = await decompressBytes(bytes, "gzip", { limits: { maxUnpackedBytes: max }, path: file.path });
    } catch (e) {
      if (isPackyardError(e)) return [];
      throw e;
    }
  }
  return decodeDebianChangelog(new TextDecoder().decode(bytes));
}

function text(bytes: Uint8Array | undefined, where: string): string | undefined {
  if (bytes === undefined) return undefined;
  try {
    return decodeUtf8(bytes);
  } catch (cause) {
    throw new FormatError("INVALID_VALUE", `${where} is not valid UTF-8`, { path: where }, { cause });
  }
}

function parseRelations(get: (name: string) => string | undefined): Relations {
  const out: Relations = {};
  for (const [field, kind] of DEB_RELATION_FIELDS) {
    const value = get(field);
    if (value === undefined || value.trim() === "") continue;
    try {
      out[kind] = value
        .split(",")
        .map((s) => s.replace(/\s+/g, " ").trim())
        .filter((s) => s !== "")
        .map((s) => parseRelation(s, field));
    } catch (cause) {
      throw new FormatError(
        "INVALID_VALUE",
        `control: cannot parse ${field}: ${(cause as Error).message}`,
        { field, found: value },
        { cause },
      );
    }
  }
  return out;
}

async function signatureInfo(
  name: string,
  bytes: Uint8Array,
  source: ByteSource,
  ranges: MemberRange[],
  ctx: ReadContext,
): Promise<SignatureInfo> {
  const sig: SignatureInfo = { kind: "openpgp", location: name };
  try {
    const meta = readSignatureInfo(bytes);
    sig.keyId = meta.keyId;
    if (meta.fingerprint !== undefined) sig.fingerprint = meta.fingerprint;
    sig.hash = meta.hash;
  } catch (e) {
    if (!isPackyardError(e)) throw e;
    // an unreadable signature still counts as present; verification (if asked) will fail
  }
  if (ctx.publicKeys !== undefined && ctx.publicKeys.length > 0 && name !== "_gpgbuilder") {
    // debsigs signs debian-binary + control + data, in archive order (members before the signature).
    // Streamed from the source for each key tried, so memory stays bounded whatever data.tar's size.
    const data = () => chainParts(ranges.map((r) => source.open({ start: r.start, end: r.end })));
    // openpgp.js is loaded only to verify, not to read a package or a signature's key id.
    const { verifyDetached } = await import("../sign/openpgp.ts");
    sig.verified = false;
    for (const key of ctx.publicKeys) {
      try {
        if ((await verifyDetached(data(), bytes, key, { date: null })).valid) {
          sig.verified = true;
          break;
        }
      } catch (e) {
        if (!isPackyardError(e)) throw e;
      }
    }
  }
  return sig;
}

/**
 * Reads a .deb into PackageInfo; FormatError with offset/path on malformed input, never unbounded memory.
 * `changelog` comes from `/usr/share/doc/<Package>/changelog.Debian.gz` (`changelog.gz` for a native
 * package; uncompressed spellings accepted), read only when it is a regular file of at most
 * {@link MAX_DEB_CHANGELOG_BYTES} (and `limits.maxHeaderBytes`) compressed and uncompressed; otherwise,
 * or when it is a symlink into another package's doc directory, `changelog` is [].
 */
export async function readDeb(source: ByteSource, ctx: ReadContext = {}): Promise<PackageInfo> {
  const limits = resolveLimits(ctx.limits);
  const known = usableKnown(source, ctx.knownArtifact);
  const artifactHasher = createHasher(known === undefined ? undefined : []);
  let stage: "start" | "binary" | "control" | "data" = "start";
  let control: Map<string, Uint8Array> | undefined;
  let files: FileInfo[] | undefined;
  let changelogFile: ChangelogFile | undefined;
  const changelogMax = Math.min(MAX_DEB_CHANGELOG_BYTES, limits.maxHeaderBytes);
  const members: string[] = [];
  const signed: MemberRange[] = [];
  const signatures: { name: string; bytes: Uint8Array }[] = [];
  let headOffset = 0;
  try {
    const bytes = known === undefined ? hashing(source.open(), artifactHasher) : source.open();
    for await (const m of readAr(bytes, { limits })) {
      members.push(m.name);
      headOffset = m.offset;
      if (stage === "start") {
        if (m.name === "debian-split") {
          throw new FormatError(
            "UNSUPPORTED",
            "multi-part deb (deb-split(5)): reassemble it with dpkg-split first",
            { offset: m.offset, path: m.name },
          );
        }
        if (m.name !== "debian-binary") {
          throw new FormatError(
            "BAD_MEMBER_ORDER",
            `deb: expected debian-binary as the first member at offset ${m.offset}, found ${JSON.stringify(m.name)}`,
            {
              offset: m.offset,
              path: m.name,
              expected: "debian-binary",
            },
          );
        }
        const bytes = await readMemberBytes(m, 1024);
        const version = decodeAscii(bytes);
        if (!version.includes("\n") || !/^2\.[0-9]+\n/.test(version)) {
          throw new FormatError(
            "UNSUPPORTED_VERSION",
            `deb: debian-binary at offset ${m.offset} says ${JSON.stringify(version.slice(0, 16))}, expected "2.x\\n"`,
            {
              offset: m.offset + AR_HEADER_SIZE,
              found: version.slice(0, 16),
            },
          );
        }
        signed.push(memberRange(m));
        stage = "binary";
      } else if (m.name.startsWith("_")) {
        if (m.name.startsWith("_gpg"))
          signatures.push({ name: m.name, bytes: await readMemberBytes(m, limits.maxHeaderBytes) });
      } else if (stage === "binary") {
        expectMember(m, "control.tar", "data.tar");
        control = await readControlTar(m, limits);
        signed.push(memberRange(m));
        stage = "control";
      } else if (stage === "control") {
        expectMember(m, "data.tar", "control.tar");
        const candidates = changelogCandidatesOf(control!);
        const known = ctx.knownPayload?.format === "deb" ? ctx.knownPayload : undefined;
        if (known !== undefined) memberAlgo(m, "data.tar");
        const data =
          (known === undefined ? undefined : knownDataTar(known, candidates, changelogMax)) ??
          (await readDataTar(m, limits, candidates, changelogMax));
        files = data.files;
        changelogFile = data.changelog;
        signed.push(memberRange(m));
        stage = "data";
      }
      // members after data.tar other than _gpg* are ignored, as dpkg does
    }
  } catch (e) {
    if (e instanceof FormatError && e.code === "BAD_MAGIC" && e.data.offset === 0) {
      throw new FormatError("BAD_MAGIC", `not a deb: ${e.message}`, { ...e.data }, { cause: e });
    }
    throw e;
  }
  if (control === undefined || files === undefined) {
    const missing = control === undefined ? "control.tar" : "data.tar";
    throw new FormatError(
      "MISSING_MEMBER",
      `deb: the archive ends without a ${missing} member (last member at offset ${headOffset})`,
      {
        offset: source.size,
        expected: missing,
      },
    );
  }
  const controlText = text(control.get("control"), "control");
  if (controlText === undefined) {
    throw new FormatError("MISSING_MEMBER", "deb: control.tar has no control file", { path: "control" });
  }
  const stanza = parseStanza(controlText, "control");
  const get = (name: string) => getField(stanza, name);
  for (const required of ["Package", "Version", "Architecture"]) {
    if (get(required) === undefined) {
      throw new FormatError("MISSING_MEMBER", `control: the required field ${required} is missing`, {
        path: "control",
        field: required,
      });
    }
  }
  const conffiles = new Set(
    (text(control.get("conffiles"), "conffiles") ?? "")
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l !== "")
      .map((l) => l.replace(/^remove-on-upgrade\s+/, "")),
  );
  for (const f of files) if (conffiles.has(f.path)) f.flags = { config: true };
  const scripts: PackageInfo["scripts"] = {};
  for (const [file, kind] of Object.entries(SCRIPT_KIND)) {
    const body = text(control.get(file), file);
    if (body === undefined) continue;
    const shebang = /^#!\s*(\S+)/.exec(body);
    scripts[kind] = shebang ? { interpreter: shebang[1]!, body } : { body };
  }
  const sigs: SignatureInfo[] = [];
  for (const s of signatures) sigs.push(await signatureInfo(s.name, s.bytes, source, signed, ctx));
  const versionString = get("Version")!;
  const archString = get("Architecture")!;
  const description = get("Description");
  const info: PackageInfo = {
    format: "deb",
    name: get("Package")!,
    versionString,
    version: versionFromDeb(versionString),
    archString,
    relations: parseRelations(get),
    changelog: await changelogEntries(changelogFile, changelogMax),
    files,
    scripts,
    signatures: sigs,
    artifact: artifactInfo(source.size, known?.digests ?? artifactHasher.digest()),
    raw: { format: "deb", control: controlText, members },
  };
  const arch = archFromDeb(archString);
  if (arch !== undefined) info.arch = arch;
  const optional: [keyof PackageInfo & string, string][] = [
    ["maintainer", "Maintainer"],
    ["homepage", "Homepage"],
    ["section", "Section"],
    ["priority", "Priority"],
  ];
  for (const [key, field] of optional) {
    const v = get(field);
    if (v !== undefined) (info as unknown as Record<string, unknown>)[key] = v;
  }
  if (description !== undefined) {
    const d = unfoldDescription(description);
    info.summary = d.synopsis;
    if (d.extended !== "") info.description = d.extended;
  }
  const size = get("Installed-Size");
  if (size !== undefined && /^[0-9]+$/.test(size)) info.installedSize = Number(size) * 1024;
  return info;
}

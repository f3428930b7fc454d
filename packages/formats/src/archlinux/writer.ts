/**
 * The Arch writer: one pax-flavoured tar (no `./` prefixes), metadata first — .PKGINFO, .BUILDINFO, .MTREE,
 * .INSTALL, .CHANGELOG — then the tree, compressed (zstd by default). Two passes over file contents, both
 * through the batch reader off the main thread: the first only digests them for .MTREE (no bytes come
 * back), the second streams them into the tar; nothing is buffered whole. (.MTREE precedes the files in
 * the one compressed stream, so one pass would have to hold or spool the whole tar; makepkg reads twice too.)
 */
import { encodeUtf8 } from "../bytes/bytes.ts";
import { compress, compressBytes } from "../compress/compress.ts";
import { applyDefaultFraming, type Compression, type CompressionSetting } from "../compress/compression.ts";
import { headerAsRead, type TarWriteEntry, writeTar } from "../container/tar.ts";
import { entryTarMember, rootFileMember } from "../container/tar-member.ts";
import { SpecError } from "../errors.ts";
import type { WriteContext } from "../format.ts";
import { hashBytes } from "../hash/hasher.ts";
import type { FileInfo } from "../info/types.ts";
import { digestPass, type FileRead, readFiles } from "../source/batch-read.ts";
import type { Entry, PackageSpec } from "../spec/types.ts";
import { encodeBuildinfo } from "./buildinfo.ts";
import { encodeChangelog } from "./changelog.ts";
import { encodeInstall } from "./install.ts";
import { encodeMtree, type MtreeEntry } from "./mtree.ts";
import type { ArchlinuxOptions } from "./options.ts";
import { encodePkginfo } from "./pkginfo.ts";
import { type ArchlinuxPlan, planArchlinuxPackage } from "./plan.ts";
import { payloadInfo, payloadPath } from "./reader.ts";

/**
 * Default package compression: zstd level 3, what makepkg's `zstd -c -z -q -` gives; one stream (framed
 * zstd was measured to gain little: the main thread is the bottleneck, and one stream already compresses
 * on a worker).
 */
export const DEFAULT_COMPRESSION: CompressionSetting = { algo: "zstd", level: 3 };
/** .MTREE is gzip'd like makepkg's `gzip -c -f -n` (level 6, no name, no timestamp). */
const MTREE_COMPRESSION: Compression = { algo: "gzip", level: 6 };

interface Hashed {
  md5: string;
  sha256: string;
}

/** Symlinks are written 0777: lstat reports that on Linux, so `pacman -Qkk` compares against it. */
function modeOf(e: Entry): number {
  return e.type === "symlink" ? 0o777 : e.mode;
}

async function hashFiles(entries: readonly Entry[]): Promise<Map<string, Hashed>> {
  const out = new Map<string, Hashed>();
  const files = entries.filter((e) => e.type === "file");
  // Two readers side by side on a large tree (makepkg also reads every file twice: here the second
  // pass, the tar, is the one that waits on the compressors).
  await digestPass(
    files.map((e) => e.content),
    ["md5", "sha256"],
    (r, index) => {
      const e = files[index]!;
      const size = r.read;
      const digests = r.digests!;
      if (size !== e.content.size) {
        throw new SpecError(
          "INVALID_FIELD",
          `content of ${e.path} has ${size} bytes, its size says ${e.content.size}`,
          {
            field: "entries",
            path: e.path,
            expected: e.content.size,
            found: size,
          },
        );
      }
      out.set(e.path, { md5: digests.md5!, sha256: digests.sha256! });
    },
  );
  return out;
}

function mtreeEntry(
  e: Entry,
  date: number,
  hashes: Map<string, Hashed>,
  byPath: Map<string, Entry>,
): MtreeEntry {
  const base = {
    path: e.path.slice(1),
    mode: modeOf(e),
    uid: e.owner.id,
    gid: e.group.id,
    time: e.mtime ?? date,
  };
  switch (e.type) {
    case "dir":
      return { ...base, type: "dir" };
    case "symlink":
      return { ...base, type: "link", link: e.target };
    case "file": {
      const h = hashes.get(e.path)!;
      return { ...base, type: "file", size: e.content.size, md5: h.md5, sha256: h.sha256 };
    }
    case "hardlink": {
      // bsdtar lists a hard link as a regular file with its target's content
      const t = byPath.get(e.target);
      const h = hashes.get(e.target)!;
      const size = t?.type === "file" ? t.content.size : 0;
      return { ...base, type: "file", size, md5: h.md5, sha256: h.sha256 };
    }
  }
}

function metaMtree(name: string, bytes: Uint8Array, date: number): MtreeEntry {
  return {
    path: name,
    type: "file",
    mode: 0o644,
    uid: 0,
    gid: 0,
    time: date,
    size: bytes.length,
    md5: hashBytes(bytes, "md5"),
    sha256: hashBytes(bytes, "sha256"),
  };
}

/** A payload member: named without the leading "/", as makepkg's bsdtar writes them; symlinks 0777 (modeOf). */
function payloadEntry(e: Entry, date: number): TarWriteEntry {
  return entryTarMember(e, { name: (path) => path.slice(1), mtime: date, symlinkMode: 0o777 });
}

/** The metadata members in write order, rendered from the plan and the files' digests. */
export async function renderMetadata(plan: ArchlinuxPlan): Promise<{ name: string; bytes: Uint8Array }[]> {
  const { spec } = plan;
  const date = spec.date;
  const pkginfo = encodeUtf8(encodePkginfo(plan.pkginfo, "packyard"));
  const buildinfo = encodeUtf8(
    encodeBuildinfo({
      pkgname: spec.name,
      pkgbase: plan.pkgbase,
      pkgver: plan.versionString,
      pkgarch: plan.arch,
      pkgbuildSha256: hashBytes(pkginfo, "sha256"),
      packager: plan.packager,
      builddate: date,
    }),
  );
  const installText = encodeInstall(plan.scripts);
  const install = installText === undefined ? undefined : encodeUtf8(installText);
  const changelog = spec.changelog.length > 0 ? encodeUtf8(encodeChangelog(spec.changelog)) : undefined;

  const hashes = await hashFiles(plan.entries);
  const byPath = new Map(plan.entries.map((e) => [e.path, e]));
  const mtree: MtreeEntry[] = [metaMtree(".BUILDINFO", buildinfo, date)];
  if (changelog) mtree.push(metaMtree(".CHANGELOG", changelog, date));
  if (install) mtree.push(metaMtree(".INSTALL", install, date));
  mtree.push(metaMtree(".PKGINFO", pkginfo, date));
  for (const e of plan.entries) mtree.push(mtreeEntry(e, date, hashes, byPath));
  const mtreeGz = await compressBytes(encodeUtf8(encodeMtree(mtree)), MTREE_COMPRESSION);

  const out = [
    { name: ".PKGINFO", bytes: pkginfo },
    { name: ".BUILDINFO", bytes: buildinfo },
    { name: ".MTREE", bytes: mtreeGz },
  ];
  if (install) out.push({ name: ".INSTALL", bytes: install });
  if (changelog) out.push({ name: ".CHANGELOG", bytes: changelog });
  return out;
}

/**
 * The tar members in write order, file contents from the batch reader (read a bounded window ahead).
 * With `listing`, every member is listed there as the reader lists it (the metadata members' bytes, each
 * payload member from its header as read, with the md5 and SHA-256 of the bytes written, computed in the
 * same read): a KnownPayload, whose digests the reader still checks against .MTREE (made from the first
 * pass), as it does reading the archive.
 */
async function* tarEntries(
  meta: readonly { name: string; bytes: Uint8Array }[],
  plan: ArchlinuxPlan,
  listing?: { files: FileInfo[]; contents: Map<string, Uint8Array> },
): AsyncGenerator<TarWriteEntry> {
  const date = plan.spec.date;
  for (const m of meta) {
    listing?.contents.set(m.name, m.bytes);
    yield rootFileMember(m.name, m.bytes, 0o644, date);
  }
  // hard links last: libarchive links to a target that must already be extracted
  const payload = [
    ...plan.entries.filter((e) => e.type !== "hardlink"),
    ...plan.entries.filter((e) => e.type === "hardlink"),
  ];
  const reads = readFiles(
    payload.flatMap((e) => (e.type === "file" ? [e.content] : [])),
    listing === undefined ? {} : { digests: ["md5", "sha256"] },
  );
  try {
    for (const e of payload) {
      const member = payloadEntry(e, date);
      const h = listing === undefined ? undefined : headerAsRead(member.header);
      const rel = h === undefined ? undefined : payloadPath(h.name, 0);
      const info = h === undefined || rel === undefined || rel === "" ? undefined : payloadInfo(h, rel, 0);
      if (info !== undefined) listing!.files.push(info);
      if (e.type !== "file") {
        yield member;
        continue;
      }
      const r = (await reads.next()).value as FileRead;
      member.content = r.content!;
      yield member;
      // The tar writer asks for the next member once this one's content has passed: its digests are known.
      if (info !== undefined) {
        const d = r.digests;
        if (d?.md5 === undefined || d.sha256 === undefined)
          throw new Error(`archlinux: the content of ${e.path} was not read to its end`);
        info.digests = { md5: d.md5, sha256: d.sha256 };
      }
    }
  } finally {
    await reads.return(undefined);
  }
}

/** The uncompressed tar stream of a planned package; with `ctx.onPayload`, what was written is listed. */
export async function* writeArchlinuxTar(
  plan: ArchlinuxPlan,
  ctx: WriteContext = {},
): AsyncGenerator<Uint8Array> {
  const meta = await renderMetadata(plan);
  const listing =
    ctx.onPayload === undefined ? undefined : { files: [], contents: new Map<string, Uint8Array>() };
  yield* writeTar(tarEntries(meta, plan, listing), { flavour: "pax" });
  if (listing !== undefined) ctx.onPayload?.({ format: "archlinux", ...listing });
}

/**
 * Streams a `.pkg.tar.zst` (or .gz/.xz/.tar per `options.compression`). Deterministic: same spec and
 * options, same bytes. Warnings (dropped ghosts, scripts, relations) go to `ctx.warn`.
 */
export async function* writeArchlinux(
  spec: PackageSpec,
  options: ArchlinuxOptions = {},
  ctx: WriteContext = {},
): AsyncGenerator<Uint8Array> {
  const plan = planArchlinuxPackage(spec, options);
  for (const w of plan.warnings) ctx.warn?.(w);
  // compress() cuts its input into 128 KiB pieces itself; gzip without a framing goes in 2 MiB members
  const compression = applyDefaultFraming(options.compression ?? DEFAULT_COMPRESSION, true);
  yield* compress(writeArchlinuxTar(plan, ctx), compression);
}

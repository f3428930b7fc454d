/**
 * The macOS flat package writer (the layout pkgbuild and productbuild write, as bomutils' tutorial rebuilds
 * it: hogliux.github.io/bomutils/tutorial.html): Payload (gzip'd cpio odc) spooled while each file's POSIX
 * cksum is taken, a Bom from the same entries, Scripts, PackageInfo, then either a component package or a
 * product archive with Distribution and Resources; optionally signed (RSA + CMS slots).
 */
import { collect, encodeUtf8 } from "../bytes/bytes.ts";
import { compress } from "../compress/compress.ts";
import { DEFAULT_BLOCK_BYTES } from "../compress/gzip-blocks.ts";
import { type BomEntry, cksumFinish, cksumUpdate, encodeBom } from "../container/bom.ts";
import { type CpioWriteEntry, writeCpio } from "../container/cpio.ts";
import { writeXar, type XarWriteData, type XarWriteNode, xarStored, xarZlib } from "../container/xar.ts";
import type { WriteContext } from "../format.ts";
import { type FileRead, readFiles } from "../source/batch-read.ts";
import type { PackageSpec } from "../spec/types.ts";
import { createSpool, type SpooledBytes, spoolStream } from "../spool/index.ts";
import { renderDistribution } from "./distribution.ts";
import type { MacosOptions, MacosResource } from "./options.ts";
import { renderPackageInfo } from "./package-info.ts";
import { type MacosPlan, type PayloadItem, planMacos } from "./plan.ts";
import { macosSigner, signatureSlots } from "./sign.ts";

/** gzip level of Payload and Scripts (zlib's default, as pkgbuild). */
export const PAYLOAD_GZIP_LEVEL = 6;
const FILE_MODE = 0o644;
const DIR_MODE = 0o755;

/**
 * The Payload's cpio entries; file contents come from the batch reader, which takes each file's POSIX
 * cksum (the Bom records it) in the same read, off the main thread.
 */
async function* cpioEntries(
  items: readonly PayloadItem[],
  crcs: Map<string, number>,
): AsyncGenerator<CpioWriteEntry> {
  const reads = readFiles(
    items.flatMap((it) => (it.type === "file" ? [it.content!] : [])),
    { digests: ["cksum"] },
  );
  try {
    let ino = 0;
    for (const it of items) {
      ino++;
      const header = {
        name: it.rel,
        mode: it.mode,
        uid: it.uid,
        gid: it.gid,
        mtime: it.mtime,
        size: it.size,
        ino,
        nlink: it.type === "dir" ? 2 : 1,
      };
      if (it.type === "file") {
        const r = (await reads.next()).value as FileRead;
        yield { header, content: r.content! };
        // The cpio writer asks for the next entry once this one's content has passed: its cksum is known.
        const sum = r.digests?.cksum;
        if (sum === undefined) throw new Error(`macos: the content of ${it.rel} was not read to its end`);
        crcs.set(it.rel, sum);
      } else if (it.type === "symlink") {
        yield { header, content: encodeUtf8(it.target!) };
      } else {
        yield { header };
      }
    }
  } finally {
    await reads.return(undefined);
  }
}

function bomEntries(items: readonly PayloadItem[], crcs: ReadonlyMap<string, number>): BomEntry[] {
  return items.map((it) => {
    const e: BomEntry = {
      path: it.rel,
      type: it.type,
      mode: it.mode,
      uid: it.uid,
      gid: it.gid,
      mtime: it.mtime,
      size: it.size,
      checksum: 0,
    };
    if (it.type === "file") e.checksum = crcs.get(it.rel)!;
    if (it.type === "symlink") {
      const t = encodeUtf8(it.target!);
      e.checksum = cksumFinish(cksumUpdate(0, t), t.length);
      e.linkName = it.target!;
    }
    return e;
  });
}

/** The parts of one component package, Payload spooled. Call `dispose` when done. */
export interface ComponentParts {
  bom: Uint8Array;
  packageInfo: Uint8Array;
  scripts?: Uint8Array;
  payload: SpooledBytes<"sha1">;
}

/** Builds Payload, Bom, Scripts and PackageInfo for a plan. */
export async function buildComponent(
  plan: MacosPlan,
  options: MacosOptions,
  ctx: WriteContext = {},
): Promise<ComponentParts> {
  const crcs = new Map<string, number>();
  const cpio = writeCpio(cpioEntries(plan.payload, crcs), { format: "odc" });
  // xar's table of contents records the Payload's SHA-1: the one digest the spool computes.
  const payload = await spoolStream(
    ctx.spool ?? createSpool(),
    // One gzip member (a Payload of several is not proven for Installer), its deflate stream made in
    // blocks on the compression workers; a Payload of one block is the bytes of one stream.
    compress(cpio, { algo: "gzip", level: PAYLOAD_GZIP_LEVEL, blocks: { chunkBytes: DEFAULT_BLOCK_BYTES } }),
    ["sha1"],
  );
  try {
    const bom = encodeBom(bomEntries(plan.payload, crcs));
    let scripts: Uint8Array | undefined;
    if (plan.scripts.length > 0) {
      const entries: CpioWriteEntry[] = [
        { header: { name: ".", mode: 0o040000 | DIR_MODE, size: 0, nlink: 2, ino: 1, mtime: plan.date } },
      ];
      let ino = 1;
      for (const s of plan.scripts) {
        const size = s.body instanceof Uint8Array ? s.body.length : s.body.size;
        entries.push({
          header: { name: `./${s.name}`, mode: 0o100000 | s.mode, size, ino: ++ino, mtime: plan.date },
          content: s.body,
        });
      }
      scripts = await collect(
        compress(writeCpio(entries, { format: "odc" }), { algo: "gzip", level: PAYLOAD_GZIP_LEVEL }),
      );
    }
    const info: Parameters<typeof renderPackageInfo>[0] = {
      identifier: plan.identifier,
      version: plan.version,
      installLocation: plan.installLocation,
      auth: options.auth ?? "root",
      numberOfFiles: plan.payload.length,
      installKBytes: plan.installKBytes,
      scripts: plan.scriptNames.map((k) => ({ kind: k, file: `./${k}` })),
    };
    if (options.postinstallAction) info.postinstallAction = options.postinstallAction;
    const parts: ComponentParts = { bom, packageInfo: encodeUtf8(renderPackageInfo(info)), payload };
    if (scripts) parts.scripts = scripts;
    return parts;
  } catch (e) {
    await payload.dispose();
    throw e;
  }
}

/**
 * The xar nodes of a component in heap order: Bom, PackageInfo, Scripts, Payload (xar reads any order by
 * `<offset>`).
 */
export function componentNodes(parts: ComponentParts, mtime: number): XarWriteNode[] {
  const f = (name: string, data: XarWriteData): XarWriteNode => ({
    name,
    type: "file",
    mode: FILE_MODE,
    uid: 0,
    gid: 0,
    user: "root",
    group: "wheel",
    mtime,
    data,
  });
  const nodes = [f("Bom", xarZlib(parts.bom)), f("PackageInfo", xarZlib(parts.packageInfo))];
  // Payload and Scripts are already gzip'd cpio: stored as octet-stream (bomutils#18).
  if (parts.scripts) nodes.push(f("Scripts", xarStored(parts.scripts)));
  nodes.push(f("Payload", xarStored(parts.payload, parts.payload.digests.sha1)));
  return nodes;
}

function resourceNode(r: MacosResource, mtime: number): XarWriteNode {
  return {
    name: r.name,
    type: "file",
    mode: FILE_MODE,
    uid: 0,
    gid: 0,
    user: "root",
    group: "wheel",
    mtime,
    data: xarStored(r.content),
  };
}

/**
 * Streams a macOS flat package: a product archive (Distribution, Resources, `<name>.pkg/`) or, with
 * `componentOnly`, a component package; signed when a signer is given.
 */
export async function* writeMacos(
  spec: PackageSpec,
  options: MacosOptions = {},
  ctx: WriteContext = {},
): AsyncGenerator<Uint8Array> {
  const plan = planMacos(spec, options);
  for (const w of plan.warnings) ctx.warn?.(w);
  const signer = macosSigner(options, ctx);
  const parts = await buildComponent(plan, options, ctx);
  try {
    const comp = componentNodes(parts, spec.date);
    let nodes: XarWriteNode[];
    if (options.componentOnly) {
      nodes = comp;
    } else {
      const resources: { kind: "welcome" | "readme" | "license" | "background"; file: string }[] = [];
      const resNodes: XarWriteNode[] = [];
      for (const kind of ["welcome", "readme", "license", "background"] as const) {
        const r = options.resources?.[kind];
        if (!r) continue;
        resources.push({ kind, file: r.name });
        if (!resNodes.some((n) => n.name === r.name)) resNodes.push(resourceNode(r, spec.date));
      }
      const dist: Parameters<typeof renderDistribution>[0] = {
        title: options.title ?? spec.name,
        hostArchitectures: plan.hostArchitectures,
        resources,
        packages: [
          {
            identifier: plan.identifier,
            version: plan.version,
            installKBytes: plan.installKBytes,
            componentName: plan.componentName,
          },
        ],
        product: { id: plan.identifier, version: plan.version },
      };
      if (options.minOsVersion !== undefined) dist.minOsVersion = options.minOsVersion;
      const dir = (name: string, children: XarWriteNode[]): XarWriteNode => ({
        name,
        type: "directory",
        mode: DIR_MODE,
        uid: 0,
        gid: 0,
        user: "root",
        group: "wheel",
        mtime: spec.date,
        children,
      });
      nodes = [
        {
          name: "Distribution",
          type: "file",
          mode: FILE_MODE,
          uid: 0,
          gid: 0,
          user: "root",
          group: "wheel",
          mtime: spec.date,
          data: xarZlib(encodeUtf8(renderDistribution(dist))),
        },
      ];
      if (resNodes.length > 0) nodes.push(dir("Resources", resNodes));
      nodes.push(dir(plan.componentName, comp));
    }
    const opts: Parameters<typeof writeXar>[1] = { creationTime: spec.date };
    if (signer) opts.signature = await signatureSlots(signer, ctx.date ?? spec.date);
    yield* writeXar(nodes, opts);
  } finally {
    await parts.payload.dispose();
  }
}

/** In-memory convenience for tests and small packages. */
export async function writeMacosBytes(
  spec: PackageSpec,
  options: MacosOptions = {},
  ctx: WriteContext = {},
): Promise<Uint8Array> {
  return collect(writeMacos(spec, options, ctx));
}

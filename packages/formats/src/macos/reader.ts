/**
 * Reads macOS flat packages (component packages and product archives, ours or pkgbuild/productbuild's)
 * into PackageInfo: identifier, version, install location, the Payload's files checked against the Bom,
 * scripts, and the xar signatures with their certificate subjects.
 */
import { decodeUtf8, peekStream } from "../bytes/bytes.ts";
import { decompress } from "../compress/decompress.ts";
import { type BomEntry, cksumFinish, cksumUpdate, decodeBom } from "../container/bom.ts";
import { readCpio } from "../container/cpio.ts";
import {
  findXarNode,
  readXar,
  type XarArchive,
  type XarNode,
  xarFileBytes,
  xarFileStream,
} from "../container/xar.ts";
import { FormatError } from "../errors.ts";
import type { ReadContext } from "../format.ts";
import { createHasher } from "../hash/hasher.ts";
import { artifactDigests, artifactInfo } from "../info/artifact-info.ts";
import type { FileInfo, PackageInfo, SignatureInfo } from "../info/types.ts";
import { resolveLimits } from "../limits.ts";
import { certificateMatchesKey, certificateSubjects, verifyDigestSignature } from "../sign/x509.ts";
import type { ByteSource, ScriptKind } from "../spec/types.ts";
import { fromMacosArchitectures } from "./arch.ts";
import { type DistributionXml, parseDistribution } from "./distribution.ts";
import { type PackageInfoXml, parsePackageInfo } from "./package-info.ts";
import { isPbzx, readPbzx } from "./pbzx.ts";
import { parseMacosVersion } from "./version.ts";

/** A component package found in the archive. */
export interface MacosComponent {
  /** Directory inside the xar (`foo.pkg`), or "" for a bare component package. */
  dir: string;
  packageInfo: PackageInfoXml;
}

/** Everything {@link readMacos} learned beyond PackageInfo. */
export interface MacosDetails {
  kind: "product" | "component";
  distribution?: DistributionXml;
  components: MacosComponent[];
  /** Subjects of the certificates in the TOC's signature (leaf first). */
  signatureSubjects: string[];
  bom: BomEntry[];
}

/** Text of a metadata file (PackageInfo, Distribution, a script); invalid UTF-8 is a FormatError naming it. */
function utf8Text(bytes: Uint8Array, path: string): string {
  try {
    return decodeUtf8(bytes);
  } catch (cause) {
    throw new FormatError("INVALID_VALUE", `macos: ${path} is not valid UTF-8 text`, { path }, { cause });
  }
}

function member(archive: XarArchive, dir: string, name: string): XarNode | undefined {
  return findXarNode(archive.nodes, dir === "" ? name : `${dir}/${name}`);
}

const GZIP = [0x1f, 0x8b];

/** Decodes a Payload/Scripts stream into its cpio bytes: gzip, pbzx, or plain cpio; Apple Archive is refused. */
async function* payloadCpio(
  stored: AsyncIterable<Uint8Array>,
  path: string,
  ctx: ReadContext,
): AsyncGenerator<Uint8Array> {
  const { head, stream: rest2 } = await peekStream(stored, 4);
  const ascii = String.fromCharCode(...head);
  const limits = ctx.limits ?? {};
  if (head[0] === GZIP[0] && head[1] === GZIP[1]) {
    yield* checkCpio(decompress(rest2, "gzip", { limits, path }), path);
  } else if (isPbzx(head)) {
    yield* checkCpio(readPbzx(rest2, { limits }), path);
  } else if (ascii.startsWith("0707")) {
    yield* rest2;
  } else {
    throw new FormatError(
      "UNSUPPORTED_PAYLOAD",
      `${path}: not a gzip, pbzx or cpio payload (starts with ${JSON.stringify(ascii)}); Apple Archive payloads (pkgbuild --compression latest) are not read`,
      {
        path,
        found: ascii,
      },
    );
  }
}

async function* checkCpio(input: AsyncIterable<Uint8Array>, path: string): AsyncGenerator<Uint8Array> {
  let first = true;
  for await (const c of input) {
    if (first && c.length >= 4) {
      first = false;
      const a = String.fromCharCode(...c.subarray(0, 4));
      if (a === "AA01" || a === "YAA1")
        throw new FormatError("UNSUPPORTED_PAYLOAD", `${path}: Apple Archive payloads are not read`, {
          path,
          found: a,
        });
    }
    yield c;
  }
}

/**
 * Lets a consumer (readCpio) stop at the cpio trailer without closing the decoder, so `drain()` can read
 * the rest: gzip's CRC and length (and pbzx's last chunk) are only checked at the end of the stream.
 */
function drainable(input: AsyncIterable<Uint8Array>): {
  stream: AsyncIterable<Uint8Array>;
  drain(): Promise<void>;
} {
  const it = input[Symbol.asyncIterator]();
  return {
    stream: {
      [Symbol.asyncIterator]: () => ({
        next: () => it.next(),
        return: async () => ({ done: true as const, value: undefined }),
      }),
    },
    async drain() {
      while (!(await it.next()).done) {
        // keep reading: the decoder verifies its trailer when it reaches the end
      }
    },
  };
}

function norm(name: string): string {
  if (name === "." || name === "./") return ".";
  const n = name.startsWith("./") ? name : `./${name.replace(/^\/+/, "")}`;
  return n.replace(/\/+$/, "");
}

function installedPath(location: string, rel: string): string {
  const base = location.replace(/\/+$/, "");
  return `${base}/${rel.slice(2)}`;
}

/** Reads a flat package; `details` is filled when given (the CLI's inspect uses it). */
export async function readMacos(
  source: ByteSource,
  ctx: ReadContext = {},
  details?: Partial<MacosDetails>,
): Promise<PackageInfo> {
  const limits = resolveLimits(ctx.limits);
  const artifact = await artifactDigests(source, ctx.knownArtifact);
  const archive = await readXar(source, { limits });
  const distNode = member(archive, "", "Distribution");
  let distribution: DistributionXml | undefined;
  const components: MacosComponent[] = [];
  const readInfo = async (dir: string): Promise<MacosComponent> => {
    const node = member(archive, dir, "PackageInfo");
    if (!node?.data)
      throw new FormatError("MISSING_MEMBER", `${dir === "" ? "" : `${dir}/`}PackageInfo is missing`, {
        path: `${dir}/PackageInfo`,
      });
    const xml = utf8Text(await xarFileBytes(source, archive, node, { limits }), node.path);
    return { dir, packageInfo: parsePackageInfo(xml, node.path) };
  };
  if (distNode?.data) {
    distribution = parseDistribution(
      utf8Text(await xarFileBytes(source, archive, distNode, { limits }), distNode.path),
    );
    for (const p of distribution.packages) {
      if (!member(archive, "", p.componentName))
        throw new FormatError(
          "MISSING_MEMBER",
          `Distribution names #${p.componentName}, which is not in the archive`,
          { path: p.componentName },
        );
      components.push(await readInfo(p.componentName));
    }
    if (components.length === 0) {
      for (const n of archive.nodes)
        if (n.type === "directory" && n.name.endsWith(".pkg") && member(archive, n.name, "PackageInfo"))
          components.push(await readInfo(n.name));
    }
  } else {
    components.push(await readInfo(""));
  }
  const primary = components[0];
  if (!primary)
    throw new FormatError("MISSING_MEMBER", "product archive has no component package", {
      path: "Distribution",
    });
  const pi = primary.packageInfo;
  const bomNode = member(archive, primary.dir, "Bom");
  if (!bomNode?.data)
    throw new FormatError("MISSING_MEMBER", `${primary.dir}/Bom is missing`, { path: `${primary.dir}/Bom` });
  const bom = decodeBom(await xarFileBytes(source, archive, bomNode, { limits }), { limits });
  const bomByPath = new Map(bom.map((e) => [e.path, e]));
  const files: FileInfo[] = [];
  const payloadNode = member(archive, primary.dir, "Payload");
  const seen = new Set<string>();
  let installedSize = 0;
  if (payloadNode?.data) {
    const stored = xarFileStream(source, archive, payloadNode, { limits });
    const payload = drainable(payloadCpio(stored, payloadNode.path, ctx));
    for await (const e of readCpio(payload.stream, { limits })) {
      const rel = norm(e.header.name);
      const where = `${payloadNode.path}:${rel}`;
      if (rel.split("/").some((p) => p === ".."))
        throw new FormatError("UNSAFE_PATH", `${where}: ".." in a Payload path`, {
          path: rel,
          offset: e.offset,
        });
      const b = bomByPath.get(rel);
      if (!b)
        throw new FormatError("UNEXPECTED_MEMBER", `${where}: in the Payload but not in the Bom`, {
          path: rel,
          offset: e.offset,
        });
      if (seen.has(rel))
        throw new FormatError("DUPLICATE_KEY", `${where}: twice in the Payload`, { path: rel });
      seen.add(rel);
      const h = e.header;
      const ftype = h.mode & 0o170000;
      const type =
        ftype === 0o040000 ? "dir" : ftype === 0o120000 ? "symlink" : ftype === 0o100000 ? "file" : undefined;
      const mismatch = (field: string, bomValue: unknown, cpioValue: unknown): FormatError =>
        new FormatError(
          "DIGEST_MISMATCH",
          `${where}: Bom ${field} ${String(bomValue)} does not match the Payload's ${String(cpioValue)}`,
          {
            path: rel,
            field,
            expected: bomValue,
            found: cpioValue,
          },
        );
      if ((b.mode & 0xffff) !== (h.mode & 0xffff))
        throw mismatch("mode", b.mode.toString(8), h.mode.toString(8));
      if (b.uid !== h.uid) throw mismatch("uid", b.uid, h.uid);
      if (b.gid !== h.gid) throw mismatch("gid", b.gid, h.gid);
      const body = e.body();
      let target: string | undefined;
      const info: FileInfo = {
        path: rel === "." ? pi.installLocation : installedPath(pi.installLocation, rel),
        type: type ?? "file",
        mode: h.mode & 0o7777,
        owner: { name: h.uid === 0 ? "root" : String(h.uid), id: h.uid },
        group: { name: h.gid === 0 ? "wheel" : h.gid === 80 ? "admin" : String(h.gid), id: h.gid },
        size: type === "dir" ? 0 : h.size,
        mtime: h.mtime,
        digests: {},
      };
      if (type === "file" || type === "symlink") {
        const hasher = createHasher(["md5", "sha256"]);
        let crc = 0;
        let n = 0;
        for await (const c of body) {
          hasher.update(c);
          crc = cksumUpdate(crc, c);
          n += c.length;
        }
        crc = cksumFinish(crc, n);
        if (type === "file") {
          info.digests = hasher.digest();
          installedSize += n;
        }
        if (b.size >>> 0 !== h.size % 2 ** 32) throw mismatch("size", b.size, h.size);
        if (b.checksum !== crc) throw mismatch("checksum", b.checksum, crc);
        if (type === "symlink") {
          target = b.linkName ?? "";
          info.target = target;
        }
      } else {
        for await (const _ of body) {
          // directories and devices carry no data
        }
      }
      if (rel !== ".") files.push(info);
    }
    await payload.drain();
    for (const p of bomByPath.keys())
      if (!seen.has(p))
        throw new FormatError("MISSING_MEMBER", `${primary.dir}/Bom lists ${p}, which the Payload lacks`, {
          path: p,
        });
  }
  const scripts: PackageInfo["scripts"] = {};
  const scriptsNode = member(archive, primary.dir, "Scripts");
  if (scriptsNode?.data && pi.scripts.length > 0) {
    const wanted = new Map(pi.scripts.map((s) => [norm(s.file), s.kind]));
    const stored = xarFileStream(source, archive, scriptsNode, { limits });
    const scriptsCpio = drainable(payloadCpio(stored, scriptsNode.path, ctx));
    for await (const e of readCpio(scriptsCpio.stream, { limits })) {
      const kind = wanted.get(norm(e.header.name));
      if ((kind === "preinstall" || kind === "postinstall") && e.header.size <= limits.maxHeaderBytes) {
        const text = utf8Text(await e.bytes(), `${scriptsNode.path}/${e.header.name}`);
        const shebang = /^#!\s*(\S+)/.exec(text);
        scripts[kind as ScriptKind] = shebang ? { interpreter: shebang[1]!, body: text } : { body: text };
      }
    }
    await scriptsCpio.drain();
  }
  const signatures: SignatureInfo[] = [];
  let subjects: string[] = [];
  for (const s of [archive.signature, archive.xSignature]) {
    if (!s) continue;
    subjects = certificateSubjects(s.certificates);
    const sig: SignatureInfo = {
      kind: "x509",
      location: `xar:${s === archive.signature ? "signature" : "x-signature"}:${s.style}`,
      hash: "sha1",
    };
    if (subjects[0]) sig.keyId = subjects[0];
    if (s === archive.signature && s.style === "RSA" && archive.checksum && ctx.publicKeys !== undefined) {
      const leaf = s.certificates[0];
      // valid under the embedded leaf, and that leaf's key is one the caller trusts
      sig.verified =
        leaf !== undefined &&
        certificateMatchesKey(leaf, ctx.publicKeys) &&
        verifyDigestSignature(leaf, archive.checksum.bytes, s.bytes.subarray(0, s.size));
    }
    signatures.push(sig);
  }
  const arches = distribution?.hostArchitectures ?? [];
  const name =
    primary.dir !== ""
      ? primary.dir.replace(/\.pkg$/, "")
      : (pi.identifier.split(".").pop() ?? pi.identifier);
  const out: PackageInfo = {
    format: "macos",
    name,
    versionString: pi.version,
    version: parseMacosVersion(pi.version),
    archString: arches.join(","),
    relations: {},
    files,
    scripts,
    signatures,
    installedSize,
    artifact: artifactInfo(artifact.size, artifact.digests),
    raw: { format: "macos", toc: archive.tocXml },
  };
  const arch = fromMacosArchitectures(arches);
  if (arch) out.arch = arch;
  if (distribution?.title) out.summary = distribution.title;
  if (details) {
    details.kind = distribution ? "product" : "component";
    if (distribution) details.distribution = distribution;
    details.components = components;
    details.signatureSubjects = subjects;
    details.bom = bom;
  }
  return out;
}

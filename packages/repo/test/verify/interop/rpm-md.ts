/**
 * RPM-MD repositories made by the real tools for the verifier tests: rpms built by `rpmbuild` from tiny
 * specs, metadata written by `createrepo_c --no-database` with hrefs into a shared pool
 * (`--location-prefix ../../../pool/h/`), laid out as the publish engine lays them out
 * (`rpm/el/9/<arch>/repodata/…`, packages in `rpm/pool/h/`), and signed. Also the edits a test makes to
 * break one thing while keeping everything else consistent (new metadata bytes, repomd.xml updated,
 * re-signed). Callers check the tools first with `needTool(t, "rpmbuild", "createrepo_c")`.
 */
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { OpenPGPSigner } from "@packyard/formats";
import { type CompressionAlgo, compressBytes, decompressBytes } from "@packyard/formats/compress";
import { run } from "@packyard/testkit/tools";
import { memoryStorage } from "../../../src/storage/memory.ts";
import { readObject } from "../../../src/storage/read.ts";
import type { Storage } from "../../../src/storage/storage.ts";

/** The date every test signs at. */
export const DATE = new Date("2026-12-06T02:03:04Z");
/** Where the packages live, and the href prefix createrepo_c writes from a root three folders down. */
export const POOL = "rpm/pool/h/";
const PREFIX = "../../../pool/h/";
/** The root every single-root test checks. */
export const X86 = "rpm/el/9/x86_64";

/** A package to build: a shell script in /usr/bin (arch x86_64) or a text file in /usr/share (noarch). */
export interface TestRpm {
  name: string;
  version: string;
  release: string;
  arch: "x86_64" | "noarch";
}

/** The test packages: `hello` for x86_64, `hello-doc` noarch (listed by every architecture's root). */
export const RPMS: readonly TestRpm[] = [
  { name: "hello", version: "1.0", release: "1", arch: "x86_64" },
  { name: "hello-doc", version: "1.0", release: "1", arch: "noarch" },
];

/** File name of a built package (rpm's default `%{NAME}-%{VERSION}-%{RELEASE}.%{ARCH}.rpm`). */
export function rpmFileName(p: TestRpm): string {
  return `${p.name}-${p.version}-${p.release}.${p.arch}.rpm`;
}

function specOf(p: TestRpm): string {
  const payload =
    p.arch === "noarch"
      ? ["mkdir -p %{buildroot}/usr/share/%{name}", "echo 'read me' > %{buildroot}/usr/share/%{name}/README"]
      : ["mkdir -p %{buildroot}/usr/bin", "printf '#!/bin/sh\\necho hi\\n' > %{buildroot}/usr/bin/%{name}"];
  return [
    `Name: ${p.name}`,
    `Version: ${p.version}`,
    `Release: ${p.release}`,
    // XML-escaped by createrepo_c: the reader must resolve the entities.
    "Summary: A test package & <friends>",
    "License: MIT",
    `BuildArch: ${p.arch}`,
    "%description",
    "A package the RPM-MD verifier tests publish.",
    "%install",
    ...payload,
    "%files",
    p.arch === "noarch" ? "/usr/share/%{name}/README" : "/usr/bin/%{name}",
    "%changelog",
    "* Sun Dec 06 2026 Packyard Test <test@packyard.invalid> - 1.0-1",
    "- first",
    "",
  ].join("\n");
}

/** Builds `p` with rpmbuild in the scratch folder `top`; returns the .rpm's bytes. */
export function buildRpm(top: string, p: TestRpm): Uint8Array {
  mkdirSync(top, { recursive: true });
  const spec = join(top, `${p.name}.spec`);
  writeFileSync(spec, specOf(p));
  // No brp-* post-processing and no debuginfo: the package holds exactly what %install wrote.
  const defines = { _topdir: top, __os_install_post: "%{nil}", debug_package: "%{nil}" };
  run("rpmbuild", [
    "-bb",
    "--quiet",
    ...Object.entries(defines).flatMap(([k, v]) => ["--define", `${k} ${v}`]),
    spec,
  ]);
  return new Uint8Array(readFileSync(join(top, "RPMS", p.arch, rpmFileName(p))));
}

/**
 * Runs createrepo_c over `rpms` (file name → bytes) staged in a scratch folder; returns the files of the
 * `repodata/` it wrote (name → bytes). Hrefs read `../../../pool/h/<file>`.
 */
export function createrepo(scratch: string, rpms: ReadonlyMap<string, Uint8Array>): Map<string, Uint8Array> {
  const stage = mkdtempSync(join(scratch, "stage-"));
  const out = mkdtempSync(join(scratch, "out-"));
  for (const [name, bytes] of rpms) writeFileSync(join(stage, name), bytes);
  run("createrepo_c", ["--no-database", "--quiet", "--location-prefix", PREFIX, "-o", out, stage]);
  const files = new Map<string, Uint8Array>();
  for (const name of readdirSync(join(out, "repodata")))
    files.set(name, new Uint8Array(readFileSync(join(out, "repodata", name))));
  return files;
}

/** Everything a test repository holds, by storage key, before it is loaded into a storage. */
export type RepoFiles = Map<string, Uint8Array>;

/** The built packages and the repodata of each root (`rpm/el/9/x86_64` lists both, aarch64 the noarch one). */
export interface Built {
  rpms: Map<string, Uint8Array>;
  roots: Map<string, Map<string, Uint8Array>>;
}

/** Builds the test packages and runs createrepo_c for each root, in a scratch folder removed afterwards. */
export function buildAll(): Built {
  const scratch = mkdtempSync(join(tmpdir(), "packyard-rpm-md-"));
  try {
    const rpms = new Map(RPMS.map((p) => [rpmFileName(p), buildRpm(join(scratch, p.name), p)] as const));
    const noarch = new Map([...rpms].filter(([name]) => name.endsWith(".noarch.rpm")));
    return {
      rpms,
      roots: new Map([
        [X86, createrepo(scratch, rpms)],
        ["rpm/el/9/aarch64", createrepo(scratch, noarch)],
      ]),
    };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/**
 * Loads a built repository into `storage` (default: a fresh memory storage): the pool, each root's
 * repodata, `repomd.xml.asc` signed by `signers` (several: their packets in one armor block, as while
 * rotating) and `repomd.xml.key` (the first signer's public key).
 */
export async function load(
  built: Built,
  signers: readonly OpenPGPSigner[],
  storage: Storage = memoryStorage(),
  roots: readonly string[] = [...built.roots.keys()],
): Promise<Storage> {
  for (const [name, bytes] of built.rpms) await storage.put(POOL + name, bytes);
  for (const root of roots) {
    for (const [name, bytes] of built.roots.get(root)!) await storage.put(`${root}/repodata/${name}`, bytes);
    await sign(storage, root, signers);
  }
  return storage;
}

/** Writes `repomd.xml.asc` over the root's current repomd.xml, and `repomd.xml.key`. */
export async function sign(storage: Storage, root: string, signers: readonly OpenPGPSigner[]): Promise<void> {
  const repomd = await get(storage, `${root}/repodata/repomd.xml`);
  const parts = await Promise.all(signers.map((s) => s.detached(repomd, { date: DATE })));
  const armored =
    parts.length === 1
      ? await signers[0]!.detached(repomd, { date: DATE, armor: true })
      : armor(Buffer.concat(parts));
  await storage.put(`${root}/repodata/repomd.xml.asc`, utf8(armored));
  await storage.put(`${root}/repodata/repomd.xml.key`, utf8(signers[0]!.publicKeyArmored()));
}

/** One `PGP SIGNATURE` armor block of `packets` (RFC 4880 §6.2; the CRC line is optional). */
function armor(packets: Uint8Array): string {
  const b64 = Buffer.from(packets).toString("base64");
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN PGP SIGNATURE-----\n\n${lines.join("\n")}\n-----END PGP SIGNATURE-----\n`;
}

export function utf8(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

export function text(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes);
}

export function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** The bytes at `key`; throws when absent. */
export async function get(storage: Storage, key: string): Promise<Uint8Array> {
  const bytes = await readObject(storage, key);
  if (bytes === undefined) throw new Error(`test repository: ${key} is missing`);
  return bytes;
}

/** The `<data type="…">` block of repomd.xml text, and its location's storage key. */
export function dataBlock(repomd: string, root: string, type: string): { block: string; key: string } {
  const block = new RegExp(`<data type="${type}">[\\s\\S]*?</data>`).exec(repomd)?.[0];
  if (block === undefined) throw new Error(`test repository: no <data type="${type}">`);
  const href = /<location href="([^"]+)"/.exec(block)![1]!;
  return { block, key: `${root}/${href}` };
}

/** The storage key of a root's metadata file of `type`. */
export async function metadataKey(storage: Storage, root: string, type: string): Promise<string> {
  return dataBlock(text(await get(storage, `${root}/repodata/repomd.xml`)), root, type).key;
}

/** The decompressed text of a root's metadata file of `type`. */
export async function metadataText(storage: Storage, root: string, type: string): Promise<string> {
  const key = await metadataKey(storage, root, type);
  return text(await decompressBytes(await get(storage, key), key.endsWith(".zst") ? "zstd" : "gzip"));
}

/** Rewrites repomd.xml with `edit` applied to its text, then signs it again. */
export async function editRepomd(
  storage: Storage,
  root: string,
  signer: OpenPGPSigner,
  edit: (repomd: string) => string,
): Promise<void> {
  const key = `${root}/repodata/repomd.xml`;
  await storage.put(key, utf8(edit(text(await get(storage, key)))));
  await sign(storage, root, [signer]);
}

/**
 * Publishes other bytes as a root's metadata file of `type`, as a consistent publish would: stored under a
 * new `<sha256>-<type>.xml.<ext>` name, its repomd record (location, checksum, size, and with `plain` the
 * open-checksum and open-size) updated, repomd.xml signed again. `stored` are the bytes as stored
 * (compressed); `plain` the decompressed bytes the record should describe (omit when they are the
 * decompression of `stored`).
 */
export async function replaceMetadata(
  storage: Storage,
  root: string,
  signer: OpenPGPSigner,
  type: string,
  stored: Uint8Array,
  plain: Uint8Array,
  ext = "gz",
): Promise<string> {
  const digest = sha256(stored);
  const name = `repodata/${digest}-${type}.xml.${ext}`;
  await storage.put(`${root}/${name}`, stored);
  await editRepomd(storage, root, signer, (repomd) => {
    const { block } = dataBlock(repomd, root, type);
    const updated = block
      .replace(/<checksum type="sha256">[0-9a-f]+</, `<checksum type="sha256">${digest}<`)
      .replace(/<open-checksum type="sha256">[0-9a-f]+</, `<open-checksum type="sha256">${sha256(plain)}<`)
      .replace(/<location href="[^"]+"/, `<location href="${name}"`)
      .replace(/<size>\d+</, `<size>${stored.length}<`)
      .replace(/<open-size>\d+</, `<open-size>${plain.length}<`);
    return repomd.replace(block, updated);
  });
  return `${root}/${name}`;
}

/** Publishes `xml` (compressed with `algo`) as a root's metadata file of `type`; returns its key. */
export async function replaceMetadataText(
  storage: Storage,
  root: string,
  signer: OpenPGPSigner,
  type: string,
  xml: string,
  algo: CompressionAlgo = "gzip",
): Promise<string> {
  const plain = utf8(xml);
  const stored = await compressBytes(plain, { algo });
  return replaceMetadata(storage, root, signer, type, stored, plain, algo === "zstd" ? "zst" : "gz");
}

/** The key of a package in the pool. */
export function poolKey(p: TestRpm): string {
  return POOL + rpmFileName(p);
}

/**
 * What the APT builder and verifier tests share: package records with fake .deb bytes, suite settings and
 * states, and a publish into a memory storage made only of the builders under test (indexes, Release,
 * signatures), so each test can then break one thing and ask the verifier.
 */
import { createHash } from "node:crypto";
import type { OpenPGPSigner } from "@packyard/formats";
import { aptDistsDir, buildAptIndexes } from "../../src/apt/indexes.ts";
import { debPoolKey } from "../../src/apt/pool.ts";
import { releaseText } from "../../src/apt/release.ts";
import { signRelease } from "../../src/apt/sign.ts";
import type { BuiltFile } from "../../src/apt/types.ts";
import type { AptSettings, PackageRecord, RootState } from "../../src/publish/state.ts";
import { memoryStorage } from "../../src/storage/memory.ts";
import type { Storage } from "../../src/storage/storage.ts";

/** The date every test publishes at. */
export const DATE = new Date("2026-12-06T02:03:04Z");

const encoder = new TextEncoder();

/** UTF-8 bytes of a string. */
export function utf8(s: string): Uint8Array {
  return encoder.encode(s);
}

/** Text of bytes. */
export function text(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes);
}

/** Lowercase hex digest. */
export function hex(bytes: Uint8Array, algo: "md5" | "sha1" | "sha256" | "sha512"): string {
  return createHash(algo).update(bytes).digest("hex");
}

/** A package record and the bytes of its (fake) .deb. */
export interface TestPackage {
  record: PackageRecord;
  bytes: Uint8Array;
}

/** What {@link testPackage} takes: name, version and arch, the rest defaulted. */
export interface TestPackageSpec {
  name: string;
  version: string;
  arch: string;
  component?: string;
  /** Control text; default: Package, Version, Architecture, Maintainer, Section utils, a two-line Description. */
  control?: string;
  paths?: string[];
  /** The .deb bytes; default: a string naming the package. */
  bytes?: Uint8Array;
}

/** The default control stanza of a test package. */
export function testControl(name: string, version: string, arch: string): string {
  return (
    `Package: ${name}\nVersion: ${version}\nArchitecture: ${arch}\n` +
    `Maintainer: Packyard Test <test@packyard.invalid>\nSection: utils\n` +
    `Description: the ${name} package\n A test package.\n .\n With a second paragraph.\n`
  );
}

/** A record as the engine would store it, with its pool key and digests of `bytes`. */
export function testPackage(spec: TestPackageSpec): TestPackage {
  const component = spec.component ?? "main";
  const bytes = spec.bytes ?? utf8(`fake deb ${spec.name} ${spec.version} ${spec.arch}\n`);
  const deb: PackageRecord["deb"] = {
    control: spec.control ?? testControl(spec.name, spec.version, spec.arch),
  };
  if (spec.paths !== undefined) deb.paths = spec.paths;
  return {
    bytes,
    record: {
      name: spec.name,
      version: spec.version,
      arch: spec.arch,
      component,
      key: debPoolKey(component, spec.name, spec.version, spec.arch),
      size: bytes.length,
      digests: {
        md5: hex(bytes, "md5"),
        sha1: hex(bytes, "sha1"),
        sha256: hex(bytes, "sha256"),
        sha512: hex(bytes, "sha512"),
      },
      identity: hex(bytes, "sha256"),
      added: DATE.toISOString(),
      deb,
    },
  };
}

/** Suite settings: stable/main, amd64 + arm64, gz, SHA256, by-hash, no Contents, unless overridden. */
export function testSettings(overrides: Partial<AptSettings> = {}): AptSettings {
  return {
    suite: "stable",
    codename: "stable",
    origin: "Packyard Test",
    label: "Packyard Test",
    components: ["main"],
    architectures: ["amd64", "arm64"],
    compressions: ["gz"],
    hashes: ["SHA256"],
    contents: false,
    byHash: true,
    ...overrides,
  };
}

/** A state holding `packages` with `settings`. */
export function testState(settings: AptSettings, packages: readonly TestPackage[]): RootState {
  return {
    schema: "packyard-state/2",
    family: "deb",
    root: `deb/${settings.suite}`,
    generation: 1,
    date: DATE.toISOString(),
    apt: settings,
    packages: packages.map((p) => p.record),
    indexes: [],
    tombstones: [],
    top: { key: `${aptDistsDir(settings.suite)}InRelease`, sha256: "" },
  };
}

/** Three packages: hello for amd64 and arm64, and an arch-independent hello-doc. */
export function threePackages(): TestPackage[] {
  return [
    testPackage({ name: "hello", version: "1.0-1", arch: "amd64", paths: ["usr/bin/hello"] }),
    testPackage({ name: "hello", version: "1.0-1", arch: "arm64", paths: ["usr/bin/hello"] }),
    testPackage({ name: "hello-doc", version: "1.0-1", arch: "all", paths: ["usr/share/doc/hello/README"] }),
  ];
}

/** What {@link publishToMemory} wrote. */
export interface Published {
  storage: Storage;
  files: BuiltFile[];
  release: string;
}

/**
 * Writes a suite as a publish would: pool files, by-hash blobs, canonical indexes, then Release, Release.gpg
 * and InRelease, into `storage` (a fresh memory store by default), dated `date` (default {@link DATE}).
 */
export async function publishToMemory(
  state: RootState,
  packages: readonly TestPackage[],
  signers: readonly OpenPGPSigner[],
  storage: Storage = memoryStorage(),
  date: Date = DATE,
): Promise<Published> {
  const settings = state.apt!;
  const built = await buildAptIndexes(state);
  const release = releaseText(settings, { date, files: built.releaseFiles });
  const signed = await signRelease(release, signers, date);
  for (const p of packages) await storage.put(p.record.key, p.bytes);
  for (const f of built.files) if (f.kind === "blob") await storage.put(f.key, f.bytes);
  for (const f of built.files) if (f.kind === "index") await storage.put(f.key, f.bytes);
  const dir = aptDistsDir(settings.suite);
  await storage.put(`${dir}Release`, utf8(release));
  await storage.put(`${dir}Release.gpg`, utf8(signed.releaseGpg));
  await storage.put(`${dir}InRelease`, utf8(signed.inRelease));
  return { storage, files: built.files, release };
}

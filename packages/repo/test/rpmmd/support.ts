/**
 * Inputs for the RPM-MD unit tests: rpms written by @packyard/formats' own writer and read back (so the
 * PackageInfo is what publish really gets), and small builders for dependency rows and RpmMdPackages.
 */
import { createHash } from "node:crypto";
import {
  bytesSource,
  type PackageInfo,
  type PackageSpec,
  type RpmDependencies,
  type RpmDependency,
  type RpmOptions,
  readPackage,
  writePackage,
} from "@packyard/formats";
import { exampleSpec } from "@packyard/testkit/example";
import type { RpmIndexInfo } from "../../src/publish/state.ts";
import { rpmIndexInfo } from "../../src/rpmmd/info.ts";
import type { RpmMdPackage } from "../../src/rpmmd/types.ts";

/** An rpm written by packyard's writer from `spec` (default: the example project) and read back. */
export async function writtenRpm(
  spec: PackageSpec = exampleSpec(),
  options?: RpmOptions,
): Promise<{ bytes: Uint8Array; info: PackageInfo }> {
  const parts: Uint8Array[] = [];
  for await (const chunk of writePackage("rpm", spec, options)) parts.push(chunk);
  const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    bytes.set(p, at);
    at += p.length;
  }
  return { bytes, info: await readPackage(bytesSource(bytes), "written.rpm") };
}

/** One header dependency row. */
export function dep(name: string, flags = 0, version = ""): RpmDependency {
  return { name, flags, version, phases: [] };
}

/** Dependency lists with only the given ones filled in. */
export function deps(lists: Partial<RpmDependencies>): RpmDependencies {
  return {
    requires: [],
    provides: [],
    conflicts: [],
    obsoletes: [],
    recommends: [],
    suggests: [],
    supplements: [],
    enhances: [],
    ...lists,
  };
}

/** `info` with its raw rpm dependency lists replaced (and, when given, its files). */
export function withDeps(
  info: PackageInfo,
  lists: Partial<RpmDependencies>,
  files?: { path: string; type?: "dir" | "file"; ghost?: boolean }[],
): PackageInfo {
  if (info.raw.format !== "rpm") throw new Error("not an rpm");
  const out: PackageInfo = { ...info, raw: { ...info.raw, dependencies: deps(lists) } };
  if (files !== undefined) {
    const template = info.files[0]!;
    out.files = files.map((f) => {
      const row = { ...template, path: f.path, type: f.type ?? "file" };
      if (f.ghost) row.flags = { ghost: true };
      else delete row.flags;
      return row;
    });
  }
  return out;
}

/** RpmIndexInfo of the example rpm with a limit of 10, for document tests. */
export async function exampleIndexInfo(
  spec?: PackageSpec,
): Promise<{ info: RpmIndexInfo; bytes: Uint8Array }> {
  const { bytes, info } = await writtenRpm(spec);
  return { info: rpmIndexInfo(info, { changelogLimit: 10 }), bytes };
}

/** An RpmMdPackage for `info` (pkgid and size from `bytes`). */
export function mdPackage(
  info: RpmIndexInfo,
  bytes: Uint8Array,
  overrides: Partial<RpmMdPackage> = {},
): RpmMdPackage {
  return {
    info,
    pkgid: createHash("sha256").update(bytes).digest("hex"),
    size: bytes.length,
    href: `Packages/${info.name}-${info.ver}-${info.rel}.${info.arch}.rpm`,
    fileTime: 1700000000,
    ...overrides,
  };
}

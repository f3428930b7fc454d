/**
 * Small .deb packages for repository tests: written by @packyard/formats from a minimal spec, read back
 * into PackageInfo, and handed over as a PublishInput-shaped `{ info, source, name, bytes }`.
 */
import {
  bytesSource,
  type ByteSource,
  type PackageInfo,
  type PackageSpec,
  packageFileName,
  readPackage,
  writePackage,
} from "@packyard/formats";

/** A package ready to publish. */
export interface TestDeb {
  info: PackageInfo;
  source: ByteSource;
  name: string;
  bytes: Uint8Array;
}

/** What a test deb varies. */
export interface TestDebOptions {
  name?: string;
  /** Debian version text, e.g. `1:2.0+git1~rc1-1`. */
  version?: string;
  arch?: string;
  /** Extra bytes in /usr/share/<name>/data, to change the content without changing the version. */
  payload?: string;
  /** Paths of extra files. */
  files?: string[];
}

function parseDebVersion(text: string): PackageSpec["version"] {
  const m = /^(?:(\d+):)?([^-]+?)(?:-([^-]+))?$/.exec(text);
  if (m === null) throw new Error(`test deb version ${text}`);
  const v: PackageSpec["version"] = { upstream: m[2]! };
  if (m[1] !== undefined) v.epoch = Number(m[1]);
  if (m[3] !== undefined) v.release = m[3];
  return v;
}

const enc = new TextEncoder();

/** Writes and reads back one small .deb (deterministic for given options). */
export async function testDeb(options: TestDebOptions = {}): Promise<TestDeb> {
  return testPackage("deb", options);
}

/**
 * Writes and reads back one small .rpm (deterministic for given options); `version` is
 * `[epoch:]version-release`, `arch` an rpm architecture (default x86_64, or noarch).
 */
export async function testRpm(options: TestDebOptions = {}): Promise<TestDeb> {
  return testPackage("rpm", { ...options, arch: rpmArch(options.arch ?? "x86_64") });
}

function rpmArch(arch: string): string {
  // The spec speaks the canonical vocabulary (amd64, arm64, all); rpm names them x86_64, aarch64, noarch.
  return ({ x86_64: "amd64", aarch64: "arm64", noarch: "all" } as Record<string, string>)[arch] ?? arch;
}

/** Writes and reads back one small package of `format` (deterministic for given options). */
export async function testPackage(format: "deb" | "rpm", options: TestDebOptions = {}): Promise<TestDeb> {
  const name = options.name ?? "hello";
  const own = { owner: { name: "root", id: 0 }, group: { name: "root", id: 0 } };
  const data = enc.encode(`${name} ${options.version ?? "1.0-1"} ${options.payload ?? ""}\n`);
  const spec: PackageSpec = {
    name,
    version: parseDebVersion(options.version ?? "1.0-1"),
    arch: (options.arch ?? "amd64") as PackageSpec["arch"],
    date: 1704067200,
    maintainer: "Packyard Test <test@packyard.invalid>",
    summary: `Test package ${name}`,
    description: "A package made by the repository tests.",
    license: "MIT",
    section: "utils",
    priority: "optional",
    relations: {},
    scripts: {},
    changelog: [],
    entries: [
      { type: "file", path: `/usr/share/${name}/data`, mode: 0o644, ...own, content: bytesSource(data) },
      ...(options.files ?? []).map((p) => ({
        type: "file" as const,
        path: p,
        mode: 0o644,
        ...own,
        content: bytesSource(enc.encode(`${p}\n`)),
      })),
    ],
  } as PackageSpec;
  const parts: Uint8Array[] = [];
  for await (const c of writePackage(format, spec)) parts.push(c);
  const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    bytes.set(p, at);
    at += p.length;
  }
  const source = bytesSource(bytes);
  const info = await readPackage(source, `x.${format}`);
  return { info, source, name: packageFileName(format, spec), bytes };
}

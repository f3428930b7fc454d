/**
 * expectedInfo(spec, 'macos'): the reviewed projection of a spec onto what readMacos returns, restated from
 * the bomutils tutorial and pkgbuild(1) (Payload relative to install location "/" with every ancestor
 * directory root/wheel 0755, hard links stored as copies, scripts with a `#!/bin/sh` line added when missing,
 * only pre/postinstall).
 */
import { createHash } from "node:crypto";
import { collect } from "../../src/bytes/bytes.ts";
import type { FileInfo, PackageInfo } from "../../src/info/types.ts";
import type { PackageSpec } from "../../src/spec/types.ts";

export type ExpectedMacosInfo = Omit<PackageInfo, "artifact" | "raw">;

const HOST: Record<string, string> = { amd64: "x86_64", arm64: "arm64", all: "x86_64,arm64" };

/** Expected PackageInfo of a product archive (or, with `component`, a component package) written from `spec`. */
export async function expectedInfo(
  spec: PackageSpec,
  format: "macos",
  opts: { component?: boolean } = {},
): Promise<ExpectedMacosInfo> {
  if (format !== "macos") throw new Error("only macos here");
  const files = new Map<string, FileInfo>();
  const content = new Map<string, Uint8Array>();
  for (const e of spec.entries) if (e.type === "file") content.set(e.path, await collect(e.content.open()));
  let installed = 0;
  for (const e of spec.entries) {
    const base = {
      path: e.path,
      mode: e.mode,
      owner: { name: "root", id: e.owner.id },
      group: {
        name: e.group.id === 80 ? "admin" : e.group.id === 0 ? "wheel" : String(e.group.id),
        id: e.group.id,
      },
      mtime: e.mtime ?? spec.date,
    };
    if (e.type === "dir") files.set(e.path, { ...base, type: "dir", size: 0, digests: {} });
    else if (e.type === "symlink")
      files.set(e.path, {
        ...base,
        type: "symlink",
        size: Buffer.byteLength(e.target),
        target: e.target,
        digests: {},
      });
    else {
      const bytes = content.get(e.type === "file" ? e.path : e.target)!;
      installed += bytes.length;
      files.set(e.path, {
        ...base,
        type: "file",
        size: bytes.length,
        digests: {
          md5: createHash("md5").update(bytes).digest("hex"),
          sha256: createHash("sha256").update(bytes).digest("hex"),
        },
      });
    }
  }
  for (const p of [...files.keys()]) {
    const parts = p.split("/").filter(Boolean);
    for (let i = 1; i < parts.length; i++) {
      const d = `/${parts.slice(0, i).join("/")}`;
      if (!files.has(d))
        files.set(d, {
          path: d,
          type: "dir",
          mode: 0o755,
          owner: { name: "root", id: 0 },
          group: { name: "wheel", id: 0 },
          size: 0,
          mtime: spec.date,
          digests: {},
        });
    }
  }
  const sorted = [...files.values()].sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)));
  const scripts: ExpectedMacosInfo["scripts"] = {};
  for (const k of ["preinstall", "postinstall"] as const) {
    const s = spec.scripts[k];
    if (!s) continue;
    const body = s.body.startsWith("#!") ? s.body : `#!${s.interpreter ?? "/bin/sh"}\n${s.body}`;
    scripts[k] = { interpreter: /^#!\s*(\S+)/.exec(body)![1]!, body };
  }
  const version = spec.version.prerelease
    ? `${spec.version.upstream}-${spec.version.prerelease}`
    : spec.version.upstream;
  const out: ExpectedMacosInfo = {
    format: "macos",
    // A component package has no name of its own: the reader takes the identifier's last label, which
    // the default identifier derives from the name (non [A-Za-z0-9-] runs become "-", edges trimmed).
    name: opts.component ? spec.name.replace(/[^A-Za-z0-9-]+/g, "-").replace(/^-+|-+$/g, "") : spec.name,
    versionString: version,
    version: spec.version.prerelease
      ? { upstream: spec.version.upstream, prerelease: spec.version.prerelease }
      : { upstream: spec.version.upstream },
    archString: opts.component ? "" : HOST[spec.arch]!,
    relations: {},
    files: sorted,
    scripts,
    signatures: [],
    installedSize: installed,
  };
  if (!opts.component) {
    out.arch = spec.arch;
    out.summary = spec.name;
  }
  return out;
}

/** .BUILDINFO format 2 (BUILDINFO(5)); pacman ignores it, reproducible-build tooling reads it. Deterministic. */
import { encodeKeyValues, type KeyValue } from "../text/kv.ts";

/** Build tool name and version written in .BUILDINFO. */
export const BUILDTOOL = { name: "packyard", version: "0.1.0" } as const;

/** Fields of .BUILDINFO that vary per package. */
export interface BuildinfoFields {
  pkgname: string;
  pkgbase: string;
  pkgver: string;
  pkgarch: string;
  /** packyard has no PKGBUILD: the SHA-256 of the package's .PKGINFO stands in for it. */
  pkgbuildSha256: string;
  packager: string;
  builddate: number;
}

/** Renders .BUILDINFO: fixed build paths, no environment, no installed-package list (nothing is read from the host). */
export function encodeBuildinfo(f: BuildinfoFields): string {
  const pairs: KeyValue[] = [
    { key: "format", value: "2" },
    { key: "pkgname", value: f.pkgname },
    { key: "pkgbase", value: f.pkgbase },
    { key: "pkgver", value: f.pkgver },
    { key: "pkgarch", value: f.pkgarch },
    { key: "pkgbuild_sha256sum", value: f.pkgbuildSha256 },
    { key: "packager", value: f.packager },
    { key: "builddate", value: String(f.builddate) },
    { key: "builddir", value: "/build" },
    { key: "startdir", value: "/build" },
    { key: "buildtool", value: BUILDTOOL.name },
    { key: "buildtoolver", value: BUILDTOOL.version },
  ];
  return encodeKeyValues([], pairs);
}

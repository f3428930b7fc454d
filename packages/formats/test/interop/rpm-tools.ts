/**
 * rpm's own tools as the rpm interop tests drive them: rpmbuild building a .spec in a private _topdir,
 * `rpm -qp` queries read as lines, and scratch `--root`s with an rpmdb. Callers check the tools first with
 * `needTool` (and `needRoot` before installing into a root).
 */
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { run } from "@packyard/testkit/tools";

/**
 * `--define`s that keep rpmbuild from touching what %install wrote: no brp-* scripts afterwards (strip,
 * man-page compression, shebang mangling) and no debuginfo subpackage.
 */
export const AS_INSTALLED: Readonly<Record<string, string>> = {
  __os_install_post: "%{nil}",
  debug_package: "%{nil}",
};

/**
 * Builds the binary package of `spec` (the text of a .spec file) with `rpmbuild -bb --quiet`, its _topdir
 * the folder `top` (made if missing), each of `defines` passed as `--define "name value"`; returns the path
 * of the one .rpm it wrote under RPMS/<arch>/.
 */
export function rpmbuild(
  top: string,
  spec: string,
  options: { defines?: Readonly<Record<string, string>>; target?: string } = {},
): string {
  mkdirSync(top, { recursive: true });
  const file = join(top, "package.spec");
  writeFileSync(file, spec);
  const defines = Object.entries({ _topdir: top, ...options.defines }).flatMap(([k, v]) => [
    "--define",
    `${k} ${v}`,
  ]);
  const target = options.target === undefined ? [] : ["--target", options.target];
  run("rpmbuild", ["-bb", "--quiet", ...target, ...defines, file]);
  const rpms = readdirSync(join(top, "RPMS"), { recursive: true, encoding: "utf8" })
    .filter((p) => p.endsWith(".rpm"))
    .map((p) => join(top, "RPMS", p));
  if (rpms.length !== 1) throw new Error(`rpmbuild wrote ${rpms.length} packages: ${rpms.join(", ")}`);
  return rpms[0]!;
}

/** The lines `rpm -qp ARGS PACKAGE` prints, empty ones dropped (TZ=UTC, so dates print alike everywhere). */
export function rpmQuery(pkg: string, ...args: string[]): string[] {
  return run("rpm", ["-qp", ...args, pkg], { env: { ...process.env, TZ: "UTC" } })
    .split("\n")
    .filter((l) => l !== "");
}

/**
 * The dependencies of one kind (`tag` as in rpm's tag names: REQUIRE, PROVIDE, CONFLICT…) as sorted
 * `NAME FLAGS "VERSION"` rows, flags as numbers, so two packages' sets compare exactly.
 */
export function dependencyRows(pkg: string, tag: string): string[] {
  return rpmQuery(pkg, "--qf", `[%{${tag}NAME} %{${tag}FLAGS} "%{${tag}VERSION}"\\n]`).sort();
}

/** A scratch root at `root` with an empty rpmdb, then the `installed` package files installed into it. */
export function rpmRoot(root: string, ...installed: string[]): string {
  run("rpm", ["--root", root, "--initdb"]);
  if (installed.length > 0) run("rpm", ["--root", root, "-i", ...installed]);
  return root;
}

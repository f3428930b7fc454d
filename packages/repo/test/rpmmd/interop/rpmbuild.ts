/**
 * rpmbuild as the RPM-MD interop tests drive it: one .spec per package in a private _topdir, nothing run
 * after %install (no brp-* scripts, no debuginfo), the package files returned. Callers check the tool with
 * `needTool` first.
 */
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { run } from "@packyard/testkit/tools";

/** Builds `spec` (the text of a .spec file) in `top`; `-bb` binary (default) or `-bs` source. */
export function rpmbuild(top: string, spec: string, mode: "-bb" | "-bs" = "-bb"): string[] {
  mkdirSync(top, { recursive: true });
  const file = join(top, "package.spec");
  writeFileSync(file, spec);
  const defines = { _topdir: top, __os_install_post: "%{nil}", debug_package: "%{nil}" };
  run("rpmbuild", [
    mode,
    "--quiet",
    ...Object.entries(defines).flatMap(([k, v]) => ["--define", `${k} ${v}`]),
    file,
  ]);
  const out = mode === "-bb" ? "RPMS" : "SRPMS";
  return readdirSync(join(top, out), { recursive: true, encoding: "utf8" })
    .filter((p) => p.endsWith(".rpm"))
    .map((p) => join(top, out, p));
}

/** A spec's common head: name, version, release, summary, license, noarch unless `arch` says otherwise. */
export function specHead(name: string, extra = "", options: { arch?: boolean } = {}): string {
  return (
    `Name: ${name}\nVersion: 1.0\nRelease: 1\nSummary: ${name} test package\nLicense: MIT\n` +
    (options.arch ? "" : "BuildArch: noarch\n") +
    extra
  );
}

/**
 * The example project (fixtures/example) for every package's tests, in two forms: built the way
 * `packyard build -p <format>` builds it (its packyard.yml through the config loader and the real format
 * registry, at a fixed build date), so tests that judge "the example" judge what users get from the
 * README's quick start; and the same package as a PackageSpec written out by hand from its files, for unit
 * tests that must not depend on the config loader and vary one field at a time. Tests that run the CLI
 * in the project get a scratch copy of its folder.
 */
import { cpSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { bytesSource, FORMATS, loadConfig, type PackageSpec, ROOT } from "@packyard/formats";
import { FIXTURES } from "./repo.ts";

/** fixtures/example/, absolute, with a trailing slash. */
export const EXAMPLE_DIR = `${FIXTURES}example/`;

/** 2024-01-01T00:00:00Z, the date of the example's newest changelog entry, used as the build date. */
export const EXAMPLE_DATE = 1704067200;

/**
 * Copies the example project into `dir` (made if missing; a dist/ a local build left in fixtures/example is
 * not carried over, nor are keys/ and public/ of a local quick start), so keys and build output land outside the repository. `config`, when given, is
 * appended to the copy's packyard.yml after a newline, or (a function) rewrites its text. Returns `dir`.
 */
export function exampleProject(dir: string, config?: string | ((text: string) => string)): string {
  // What a run of the quick start leaves in fixtures/example (git-ignored) is not part of the project.
  cpSync(EXAMPLE_DIR, dir, { recursive: true });
  for (const made of ["dist", "keys", "public"]) rmSync(join(dir, made), { recursive: true, force: true });
  if (config !== undefined) {
    const file = join(dir, "packyard.yml");
    const text = readFileSync(file, "utf8");
    writeFileSync(file, typeof config === "string" ? `${text}\n${config}` : config(text));
  }
  return dir;
}

/** The example's spec and format options for one format id (`deb`, `rpm`, `archlinux`, `apk`, `macos`, ...). */
export async function exampleFromConfig<O = unknown>(
  formatId: string,
  config = "packyard.yml",
): Promise<{ spec: PackageSpec; options: O }> {
  const cfg = loadConfig({
    text: readFileSync(EXAMPLE_DIR + config, "utf8"),
    path: config,
    baseDir: EXAMPLE_DIR,
    env: {},
    formats: FORMATS,
  });
  const r = await cfg.resolve(formatId, { date: EXAMPLE_DATE });
  return { spec: r.spec, options: r.options as O };
}

const own = { owner: ROOT, group: ROOT };
const file = (p: string) => bytesSource(new Uint8Array(readFileSync(EXAMPLE_DIR + p)));
const text = (p: string) => readFileSync(EXAMPLE_DIR + p, "utf8");

/**
 * The example package written out by hand from its files (what the loader makes of packyard.yml for rpm,
 * without the loader), with `overrides` applied.
 */
export function exampleSpec(overrides: Partial<PackageSpec> = {}): PackageSpec {
  return {
    name: "hello-packyard",
    version: { upstream: "1.0.0", release: "1" },
    arch: "all",
    date: EXAMPLE_DATE,
    maintainer: "Packyard Example <example@packyard.invalid>",
    description:
      "Friendly greeting program (packyard example)\nhello prints a greeting read from its configuration file. It exists to show\nhow one packyard.yml becomes a package for every Linux family.",
    homepage: "https://packyard.invalid/example",
    license: "MIT",
    section: "utils",
    priority: "optional",
    relations: {},
    entries: [
      { type: "file", path: "/usr/bin/hello", mode: 0o755, ...own, content: file("bin/hello") },
      {
        type: "file",
        path: "/etc/hello-packyard/hello.conf",
        mode: 0o644,
        ...own,
        flags: { config: true, noreplace: true },
        content: file("etc/hello.conf"),
      },
      { type: "symlink", path: "/usr/bin/hello-packyard", mode: 0o777, ...own, target: "hello" },
      { type: "dir", path: "/var/lib/hello-packyard", mode: 0o755, ...own },
      {
        type: "file",
        path: "/usr/share/man/man1/hello.1.gz",
        mode: 0o644,
        ...own,
        content: file("man/hello.1.gz"),
      },
      {
        type: "file",
        path: "/usr/share/doc/hello-packyard/README.md",
        mode: 0o644,
        ...own,
        content: file("README.md"),
      },
    ],
    scripts: {
      preinstall: { body: text("scripts/preinstall.sh") },
      postinstall: { body: text("scripts/postinstall.sh") },
      preremove: { body: text("scripts/preremove.sh") },
      postremove: { body: text("scripts/postremove.sh") },
    },
    changelog: [
      {
        version: "1.0.0",
        date: EXAMPLE_DATE,
        author: "Packyard Example <example@packyard.invalid>",
        changes: ["First release of the example project."],
      },
    ],
    ...overrides,
  };
}

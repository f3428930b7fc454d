/**
 * The example project (fixtures/example) as a PackageSpec built by hand from its files, for unit tests
 * that must not depend on the config loader. The interop suite builds the example through the loader.
 */
import { readFileSync } from "node:fs";
import { bytesSource } from "../../src/bytes/bytes.ts";
import { type PackageSpec, ROOT } from "../../src/spec/types.ts";

const dir = new URL("../../../../fixtures/example/", import.meta.url).pathname;
const file = (p: string) => bytesSource(new Uint8Array(readFileSync(dir + p)));
const text = (p: string) => readFileSync(dir + p, "utf8");

/** 2024-01-01T00:00:00Z, the example's changelog date. */
export const EXAMPLE_DATE = 1704067200;

/** The example package. */
export function exampleSpec(): PackageSpec {
  const own = { owner: ROOT, group: ROOT };
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
  };
}

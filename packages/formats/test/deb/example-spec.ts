/**
 * A small hand-built spec for deb unit tests of rendering the example project does not exercise: a
 * `summary` and a `vendor` (Description synopsis, Copyright line), overrides per test. The example
 * project itself (golden sha256, lintian, dpkg install) is built through the config loader by
 * test/support/example.ts.
 */
import { bytesSource } from "../../src/bytes/bytes.ts";
import { compressBytes } from "../../src/compress/compress.ts";
import { type PackageSpec, ROOT } from "../../src/spec/types.ts";

const enc = (s: string) => new TextEncoder().encode(s);

/** The stand-in package (arch `all`: its program is a shell script), with `overrides` applied. */
export async function exampleSpec(overrides: Partial<PackageSpec> = {}): Promise<PackageSpec> {
  const man = await compressBytes(
    enc(
      '.TH HELLO-PACKYARD 1 "2024-01-01" "hello-packyard 1.2.3"\n.SH NAME\nhello-packyard \\- print a greeting\n.SH SYNOPSIS\n.B hello-packyard\n.SH DESCRIPTION\nPrints the greeting configured in /etc/hello-packyard/greeting.conf.\n',
    ),
    { algo: "gzip", level: 9 },
  );
  const file = (path: string, text: string | Uint8Array, mode = 0o644, config = false) => ({
    type: "file" as const,
    path,
    mode,
    owner: ROOT,
    group: ROOT,
    content: bytesSource(typeof text === "string" ? enc(text) : text),
    ...(config ? { flags: { config: true } } : {}),
  });
  return {
    name: "hello-packyard",
    version: { upstream: "1.2.3", release: "1" },
    arch: "all",
    date: 1704067200,
    maintainer: "Packyard Maintainers <maintainers@packyard.example>",
    summary: "friendly greeting program",
    description:
      "hello-packyard prints a configurable greeting.\n\nIt exists to show how packyard builds packages.",
    license: "MIT",
    homepage: "https://packyard.example/",
    vendor: "Packyard",
    section: "utils",
    priority: "optional",
    relations: {},
    entries: [
      file("/usr/bin/hello-packyard", "#!/bin/sh\nset -e\ncat /etc/hello-packyard/greeting.conf\n", 0o755),
      file("/etc/hello-packyard/greeting.conf", "Hello from packyard\n", 0o644, true),
      file("/usr/share/man/man1/hello-packyard.1.gz", man),
    ],
    scripts: {
      postinstall: {
        body: 'set -e\nmkdir -p /var/lib/hello-packyard\necho "postinst $*" >> /var/lib/hello-packyard/log\n',
      },
      preinstall: {
        body: 'set -e\nmkdir -p /var/lib/hello-packyard\necho "preinst $*" >> /var/lib/hello-packyard/log\n',
      },
      postremove: { body: 'set -e\nif [ "$1" = purge ]; then rm -rf /var/lib/hello-packyard; fi\n' },
    },
    changelog: [
      {
        version: "1.2.3",
        date: 1704067200,
        author: "Packyard Maintainers <maintainers@packyard.example>",
        changes: ["Configurable greeting."],
      },
      {
        version: "1.2.2",
        date: 1701388800,
        author: "Packyard Maintainers <maintainers@packyard.example>",
        changes: ["First release."],
      },
    ],
    ...overrides,
  };
}

/**
 * The key the golden example package is signed with, its file name, and a small hand-built stand-in spec
 * for unit tests that vary one field at a time (key naming, spec rules, re-signing, odd paths). The
 * example project itself comes through the config loader (test/support/example.ts); the golden
 * fixtures/apk/example.sha256 pins its bytes signed with fixtures/keys/openssl-pkcs8.rsa.
 */
import { readFileSync } from "node:fs";
import { bytesSource } from "../../src/bytes/bytes.ts";
import { compressBytes } from "../../src/compress/compress.ts";
import { loadRSASigner } from "../../src/sign/rsa.ts";
import type { RSASigner } from "../../src/sign/signer.ts";
import { type PackageSpec, ROOT } from "../../src/spec/types.ts";

const enc = (s: string) => new TextEncoder().encode(s);

/** Repository root (tests run from anywhere). */
export const REPO = new URL("../../../../", import.meta.url).pathname;

/** File name of the golden example package (fixtures/apk/), as `packyard build -p apk` names it. */
export const GOLDEN_NAME = "hello-packyard-1.0.0-r1.apk";

/** The RSA key the golden package is signed with (fixtures/keys, made by openssl). */
export function exampleSigner(): RSASigner {
  return loadRSASigner(readFileSync(`${REPO}fixtures/keys/openssl-pkcs8.rsa`, "utf8"), {
    email: "maintainers@packyard.example",
  });
}

/** The stand-in package (arch `all`: its program is a shell script), with `overrides` applied. */
export async function exampleSpec(overrides: Partial<PackageSpec> = {}): Promise<PackageSpec> {
  const man = await compressBytes(
    enc(
      '.TH HELLO-PACKYARD 1 "2024-01-01" "hello-packyard 1.2.3"\n.SH NAME\nhello-packyard \\- print a greeting\n',
    ),
    { algo: "gzip", level: 9 },
  );
  const file = (path: string, text: string | Uint8Array, mode = 0o644) => ({
    type: "file" as const,
    path,
    mode,
    owner: ROOT,
    group: ROOT,
    content: bytesSource(typeof text === "string" ? enc(text) : text),
  });
  return {
    name: "hello-packyard",
    version: { upstream: "1.2.3", release: "1" },
    arch: "all",
    date: 1704067200,
    maintainer: "Packyard Maintainers <maintainers@packyard.example>",
    summary: "friendly greeting program",
    description: "hello-packyard prints a configurable greeting.",
    license: "MIT",
    homepage: "https://packyard.example/",
    relations: {},
    entries: [
      file("/usr/bin/hello-packyard", "#!/bin/sh\nset -e\ncat /etc/hello-packyard/greeting.conf\n", 0o755),
      file("/etc/hello-packyard/greeting.conf", "Hello from packyard\n", 0o644),
      file("/usr/share/man/man1/hello-packyard.1.gz", man),
      {
        type: "symlink",
        path: "/usr/bin/hello",
        target: "hello-packyard",
        mode: 0o777,
        owner: ROOT,
        group: ROOT,
      },
    ],
    scripts: {
      preinstall: {
        body: 'set -e\nmkdir -p /var/lib/hello-packyard\necho "pre-install $*" >> /var/lib/hello-packyard/log\n',
      },
      postinstall: { body: 'set -e\necho "post-install $*" >> /var/lib/hello-packyard/log\n' },
      postremove: { body: "rm -rf /var/lib/hello-packyard\n" },
    },
    changelog: [],
    ...overrides,
  };
}

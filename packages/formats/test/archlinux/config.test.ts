/**
 * The `archlinux:` block of packyard.yml, parsed from YAML by the real loader with the real format
 * registry: every key lands in ArchlinuxOptions, the upgrade scripts named there are read from disk and
 * end up in the package's .INSTALL as pre_upgrade/post_upgrade, and unknown keys fail by name.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import type { ArchlinuxOptions } from "../../src/archlinux/index.ts";
import { archlinuxFormat } from "../../src/archlinux/index.ts";
import { bytesSource, collect } from "../../src/bytes/bytes.ts";
import { decompressBytes } from "../../src/compress/decompress.ts";
import { loadConfig } from "../../src/config/index.ts";
import { readTar } from "../../src/container/tar.ts";
import { SpecError } from "../../src/errors.ts";
import { FORMATS } from "../../src/registry.ts";
import { specErrorOf } from "../support/spec-error.ts";

const dir = mkdtempSync(join(tmpdir(), "packyard-arch-config-"));
after(() => rmSync(dir, { recursive: true, force: true }));
mkdirSync(join(dir, "scripts"));
const PRE = "#!/bin/sh\necho 'pre-upgrade from the archlinux block'\n";
const POST = '#!/bin/sh\necho "post-upgrade from the archlinux block: $1"\n';
writeFileSync(join(dir, "scripts", "preupgrade.sh"), PRE);
writeFileSync(join(dir, "scripts", "postupgrade.sh"), POST);
writeFileSync(join(dir, "hello"), "#!/bin/sh\necho hello\n");

const HEAD = `name: hello
version: 1.2.3
arch: amd64
maintainer: Ann <ann@example.org>
description: hi
contents:
  - src: hello
    dst: /usr/bin/hello
    file_info: { mode: 0755 }
`;

const FULL_BLOCK = `archlinux:
  arch: x86_64_v3
  pkgbase: hello-base
  packager: Arch Packager <arch@example.org>
  scripts:
    preupgrade: scripts/preupgrade.sh
    postupgrade: scripts/postupgrade.sh
  compression: xz:6
  signature:
    key_file: keys/arch.asc
    key_id: 0123456789abcdef
`;

async function resolveArch(block: string) {
  const cfg = loadConfig({ text: HEAD + block, baseDir: dir, env: {}, formats: FORMATS });
  const r = await cfg.resolve("archlinux", { date: 1704067200 });
  return { spec: r.spec, options: r.options as ArchlinuxOptions };
}

/** The code and field of the SpecError that loading `block` throws, or "ok". */
const loadError = (block: string): string =>
  specErrorOf(() => loadConfig({ text: HEAD + block, baseDir: dir, env: {}, formats: FORMATS }));

/** The named members of an Arch package, decompressed with the given algorithm. */
async function members(bytes: Uint8Array, algo: "xz" | "zstd"): Promise<Map<string, string>> {
  const tar = await decompressBytes(bytes, algo);
  const out = new Map<string, string>();
  for await (const e of readTar(bytesSource(tar).open()))
    out.set(e.header.name, new TextDecoder().decode(await e.bytes()));
  return out;
}

test("every key of the archlinux: block, from YAML through the loader, lands in ArchlinuxOptions", async () => {
  const { options } = await resolveArch(FULL_BLOCK);
  assert.deepEqual(options, {
    arch: "x86_64_v3",
    pkgbase: "hello-base",
    packager: "Arch Packager <arch@example.org>",
    compression: { algo: "xz", level: 6 },
    scriptFiles: {
      preupgrade: `${dir}/scripts/preupgrade.sh`,
      postupgrade: `${dir}/scripts/postupgrade.sh`,
    },
    signature: { keyFile: `${dir}/keys/arch.asc`, keyId: "0123456789ABCDEF" },
  });
  const used = new Set([...FULL_BLOCK.matchAll(/^ {2}([a-z_]+):/gm)].map((m) => m[1]));
  const schema = archlinuxFormat.config.schema as { properties?: Record<string, unknown> };
  assert.deepEqual([...used].sort(), Object.keys(schema.properties ?? {}).sort());
});

test("archlinux: a build from the block carries pkgbase, packager, arch and the upgrade scripts in .INSTALL", async () => {
  // The signature key file does not exist: signing is the CLI's job, so leave it out of the build.
  const { spec, options } = await resolveArch(FULL_BLOCK.replace(/ {2}signature:\n(?: {4}.*\n)+/, ""));
  const bytes = await collect(archlinuxFormat.write(spec, options));
  assert.equal(archlinuxFormat.fileName(spec, options), "hello-1.2.3-1-x86_64_v3.pkg.tar.xz");
  const m = await members(bytes, "xz");
  const pkginfo = m.get(".PKGINFO") ?? "";
  assert.match(pkginfo, /^pkgbase = hello-base$/m);
  assert.match(pkginfo, /^packager = Arch Packager <arch@example.org>$/m);
  assert.match(pkginfo, /^arch = x86_64_v3$/m);
  const install = m.get(".INSTALL");
  assert.ok(install, `no .INSTALL among ${[...m.keys()].join(", ")}`);
  assert.match(install, /^pre_upgrade\(\) \{/m);
  assert.match(install, /^post_upgrade\(\) \{/m);
  assert.ok(install.includes("echo 'pre-upgrade from the archlinux block'"), install);
  assert.ok(install.includes('echo "post-upgrade from the archlinux block: $1"'), install);
  assert.doesNotMatch(install, /^(pre|post)_install\(\)/m);
  // Our reader gets the same scripts back, interpreters included.
  const info = await archlinuxFormat.read(bytesSource(bytes));
  assert.deepEqual(info.scripts.preupgrade, { interpreter: "/bin/sh", body: PRE });
  assert.deepEqual(info.scripts.postupgrade, { interpreter: "/bin/sh", body: POST });
});

test("archlinux: block scripts win over the top-level upgrade scripts; defaults hold without a block", async () => {
  writeFileSync(join(dir, "scripts", "top-pre.sh"), "#!/bin/sh\necho top-level pre\n");
  const top = "scripts:\n  preupgrade: scripts/top-pre.sh\n";
  const { spec, options } = await resolveArch(
    `${top}archlinux:\n  scripts:\n    preupgrade: scripts/preupgrade.sh\n`,
  );
  const m = await members(await collect(archlinuxFormat.write(spec, options)), "zstd");
  const install = m.get(".INSTALL") ?? "";
  assert.ok(install.includes("pre-upgrade from the archlinux block"), install);
  assert.ok(!install.includes("top-level pre"), install);

  const plain = await resolveArch("");
  assert.deepEqual(plain.options, {});
  const p = await members(await collect(archlinuxFormat.write(plain.spec, plain.options)), "zstd");
  assert.match(p.get(".PKGINFO") ?? "", /^pkgbase = hello$/m);
  assert.match(p.get(".PKGINFO") ?? "", /^packager = Ann <ann@example.org>$/m);
  assert.match(p.get(".PKGINFO") ?? "", /^arch = x86_64$/m);
  assert.equal(p.has(".INSTALL"), false);
});

test("archlinux: unknown keys are rejected by name, bad values by field", () => {
  assert.equal(loadError("archlinux:\n  pkgbse: x\n"), "UNKNOWN_KEY archlinux.pkgbse");
  assert.equal(
    loadError("archlinux:\n  scripts:\n    preinstall: a.sh\n"),
    "UNKNOWN_KEY archlinux.scripts.preinstall",
  );
  assert.equal(
    loadError("archlinux:\n  signature:\n    key_passphrase: x\n"),
    "UNKNOWN_KEY archlinux.signature.key_passphrase",
  );
  assert.equal(
    loadError("overrides:\n  archlinux:\n    archlinux:\n      bogus: 1\n"),
    "UNKNOWN_KEY overrides.archlinux.archlinux.bogus",
  );
  assert.equal(
    loadError("archlinux:\n  signature:\n    key_id: ABC\n"),
    "INVALID_FIELD archlinux.signature.key_id",
  );
  assert.equal(loadError("archlinux:\n  compression: lz4\n"), "INVALID_FIELD archlinux.compression");
  assert.equal(loadError("archlinux:\n  packager: 3\n"), "INVALID_FIELD archlinux.packager");
  assert.throws(
    () => loadConfig({ text: `${HEAD}archlinux:\n  pkgbse: x\n`, baseDir: dir, env: {}, formats: FORMATS }),
    (e: unknown) =>
      e instanceof SpecError && /archlinux\.pkgbse: unknown key; expected one of .*pkgbase/.test(e.message),
  );
});

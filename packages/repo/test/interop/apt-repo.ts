/**
 * What the apt interop tests share: the fixture signing keys, the demo packages (one `Architecture: all`,
 * one with an epoch, `+` and `~` in its version, an amd64 and an i386 one) written by @packyard/formats,
 * scratch folders apt's `_apt` user can read, and the assertion that an apt run was clean.
 */
import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after } from "node:test";
import { loadOpenPGPSigner, type OpenPGPSigner } from "@packyard/formats";
import type { AptResult } from "@packyard/testkit/apt";
import { testDeb } from "@packyard/testkit/debs";
import { FIXTURE_PASSPHRASE, KEYS_DIR } from "@packyard/testkit/keyrings";
import type { PublishInput } from "@packyard/repo";

/** The repository key (fixtures/keys/gpg-plain: RSA 3072) or another one (gpg-locked: Ed25519). */
export async function fixtureSigner(which: "plain" | "locked" = "plain"): Promise<OpenPGPSigner> {
  const armored = readFileSync(`${KEYS_DIR}gpg-${which}.secret.asc`, "utf8");
  return loadOpenPGPSigner(armored, which === "locked" ? { passphrase: FIXTURE_PASSPHRASE } : {});
}

/** One demo package: its identity and a path it ships (for apt-file and the install check). */
export interface DemoPackage {
  name: string;
  version: string;
  arch: string;
  /** A file the package installs. */
  file: string;
}

/** The demo packages: `all`, an epoch with `+` and `~`, amd64, i386. */
export const DEMO: readonly DemoPackage[] = [
  { name: "yard-all", version: "1.0-1", arch: "all", file: "/usr/share/yard-all/data" },
  { name: "yard-epoch", version: "2:1.2+git1~rc1-1", arch: "amd64", file: "/usr/bin/yard-epoch" },
  { name: "yard-tool", version: "0.9-3", arch: "amd64", file: "/usr/share/yard-tool/data" },
  { name: "yard-lib", version: "3.0~beta2-1", arch: "i386", file: "/usr/share/yard-lib/data" },
];

/** The demo packages as publish inputs. */
export async function demoInputs(): Promise<PublishInput[]> {
  return Promise.all(
    DEMO.map(async (p) => {
      const extra = p.file.startsWith(`/usr/share/${p.name}/`) ? [] : [p.file];
      const deb = await testDeb({ name: p.name, version: p.version, arch: p.arch, files: extra });
      return { info: deb.info, source: deb.source, name: deb.name };
    }),
  );
}

/** How apt names a demo package for this host (amd64 native, i386 foreign). */
export function aptName(p: DemoPackage): string {
  return p.arch === "i386" ? `${p.name}:i386` : p.name;
}

/** A scratch folder (mode 0755: apt reads file: repositories as `_apt`) removed after the file's tests. */
export function scratchDir(prefix = "packyard-apt-repo-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(dir, 0o755);
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** An apt run that succeeded and printed no warning, error, ignored or failed fetch. */
export function assertClean(r: AptResult, what: string): void {
  const all = `${what}: exit ${r.code}\n${r.stdout}\n${r.stderr}`;
  assert.equal(r.code, 0, all);
  assert.deepEqual(r.warnings, [], all);
  assert.deepEqual(r.errors, [], all);
  assert.deepEqual(r.ignored, [], all);
  assert.deepEqual(r.failed, [], all);
}

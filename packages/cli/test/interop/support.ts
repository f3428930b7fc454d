/**
 * Shared steps of the CLI interop tests: a scratch copy of the example project, a dated
 * `packyard build --json` and its manifest, keys made by `packyard keygen`, the gpgv keyring and user ID
 * of its OpenPGP key, and rpmkeys' check of an rpm signed with it (the deb and apk judges are
 * @packyard/testkit/signatures).
 */
import assert from "node:assert/strict";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { exampleProject } from "@packyard/testkit/example";
import { gpgvKeyring } from "@packyard/testkit/keyrings";
import { run } from "@packyard/testkit/tools";
import type { BuiltArtifact as Artifact } from "../../src/build.ts";
import { type CliResult, spawnCli } from "../run-cli.ts";
import { tempDirs } from "../temp-dirs.ts";

/** A fresh temp folder, removed after the tests of the file that imports this module. */
export const tmp = tempDirs("packyard-interop-");

/** A scratch copy of fixtures/example (so keys and dist/ land outside the repository). */
export const exampleCopy = (): string => exampleProject(tmp("packyard-example-"));

/** Every packager the example builds on Linux, as `-p` takes them. */
export const LINUX_PACKAGERS = "deb,rpm,archlinux,apk,tar.gz,zip";

/**
 * `packyard build ARGS --json` through the launcher in `cwd`, with SOURCE_DATE_EPOCH=1700000000: the
 * launcher's result and the manifest it printed (empty when the build failed, so that the tests asserting
 * on the result say why).
 */
export function buildJson(cwd: string, args: string[]): { result: CliResult; manifest: Artifact[] } {
  const result = spawnCli(["build", ...args, "--json"], cwd, { SOURCE_DATE_EPOCH: "1700000000" });
  return { result, manifest: result.status === 0 ? (JSON.parse(result.stdout) as Artifact[]) : [] };
}

/** Paths of the keys `packyard keygen` wrote into `<dir>/keys` as packyard.signed.yml expects them. */
export interface ExampleKeys {
  openpgpSecret: string;
  openpgpPublic: string;
  rsaPrivate: string;
  rsaPublic: string;
}

/** Runs `packyard keygen` twice (OpenPGP EdDSA, which keeps the test fast, and RSA) into `<dir>/keys`. */
export function keygenInto(dir: string): ExampleKeys {
  const common = ["--name", "signer", "--email", "signer@packyard.invalid", "-o", "keys"];
  for (const args of [
    ["--type", "openpgp", "--algorithm", "ecc"],
    ["--type", "rsa"],
  ]) {
    const r = spawnCli(["keygen", ...args, ...common], dir);
    assert.equal(r.status, 0, r.stderr);
  }
  return {
    openpgpSecret: join(dir, "keys/signer.secret.asc"),
    openpgpPublic: join(dir, "keys/signer.asc"),
    rsaPrivate: join(dir, "keys/signer.rsa"),
    rsaPublic: join(dir, "keys/signer.rsa.pub"),
  };
}

/** The user ID `keygenInto` gives the OpenPGP key, as gpgv names the signer. */
export const SIGNER = "signer <signer@packyard.invalid>";

/** A gpgv keyring holding the OpenPGP public key `keygenInto` wrote. */
export function signerKeyring(keys: ExampleKeys): string {
  return gpgvKeyring(tmp("packyard-gnupg-"), "signer", text(keys.openpgpPublic));
}

/** rpm -Kv with the key imported into a scratch rpmdb; returns rpm's report. */
export function rpmCheckSig(rpmFile: string, publicKey: string): string {
  const db = tmp("packyard-rpmdb-");
  mkdirSync(db, { recursive: true });
  run("rpmkeys", ["--dbpath", db, "--import", publicKey]);
  const report = run("rpmkeys", ["--dbpath", db, "-Kv", rpmFile]);
  return report;
}

/** The text of a file. */
export function text(path: string): string {
  return readFileSync(path, "utf8");
}

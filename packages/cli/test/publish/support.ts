/**
 * What the publish and repo tests share: a scratch copy of the example project built by the real CLI
 * (`packyard build -p …`, real formats, a fixed date), the committed fixture keys, and the CLI run
 * in-process there.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { exampleProject } from "@packyard/testkit/example";
import { FORMATS } from "../../src/formats.ts";
import { type CliResult, REPO, runMain } from "../run-cli.ts";

/** A passphrase-less OpenPGP secret key made by gpg (fixtures/keys/make.sh). */
export const KEY = join(REPO, "fixtures/keys/gpg-plain.secret.asc");
/** Its public half. */
export const PUBLIC_KEY = join(REPO, "fixtures/keys/gpg-plain.asc");
/** Another OpenPGP key, locked with {@link OTHER_PASSPHRASE}. */
export const OTHER_KEY = join(REPO, "fixtures/keys/gpg-locked.secret.asc");
/** The passphrase of {@link OTHER_KEY} (fixtures/keys/make.sh). */
export const OTHER_PASSPHRASE = "packyard-test";
/** An RSA key: apk's kind, not a repository's. */
export const RSA_KEY = join(REPO, "fixtures/keys/openssl-pkcs1.rsa");

/** The build date of every test build. */
export const ENV = { SOURCE_DATE_EPOCH: "1700000000" };

/** The example's deb, as `packyard build -p deb` names it. */
export const DEB = "hello-packyard_1.0.0-1_all.deb";

/** Runs `packyard ARGS` in `cwd` with the real formats. */
export function cli(args: string[], cwd: string, env: Record<string, string> = {}): Promise<CliResult> {
  return runMain(args, cwd, FORMATS, { ...ENV, ...env });
}

/**
 * A copy of the example project in `dir` (with `config` appended to its packyard.yml), built with
 * `packyard build -p <packagers>` into dist/. Returns `dir`.
 */
export async function builtExample(dir: string, packagers = "deb", config?: string): Promise<string> {
  exampleProject(dir, config);
  const r = await cli(["build", "-q", "-p", packagers], dir);
  assert.equal(r.status, 0, r.stderr);
  return dir;
}

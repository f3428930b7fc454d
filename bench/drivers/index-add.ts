/**
 * Bench driver: `node bench/drivers/index-add.ts REPO_DIR KEY.asc PACKAGE_FILE...` adds one package (or
 * several: a first publish, to profile it) to the repository in REPO_DIR with `publish()` of
 * @packyard/repo, in-process, and prints one JSON line:
 * `{"readMs":…,"publishMs":…,"added":N}`. publishMs times the `publish()` call alone (lock, states,
 * indexes, signatures, pool copy, install files); readMs is reading the package's metadata before it
 * (what the CLI does first), loading the key and the modules are not timed. Issue 18's gate: "≤ 100 ms of
 * publish work measured in-process" when adding one package to 5,000.
 *
 * The repository's own settings are used (it already serves the package's family: the RPM-MD target and
 * the pacman repository are those it holds). An Arch package's `.sig` is taken from beside it.
 *
 * With INDEX_ADD_PROFILE=FILE.cpuprofile, a CPU profile of the `publish()` call alone (start-up left out)
 * is written there: `node bench/profile.ts FILE.cpuprofile` splits it and lists the top frames.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { basename } from "node:path";
import { performance } from "node:perf_hooks";
import { readPackage } from "../../packages/formats/src/api.ts";
import { loadOpenPGPSigner } from "../../packages/formats/src/sign/openpgp.ts";
import { fileSource } from "../../packages/formats/src/source/file.ts";
import type { PublishInput } from "../../packages/repo/src/publish/options.ts";
import { publish } from "../../packages/repo/src/publish/publish.ts";
import { folderStorage } from "../../packages/repo/src/storage/fs.ts";

const [repo, keyFile, ...files] = process.argv.slice(2);
if (repo === undefined || keyFile === undefined || files.length === 0) {
  process.stderr.write("usage: node bench/drivers/index-add.ts REPO_DIR KEY.asc PACKAGE_FILE...\n");
  process.exit(2);
}
const signer = await loadOpenPGPSigner(readFileSync(keyFile, "utf8"));
const t0 = performance.now();
const inputs: PublishInput[] = [];
for (const file of files) {
  const source = await fileSource(file);
  const info = await readPackage(source, basename(file));
  const input: PublishInput = { info, source, name: basename(file) };
  if (existsSync(`${file}.sig`)) input.signature = new Uint8Array(readFileSync(`${file}.sig`));
  inputs.push(input);
}
const profile = process.env.INDEX_ADD_PROFILE;
const session = profile === undefined ? undefined : new Session();
if (session !== undefined) {
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.setSamplingInterval", { interval: 200 });
  await session.post("Profiler.start");
}
const t1 = performance.now();
const result = await publish(folderStorage(repo), { add: inputs, signers: [signer] });
const t2 = performance.now();
if (session !== undefined && profile !== undefined) {
  const { profile: data } = await session.post("Profiler.stop");
  writeFileSync(profile, JSON.stringify(data));
  session.disconnect();
}
if (result.added.length !== inputs.length) {
  process.stderr.write(
    `index-add: expected ${inputs.length} package(s) added, found ${JSON.stringify(result.added.length)}\n`,
  );
  process.exit(1);
}
process.stdout.write(
  `${JSON.stringify({ readMs: +(t1 - t0).toFixed(2), publishMs: +(t2 - t1).toFixed(2), added: result.added.length })}\n`,
);

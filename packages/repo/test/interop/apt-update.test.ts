/**
 * apt 2.6 judges a repository published to a folder: `apt-get update` over file: and over HTTP prints no
 * warning and ignores nothing (multiarch amd64 + i386, TZ Asia/Tokyo, Signed-By the exported .asc and
 * .gpg keys), uses by-hash, finds every demo package with policy and show, installs one into a scratch
 * root; without InRelease it verifies Release + Release.gpg; with Contents on, apt-file finds a path.
 */
import assert from "node:assert/strict";
import { cpSync, existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { folderStorage, publish } from "@packyard/repo";
import { type ScratchApt, scratchApt, scratchRoot } from "@packyard/testkit/apt";
import { serveFolder } from "@packyard/testkit/http";
import { needTool, run } from "@packyard/testkit/tools";
import { aptName, assertClean, DEMO, demoInputs, fixtureSigner, scratchDir } from "./apt-repo.ts";

const signer = await fixtureSigner();
/** Published with the default settings: what most users get. */
const repo = scratchDir();
await publish(folderStorage(repo), { add: await demoInputs(), signers: [signer] });

/** Every demo package is apt's candidate at its version; show prints its stanza. */
async function assertFindsDemo(apt: ScratchApt): Promise<void> {
  for (const p of DEMO) {
    const policy = await apt.policy(aptName(p));
    assert.equal(policy.candidate, p.version, `apt-cache policy ${aptName(p)}:\n${policy.stdout}`);
    const show = await apt.show(`${aptName(p)}=${p.version}`);
    assert.equal(show.code, 0, show.stderr);
    assert.equal(show.records.length, 1, show.stdout);
    assert.match(show.records[0]!, new RegExp(`^Package: ${p.name}\n`));
    assert.match(show.records[0]!, new RegExp(`^Architecture: ${p.arch}$`, "m"));
  }
}

test("apt-get update over file: is clean; policy and show find every package; install into a scratch root", async (t) => {
  if (!needTool(t, "apt-get", "apt-cache", "dpkg", "dpkg-query")) return;
  const apt = scratchApt({
    sources: { uri: `file:${repo}/deb`, signedBy: join(repo, "keys/repository.asc") },
  });
  t.after(() => apt.dispose());
  const update = await apt.update();
  assertClean(update, "apt-get update");
  // both architectures' indexes were read (a missing one is skipped silently when Release omits it)
  assert.match(update.stdout, /stable\/main amd64 Packages/);
  assert.match(update.stdout, /stable\/main i386 Packages/);
  await assertFindsDemo(apt);

  const epoch = DEMO.find((p) => p.name === "yard-epoch")!;
  const root = scratchRoot(apt.dir);
  const install = await apt.installInto(root, epoch.name);
  assert.equal(install.code, 0, `${install.stdout}\n${install.stderr}`);
  assert.deepEqual(install.errors, [], install.stderr);
  assert.deepEqual(install.warnings, [], install.stderr);
  const installed = run("dpkg-query", [
    `--admindir=${root}/var/lib/dpkg`,
    "-W",
    "-f=${Status} ${Version}",
    epoch.name,
  ]);
  assert.equal(installed, `install ok installed ${epoch.version}`);
  assert.ok(existsSync(join(root, epoch.file)), `${epoch.file} in the scratch root`);
});

test("apt-get update over HTTP is clean, fetches indexes by hash, and a second update is all hits", async (t) => {
  if (!needTool(t, "apt-get", "apt-cache")) return;
  const server = await serveFolder(repo);
  t.after(() => server.stop());
  // the binary keyring this time: both exported key files must verify
  const apt = scratchApt({
    sources: { uri: `${server.url}/deb`, signedBy: join(repo, "keys/repository.gpg") },
  });
  t.after(() => apt.dispose());
  assertClean(await apt.update(), "apt-get update");
  await assertFindsDemo(apt);
  const paths = server.log.map((r) => `${r.method} ${r.path} ${r.status}`);
  assert.deepEqual(
    server.log.filter((r) => r.status !== 200),
    [],
    `requests:\n${paths.join("\n")}`,
  );
  assert.equal(paths[0], "GET /deb/dists/stable/InRelease 200");
  for (const arch of ["amd64", "i386"]) {
    assert.ok(
      paths.some((p) =>
        new RegExp(`^GET /deb/dists/stable/main/binary-${arch}/by-hash/SHA256/[0-9a-f]{64} 200$`).test(p),
      ),
      `binary-${arch} fetched by hash:\n${paths.join("\n")}`,
    );
  }
  const seen = server.log.length;
  const again = await apt.update();
  assertClean(again, "second apt-get update");
  assert.match(again.stdout, /^Hit:1 .* stable InRelease$/m);
  assert.deepEqual(
    server.log.slice(seen).map((r) => `${r.path} ${r.status}`),
    ["/deb/dists/stable/InRelease 304"],
  );
});

test("without InRelease apt verifies Release and Release.gpg, without a warning", async (t) => {
  if (!needTool(t, "apt-get", "apt-cache")) return;
  const copy = scratchDir();
  cpSync(repo, copy, { recursive: true });
  rmSync(join(copy, "deb/dists/stable/InRelease"));
  const server = await serveFolder(copy);
  t.after(() => server.stop());
  const apt = scratchApt({
    sources: { uri: `${server.url}/deb`, signedBy: join(copy, "keys/repository.asc") },
  });
  t.after(() => apt.dispose());
  const update = await apt.update();
  const all = `${update.stdout}\n${update.stderr}`;
  assert.equal(update.code, 0, all);
  assert.deepEqual(update.warnings, [], all);
  assert.deepEqual(update.errors, [], all);
  // the 404 of InRelease is the one thing apt goes on without
  assert.deepEqual(
    update.ignored.map((l) => l.replace(/^Ign:\d+ /, "")),
    [`${server.url}/deb stable InRelease`],
    all,
  );
  const fetched = server.log.map((r) => `${r.path} ${r.status}`);
  assert.deepEqual(fetched.slice(0, 3), [
    "/deb/dists/stable/InRelease 404",
    "/deb/dists/stable/Release 200",
    "/deb/dists/stable/Release.gpg 200",
  ]);
  await assertFindsDemo(apt);
});

test("with Contents on, apt-file search finds a packaged path", async (t) => {
  if (!needTool(t, "apt-get", "apt-file")) return;
  const withContents = scratchDir();
  await publish(folderStorage(withContents), {
    add: await demoInputs(),
    signers: [signer],
    apt: { contents: true },
  });
  const apt = scratchApt({
    sources: { uri: `file:${withContents}/deb`, signedBy: join(withContents, "keys/repository.asc") },
  });
  t.after(() => apt.dispose());
  const update = await apt.update();
  assertClean(update, "apt-get update");
  // apt 2.6 queues an index target only when Release lists its uncompressed name (main/Contents-amd64),
  // even if only the .gz is served: Debian's Release lists both
  assert.match(
    update.stdout,
    /stable\/main amd64 Contents \(deb\)/,
    `apt fetched Contents-amd64:\n${update.stdout}`,
  );
  const epoch = DEMO.find((p) => p.name === "yard-epoch")!;
  const found = await apt.fileSearch(epoch.file);
  assert.equal(found.code, 0, `${found.stdout}\n${found.stderr}`);
  assert.deepEqual(found.matches, [`${epoch.name}: ${epoch.file}`]);
  // an i386 package's files are in Contents-i386, which apt-file reads when asked for that architecture
  const lib = DEMO.find((p) => p.arch === "i386")!;
  const libFound = await apt.fileSearch(lib.file, "i386");
  assert.deepEqual(libFound.matches, [`${lib.name}: ${lib.file}`], `${libFound.stdout}\n${libFound.stderr}`);
});

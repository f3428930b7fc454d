/**
 * Real-world packages: about 65 .debs from Debian bookworm (amd64 and all; epochs, `+`, `~`, binNMUs,
 * Multi-Arch, Pre-Depends...) published into a folder. Each stanza of our Packages is the package's
 * control file as `dpkg-deb -f` prints it, byte for byte and in order, followed by Filename, Size, MD5sum
 * and SHA256 equal to coreutils' stat, md5sum and sha256sum of the pool file; every field agrees with
 * Debian's own stanza for that version except the ones the archive rewrites (Description, Description-md5,
 * Tag, Section, Priority, Filename); and apt 2.6 updates from the repository without a warning.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fileSource, readPackage } from "@packyard/formats";
import { folderStorage, publish } from "@packyard/repo";
import { scratchApt } from "@packyard/testkit/apt";
import {
  type DebianPackage,
  debianPackages,
  stanzaFields,
  stanzaTexts,
} from "@packyard/testkit/debian-packages";
import { needTool, run } from "@packyard/testkit/tools";
import { assertClean, fixtureSigner, scratchDir } from "./apt-repo.ts";

/** Fields Debian's archive rewrites or adds on its own: Description (long text moved to Translation-*), overrides. */
const ARCHIVE_FIELDS = new Set(["Description", "Description-md5", "Tag", "Section", "Priority", "Filename"]);

test("real Debian packages: Packages stanzas equal dpkg-deb and coreutils, agree with Debian's, and apt updates cleanly", async (t) => {
  if (!needTool(t, "apt-get", "apt-cache", "dpkg-deb", "md5sum", "sha256sum", "stat")) return;
  const debs: DebianPackage[] = debianPackages();
  assert.ok(debs.length >= 50, `at least 50 real packages, found ${debs.length}`);
  const repo = scratchDir();
  const add = await Promise.all(
    debs.map(async (d) => ({
      info: await readPackage(await fileSource(d.path), d.path),
      source: await fileSource(d.path),
      name: d.path,
    })),
  );
  await publish(folderStorage(repo), { add, signers: [await fixtureSigner()] });

  // the host is amd64: every package here is amd64 or all, so binary-amd64/Packages holds them all
  const packages = readFileSync(join(repo, "deb/dists/stable/main/binary-amd64/Packages"), "utf8");
  const ours = new Map<string, string>();
  for (const stanza of stanzaTexts(packages)) ours.set(stanzaFields(stanza).get("Package") ?? "", stanza);
  assert.deepEqual([...ours.keys()].sort(), debs.map((d) => d.name).sort(), "one stanza per package");

  const differences: string[] = [];
  for (const deb of debs) {
    const stanza = ours.get(deb.name)!;
    const fields = stanzaFields(stanza);
    const filename = fields.get("Filename") ?? "";
    assert.match(filename, /^pool\/main\/[^/]+\/[^/]+\/[^/]+\.deb$/, `${deb.name}: Filename`);
    const pooled = join(repo, "deb", filename);
    const control = run("dpkg-deb", ["-f", deb.path]);
    const expected =
      control +
      `Filename: ${filename}\n` +
      `Size: ${run("stat", ["-c", "%s", pooled]).trim()}\n` +
      `MD5sum: ${run("md5sum", [pooled]).split(" ")[0]}\n` +
      `SHA256: ${run("sha256sum", [pooled]).split(" ")[0]}\n`;
    assert.equal(stanza, expected, `${deb.name}: our stanza is dpkg-deb -f plus the archive fields`);
    // the pool file is Debian's file, byte for byte
    assert.equal(fields.get("SHA256"), deb.fields.get("SHA256"), `${deb.name}: pool file SHA256`);

    const names = new Set([...fields.keys(), ...deb.fields.keys()]);
    for (const name of names) {
      if (ARCHIVE_FIELDS.has(name)) continue;
      // security.debian.org no longer lists MD5sum (ours was checked against md5sum above)
      if (name === "MD5sum" && !deb.fields.has(name)) continue;
      if (fields.get(name) !== deb.fields.get(name))
        differences.push(
          `${deb.name} ${deb.version}: ${name}: ours ${JSON.stringify(fields.get(name))}, Debian's ${JSON.stringify(deb.fields.get(name))}`,
        );
    }
  }

  assert.deepEqual(differences, []);

  const apt = scratchApt({
    sources: { uri: `file:${repo}/deb`, signedBy: join(repo, "keys/repository.asc") },
  });
  t.after(() => apt.dispose());
  assertClean(await apt.update(), "apt-get update");
  const policy = await apt.run("apt-cache", ["policy", ...debs.map((d) => d.name)]);
  assert.equal(policy.code, 0, policy.stderr);
  const candidates = new Map(
    [...policy.stdout.matchAll(/^(\S+):\n {2}Installed: .*\n {2}Candidate: (\S+)$/gm)].map((m) => [
      m[1],
      m[2],
    ]),
  );
  for (const deb of debs) assert.equal(candidates.get(deb.name), deb.version, `apt-cache policy ${deb.name}`);
});

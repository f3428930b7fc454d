// OpenPGP key rotation across the families (issue 19, "Keys": "RPM-MD and pacman switch in one publish",
// "key files and install text show both fingerprints meanwhile"; "Key rotation": "after the overlap only the
// new key signs"), on both databases, with folder storage. A project publishes the example's deb, rpm (target
// el-9) and Arch packages; its OpenPGP key is rotated (14 days' overlap) and a publish adding nothing signs
// every root again. gpgv judges, each time holding one key only: the pacman `.db.sig` and the RPM-MD
// `repomd.xml.asc` verify with the new key and not with the old one, APT's InRelease carries two signatures
// and verifies with either key; the install text and install.json list both fingerprints. pacman -Sy (SigLevel
// Required) and dnf makecache (repo_gpgcheck=1), trusting the new key only, read the repository from its
// folder. After the overlap the next publish signs InRelease with the new key alone.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { folderStorage, readObject } from "@packyard/repo";
import { gpgv, gpgvKeyring, scratch } from "@packyard/testkit/keyrings";
import { makeRepoRoot } from "@packyard/testkit/pacman-repo";
import { makeKeyring } from "@packyard/testkit/pacman-root";
import { scratchDnf } from "@packyard/testkit/rpms";
import { needTool } from "@packyard/testkit/tools";
import { bearer, secretsNeverLeak } from "../app-harness.ts";
import { eachDb } from "../dbs.ts";
import { examplePackage, listAll, type RepoSetup, repoSetup, uploadArtifact } from "../repos-support.ts";

const DAY = 24 * 3600_000;
const PUBLIC_URL = "http://127.0.0.1:9";
const REPO = "repos/demo/main/";

interface Key {
  id: string;
  purpose: string;
  state: string;
  fingerprint: string;
}

async function openpgpKeys(s: RepoSetup): Promise<Key[]> {
  const r = await s.h.request({ method: "GET", url: `${s.base}/keys`, headers: bearer(s.viewer) });
  assert.equal(r.statusCode, 200, r.body);
  return (r.json() as Key[]).filter((k) => k.purpose === "openpgp");
}

async function armored(s: RepoSetup, id: string): Promise<string> {
  const r = await s.h.request({ method: "GET", url: `${s.base}/keys/${id}.asc` });
  assert.equal(r.statusCode, 200, r.body);
  return r.body;
}

/** gpgv's signatures in its status lines: the primary fingerprint of each good one, and how many in all (one NEWSIG each). */
function signatures(statusLines: string): { valid: string[]; count: number } {
  const valid = statusLines
    .split("\n")
    .filter((l) => l.startsWith("[GNUPG:] VALIDSIG "))
    .map((l) => l.split(" ")[11]!);
  const count = (statusLines.match(/^\[GNUPG:\] NEWSIG/gm) ?? []).length;
  return { valid, count };
}

/** Every 40-hex-digit fingerprint the text prints (grouped or not), uppercase. */
function printedFingerprints(text: string): string[] {
  const found = new Set<string>();
  for (const line of text.split("\n"))
    for (const m of line.replace(/\s+/g, "").matchAll(/(?<![0-9A-Fa-f])[0-9A-Fa-f]{40}(?![0-9A-Fa-f])/g))
      found.add(m[0].toUpperCase());
  return [...found].sort();
}

eachDb((_kind, fresh) => {
  test("rotation: pacman and RPM-MD switch to the new key in one publish, InRelease carries both until the overlap ends", async (t) => {
    if (!needTool(t, "gpg", "gpgv", "pacman", "pacman-key", "busybox", "dnf")) return;
    const dir = mkdtempSync(join(tmpdir(), "packyard-rotation-families-"));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const storageDir = join(dir, "storage");
    const s = await repoSetup(t, fresh, { publicUrl: PUBLIC_URL }, { storage: folderStorage(storageDir) });
    if (s === undefined) return;
    const sc = scratch("packyard-rotation-families-keys-");
    t.after(() => sc.dispose());
    // In the past (gpgv and the clients see no future dates), after the pool keys were made.
    s.h.clock.time = Date.now() - 60 * DAY;
    // The clock also moves while a publish runs: a publish that re-signs roots it has just written (the
    // server refreshes every root when the keys changed) waits for a Date later than the one it wrote.
    const ticking = setInterval(() => s.h.clock.advance(1000), 20);
    t.after(() => clearInterval(ticking));
    const publish = async (payload: object) => {
      s.h.clock.advance(60_000); // each Release Date later than the last
      const r = await s.h.request({
        method: "POST",
        url: `${s.base}/repository/publish`,
        headers: bearer(s.maintainer),
        payload,
      });
      assert.equal(r.statusCode, 200, r.body);
    };
    const settings = await s.h.request({
      method: "PUT",
      url: `${s.base}/repository`,
      headers: bearer(s.owner),
      payload: { rpm: { targets: ["el-9"] } },
    });
    assert.equal(settings.statusCode, 200, settings.body);
    await uploadArtifact(s, "1.0.0", await examplePackage("deb"));
    await uploadArtifact(s, "1.0.0", await examplePackage("rpm"));
    await uploadArtifact(s, "1.0.0", await examplePackage("archlinux"));
    await publish({ add: [{ package: "hello", version: "1.0.0" }] });

    const all = await listAll(s.h.storage, REPO);
    const dbSigs = all.filter((k) => k.endsWith(".db.sig"));
    const repomdSigs = all.filter((k) => k.endsWith("/repodata/repomd.xml.asc"));
    const inRelease = `${REPO}deb/dists/stable/InRelease`;
    assert.ok(dbSigs.length > 0 && repomdSigs.length > 0 && all.includes(inRelease), all.join("\n"));
    let files = 0;
    /** The published signature and the file it signs (none for InRelease), copied to the scratch folder. */
    const copy = async (key: string): Promise<string[]> => {
      const sig = sc.file(`${++files}-${key.split("/").pop()}`, (await readObject(s.h.storage, key))!);
      if (key === inRelease) return [sig];
      const signed = key.replace(/\.(sig|asc)$/, "");
      return [sig, sc.file(`${files}-${signed.split("/").pop()}`, (await readObject(s.h.storage, signed))!)];
    };
    /** gpgv of `key` (a published signature) holding only `ring`. */
    const judge = async (ring: string, key: string) => {
      const v = gpgv(ring, ...(await copy(key)));
      return { ...v, ...signatures(v.statusLines), said: `gpgv ${key}: exit ${v.status}\n${v.stderr}` };
    };

    const [old] = await openpgpKeys(s);
    assert.ok(old !== undefined && old.state === "active");
    const oldRing = gpgvKeyring(sc, "old", await armored(s, old.id));
    // Before the rotation the old key signs everything (so its refusals below mean something).
    for (const key of [...dbSigs, ...repomdSigs, inRelease]) {
      const v = await judge(oldRing, key);
      assert.equal(v.status, 0, v.said);
      assert.deepEqual(v.valid, [old.fingerprint.toUpperCase()], v.said);
    }

    const rotate = await s.h.request({
      method: "POST",
      url: `${s.base}/keys/rotate`,
      headers: bearer(s.owner),
      payload: { purpose: "openpgp" },
    });
    assert.equal(rotate.statusCode, 200, rotate.body);
    const rotated = await openpgpKeys(s);
    const next = rotated.find((k) => k.state === "active")!;
    assert.equal(rotated.find((k) => k.id === old.id)?.state, "retiring", JSON.stringify(rotated));
    assert.notEqual(next.fingerprint, old.fingerprint);
    const newArmored = await armored(s, next.id);
    const newRing = gpgvKeyring(sc, "new", newArmored);
    const fingerprints = { old: old.fingerprint.toUpperCase(), new: next.fingerprint.toUpperCase() };
    await publish({});

    // (a) pacman and RPM-MD switched: the new key alone signs; the old key no longer verifies.
    for (const key of [...dbSigs, ...repomdSigs]) {
      const withNew = await judge(newRing, key);
      assert.equal(withNew.status, 0, withNew.said);
      assert.deepEqual(withNew.valid, [fingerprints.new], withNew.said);
      assert.equal(withNew.count, 1, `one signature: ${withNew.statusLines}`);
      const withOld = await judge(oldRing, key);
      assert.notEqual(withOld.status, 0, `the old key still verifies ${key}: ${withOld.said}`);
    }
    // APT during the overlap: two signatures, either key alone verifies one of them.
    for (const [ring, fingerprint] of [
      [oldRing, fingerprints.old],
      [newRing, fingerprints.new],
    ] as const) {
      const v = await judge(ring, inRelease);
      assert.deepEqual(v.valid, [fingerprint], v.said);
      assert.equal(v.count, 2, `two signatures on InRelease: ${v.statusLines}`);
      assert.doesNotMatch(v.statusLines, /^\[GNUPG:\] BADSIG /m, v.statusLines);
    }

    // (b) The install text and install.json show both fingerprints.
    const text = await s.h.request({ method: "GET", url: `${s.base}/repository/install?format=text` });
    assert.equal(text.statusCode, 200, text.body);
    assert.deepEqual(printedFingerprints(text.body), [fingerprints.old, fingerprints.new].sort(), text.body);
    const doc = JSON.parse(
      new TextDecoder().decode((await readObject(s.h.storage, `${REPO}install.json`))!),
    ) as {
      keys: { openpgp?: { fingerprints: string[] } };
    };
    assert.deepEqual(
      [...(doc.keys.openpgp?.fingerprints ?? [])].sort(),
      [fingerprints.old, fingerprints.new].sort(),
      "install.json lists both fingerprints",
    );

    // pacman and dnf trusting the new key only read the repository from its folder.
    const repoDir = join(storageDir, REPO);
    const gpgdir = makeKeyring(join(dir, "pacman"), newArmored, fingerprints.new);
    const pacman = makeRepoRoot(gpgdir, [
      { repo: "demo", servers: [`file://${repoDir}archlinux/$repo/os/$arch`], sigLevel: "Required" },
    ]);
    t.after(() => rmSync(pacman.root, { recursive: true, force: true }));
    const sync = await pacman.pacman(["-Sy"]);
    assert.equal(sync.status, 0, `pacman -Sy with the new key only: ${sync.stdout}\n${sync.stderr}`);
    const search = await pacman.pacman(["-Ss", "hello"]);
    assert.match(search.stdout, /^demo\/hello-packyard /m, search.stdout + search.stderr);
    const repoText = new TextDecoder()
      .decode((await readObject(s.h.storage, `${REPO}rpm/el/9/demo.repo`))!)
      .replaceAll(`${PUBLIC_URL}/r/demo/main/`, `file://${repoDir}`)
      .replace(/^gpgkey=.*$/m, `gpgkey=file://${sc.file("new.asc", newArmored)}`);
    assert.match(repoText, /^repo_gpgcheck=1$/m, repoText);
    const dnf = scratchDnf(dir, repoText);
    t.after(() => dnf.dispose());
    const cache = await dnf.dnf(["makecache"]);
    assert.equal(cache.code, 0, `dnf makecache with the new key only: ${cache.stdout}\n${cache.stderr}`);

    // (c) After the overlap (14 days by default) the next publish signs InRelease with the new key alone.
    s.h.clock.advance(15 * DAY);
    await publish({});
    const withNew = await judge(newRing, inRelease);
    assert.equal(withNew.status, 0, withNew.said);
    assert.deepEqual(withNew.valid, [fingerprints.new], withNew.said);
    assert.equal(withNew.count, 1, `one signature after the overlap: ${withNew.statusLines}`);
    const withOld = await judge(oldRing, inRelease);
    assert.notEqual(
      withOld.status,
      0,
      `the old key still verifies InRelease after the overlap: ${withOld.said}`,
    );
    const after = await s.h.request({ method: "GET", url: `${s.base}/repository/install?format=text` });
    assert.deepEqual(printedFingerprints(after.body), [fingerprints.new], after.body);
  });
});

secretsNeverLeak();

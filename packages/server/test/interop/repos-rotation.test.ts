// Key rotation (issue 19, "Key rotation"), on both databases: a repository published with the project's
// OpenPGP key; the key rotated through the keys API (14 days' overlap); the next publish signs every root
// again, InRelease with both keys, so apt holding only the old key and apt holding only the new key both
// update without warnings; after the overlap the next publish signs with the new key alone (gpgv: the old
// keyring no longer verifies InRelease, the new one does).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { prefixStorage, readObject } from "@packyard/repo";
import { scratchApt } from "@packyard/testkit/apt";
import { gpgv, gpgvKeyring, scratch } from "@packyard/testkit/keyrings";
import { needTool } from "@packyard/testkit/tools";
import { bearer, secretsNeverLeak } from "../app-harness.ts";
import { eachDb } from "../dbs.ts";
import { examplePackage, type RepoSetup, repoSetup, uploadArtifact } from "../repos-support.ts";

const DAY = 24 * 3600_000;

interface Key {
  id: string;
  purpose: string;
  state: string;
  fingerprint: string;
}

async function keys(s: RepoSetup): Promise<Key[]> {
  const r = await s.h.request({ method: "GET", url: `${s.base}/keys`, headers: bearer(s.viewer) });
  assert.equal(r.statusCode, 200, r.body);
  return r.json() as Key[];
}

async function armored(s: RepoSetup, id: string): Promise<string> {
  const r = await s.h.request({ method: "GET", url: `${s.base}/keys/${id}.asc` });
  assert.equal(r.statusCode, 200, r.body);
  return r.body;
}

eachDb((_kind, fresh) => {
  test("rotation: during the overlap apt with the old key alone and with the new key alone update cleanly; after it only the new key signs", async (t) => {
    if (!needTool(t, "apt-get", "apt-cache", "gpg", "gpgv")) return;
    const s = await repoSetup(t, fresh, { publicUrl: "http://127.0.0.1:9" });
    if (s === undefined) return;
    // Dates stay in the past for apt and gpgv; the clock moves while publishes run (each Release Date must
    // be later than the last one).
    s.h.clock.time = Date.now() - 60 * DAY;
    const ticking = setInterval(() => s.h.clock.advance(1000), 20);
    t.after(() => clearInterval(ticking));
    const publish = async (payload: object) => {
      const r = await s.h.request({
        method: "POST",
        url: `${s.base}/repository/publish`,
        headers: bearer(s.maintainer),
        payload,
      });
      assert.equal(r.statusCode, 200, r.body);
    };
    await uploadArtifact(s, "1.0.0", await examplePackage("deb", { scripts: {} }));
    await publish({ add: [{ package: "hello", version: "1.0.0" }] });
    const old = (await keys(s)).find((k) => k.purpose === "openpgp" && k.state === "active")!;
    const oldKey = await armored(s, old.id);

    const rotate = await s.h.request({
      method: "POST",
      url: `${s.base}/keys/rotate`,
      headers: bearer(s.owner),
      payload: { purpose: "openpgp", overlapDays: 14 },
    });
    assert.equal(rotate.statusCode, 200, rotate.body);
    const after = await keys(s);
    const next = after.find((k) => k.purpose === "openpgp" && k.state === "active")!;
    assert.notEqual(next.fingerprint, old.fingerprint);
    assert.equal(after.find((k) => k.id === old.id)?.state, "retiring");
    const newKey = await armored(s, next.id);
    // A publish adding nothing: the keys changed, so the roots are signed again by both.
    await publish({});

    const view = prefixStorage(s.h.storage, "repos/demo/main/");
    const dir = mkdtempSync(join(tmpdir(), "packyard-rotation-"));
    chmodSync(dir, 0o755); // apt's methods drop to _apt, which must read the key files
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    // apt reads a file: repository from a copy of the published suite (the app does not listen here).
    const repoDir = join(dir, "repo");
    const copy = async () => {
      rmSync(repoDir, { recursive: true, force: true });
      let cursor: string | undefined;
      do {
        const page = await view.list("deb/", cursor === undefined ? {} : { cursor });
        for (const o of page.objects) {
          const file = join(repoDir, o.key);
          mkdirSync(join(file, ".."), { recursive: true });
          writeFileSync(file, (await readObject(view, o.key))!);
        }
        cursor = page.cursor;
      } while (cursor !== undefined);
      execFileSync("chmod", ["-R", "a+rX", repoDir]);
    };
    await copy();
    for (const [name, key] of [
      ["old", oldKey],
      ["new", newKey],
    ] as const) {
      const keyFile = join(dir, `${name}.asc`);
      writeFileSync(keyFile, key);
      chmodSync(keyFile, 0o644);
      const apt = scratchApt({ sources: { uri: `file:${repoDir}/deb`, signedBy: keyFile } });
      t.after(() => apt.dispose());
      const r = await apt.update();
      const all = `apt with the ${name} key only: exit ${r.code}\n${r.stdout}\n${r.stderr}`;
      assert.equal(r.code, 0, all);
      assert.deepEqual([...r.warnings, ...r.errors, ...r.failed], [], all);
      assert.equal((await apt.policy("hello-packyard")).candidate, "1.0.0-1", all);
    }

    // After the overlap: the next publish signs with the new key only.
    s.h.clock.advance(15 * DAY);
    await publish({});
    const sc = scratch();
    t.after(() => sc.dispose());
    const inRelease = sc.file("InRelease", (await readObject(view, "deb/dists/stable/InRelease"))!);
    const withNew = gpgv(gpgvKeyring(sc, "new", newKey), inRelease);
    assert.equal(withNew.status, 0, withNew.stderr);
    const withOld = gpgv(gpgvKeyring(sc, "old", oldKey), inRelease);
    assert.notEqual(
      withOld.status,
      0,
      `the old key still verifies InRelease after the overlap:\n${withOld.stderr}`,
    );
    assert.equal(
      (withNew.statusLines.match(/^\[GNUPG:\] (GOOD|ERR)SIG/gm) ?? []).length +
        (withNew.statusLines.match(/^\[GNUPG:\] NO_PUBKEY/gm) ?? []).length,
      1,
      `expected one signature on InRelease:\n${withNew.statusLines}`,
    );
  });
});

secretsNeverLeak();

// An uploaded key signs a real publish (issue 19, "Uploaded key"), on both databases: gpg makes an RSA-4096
// key with a passphrase (`gpg --batch --quick-gen-key … rsa4096 sign`), it is uploaded with its passphrase
// through POST …/keys (overlap 0: it alone signs), the example's .deb is uploaded and published through the
// API; gpgv, holding only the public key gpg exports, verifies the published InRelease and Release.gpg
// (over Release), each signed once, by gpg's key; the install text names gpg's fingerprint.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { readObject } from "@packyard/repo";
import { gpgv, gpgvKeyring } from "@packyard/testkit/keyrings";
import { needTool, run } from "@packyard/testkit/tools";
import { bearer, secret, secretsNeverLeak } from "../app-harness.ts";
import { eachDb } from "../dbs.ts";
import { disposeGpgKeys, gpgKey as makeGpgKey } from "./gpg-key.ts";
import { examplePackage, repoSetup, uploadArtifact } from "../repos-support.ts";

const PASSPHRASE = secret("uploaded publish passphrase 3c9e");
const UID = "Uploaded Signer <uploaded@example.org>";

const gpgKey = () => makeGpgKey(UID, PASSPHRASE);

eachDb((kind, fresh) => {
  test("a passphrase-protected gpg RSA-4096 key uploaded through the API signs a publish; gpgv accepts InRelease and Release.gpg", async (t) => {
    if (!needTool(t, "gpg", "gpgv")) return;
    const key = await gpgKey();
    const s = await repoSetup(t, fresh, { publicUrl: "http://127.0.0.1:9" });
    if (s === undefined) return;
    // The key was made now, by the real clock: signatures must not predate it.
    s.h.clock.time = Date.now() + 60_000;
    const upload = await s.h.request({
      method: "POST",
      url: `${s.base}/keys`,
      headers: bearer(s.owner),
      payload: { purpose: "openpgp", key: key.secretArmored, passphrase: PASSPHRASE, overlapDays: 0 },
    });
    assert.equal(upload.statusCode, 201, upload.body);

    await uploadArtifact(s, "1.0.0", await examplePackage("deb"));
    s.h.clock.advance(60_000);
    const pub = await s.h.request({
      method: "POST",
      url: `${s.base}/repository/publish`,
      headers: bearer(s.maintainer),
      payload: { add: [{ package: "hello", version: "1.0.0" }] },
    });
    assert.equal(pub.statusCode, 200, pub.body);

    const suite = "repos/demo/main/deb/dists/stable/";
    const file = async (name: string) => {
      const bytes = await readObject(s.h.storage, `${suite}${name}`);
      assert.ok(bytes !== undefined, `${suite}${name} is published`);
      return key.s.file(`${kind}-${name}`, bytes);
    };
    const files = {
      inRelease: await file("InRelease"),
      releaseGpg: await file("Release.gpg"),
      release: await file("Release"),
    };
    const ring = gpgvKeyring(`${key.s.dir}`, `exported-${kind}`, key.publicArmored);
    for (const args of [[files.inRelease], [files.releaseGpg, files.release]]) {
      const v = gpgv(ring, ...args);
      assert.equal(v.status, 0, `gpgv ${args.join(" ")}: ${v.stderr}`);
      const signatures = v.statusLines.match(/^\[GNUPG:\] (GOOD|BAD|ERR|EXP|EXPKEY|REVKEY)SIG /gm) ?? [];
      assert.equal(signatures.length, 1, `one signature, by the uploaded key alone:\n${v.statusLines}`);
      const valid = v.statusLines.split("\n").filter((l) => l.startsWith("[GNUPG:] VALIDSIG "));
      assert.equal(valid.length, 1, v.statusLines);
      assert.equal(valid[0]!.split(" ")[11], key.fingerprint, "signed by gpg's key (primary fingerprint)");
    }
    // The check is real: Release.gpg refuses another text.
    const other = key.s.file(`${kind}-Release-other`, `${run("cat", [files.release])}X`);
    assert.notEqual(gpgv(ring, files.releaseGpg, other).status, 0, "Release.gpg verified a changed Release");

    // The install text (and install.json, which it is rendered from) name gpg's fingerprint, and no other.
    const install = await s.h.request({ method: "GET", url: `${s.base}/repository/install?format=text` });
    assert.equal(install.statusCode, 200, install.body);
    const shown = [...install.body.matchAll(/^Key fingerprints?[^:\n]*:(.*)$/gm)];
    assert.ok(shown.length > 0, install.body);
    const printed = new Set<string>();
    for (const line of install.body.split("\n")) {
      const compact = line.replace(/\s+/g, "");
      for (const m of compact.matchAll(/(?<![0-9A-F])[0-9A-F]{40}(?![0-9A-F])/g)) printed.add(m[0]);
    }
    assert.deepEqual([...printed], [key.fingerprint], `the install text's fingerprint:\n${install.body}`);
    const doc = JSON.parse(
      new TextDecoder().decode((await readObject(s.h.storage, "repos/demo/main/install.json"))!),
    ) as { keys: { openpgp?: { fingerprints: string[] } } };
    assert.deepEqual(
      doc.keys.openpgp?.fingerprints,
      [key.fingerprint],
      "install.json names gpg's fingerprint",
    );
  });
});

after(disposeGpgKeys);

secretsNeverLeak();

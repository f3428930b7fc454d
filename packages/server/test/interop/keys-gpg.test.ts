// An OpenPGP key made by gpg (RSA-4096, passphrase-protected, `gpg --quick-gen-key … rsa4096 sign`) is uploaded
// to a project with its passphrase; the project's signers then sign a Release text as InRelease and
// Release.gpg with @packyard/repo's signRelease, and gpgv, holding only gpg's exported public key, accepts
// both. The fingerprint the API lists is the one gpg prints. On PGlite and PostgreSQL.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, test } from "node:test";
import { signRelease } from "@packyard/repo";
import { gpgv, gpgvKeyring } from "@packyard/testkit/keyrings";
import { needTool } from "@packyard/testkit/tools";
import { projectSigners } from "../../src/keys/project-keys.ts";
import { bearer, harness, secret, secretsNeverLeak, TEST_MASTER_KEY } from "../app-harness.ts";
import { eachDb } from "../dbs.ts";
import { disposeGpgKeys, gpgKey as makeGpgKey } from "./gpg-key.ts";

const PASSPHRASE = secret("interop passphrase 7f3a");

const gpgKey = () => makeGpgKey("Interop Signer <interop@example.org>", PASSPHRASE);

const RELEASE = `Origin: interop
Label: interop
Suite: stable
Codename: stable
Architectures: amd64
Components: main
SHA256:
 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 0 main/binary-amd64/Packages
`;

eachDb((kind, fresh) => {
  test("a gpg RSA-4096 key with a passphrase is uploaded, signs InRelease and Release.gpg, gpgv accepts both", async (t) => {
    if (!needTool(t, "gpg", "gpgv")) return;
    const key = await gpgKey();
    const h = await harness(t, fresh);
    if (h === undefined) return;
    // The key was made now, by the real clock; signatures must not predate it.
    h.clock.time = Date.now() + 60_000;
    const owner = await h.user("owner");
    const { token } = await h.token(owner, ["read", "write", "keys"]);
    const created = await h.request({
      method: "POST",
      url: "/api/v1/projects",
      headers: bearer(token),
      payload: { slug: "interop" },
    });
    assert.equal(created.statusCode, 201, created.body);
    const projectId = created.json().id as number;
    const r = await h.request({
      method: "POST",
      url: "/api/v1/projects/interop/keys",
      headers: bearer(token),
      payload: { purpose: "openpgp", key: key.secretArmored, passphrase: PASSPHRASE, overlapDays: 0 },
    });
    assert.equal(r.statusCode, 201, r.body);
    const list = (
      await h.request({ method: "GET", url: "/api/v1/projects/interop/keys", headers: bearer(token) })
    ).json() as { purpose: string; state: string; fingerprint: string; algorithm: string }[];
    const active = list.find((k) => k.purpose === "openpgp" && k.state === "active")!;
    assert.equal(active.fingerprint, key.fingerprint.toLowerCase(), "the API lists gpg's fingerprint");
    assert.equal(active.algorithm, "rsa4096");

    const signers = await projectSigners(h.db, TEST_MASTER_KEY, projectId, h.clock.now());
    assert.deepEqual(
      signers.openpgp.map((s) => s.primaryFingerprint),
      [key.fingerprint],
      "only the uploaded key signs (overlap 0)",
    );
    const signed = await signRelease(RELEASE, signers.openpgp, h.clock.now());
    const dir = key.s.dir;
    const files = {
      release: key.s.file(`Release-${kind}`, RELEASE),
      inRelease: key.s.file(`InRelease-${kind}`, signed.inRelease),
      releaseGpg: key.s.file(`Release-${kind}.gpg`, signed.releaseGpg),
    };
    const ring = gpgvKeyring(join(dir, `ring-${kind}`), "gpg-exported", key.publicArmored);
    for (const args of [[files.inRelease], [files.releaseGpg, files.release]]) {
      const v = gpgv(ring, ...args);
      assert.equal(v.status, 0, `gpgv ${args.join(" ")}: ${v.stderr}`);
      const valid = v.statusLines.split("\n").filter((l) => l.startsWith("[GNUPG:] VALIDSIG "));
      assert.equal(valid.length, 1, v.statusLines);
      assert.equal(valid[0]!.split(" ")[11], key.fingerprint, "signed by gpg's key (primary fingerprint)");
    }
    // A changed byte of the signed text is refused: the check is real.
    const tampered = key.s.file(`Release-${kind}-tampered`, RELEASE.replace("stable", "stablE"));
    assert.notEqual(gpgv(ring, files.releaseGpg, tampered).status, 0);
  });
});

after(disposeGpgKeys);

secretsNeverLeak();

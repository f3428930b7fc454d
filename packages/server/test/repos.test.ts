// Hosted repositories over the API (issue 19 item 8), on PGlite and PostgreSQL: settings (defaults, roles,
// validation, private flag), publishing the example's deb, rpm and Arch packages from a release into
// repos/demo/main/ (checked by @packyard/repo's verifyRepository with the project's public key from the keys
// API), the identity lock (409 REPO_IDENTITY_LOCKED), retention, removal, errors, and the publish record.
import assert from "node:assert/strict";
import { test } from "node:test";
import { prefixStorage, readObject, readOwner, readRepository, verifyRepository } from "@packyard/repo";
import { reindexRepositories } from "../src/repos/reindex.ts";
import { bearer, errorOf, secretsNeverLeak } from "./app-harness.ts";
import { eachDb } from "./dbs.ts";
import { examplePackage, listAll, projectPublicKey, repoSetup, uploadArtifact } from "./repos-support.ts";

eachDb((_kind, fresh) => {
  test("settings: defaults before the first PUT; viewers read, owners write; validation; private flag; audited", async (t) => {
    const s = await repoSetup(t, fresh, { publicUrl: "https://pkg.example.org/" });
    if (s === undefined) return;
    const url = `${s.base}/repository`;
    const before = await s.h.request({ method: "GET", url, headers: bearer(s.viewer) });
    assert.equal(before.statusCode, 200, before.body);
    assert.deepEqual(before.json(), {
      name: "main",
      private: false,
      settings: {},
      url: "https://pkg.example.org/r/demo/main",
      createdAt: null,
      updatedAt: null,
      lastPublish: null,
    });
    const settings = {
      apt: { suite: "stable", origin: "Demo", label: "Demo packages", components: ["main"] },
      rpm: { targets: ["el-9"] },
      archlinux: { repo: "demo" },
      keep: 3,
    };
    for (const token of [s.viewer, s.maintainer]) {
      const r = await s.h.request({ method: "PUT", url, headers: bearer(token), payload: settings });
      assert.equal(r.statusCode, 403, r.body);
      assert.equal(errorOf(r).code, "FORBIDDEN");
    }
    const put = await s.h.request({
      method: "PUT",
      url,
      headers: bearer(s.owner),
      payload: { ...settings, private: true },
    });
    assert.equal(put.statusCode, 200, put.body);
    const shown = put.json() as Record<string, unknown>;
    assert.deepEqual(shown.settings, settings);
    assert.equal(shown.private, true);
    assert.equal(typeof shown.createdAt, "string");
    const again = await s.h.request({ method: "GET", url, headers: bearer(s.viewer) });
    assert.deepEqual(again.json(), shown);
    const { rows } = await s.h.db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM audit_events WHERE action = 'repository.settings'",
    );
    assert.equal(rows[0]!.n, 1);

    // Refusals: schema (unknown field, bad suite, keep 0), unknown target, a target of another family.
    const bad: [unknown, string, RegExp][] = [
      [{ apt: { suite: "stable", colour: "red" } }, "INVALID_REQUEST", /colour|additional/],
      [{ apt: { suite: "../up" } }, "INVALID_REQUEST", /suite|pattern/],
      [{ keep: 0 }, "INVALID_REQUEST", /keep|>= 1/],
      // The catalogue's own refusal (an unknown target) is the library's: 422 with its code.
      [{ rpm: { targets: ["el-99"] } }, "REPO_REFUSED", /el-99/],
      [{ alpine: { targets: ["el-9"] } }, "INVALID_REQUEST", /alpine\.targets.*el-9/],
    ];
    for (const [payload, code, message] of bad) {
      const r = await s.h.request({
        method: "PUT",
        url,
        headers: bearer(s.owner),
        payload: payload as object,
      });
      assert.equal(
        r.statusCode,
        code === "REPO_REFUSED" ? 422 : 400,
        `${JSON.stringify(payload)}: ${r.body}`,
      );
      const e = errorOf(r);
      assert.equal(e.code, code);
      assert.match(`${e.message} ${JSON.stringify(e.details)}`, message);
    }
    // Nothing of the refused PUTs was stored.
    assert.deepEqual((await s.h.request({ method: "GET", url, headers: bearer(s.viewer) })).json(), shown);
  });

  test("publish: the example's deb, rpm and Arch packages from a release; the repository verifies with the project key", async (t) => {
    const s = await repoSetup(t, fresh, { publicUrl: "http://127.0.0.1:9/" });
    if (s === undefined) return;
    for (const format of ["deb", "rpm", "archlinux"] as const)
      await uploadArtifact(s, "1.0.0", await examplePackage(format));
    const put = await s.h.request({
      method: "PUT",
      url: `${s.base}/repository`,
      headers: bearer(s.owner),
      payload: { apt: { suite: "stable", origin: "Demo", label: "Demo" }, rpm: { targets: ["el-9"] } },
    });
    assert.equal(put.statusCode, 200, put.body);
    // A viewer may not publish; a token without the publish scope may not either.
    const viewer = await s.h.request({
      method: "POST",
      url: `${s.base}/repository/publish`,
      headers: bearer(s.viewer),
      payload: { add: [{ package: "hello", version: "1.0.0" }] },
    });
    assert.equal(viewer.statusCode, 403, viewer.body);
    const r = await s.h.request({
      method: "POST",
      url: `${s.base}/repository/publish`,
      headers: bearer(s.maintainer),
      payload: { add: [{ package: "hello", version: "1.0.0" }] },
    });
    assert.equal(r.statusCode, 200, r.body);
    const result = r.json() as {
      added: { name: string; root: string }[];
      roots: string[];
      warnings: unknown[];
      changedKeys: string[];
    };
    assert.deepEqual(result.roots.slice().sort(), [
      "archlinux/demo/os/x86_64",
      "deb/stable",
      "rpm/el/9/x86_64",
    ]);
    assert.deepEqual(result.added.map((a) => `${a.name} ${a.root}`).sort(), [
      "hello-packyard archlinux/demo/os/x86_64",
      "hello-packyard deb/stable",
      "hello-packyard rpm/el/9/x86_64",
    ]);
    assert.deepEqual(result.warnings, []);

    // Everything landed under repos/demo/main/; the server's own objects are blobs and nothing else.
    const all = await listAll(s.h.storage);
    const outside = all.filter((k) => !k.startsWith("repos/demo/main/") && !k.startsWith("blobs/sha256/"));
    assert.deepEqual(outside, []);
    const view = prefixStorage(s.h.storage, "repos/demo/main/");
    assert.ok((await listAll(view)).includes("deb/dists/stable/InRelease"));
    // Marked as the server's: a CLI publish pointed at this prefix is refused (REPO_OWNED_BY_SERVER).
    assert.deepEqual(await readOwner(view), { kind: "server", url: "http://127.0.0.1:9/" });
    // verifyRepository with the public key from the keys API (not from the repository itself).
    const publicKey = await projectPublicKey(s);
    assert.deepEqual(await verifyRepository(view, { publicKeys: [publicKey], strict: true }), []);
    // The install files point at the repository's URL.
    const installJson = new TextDecoder().decode(await readObject(view, "install.json"));
    assert.match(installJson, /http:\/\/127\.0\.0\.1:9\/r\/demo\/main/);

    // The publish is recorded in the row and audited.
    const shown = (
      await s.h.request({ method: "GET", url: `${s.base}/repository`, headers: bearer(s.viewer) })
    ).json() as { lastPublish: { added: number; roots: string[] } };
    assert.equal(shown.lastPublish.added, 3);
    assert.deepEqual(shown.lastPublish.roots.slice().sort(), result.roots.slice().sort());
    const { rows } = await s.h.db.query<{ details: { added: number } }>(
      "SELECT details FROM audit_events WHERE action = 'repository.publish'",
    );
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.details.added, 3);

    // Publishing the same release again changes nothing.
    const again = await s.h.request({
      method: "POST",
      url: `${s.base}/repository/publish`,
      headers: bearer(s.maintainer),
      payload: { add: [{ package: "hello", version: "1.0.0" }] },
    });
    assert.equal(again.statusCode, 200, again.body);
    assert.deepEqual((again.json() as { added: unknown[] }).added, []);
    assert.equal((again.json() as { unchanged: unknown[] }).unchanged.length, 3);
  });

  test("identity lock: Origin, Label, Codename of a published suite cannot change (409); other settings can", async (t) => {
    const s = await repoSetup(t, fresh);
    if (s === undefined) return;
    await uploadArtifact(s, "1.0.0", await examplePackage("deb"));
    const url = `${s.base}/repository`;
    const apt = { suite: "stable", origin: "Demo", label: "Demo" };
    assert.equal(
      (await s.h.request({ method: "PUT", url, headers: bearer(s.owner), payload: { apt } })).statusCode,
      200,
    );
    // Before the first publish the identity is free to change.
    const early = await s.h.request({
      method: "PUT",
      url,
      headers: bearer(s.owner),
      payload: { apt: { ...apt, origin: "Demo Inc" } },
    });
    assert.equal(early.statusCode, 200, early.body);
    const pub = await s.h.request({
      method: "POST",
      url: `${url}/publish`,
      headers: bearer(s.maintainer),
      payload: { add: [{ package: "hello", version: "1.0.0" }] },
    });
    assert.equal(pub.statusCode, 200, pub.body);
    const state = await readRepository(prefixStorage(s.h.storage, "repos/demo/main/"));
    assert.equal(state.find((r) => r.root === "deb/stable")?.apt?.origin, "Demo Inc");
    for (const change of [{ origin: "Other" }, { label: "Other" }, { codename: "other" }]) {
      const r = await s.h.request({
        method: "PUT",
        url,
        headers: bearer(s.owner),
        payload: { apt: { ...apt, origin: "Demo Inc", ...change } },
      });
      assert.equal(r.statusCode, 409, `${JSON.stringify(change)}: ${r.body}`);
      const e = errorOf(r);
      assert.equal(e.code, "REPO_IDENTITY_LOCKED");
      assert.match(e.message, new RegExp(Object.keys(change)[0]!));
    }
    // Same identity, other lists: allowed; a new suite: allowed.
    for (const payload of [
      { apt: { ...apt, origin: "Demo Inc", architectures: ["amd64", "arm64"] } },
      { apt: { suite: "testing", origin: "Anything" } },
    ]) {
      const r = await s.h.request({ method: "PUT", url, headers: bearer(s.owner), payload });
      assert.equal(r.statusCode, 200, r.body);
    }
  });

  test("retention, removal and refusals: keep 1 drops the older version; remove by selector; unknown release 404", async (t) => {
    const s = await repoSetup(t, fresh);
    if (s === undefined) return;
    const url = `${s.base}/repository/publish`;
    // The test clock stands still; a publish's Release Date must be later than the last one's.
    const post = (payload: object) => {
      s.h.clock.advance(60_000);
      return s.h.request({ method: "POST", url, headers: bearer(s.maintainer), payload });
    };
    await uploadArtifact(s, "1.0.0", await examplePackage("deb"));
    assert.equal((await post({ add: [{ package: "hello", version: "1.0.0" }] })).statusCode, 200);
    await uploadArtifact(
      s,
      "1.0.1",
      await examplePackage("deb", { version: { upstream: "1.0.1", release: "1" } }),
    );
    const kept = await post({ add: [{ package: "hello", version: "1.0.1" }], keep: 1 });
    assert.equal(kept.statusCode, 200, kept.body);
    const k = kept.json() as { added: { version: string }[]; removed: { version: string }[] };
    assert.deepEqual(
      k.added.map((a) => a.version),
      ["1.0.1-1"],
    );
    assert.deepEqual(
      k.removed.map((a) => a.version),
      ["1.0.0-1"],
    );
    const view = prefixStorage(s.h.storage, "repos/demo/main/");
    const versions = async () =>
      (await readRepository(view)).flatMap((r) => r.packages.map((p) => `${p.name} ${p.version}`));
    assert.deepEqual(await versions(), ["hello-packyard 1.0.1-1"]);

    // Removal by selector.
    const removed = await post({ remove: [{ name: "hello-packyard", family: "deb" }] });
    assert.equal(removed.statusCode, 200, removed.body);
    assert.deepEqual(await versions(), []);

    // A release that does not exist, or has no packages.
    const missing = await post({ add: [{ package: "hello", version: "9.9.9" }] });
    assert.equal(missing.statusCode, 404, missing.body);
    assert.equal(errorOf(missing).code, "NOT_FOUND");

    // An rpm with no RPM-MD target set for the repository: the library's refusal, as 422 with its code.
    await uploadArtifact(s, "2.0.0", await examplePackage("rpm"));
    const refused = await post({ add: [{ package: "hello", version: "2.0.0" }] });
    assert.equal(refused.statusCode, 422, refused.body);
    const e = errorOf(refused);
    assert.equal(e.code, "REPO_REFUSED");
    assert.equal(typeof e.details.repoCode, "string");
  });

  test("a private repository's install files carry the credential step and point at the server, never at --repo-base-url", async (t) => {
    const s = await repoSetup(t, fresh, {
      publicUrl: "https://packyard.example.org",
      repoBaseUrl: "https://cdn.example.org/bucket",
    });
    if (s === undefined) return;
    const put = await s.h.request({
      method: "PUT",
      url: `${s.base}/repository`,
      headers: bearer(s.owner),
      payload: { private: true },
    });
    assert.equal(put.statusCode, 200, put.body);
    await uploadArtifact(s, "1.0.0", await examplePackage("deb"));
    s.h.clock.advance(60_000);
    const r = await s.h.request({
      method: "POST",
      url: `${s.base}/repository/publish`,
      headers: bearer(s.maintainer),
      payload: { add: [{ package: "hello", version: "1.0.0" }] },
    });
    assert.equal(r.statusCode, 200, r.body);
    const bytes = await readObject(s.h.storage, "repos/demo/main/install.json");
    assert.ok(bytes !== undefined);
    const doc = JSON.parse(new TextDecoder().decode(bytes)) as {
      baseUrl: string;
      private?: { username: string; token: string };
      targets: { id: string; steps: { command: string }[] }[];
    };
    assert.equal(doc.baseUrl, "https://packyard.example.org/r/demo/main");
    assert.deepEqual(doc.private, { username: "demo", token: "<READ_TOKEN>" });
    const debian = doc.targets.find((x) => x.id === "debian-12");
    assert.ok(debian !== undefined);
    const steps = debian.steps.map((x) => x.command).join("\n");
    assert.match(steps, /\/etc\/apt\/auth\.conf\.d\//);
    assert.match(steps, /<READ_TOKEN>/);
    assert.doesNotMatch(steps, /cdn\.example\.org/);
  });

  test("reindex: the repositories rows are rebuilt from the states in storage", async (t) => {
    const s = await repoSetup(t, fresh);
    if (s === undefined) return;
    for (const format of ["deb", "rpm"] as const)
      await uploadArtifact(s, "1.0.0", await examplePackage(format));
    const put = await s.h.request({
      method: "PUT",
      url: `${s.base}/repository`,
      headers: bearer(s.owner),
      payload: {
        apt: { suite: "stable", origin: "Demo", label: "Demo" },
        rpm: { targets: ["el-9"] },
        keep: 2,
      },
    });
    assert.equal(put.statusCode, 200, put.body);
    const pub = await s.h.request({
      method: "POST",
      url: `${s.base}/repository/publish`,
      headers: bearer(s.maintainer),
      payload: { add: [{ package: "hello", version: "1.0.0" }] },
    });
    assert.equal(pub.statusCode, 200, pub.body);
    // A repository folder of a project the database does not know.
    await s.h.storage.put("repos/ghost/main/.packyard/roots/deb/stable.json", new TextEncoder().encode("{}"));
    // The row lost: settings and the publish record are rebuilt from the states.
    await s.h.db.query("DELETE FROM repositories");
    const result = await reindexRepositories(s.h.db, s.h.storage, s.h.clock.now());
    assert.deepEqual(result.orphans, ["ghost/main"]);
    assert.deepEqual(
      result.repositories.map((r) => [r.project, r.name, r.roots.slice().sort(), r.packages]),
      [["demo", "main", ["deb/stable", "rpm/el/9/x86_64"], 2]],
    );
    const shown = (
      await s.h.request({ method: "GET", url: `${s.base}/repository`, headers: bearer(s.viewer) })
    ).json() as { settings: Record<string, unknown>; lastPublish: { roots: string[] } };
    assert.deepEqual(shown.settings, {
      apt: {
        suite: "stable",
        codename: "stable",
        components: ["main"],
        architectures: ["amd64"],
        origin: "Demo",
        label: "Demo",
      },
      rpm: { targets: ["el-9"], architectures: ["x86_64"] },
    });
    assert.deepEqual(shown.lastPublish.roots.slice().sort(), ["deb/stable", "rpm/el/9/x86_64"]);
  });
});

secretsNeverLeak();

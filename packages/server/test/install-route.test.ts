// GET /api/v1/projects/:project/repository/install: the published install.json rendered by @packyard/repo
// (text for every target or one, or one target's steps as a sh script); 404 for a private repository, an
// unknown project, a repository never published and a target it does not serve. Both databases.
import assert from "node:assert/strict";
import { test } from "node:test";
import { loadOpenPGPSigner } from "@packyard/formats";
import {
  type InstallDocument,
  installText,
  prefixStorage,
  type PublishOptions,
  publish,
  readObject,
  type Storage,
} from "@packyard/repo";
import { testDeb } from "@packyard/testkit/debs";
import { errorOf, harness, secretsNeverLeak, secret } from "./app-harness.ts";
import { eachDb } from "./dbs.ts";
import { POOL_OPENPGP } from "./key-pool.ts";

/** Publishes one .deb into `view` with a pool key, as the server's publish does (install files included). */
async function publishOne(view: Storage): Promise<InstallDocument> {
  const deb = await testDeb({ name: "hello", version: "1.0-1" });
  const signer = await loadOpenPGPSigner(POOL_OPENPGP[0]!);
  await publish(view, {
    add: [deb],
    signers: [signer],
    lock: false,
    install: { baseUrl: "https://packages.example.org/r/acme/main", name: "acme" },
  } as PublishOptions);
  const bytes = await readObject(view, "install.json");
  assert.ok(bytes !== undefined, "the publish wrote install.json");
  return JSON.parse(new TextDecoder().decode(bytes)) as InstallDocument;
}

eachDb((_kind, fresh) => {
  test("install text and steps of a published public repository; 404 otherwise", async (t) => {
    const h = await harness(t, fresh);
    if (h === undefined) return;
    secret("unused-secret-install-route");
    const now = h.clock.now();
    const add = async (slug: string, isPrivate: boolean) => {
      const { rows } = await h.db.query<{ id: number }>(
        "INSERT INTO projects (slug, created_at) VALUES ($1, $2) RETURNING id",
        [slug, now],
      );
      await h.db.query(
        "INSERT INTO repositories (project_id, name, private, created_at, updated_at) VALUES ($1, 'main', $2, $3, $3)",
        [rows[0]!.id, isPrivate, now],
      );
    };
    await add("acme", false);
    await add("secret", true);
    await add("empty", false);
    const doc = await publishOne(prefixStorage(h.storage, "repos/acme/main"));
    await publishOne(prefixStorage(h.storage, "repos/secret/main"));

    const get = (url: string) => h.request({ method: "GET", url: `/api/v1/projects/${url}` });
    const all = await get("acme/repository/install");
    assert.equal(all.statusCode, 200, all.body);
    assert.match(String(all.headers["content-type"]), /^text\/plain/);
    assert.equal(all.body, installText(doc));
    const one = await get("acme/repository/install?target=debian-12");
    assert.equal(one.body, installText(doc, { target: "debian-12" }));
    const sh = await get("acme/repository/install?target=debian-12&format=sh");
    assert.equal(sh.statusCode, 200);
    const steps = doc.targets.find((x) => x.id === "debian-12")!.steps;
    assert.ok(steps.length >= 3);
    assert.match(sh.body, /^#!\/bin\/sh\n/);
    assert.match(sh.body, /\nset -e\n/);
    for (const step of steps) assert.ok(sh.body.includes(`# ${step.title}\n${step.command}\n`), step.title);

    for (const [url, status, code] of [
      ["secret/repository/install", 404, "NOT_FOUND"],
      ["nobody/repository/install", 404, "NOT_FOUND"],
      ["empty/repository/install", 404, "NOT_FOUND"],
      ["acme/repository/install?target=el-9", 404, "NOT_FOUND"],
      ["acme/repository/install?target=el-9&format=sh", 404, "NOT_FOUND"],
      ["acme/repository/install?format=sh", 400, "INVALID_REQUEST"],
      ["acme/repository/install?format=html", 400, "INVALID_REQUEST"],
    ] as const) {
      const r = await get(url);
      assert.equal(r.statusCode, status, `${url}: ${r.body}`);
      assert.equal(errorOf(r).code, code, url);
    }
  });
});

secretsNeverLeak();

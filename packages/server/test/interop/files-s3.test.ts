// Serving from S3 storage (@packyard/testkit's S3 server): a deb, an rpm and an Arch package published with
// @packyard/repo's publish into the server's bucket under repos/acme/main/, then every object compared as
// S3 itself serves it (a plain HTTP HEAD of the bucket URL: what users of --repo-base-url fetch) and as
// the app serves it under /r/: same Content-Type, same Cache-Control — S3's are the marks the publish
// engine put on each object, the app's come from its key patterns, so this checks one against the other —
// and the same ETag. Missing InRelease, repomd.xml.asc and .db.sig are 404; 304 and 206 through S3.
import assert from "node:assert/strict";
import { test } from "node:test";
import { prefixStorage, publish, type Storage } from "@packyard/repo";
import { testDeb, testRpm } from "@packyard/testkit/debs";
import { openpgpTestKey } from "@packyard/testkit/keyrings";
import { testArchPackage } from "@packyard/testkit/pacman-repo";
import { startS3 } from "@packyard/testkit/s3";
import { bearer, harness, secretsNeverLeak } from "../app-harness.ts";
import { eachDb } from "../dbs.ts";

const IMMUTABLE = "public, max-age=31536000, immutable";

async function allKeys(storage: Storage): Promise<string[]> {
  const keys: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await storage.list("", cursor === undefined ? {} : { cursor });
    keys.push(...page.objects.map((o) => o.key));
    cursor = page.cursor;
  } while (cursor !== undefined);
  return keys;
}

eachDb((_kind, fresh) => {
  test("objects on S3 carry the headers the app serves them with; 404, 304 and 206 through S3 storage", async (t) => {
    const s3 = await startS3();
    t.after(() => s3.stop());
    const bucketPrefix = `srv-${_kind}/`;
    const h = await harness(t, fresh, {}, { storage: s3.storage(bucketPrefix) });
    if (h === undefined) return;
    const ownerId = await h.user("acme-owner");
    const { rows } = await h.db.query<{ id: number }>(
      "INSERT INTO projects (slug, created_at) VALUES ('acme', $1) RETURNING id",
      [h.clock.now()],
    );
    await h.db.query(
      "INSERT INTO memberships (project_id, user_id, role, created_at) VALUES ($1, $2, 'owner', $3)",
      [rows[0]!.id, ownerId, h.clock.now()],
    );
    await h.db.query(
      "INSERT INTO repositories (project_id, name, private, created_at, updated_at) VALUES ($1, 'main', false, $2, $2)",
      [rows[0]!.id, h.clock.now()],
    );
    // A public repository ignores credentials; an owner's API token sent along changes nothing.
    const token = (await h.token(ownerId, ["read"])).token;
    const { signer } = await openpgpTestKey({ type: "rsa", rsaBits: 2048 });
    const packages = [
      await testDeb({ name: "hello", version: "1.0-1", arch: "amd64" }),
      await testRpm({ name: "hello", version: "1.0-1", arch: "x86_64" }),
      await testArchPackage({ name: "hello", version: "1.0-1", arch: "x86_64" }),
    ];
    const repo = prefixStorage(h.storage, "repos/acme/main/");
    await publish(repo, {
      add: packages.map((p) => ({ info: p.info, source: p.source, name: p.name })),
      signers: [signer],
      rpm: { targets: ["el-9"], baseUrl: "http://127.0.0.1/r/acme/main" },
      archlinux: { repo: "acme" },
    });

    const keys = (await allKeys(repo)).filter((k) => !k.startsWith(".packyard/"));
    // What the publish wrote covers every kind the comparison is about.
    for (const pattern of [
      /^deb\/dists\/stable\/InRelease$/,
      /^deb\/dists\/stable\/Release\.gpg$/,
      /\.deb$/,
      /\/by-hash\/SHA256\//,
      /\.rpm$/,
      /repodata\/repomd\.xml$/,
      /repodata\/repomd\.xml\.asc$/,
      /repodata\/[0-9a-f]{64}-primary\.xml\.(gz|zst)$/,
      /\.db$/,
      /\.db\.sig$/,
      /\.pkg\.tar\.zst$/,
      /\.pkg\.tar\.zst\.sig$/,
      /^keys\//,
    ])
      assert.ok(
        keys.some((k) => pattern.test(k)),
        `a key matching ${pattern} among ${keys.join(", ")}`,
      );

    const failures: string[] = [];
    let immutable = 0;
    for (const key of keys) {
      const direct = await fetch(s3.url(`${bucketPrefix}repos/acme/main/${key}`), { method: "HEAD" });
      const served = await h.request({ method: "HEAD", url: `/r/acme/main/${key}`, headers: bearer(token) });
      if (direct.status !== 200 || served.statusCode !== 200) {
        failures.push(`${key}: S3 ${direct.status}, app ${served.statusCode}`);
        continue;
      }
      const s3Type = direct.headers.get("content-type");
      const s3Cache = direct.headers.get("cache-control");
      if (s3Type !== served.headers["content-type"])
        failures.push(`${key}: Content-Type on S3 ${s3Type}, served ${served.headers["content-type"]}`);
      if (s3Cache === null || s3Cache !== served.headers["cache-control"])
        failures.push(`${key}: Cache-Control on S3 ${s3Cache}, served ${served.headers["cache-control"]}`);
      if (direct.headers.get("etag") !== served.headers.etag)
        failures.push(`${key}: ETag on S3 ${direct.headers.get("etag")}, served ${served.headers.etag}`);
      if (direct.headers.get("content-length") !== served.headers["content-length"])
        failures.push(`${key}: Content-Length differs`);
      if (served.headers["cache-control"] === IMMUTABLE) immutable++;
    }
    assert.deepEqual(failures, []);
    assert.ok(immutable > 0 && immutable < keys.length, `${immutable} of ${keys.length} immutable`);

    // Missing top files and signatures are plain 404s.
    for (const missing of [
      "deb/dists/unstable/InRelease",
      "rpm/el/8/x86_64/repodata/repomd.xml.asc",
      "archlinux/other/os/x86_64/other.db.sig",
    ]) {
      const r = await h.request({ method: "GET", url: `/r/acme/main/${missing}` });
      assert.equal(r.statusCode, 404, missing);
      assert.match(String(r.headers["content-type"]), /^text\/plain/);
    }

    // 304 and 206 with S3's ETag.
    const deb = keys.find((k) => k.endsWith(".deb"))!;
    const full = await h.request({ method: "GET", url: `/r/acme/main/${deb}` });
    assert.equal(full.statusCode, 200);
    assert.deepEqual(new Uint8Array(full.rawPayload), packages[0]!.bytes);
    const again = await h.request({
      method: "GET",
      url: `/r/acme/main/${deb}`,
      headers: { "if-none-match": String(full.headers.etag) },
    });
    assert.equal(again.statusCode, 304);
    const part = await h.request({
      method: "GET",
      url: `/r/acme/main/${deb}`,
      headers: { range: "bytes=8-99" },
    });
    assert.equal(part.statusCode, 206);
    assert.equal(part.headers["content-range"], `bytes 8-99/${packages[0]!.bytes.length}`);
    assert.deepEqual(new Uint8Array(part.rawPayload), packages[0]!.bytes.subarray(8, 100));
  });
});

secretsNeverLeak();

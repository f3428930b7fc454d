// Serving hosted repository files (GET|HEAD /r/<project>/<repository>/<path>) on both databases, with
// objects put straight into the harness's memory storage under repos/<project>/<repository>/: every refused
// path is a plain 404, Content-Type and Cache-Control per kind (expected values written from issue 19's
// list and repos.md §7, not from the code), ETag/Last-Modified and 304, Range and 206/416, HEAD; private
// repositories with read tokens over HTTP basic auth, and the read-token routes.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { type IncomingHttpHeaders, request } from "node:http";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { folderStorage, memoryStorage, type Storage } from "@packyard/repo";
import type { InjectOptions, LightMyRequestResponse } from "fastify";
import { tokenHash } from "../src/index.ts";
import { TOKEN_PATTERN } from "../src/accounts/tokens.ts";
import { issueReadToken } from "../src/repos/read-tokens.ts";
import { cacheControlForKey, parseRange, parseRepoPath } from "../src/repos/serve.ts";
import { bearer, errorOf, type Harness, harness, secret, secretsNeverLeak } from "./app-harness.ts";
import { eachDb } from "./dbs.ts";

const IMMUTABLE = "public, max-age=31536000, immutable";
const MUTABLE = "max-age=60";
const TEXT = "text/plain; charset=utf-8";

const bytesOf = (text: string) => new TextEncoder().encode(text);

/** Basic auth header for `login:password`. */
const basic = (login: string, password: string) => ({
  authorization: `Basic ${Buffer.from(`${login}:${password}`).toString("base64")}`,
});

/** A project `slug` owned by a new user, with repositories; returns ids. */
async function project(
  h: Harness,
  slug: string,
  repositories: Record<string, { private: boolean }>,
): Promise<{ projectId: number; ownerId: number }> {
  const ownerId = await h.user(`${slug}-owner`);
  const { rows } = await h.db.query<{ id: number }>(
    "INSERT INTO projects (slug, created_at) VALUES ($1, $2) RETURNING id",
    [slug, h.clock.now()],
  );
  const projectId = rows[0]!.id;
  await h.db.query(
    "INSERT INTO memberships (project_id, user_id, role, created_at) VALUES ($1, $2, 'owner', $3)",
    [projectId, ownerId, h.clock.now()],
  );
  for (const [name, r] of Object.entries(repositories))
    await h.db.query(
      "INSERT INTO repositories (project_id, name, private, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)",
      [projectId, name, r.private, h.clock.now()],
    );
  return { projectId, ownerId };
}

const INRELEASE = "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\nOrigin: acme\nSuite: stable\n";

eachDb((_kind, fresh) => {
  test("every path that names no servable object is a plain-text 404", async (t) => {
    const h = await harness(t, fresh);
    if (h === undefined) return;
    await project(h, "acme", { main: { private: false } });
    await h.storage.put("repos/acme/main/deb/dists/stable/InRelease", bytesOf(INRELEASE));
    await h.storage.put("repos/acme/main/.packyard/roots/deb/stable.json", bytesOf('{"engine":"state"}'));
    await h.storage.put("repos/acme/main/.packyard/lock/0000000001", bytesOf("LOCKED"));
    await h.storage.put("repos/acme/secret.txt", bytesOf("OUTSIDE-THE-REPOSITORY"));
    await h.storage.put("repos/acme/main/deb/dists/stable/.hidden", bytesOf("dot file"));
    // Sanity: the object the refused spellings aim at is served under its plain name.
    const ok = await h.request({ method: "GET", url: "/r/acme/main/deb/dists/stable/InRelease" });
    assert.equal(ok.statusCode, 200);
    assert.equal(ok.body, INRELEASE);
    const refused = [
      "/r/acme/main/deb/dists/stable/Missing",
      "/r/acme/main/deb/dists/stable/InRelease/",
      "/r/acme/main/../main/deb/dists/stable/InRelease",
      "/r/acme/main/deb/../deb/dists/stable/InRelease",
      "/r/acme/main/deb/%2e%2e/deb/dists/stable/InRelease",
      "/r/acme/main/deb/%2E%2E/deb/dists/stable/InRelease",
      "/r/acme/main/deb/dists/stable/./InRelease",
      "/r/acme/main/deb/dists/stable/%2e/InRelease",
      "/r/acme/main/%2e%2e/secret.txt",
      "/r/acme/main/../secret.txt",
      "/r/acme/main/deb/../../secret.txt",
      "/r/acme/../acme/main/deb/dists/stable/InRelease",
      "/r/acme/main/..%2fsecret.txt",
      "/r/acme/main/..%2Fsecret.txt",
      "/r/acme/main/deb%2fdists%2fstable%2fInRelease",
      "/r/acme/main/deb%2Fdists/stable/InRelease",
      "/r/acme/main/deb%5cdists%5cstable%5cInRelease",
      "/r/acme/main/deb/dists/stable/InRelease%00",
      "/r/acme/main/deb/dists/stable/InRelease%00.txt",
      "/r/acme/main/deb//dists/stable/InRelease",
      "/r/acme/main//deb/dists/stable/InRelease",
      "/r/acme/main/",
      "/r/acme/main/deb/",
      "/r/acme/main/deb/dists/stable/",
      "/r/acme/main",
      "/r/acme/",
      "/r/",
      "/r/acme/main/.packyard/roots/deb/stable.json",
      "/r/acme/main/.packyard/lock/0000000001",
      "/r/acme/main/%2epackyard/roots/deb/stable.json",
      "/r/acme/main/.packyard/",
      "/r/nobody/main/deb/dists/stable/InRelease",
      "/r/acme/nothing/deb/dists/stable/InRelease",
      "/r/ACME/main/deb/dists/stable/InRelease",
      "/r/acme%2fmain/deb/dists/stable/InRelease",
      "/r/acme/main%2f..%2fsecret.txt",
    ];
    // Over a socket: inject (light-my-request) resolves `.` and `..` segments (also %2e) as a browser does,
    // so only raw requests show what the server does with them (curl --path-as-is sends them so).
    await h.app.listen({ host: "127.0.0.1", port: 0 });
    const { port } = h.app.server.address() as AddressInfo;
    const failures: string[] = [];
    for (const url of refused) {
      for (const method of ["GET", "HEAD"] as const) {
        const r = await raw(port, method, url);
        const ct = String(r.headers["content-type"]);
        if (r.status !== 404 || !ct.startsWith("text/plain"))
          failures.push(`${method} ${url}: ${r.status} ${ct} ${r.body.slice(0, 80)}`);
        else if (
          method === "GET" &&
          (r.body.length > 100 || r.body.includes("OUTSIDE") || r.body.includes("PGP"))
        )
          failures.push(`${method} ${url}: body ${JSON.stringify(r.body)}`);
      }
    }
    assert.deepEqual(failures, []);
    // A raw backslash does not reach another key either.
    for (const url of ["/r/acme/main/deb\\dists\\stable\\InRelease", "/r/acme/main/..\\secret.txt"]) {
      const r = await raw(port, "GET", url);
      assert.equal(r.status, 404, url);
    }
    // Malformed percent-encoding never reaches a route (fastify's router refuses it); buildApp's
    // frameworkErrors answers it with the same plain 404 under /r/, and with the API's 400 elsewhere.
    const bad = await raw(port, "GET", "/r/acme/main/deb/dists/stable/%zz");
    assert.equal(bad.status, 404);
    assert.equal(bad.body, "404 Not Found\n");
    const api = await raw(port, "GET", "/api/v1/projects/%zz");
    assert.equal(api.status, 400);
    assert.equal((JSON.parse(api.body) as { error: { code: string } }).error.code, "INVALID_REQUEST");
  });

  test("Content-Type and Cache-Control per kind; HEAD has the same headers and no body", async (t) => {
    const h = await harness(t, fresh);
    if (h === undefined) return;
    await project(h, "acme", { main: { private: false } });
    const hex = "ab".repeat(32);
    // [key in the repository, Content-Type (issue 19's list), Cache-Control (repos.md §7)]
    const table: [string, string, string][] = [
      ["deb/pool/main/h/hello/hello_1.0-1_amd64.deb", "application/vnd.debian.binary-package", IMMUTABLE],
      ["rpm/pool/h/hello/hello-1.0-1.x86_64.rpm", "application/x-rpm", IMMUTABLE],
      ["deb/dists/stable/InRelease", TEXT, MUTABLE],
      ["deb/dists/stable/Release", TEXT, MUTABLE],
      ["deb/dists/stable/Release.gpg", "application/pgp-signature", MUTABLE],
      ["deb/dists/stable/main/binary-amd64/Packages", TEXT, MUTABLE],
      ["deb/dists/stable/main/binary-amd64/Packages.gz", "application/gzip", MUTABLE],
      [`deb/dists/stable/main/binary-amd64/by-hash/SHA256/${hex}`, "application/octet-stream", IMMUTABLE],
      ["rpm/el/9/x86_64/repodata/repomd.xml", "application/xml", MUTABLE],
      ["rpm/el/9/x86_64/repodata/repomd.xml.asc", "application/pgp-signature", MUTABLE],
      [`rpm/el/9/x86_64/repodata/${hex}-primary.xml.zst`, "application/zstd", IMMUTABLE],
      [`rpm/el/9/x86_64/repodata/${hex}-filelists.xml.gz`, "application/gzip", IMMUTABLE],
      ["archlinux/acme/os/x86_64/acme.db", "application/octet-stream", MUTABLE],
      ["archlinux/acme/os/x86_64/acme.db.sig", "application/pgp-signature", MUTABLE],
      ["archlinux/acme/os/x86_64/acme.db.tar.gz", "application/gzip", MUTABLE],
      ["archlinux/acme/os/x86_64/hello-1.0-1-x86_64.pkg.tar.zst", "application/zstd", IMMUTABLE],
      ["archlinux/acme/os/x86_64/hello-1.0-1-x86_64.pkg.tar.zst.sig", "application/pgp-signature", IMMUTABLE],
      ["alpine/v3.20/main/x86_64/APKINDEX.tar.gz", "application/gzip", MUTABLE],
      ["alpine/v3.20/main/x86_64/hello-1.0-r0.apk", "application/octet-stream", IMMUTABLE],
      ["downloads/hello/1.0/hello-1.0.pkg", "application/octet-stream", IMMUTABLE],
      ["downloads/hello/1.0/SHA256SUMS", TEXT, MUTABLE],
      ["downloads/hello/1.0/SHA256SUMS.asc", "application/pgp-signature", MUTABLE],
      ["site.json", "application/json", MUTABLE],
      ["badge.svg", "image/svg+xml", MUTABLE],
      ["keys/acme.asc", "application/pgp-keys", MUTABLE],
    ];
    const failures: string[] = [];
    for (const [i, [key, type, cache]] of table.entries()) {
      const body = bytesOf(`object ${i} ${key}\n`);
      await h.storage.put(`repos/acme/main/${key}`, body);
      const get = await h.request({ method: "GET", url: `/r/acme/main/${key}` });
      const head = await h.request({ method: "HEAD", url: `/r/acme/main/${key}` });
      if (get.statusCode !== 200 || get.body !== `object ${i} ${key}\n`)
        failures.push(`GET ${key}: ${get.statusCode} ${get.body.slice(0, 60)}`);
      if (get.headers["content-type"] !== type)
        failures.push(`${key}: Content-Type ${get.headers["content-type"]}, expected ${type}`);
      if (get.headers["cache-control"] !== cache)
        failures.push(`${key}: Cache-Control ${get.headers["cache-control"]}, expected ${cache}`);
      // Hosted files run sandboxed in an origin of their own: no script in them acts as the signed-in user.
      if (!/^sandbox(?![^;]*allow-same-origin)/.test(String(get.headers["content-security-policy"])))
        failures.push(
          `${key}: Content-Security-Policy ${get.headers["content-security-policy"]}, expected a sandbox`,
        );
      if (head.statusCode !== 200 || head.rawPayload.length !== 0)
        failures.push(`HEAD ${key}: ${head.statusCode}, ${head.rawPayload.length} body bytes`);
      for (const name of ["content-type", "cache-control", "etag", "last-modified", "accept-ranges"])
        if (head.headers[name] !== get.headers[name] || get.headers[name] === undefined)
          failures.push(`HEAD ${key}: ${name} ${head.headers[name]} vs GET ${get.headers[name]}`);
      if (head.headers["content-length"] !== String(body.length))
        failures.push(
          `HEAD ${key}: Content-Length ${head.headers["content-length"]}, expected ${body.length}`,
        );
      if (get.headers["accept-ranges"] !== "bytes") failures.push(`${key}: no Accept-Ranges: bytes`);
    }
    assert.deepEqual(failures, []);
    // The key-pattern rule itself, for keys the table above does not serve.
    assert.equal(cacheControlForKey("deb/pool/main/h/hello/hello_1.0_all.udeb"), IMMUTABLE);
    assert.equal(cacheControlForKey("archlinux/acme/os/x86_64/acme.files.tar.gz.sig"), MUTABLE);
    assert.equal(cacheControlForKey("install.sh"), MUTABLE);
    assert.equal(cacheControlForKey("downloads/hello/hello.rb"), MUTABLE);
  });

  test("ETag and Last-Modified answer 304; Range answers 206 or 416", async (t) => {
    const h = await harness(t, fresh);
    if (h === undefined) return;
    await project(h, "acme", { main: { private: false } });
    const content = bytesOf("0123456789abcdefghij");
    const key = "deb/pool/main/h/hello/hello_1.0_amd64.deb";
    await h.storage.put(`repos/acme/main/${key}`, content);
    const url = `/r/acme/main/${key}`;
    const get = (headers: Record<string, string> = {}) => h.request({ method: "GET", url, headers });

    const first = await get();
    const etag = String(first.headers.etag);
    // Memory storage tags objects with their SHA-256: the ETag is that, strong (no W/).
    assert.equal(etag, `"${createHash("sha256").update(content).digest("hex")}"`);
    const lastModified = String(first.headers["last-modified"]);
    assert.ok(!Number.isNaN(Date.parse(lastModified)), lastModified);

    for (const inm of [etag, `W/${etag}`, `"other", ${etag}`, "*"]) {
      const r = await get({ "if-none-match": inm });
      assert.equal(r.statusCode, 304, inm);
      assert.equal(r.rawPayload.length, 0);
      assert.equal(r.headers.etag, etag);
      assert.equal(r.headers["cache-control"], IMMUTABLE);
    }
    assert.equal((await get({ "if-none-match": '"other"' })).statusCode, 200);
    assert.equal((await get({ "if-modified-since": lastModified })).statusCode, 304);
    const later = new Date(Date.parse(lastModified) + 3600_000).toUTCString();
    assert.equal((await get({ "if-modified-since": later })).statusCode, 304);
    const earlier = new Date(Date.parse(lastModified) - 3600_000).toUTCString();
    const changed = await get({ "if-modified-since": earlier });
    assert.equal(changed.statusCode, 200);
    assert.deepEqual(new Uint8Array(changed.rawPayload), content);
    // If-None-Match wins over If-Modified-Since (RFC 9110 §13.1.3).
    assert.equal((await get({ "if-none-match": '"other"', "if-modified-since": later })).statusCode, 200);
    // HEAD answers 304 too.
    assert.equal(
      (await h.request({ method: "HEAD", url, headers: { "if-none-match": etag } })).statusCode,
      304,
    );

    const cases: [string, number, string | undefined, string][] = [
      ["bytes=2-5", 206, "bytes 2-5/20", "2345"],
      ["bytes=15-", 206, "bytes 15-19/20", "fghij"],
      ["bytes=-3", 206, "bytes 17-19/20", "hij"],
      ["bytes=18-100", 206, "bytes 18-19/20", "ij"],
      ["bytes=0-0", 206, "bytes 0-0/20", "0"],
      ["bytes=-100", 206, "bytes 0-19/20", "0123456789abcdefghij"],
      ["bytes=20-", 416, "bytes */20", ""],
      ["bytes=-0", 416, "bytes */20", ""],
      // Several ranges are answered whole; invalid headers are ignored.
      ["bytes=0-1,4-5", 200, undefined, "0123456789abcdefghij"],
      ["bytes=5-2", 200, undefined, "0123456789abcdefghij"],
      ["lines=1-2", 200, undefined, "0123456789abcdefghij"],
    ];
    for (const [range, status, contentRange, body] of cases) {
      const r = await get({ range });
      assert.equal(r.statusCode, status, range);
      assert.equal(r.headers["content-range"], contentRange, range);
      if (status === 416) assert.equal(r.headers["cache-control"], "no-store", range);
      if (status !== 416) {
        assert.equal(r.body, body, range);
        assert.equal(r.headers["content-length"], String(body.length), range);
      }
    }
    // If-Range: a range only while the object is the one the client has.
    assert.equal((await get({ range: "bytes=2-5", "if-range": etag })).statusCode, 206);
    const stale = await get({ range: "bytes=2-5", "if-range": '"old"' });
    assert.equal(stale.statusCode, 200);
    assert.equal(stale.body.length, 20);
    assert.equal((await get({ range: "bytes=2-5", "if-range": lastModified })).statusCode, 206);
    assert.equal((await get({ range: "bytes=2-5", "if-range": earlier })).statusCode, 200);
    // HEAD ignores Range.
    const head = await h.request({ method: "HEAD", url, headers: { range: "bytes=2-5" } });
    assert.equal(head.statusCode, 200);
    assert.equal(head.headers["content-length"], "20");

    // The helpers' edge cases, beside the HTTP answers above.
    assert.equal(parseRange("bytes=0-", 0), "unsatisfiable");
    assert.deepEqual(parseRange("bytes=0-", 1), { start: 0, end: 1 });
    assert.equal(parseRange(undefined, 10), undefined);
  });

  test("a storage failure is answered uncacheable, without the object's validators or range", async (t) => {
    const inner = memoryStorage();
    let failGet = false;
    const failing: Storage = Object.assign(Object.create(inner) as Storage, {
      get: (key: string, o?: Parameters<Storage["get"]>[1]) =>
        failGet ? Promise.reject(new Error("storage read failed (test)")) : inner.get(key, o),
    });
    const h = await harness(t, fresh, {}, { storage: failing });
    if (h === undefined) return;
    await project(h, "acme", { main: { private: false } });
    await inner.put("repos/acme/main/deb/pool/main/h/hello/hello_1.0_amd64.deb", bytesOf("0123456789"));
    failGet = true;
    const r = await h.request({
      method: "GET",
      url: "/r/acme/main/deb/pool/main/h/hello/hello_1.0_amd64.deb",
      headers: { range: "bytes=0-3" },
    });
    assert.ok(r.statusCode >= 500, String(r.statusCode));
    assert.equal(r.headers["cache-control"], "no-store");
    for (const name of ["etag", "last-modified", "content-range", "accept-ranges"])
      assert.equal(r.headers[name], undefined, name);
  });

  test("folder storage: ETag and Last-Modified come from the file; a rewrite changes the ETag", async (t) => {
    const dir = mkdtempSync(join(tmpdir(), "packyard-files-"));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const h = await harness(t, fresh, {}, { storage: folderStorage(dir) });
    if (h === undefined) return;
    await project(h, "acme", { main: { private: false } });
    const url = "/r/acme/main/deb/dists/stable/InRelease";
    await h.storage.put("repos/acme/main/deb/dists/stable/InRelease", bytesOf(INRELEASE));
    const first = await h.request({ method: "GET", url });
    assert.equal(first.statusCode, 200);
    assert.equal(first.body, INRELEASE);
    const etag = String(first.headers.etag);
    assert.match(etag, /^"[^"]+"$/);
    const mtime = statSync(join(dir, "repos/acme/main/deb/dists/stable/InRelease")).mtime;
    assert.equal(first.headers["last-modified"], mtime.toUTCString());
    assert.equal(
      (await h.request({ method: "GET", url, headers: { "if-none-match": etag } })).statusCode,
      304,
    );
    await h.storage.put("repos/acme/main/deb/dists/stable/InRelease", bytesOf(`${INRELEASE}Codename: x\n`));
    const second = await h.request({ method: "GET", url, headers: { "if-none-match": etag } });
    assert.equal(second.statusCode, 200);
    assert.notEqual(second.headers.etag, etag);
    assert.equal(second.body, `${INRELEASE}Codename: x\n`);
  });

  test("large objects stream whole, and an object changing mid-answer cuts the response", async (t) => {
    const base = memoryStorage();
    let grow = false;
    // A storage whose object grows between head and get, as a publish rewriting it would make it.
    const storage: Storage = {
      ...base,
      description: base.description,
      async head(key) {
        return base.head(key);
      },
      async get(key, options) {
        if (grow && key.endsWith("/Packages")) {
          await base.put(key, bytesOf("a longer rewritten index file\n"));
        }
        return base.get(key, options);
      },
    };
    const h = await harness(t, fresh, {}, { storage });
    if (h === undefined) return;
    await project(h, "acme", { main: { private: false } });
    const big = new Uint8Array(5 * 1024 * 1024 + 7);
    for (let i = 0; i < big.length; i++) big[i] = (i * 31 + (i >> 11)) & 0xff;
    await base.put("repos/acme/main/deb/pool/main/b/big/big_1_amd64.deb", big);
    const r = await h.request({ method: "GET", url: "/r/acme/main/deb/pool/main/b/big/big_1_amd64.deb" });
    assert.equal(r.statusCode, 200);
    assert.equal(r.headers["content-length"], String(big.length));
    assert.equal(
      createHash("sha256").update(r.rawPayload).digest("hex"),
      createHash("sha256").update(big).digest("hex"),
    );
    const part = await h.request({
      method: "GET",
      url: "/r/acme/main/deb/pool/main/b/big/big_1_amd64.deb",
      headers: { range: "bytes=1048570-3145727" },
    });
    assert.equal(part.statusCode, 206);
    assert.deepEqual(new Uint8Array(part.rawPayload), big.subarray(1048570, 3145728));

    await base.put("repos/acme/main/deb/dists/stable/main/binary-amd64/Packages", bytesOf("short\n"));
    grow = true;
    let cut: LightMyRequestResponse | Error;
    try {
      cut = await h.app.inject({
        method: "GET",
        url: "/r/acme/main/deb/dists/stable/main/binary-amd64/Packages",
      });
    } catch (e) {
      cut = e as Error;
    }
    // Either the transfer failed, or what arrived is not a whole object of either version.
    if (!(cut instanceof Error)) {
      assert.notEqual(cut.body, "a longer rewritten index file\n");
      assert.notEqual(cut.body, "short\n");
    }
  });

  test("a private repository needs a read token over basic auth; revoked, expired and foreign tokens are refused", async (t) => {
    const h = await harness(t, fresh);
    if (h === undefined) return;
    const acme = await project(h, "acme", { secret: { private: true }, open: { private: false } });
    const other = await project(h, "other", { secret: { private: true } });
    await h.storage.put("repos/acme/secret/deb/dists/stable/InRelease", bytesOf(INRELEASE));
    await h.storage.put("repos/acme/secret/deb/pool/main/h/hello/hello_1_amd64.deb", bytesOf("deb bytes"));
    await h.storage.put("repos/acme/open/deb/dists/stable/InRelease", bytesOf(INRELEASE));
    const url = "/r/acme/secret/deb/dists/stable/InRelease";

    const refusedWith = async (headers: Record<string, string>, why: string, target = url) => {
      for (const method of ["GET", "HEAD"] as const) {
        const r = await h.request({ method, url: target, headers });
        assert.equal(r.statusCode, 401, `${why} (${method})`);
        assert.equal(r.headers["www-authenticate"], 'Basic realm="packyard acme"', why);
        assert.ok(!r.body.includes("PGP"), why);
        assert.ok(String(r.headers["content-type"]).startsWith("text/plain"), why);
      }
    };
    await refusedWith({}, "no credentials");
    // Public keys are the exception: the install steps fetch them before any credential is set up.
    await h.storage.put("repos/acme/secret/keys/acme.asc", bytesOf("-----BEGIN PGP PUBLIC KEY BLOCK-----\n"));
    const key = await h.request({ method: "GET", url: "/r/acme/secret/keys/acme.asc" });
    assert.equal(key.statusCode, 200, key.body);
    assert.match(key.body, /PUBLIC KEY BLOCK/);
    await refusedWith(
      {},
      "no credentials, a key-like name outside keys/",
      "/r/acme/secret/deb/keys/acme.asc",
    );
    // Without credentials a missing file is 401 too: the repository's content does not leak.
    await refusedWith({}, "no credentials, missing file", "/r/acme/secret/deb/dists/nothing/InRelease");
    const token = secret(
      (
        await issueReadToken(
          h.db,
          { projectId: acme.projectId, userId: acme.ownerId, name: "ci" },
          h.clock.now(),
        )
      ).token,
    );
    const foreign = secret(
      (
        await issueReadToken(
          h.db,
          { projectId: other.projectId, userId: other.ownerId, name: "x" },
          h.clock.now(),
        )
      ).token,
    );
    const api = (await h.token(acme.ownerId, ["read", "write"])).token;
    await refusedWith(basic("acme", secret(`pky_${"A".repeat(43)}`)), "unknown token");
    await refusedWith(basic("acme", foreign), "another project's read token");
    await refusedWith(basic("acme", api), "an API token of the owner");
    await refusedWith(bearer(token), "the read token as Bearer");
    await refusedWith({ authorization: `Basic ${token}` }, "not base64 login:password");
    await refusedWith(basic("acme", `${token}x`), "token with a character more");

    for (const login of ["acme", "anything", ""]) {
      const r = await h.request({ method: "GET", url, headers: basic(login, token) });
      assert.equal(r.statusCode, 200, `login ${JSON.stringify(login)}`);
      assert.equal(r.body, INRELEASE);
      assert.equal(r.headers["cache-control"], "private, max-age=60");
    }
    const pkg = await h.request({
      method: "GET",
      url: "/r/acme/secret/deb/pool/main/h/hello/hello_1_amd64.deb",
      headers: basic("acme", token),
    });
    assert.equal(pkg.statusCode, 200);
    assert.equal(pkg.headers["cache-control"], "private, max-age=31536000, immutable");
    const missing = await h.request({
      method: "GET",
      url: "/r/acme/secret/deb/dists/nothing/InRelease",
      headers: basic("acme", token),
    });
    assert.equal(missing.statusCode, 404);
    // Another project's private repository does not open with this project's token.
    await h.storage.put("repos/other/secret/x.txt", bytesOf("other's"));
    const cross = await h.request({
      method: "GET",
      url: "/r/other/secret/x.txt",
      headers: basic("other", token),
    });
    assert.equal(cross.statusCode, 401);
    // A public repository of the same project ignores credentials, even wrong ones.
    const open = await h.request({
      method: "GET",
      url: "/r/acme/open/deb/dists/stable/InRelease",
      headers: basic("x", "y"),
    });
    assert.equal(open.statusCode, 200);
    assert.equal(open.headers["cache-control"], MUTABLE);

    // last_used_at is written on use.
    const { rows: used } = await h.db.query<{ last_used_at: Date | null }>(
      "SELECT last_used_at FROM api_tokens WHERE kind = 'repository' AND project_id = $1",
      [acme.projectId],
    );
    assert.deepEqual(used[0]!.last_used_at, h.clock.now());

    // The read token never grants API access (authz.ts refuses kind 'repository' as Bearer).
    for (const apiUrl of ["/api/v1/user", "/api/v1/projects", "/api/v1/projects/acme"]) {
      const r = await h.request({ method: "GET", url: apiUrl, headers: bearer(token) });
      assert.equal(r.statusCode, 401, apiUrl);
      assert.equal(errorOf(r).code, "UNAUTHENTICATED");
    }

    // Revoked → 401.
    await h.db.query("UPDATE api_tokens SET revoked_at = $2 WHERE token_sha256 = $1", [
      tokenHash(token),
      h.clock.now(),
    ]);
    await refusedWith(basic("acme", token), "revoked token");

    // Expired → 401 once the clock passes its expiry.
    const expiring = secret(
      (
        await issueReadToken(
          h.db,
          {
            projectId: acme.projectId,
            userId: acme.ownerId,
            name: "short",
            expiresAt: new Date(h.clock.time + 60_000),
          },
          h.clock.now(),
        )
      ).token,
    );
    assert.equal((await h.request({ method: "GET", url, headers: basic("acme", expiring) })).statusCode, 200);
    h.clock.advance(60_000);
    await refusedWith(basic("acme", expiring), "expired token");
  });

  test("read-token routes: owners create (shown once), list and revoke; others cannot", async (t) => {
    const h = await harness(t, fresh);
    if (h === undefined) return;
    const inject = (o: InjectOptions) => h.request(o);
    const acme = await project(h, "acme", { secret: { private: true } });
    await project(h, "other", { secret: { private: true } });
    await h.storage.put("repos/acme/secret/deb/dists/stable/InRelease", bytesOf(INRELEASE));
    const owner = (await h.token(acme.ownerId, ["read", "write"])).token;
    const maintainerId = await h.user("maint");
    await h.db.query(
      "INSERT INTO memberships (project_id, user_id, role, created_at) VALUES ($1, $2, 'maintainer', $3)",
      [acme.projectId, maintainerId, h.clock.now()],
    );
    const maintainer = (await h.token(maintainerId, ["read", "write", "publish", "keys"])).token;
    const ownerReadOnly = (await h.token(acme.ownerId, ["read"])).token;
    const base = "/api/v1/projects/acme/repository/read-tokens";

    const made = await inject({
      method: "POST",
      url: base,
      headers: bearer(owner),
      payload: { name: "apt on ci" },
    });
    assert.equal(made.statusCode, 201, made.body);
    const { token, info } = made.json() as {
      token: string;
      info: { id: number; name: string; createdBy: string };
    };
    secret(token);
    assert.match(token, TOKEN_PATTERN);
    assert.equal(info.name, "apt on ci");
    assert.equal(info.createdBy, "acme-owner");
    const { rows } = await h.db.query<{
      kind: string;
      scopes: string[];
      project_id: number;
      token_sha256: Uint8Array;
    }>("SELECT kind, scopes, project_id, token_sha256 FROM api_tokens WHERE id = $1", [info.id]);
    assert.deepEqual(
      [rows[0]!.kind, rows[0]!.scopes, rows[0]!.project_id],
      ["repository", ["read"], acme.projectId],
    );
    assert.deepEqual(
      new Uint8Array(rows[0]!.token_sha256),
      new Uint8Array(createHash("sha256").update(token).digest()),
    );
    const served = await h.request({
      method: "GET",
      url: "/r/acme/secret/deb/dists/stable/InRelease",
      headers: basic("acme", token),
    });
    assert.equal(served.statusCode, 200);

    const list = await inject({ method: "GET", url: base, headers: bearer(ownerReadOnly) });
    assert.equal(list.statusCode, 200);
    assert.ok(!list.body.includes(token), "the list never shows the token");
    assert.deepEqual(
      (list.json() as { id: number; revokedAt: string | null }[]).map((r) => [r.id, r.revokedAt]),
      [[info.id, null]],
    );
    // Owner + write creates and revokes; owner + read lists; maintainers and strangers do not.
    assert.equal(
      (await inject({ method: "POST", url: base, headers: bearer(ownerReadOnly), payload: { name: "x" } }))
        .statusCode,
      403,
    );
    assert.equal(
      (await inject({ method: "POST", url: base, headers: bearer(maintainer), payload: { name: "x" } }))
        .statusCode,
      403,
    );
    assert.equal((await inject({ method: "GET", url: base, headers: bearer(maintainer) })).statusCode, 403);
    assert.equal(
      (await inject({ method: "DELETE", url: `${base}/${info.id}`, headers: bearer(maintainer) })).statusCode,
      403,
    );
    assert.equal((await inject({ method: "POST", url: base, payload: { name: "x" } })).statusCode, 401);
    assert.equal(
      (
        await inject({
          method: "GET",
          url: "/api/v1/projects/other/repository/read-tokens",
          headers: bearer(owner),
        })
      ).statusCode,
      404,
    );
    // An expiry in the past is refused; other bodies are checked by the schema.
    const past = await inject({
      method: "POST",
      url: base,
      headers: bearer(owner),
      payload: { name: "old", expiresAt: new Date(h.clock.time - 1000).toISOString() },
    });
    assert.equal(past.statusCode, 400);
    assert.equal(errorOf(past).code, "INVALID_REQUEST");
    assert.equal(
      (await inject({ method: "POST", url: base, headers: bearer(owner), payload: { name: "" } })).statusCode,
      400,
    );
    assert.equal(
      (
        await inject({
          method: "POST",
          url: base,
          headers: bearer(owner),
          payload: { name: "x", scopes: ["write"] },
        })
      ).statusCode,
      400,
    );

    // Revocation: 204, then the token no longer opens the repository; a token of another project is 404.
    const revoked = await inject({ method: "DELETE", url: `${base}/${info.id}`, headers: bearer(owner) });
    assert.equal(revoked.statusCode, 204);
    const after = await h.request({
      method: "GET",
      url: "/r/acme/secret/deb/dists/stable/InRelease",
      headers: basic("acme", token),
    });
    assert.equal(after.statusCode, 401);
    assert.equal(
      (await inject({ method: "DELETE", url: `${base}/999999`, headers: bearer(owner) })).statusCode,
      404,
    );
    const otherOwner = await h.db.query<{ id: number; user_id: number }>(
      "SELECT p.id, m.user_id FROM projects p JOIN memberships m ON m.project_id = p.id WHERE p.slug = 'other'",
    );
    const foreign = await issueReadToken(
      h.db,
      { projectId: otherOwner.rows[0]!.id, userId: otherOwner.rows[0]!.user_id, name: "theirs" },
      h.clock.now(),
    );
    secret(foreign.token);
    assert.equal(
      (await inject({ method: "DELETE", url: `${base}/${foreign.info.id}`, headers: bearer(owner) }))
        .statusCode,
      404,
    );
    // Audited.
    const { rows: audit } = await h.db.query<{ action: string }>(
      "SELECT action FROM audit_events WHERE project_id = $1 ORDER BY id",
      [acme.projectId],
    );
    assert.deepEqual(
      audit.map((a) => a.action),
      ["read_token.create", "read_token.revoke"],
    );
    // An API token's list does not show read tokens, nor can DELETE /tokens/:id revoke one.
    const mine = await h.request({ method: "GET", url: "/api/v1/tokens", headers: bearer(owner) });
    assert.ok(!(mine.json() as { id: number }[]).some((x) => x.id === info.id));
  });
});

/** A request over a socket with the path exactly as given (node:http does not resolve dot segments). */
function raw(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString("utf8"),
        }),
      );
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

test("parseRepoPath reads project, repository and key from the raw URL", () => {
  assert.deepEqual(parseRepoPath("/r/acme/main/deb/dists/stable/InRelease?x=1"), {
    project: "acme",
    repository: "main",
    path: "deb/dists/stable/InRelease",
  });
  // Percent-encoded characters that are legal in keys are decoded (apt writes `:` as %3a, `+` as %2b).
  assert.equal(
    parseRepoPath("/r/acme/main/deb/pool/main/h/hello/hello_1%3a1.0%2bgit_amd64.deb")?.path,
    "deb/pool/main/h/hello/hello_1:1.0+git_amd64.deb",
  );
  // Refused by the parser itself (the storage drivers' key check would refuse most of them again).
  for (const url of [
    "/r/acme/main/a%2fb",
    "/r/acme/main/../x",
    "/r/acme/main/a/../x",
    "/r/acme/main/a/%2e%2e/x",
    "/r/acme/main/a/%2E%2e/x",
    "/r/acme/main/a/./x",
    "/r/acme/main/a/%2e/x",
    "/r/acme/main/a//x",
    "/r/acme/main/a/",
    "/r/acme/main/a%5cx",
    "/r/acme/main/a\\x",
    "/r/acme/main/a%00",
    "/r/acme/main/a%0ab",
    "/r/acme/main/a%zz",
    "/r/acme/main/.packyard/lock",
    "/r/acme/main/%2epackyard/lock",
    "/r/acme/main",
    "/r/acme%2fmain/x/y",
    "/r/Acme/main/x",
    "/r/acme/Main/x",
  ])
    assert.equal(parseRepoPath(url), undefined, url);
  assert.equal(parseRepoPath("/x/acme/main/a"), undefined);
});

secretsNeverLeak();

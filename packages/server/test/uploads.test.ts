// Packages, source files, releases and ready-made packages over the API (issue 19 items 5 and 6), the
// "Bad uploads" table, PackageInfo's round trip through jsonb, and the blob collector; on PGlite and PostgreSQL.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import type { AddressInfo } from "node:net";
import { type TestContext, test } from "node:test";
import {
  bytesSource,
  type FormatId,
  type PackageInfo,
  packageFileName,
  readPackage,
  writePackage,
} from "@packyard/formats";
import { collectBytes, type Storage } from "@packyard/repo";
import { exampleFromConfig } from "@packyard/testkit/example";
import { FIXTURES } from "@packyard/testkit/repo";
import { isServerError } from "../src/errors.ts";
import type { AppConfig } from "../src/index.ts";
import { artifactsForPublish } from "../src/uploads/artifacts.ts";
import {
  blobKey,
  ensureBlobObject,
  insertBlobRow,
  lockBlob,
  recheckBlobObject,
  stageUpload,
} from "../src/uploads/blob-store.ts";
import { collectBlobs } from "../src/uploads/gc.ts";
import { decodeInfo, encodeInfo } from "../src/uploads/info-json.ts";
import { storeJobUpload } from "../src/uploads/job-upload.ts";
import { bearer, errorOf, type Harness, harness, secretsNeverLeak } from "./app-harness.ts";
import { eachDb, type FreshDb } from "./dbs.ts";

const enc = new TextEncoder();
const sha256 = (bytes: Uint8Array | string) => createHash("sha256").update(bytes).digest("hex");

const CONFIG = `name: hello
version: 1.0.0
arch: amd64
maintainer: Packyard Test <test@packyard.invalid>
description: A test package
contents:
  - src: hello.tar.gz
    dst: /usr/share/hello/hello.tar.gz
`;

/** Every key in the store, ascending (all pages). */
async function listAll(storage: Storage, prefix = ""): Promise<string[]> {
  const keys: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await storage.list(prefix, cursor === undefined ? { limit: 2 } : { cursor, limit: 2 });
    keys.push(...page.objects.map((o) => o.key));
    cursor = page.cursor;
  } while (cursor !== undefined);
  return keys;
}

/** Byte equality whatever the view (Node hands out Buffers). */
function sameBytes(actual: Uint8Array, expected: Uint8Array, message?: string): void {
  assert.equal(Buffer.from(actual).toString("hex"), Buffer.from(expected).toString("hex"), message);
}

/** A package of the example project, as `packyard build -p <format>` makes it. */
async function examplePackage(format: FormatId): Promise<{ bytes: Uint8Array; fileName: string }> {
  const { spec, options } = await exampleFromConfig(format);
  const bytes = await collectBytes(writePackage(format, spec, options as never));
  return { bytes, fileName: packageFileName(format, spec, options as never) };
}

interface Setup {
  h: Harness;
  owner: string;
  maintainer: string;
  viewer: string;
  admin: string;
  base: string;
}

/** An app with a project `demo` (owner, maintainer, viewer) and a package `hello`. */
async function setup(
  t: TestContext,
  fresh: (t: TestContext) => Promise<FreshDb | undefined>,
  config: AppConfig = {},
): Promise<Setup | undefined> {
  const h = await harness(t, fresh, { rateLimit: { max: 100_000 }, ...config });
  if (h === undefined) return undefined;
  const ids = {
    owner: await h.user("owner"),
    maintainer: await h.user("maintainer"),
    viewer: await h.user("viewer"),
    admin: await h.user("admin", { admin: true }),
  };
  const owner = (await h.token(ids.owner, ["read", "write"])).token;
  const r = await h.request({
    method: "POST",
    url: "/api/v1/projects",
    headers: bearer(owner),
    payload: { slug: "demo" },
  });
  assert.equal(r.statusCode, 201, r.body);
  for (const [who, role] of [
    ["maintainer", "maintainer"],
    ["viewer", "viewer"],
  ] as const) {
    const m = await h.request({
      method: "PUT",
      url: `/api/v1/projects/demo/members/${who}`,
      headers: bearer(owner),
      payload: { role },
    });
    assert.equal(m.statusCode, 200, m.body);
  }
  const s: Setup = {
    h,
    owner,
    maintainer: (await h.token(ids.maintainer, ["read", "write"])).token,
    viewer: (await h.token(ids.viewer, ["read", "write"])).token,
    admin: (await h.token(ids.admin, ["read", "admin"])).token,
    base: "/api/v1/projects/demo/packages",
  };
  const p = await h.request({
    method: "PUT",
    url: `${s.base}/hello`,
    headers: { ...bearer(s.maintainer), "content-type": "text/yaml" },
    payload: CONFIG,
  });
  assert.equal(p.statusCode, 201, p.body);
  return s;
}

/** Row counts of the upload tables. */
async function counts(h: Harness): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const table of ["packages", "releases", "blobs", "package_files", "artifacts"]) {
    const { rows } = await h.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`);
    out[table] = rows[0]!.n;
  }
  return out;
}

/** Uploads bytes (inject). */
function put(
  s: Setup,
  url: string,
  body: Uint8Array,
  token = s.maintainer,
  headers: Record<string, string> = {},
) {
  return s.h.request({
    method: "PUT",
    url,
    headers: { ...bearer(token), "content-type": "application/octet-stream", ...headers },
    payload: Buffer.from(body),
  });
}

/** A raw HTTP request to a listening app: the path goes on the wire as written (no URL normalization). */
function rawHttp(
  port: number,
  o: { method: string; path: string; headers: Record<string, string>; chunks: Uint8Array[] },
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: "127.0.0.1", port, method: o.method, path: o.path, headers: o.headers },
      (res) => {
        const parts: Buffer[] = [];
        res.on("data", (c: Buffer) => parts.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts).toString() }));
      },
    );
    // The server may answer (and close) before the body is sent: that is the point of some rows.
    req.on("error", (e: NodeJS.ErrnoException) => {
      if (e.code !== "EPIPE" && e.code !== "ECONNRESET") reject(e);
    });
    for (const c of o.chunks) req.write(c);
    req.end();
  });
}

/** Strips properties whose value is undefined (absent under exactOptionalPropertyTypes), recursively. */
function withoutUndefined(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutUndefined);
  if (v instanceof Uint8Array || v === null || typeof v !== "object") return v;
  return Object.fromEntries(
    Object.entries(v)
      .filter(([, x]) => x !== undefined)
      .map(([k, x]) => [k, withoutUndefined(x)]),
  );
}

/** PackageInfo through jsonb in the database and back. */
async function throughDb(h: Harness, info: PackageInfo): Promise<PackageInfo> {
  const { rows } = await h.db.query<{ v: unknown }>("SELECT $1::jsonb AS v", [encodeInfo(info)]);
  return decodeInfo(rows[0]!.v);
}

eachDb((kind, fresh) => {
  test("packages: packyard.yml stored after the loader's check, listed, read, replaced, deleted by an owner", async (t) => {
    const s = await setup(t, fresh);
    if (s === undefined) return;
    const { h, base } = s;
    const list = await h.request({ method: "GET", url: base, headers: bearer(s.viewer) });
    assert.equal(list.statusCode, 200, list.body);
    assert.deepEqual(
      list.json().map((p: { name: string }) => p.name),
      ["hello"],
    );
    const got = await h.request({ method: "GET", url: `${base}/hello`, headers: bearer(s.viewer) });
    assert.equal(got.statusCode, 200);
    assert.equal(got.json().config, CONFIG);
    assert.deepEqual(got.json().files, []);

    // JSON { config } replaces it (200), application/yaml too.
    const changed = CONFIG.replace("1.0.0", "1.1.0");
    const j = await h.request({
      method: "PUT",
      url: `${base}/hello`,
      headers: bearer(s.maintainer),
      payload: { config: changed },
    });
    assert.equal(j.statusCode, 200, j.body);
    assert.equal(j.json().config, changed);
    const y = await h.request({
      method: "PUT",
      url: `${base}/other`,
      headers: { ...bearer(s.maintainer), "content-type": "application/yaml" },
      payload: CONFIG,
    });
    assert.equal(y.statusCode, 201, y.body);

    // The loader's code and field path come back.
    const missing = await h.request({
      method: "PUT",
      url: `${base}/bad`,
      headers: { ...bearer(s.maintainer), "content-type": "text/yaml" },
      payload: "name: x\narch: amd64\n",
    });
    assert.equal(missing.statusCode, 422);
    assert.equal(errorOf(missing).code, "INVALID_CONFIG");
    assert.equal(errorOf(missing).details.loaderCode, "MISSING_FIELD");
    assert.equal(errorOf(missing).details.field, "version");
    const syntax = await h.request({
      method: "PUT",
      url: `${base}/bad`,
      headers: { ...bearer(s.maintainer), "content-type": "text/yaml" },
      payload: "name: [x\n",
    });
    assert.equal(syntax.statusCode, 422);
    assert.equal(errorOf(syntax).details.loaderCode, "CONFIG_SYNTAX");
    const block = await h.request({
      method: "PUT",
      url: `${base}/bad`,
      headers: { ...bearer(s.maintainer), "content-type": "text/yaml" },
      payload: `${CONFIG}deb:\n  compression: lzip9\n`,
    });
    assert.equal(block.statusCode, 422, block.body);
    assert.equal(errorOf(block).details.field, "deb.compression");

    // A viewer reads but does not write; a maintainer does not delete; an owner does.
    const viewerPut = await h.request({
      method: "PUT",
      url: `${base}/hello`,
      headers: { ...bearer(s.viewer), "content-type": "text/yaml" },
      payload: CONFIG,
    });
    assert.equal(viewerPut.statusCode, 403);
    const mDelete = await h.request({
      method: "DELETE",
      url: `${base}/other`,
      headers: bearer(s.maintainer),
    });
    assert.equal(mDelete.statusCode, 403);
    const oDelete = await h.request({ method: "DELETE", url: `${base}/other`, headers: bearer(s.owner) });
    assert.equal(oDelete.statusCode, 204);
    const gone = await h.request({ method: "GET", url: `${base}/other`, headers: bearer(s.owner) });
    assert.equal(gone.statusCode, 404);
    assert.equal(errorOf(gone).code, "NOT_FOUND");
    const { rows } = await h.db.query<{ action: string }>(
      "SELECT action FROM audit_events WHERE action = 'package.delete'",
    );
    assert.equal(rows.length, 1);
  });

  test("source files: streamed to blobs/sha256/<hex>, deduplicated, replaced, downloaded, deleted and collected", async (t) => {
    const s = await setup(t, fresh);
    if (s === undefined) return;
    const { h, base } = s;
    const a = enc.encode("source tarball bytes\n".repeat(1000));
    const b = enc.encode("other bytes");

    const first = await put(s, `${base}/hello/files/hello.tar.gz`, a, s.maintainer, {
      "x-checksum-sha256": sha256(a).toUpperCase(),
    });
    assert.equal(first.statusCode, 201, first.body);
    assert.deepEqual(
      { name: first.json().name, sha256: first.json().sha256, size: first.json().size },
      { name: "hello.tar.gz", sha256: sha256(a), size: a.length },
    );
    // The same bytes under another name: one blob, one object.
    const copy = await put(s, `${base}/hello/files/copy.tar.gz`, a);
    assert.equal(copy.statusCode, 201);
    assert.deepEqual(await listAll(h.storage), [blobKey(sha256(a))]);
    assert.deepEqual(await counts(h), { packages: 1, releases: 0, blobs: 1, package_files: 2, artifacts: 0 });
    sameBytes(await collectBytes((await h.storage.get(blobKey(sha256(a))))!), a);

    // Download (viewer), with its digest.
    const dl = await h.request({
      method: "GET",
      url: `${base}/hello/files/hello.tar.gz`,
      headers: bearer(s.viewer),
    });
    assert.equal(dl.statusCode, 200);
    sameBytes(dl.rawPayload, a);
    assert.equal(dl.headers["x-checksum-sha256"], sha256(a));
    assert.equal(dl.headers["content-type"], "application/octet-stream");

    // A viewer cannot upload.
    const viewer = await put(s, `${base}/hello/files/x.txt`, b, s.viewer);
    assert.equal(viewer.statusCode, 403);
    assert.equal(errorOf(viewer).code, "FORBIDDEN");

    // Replacing copy.tar.gz: 200, the row points at the new blob, the old one is still used by hello.tar.gz.
    const replaced = await put(s, `${base}/hello/files/copy.tar.gz`, b);
    assert.equal(replaced.statusCode, 200);
    assert.equal(replaced.json().sha256, sha256(b));
    assert.deepEqual((await listAll(h.storage)).sort(), [blobKey(sha256(a)), blobKey(sha256(b))].sort());
    // Replacing hello.tar.gz too leaves blob a unreferenced: collected at once.
    const again = await put(s, `${base}/hello/files/hello.tar.gz`, b);
    assert.equal(again.statusCode, 200);
    assert.deepEqual(await listAll(h.storage), [blobKey(sha256(b))]);
    assert.deepEqual(await counts(h), { packages: 1, releases: 0, blobs: 1, package_files: 2, artifacts: 0 });

    const listed = await h.request({ method: "GET", url: `${base}/hello/files`, headers: bearer(s.viewer) });
    assert.deepEqual(
      listed.json().map((f: { name: string; sha256: string }) => [f.name, f.sha256]),
      [
        ["copy.tar.gz", sha256(b)],
        ["hello.tar.gz", sha256(b)],
      ],
    );
    for (const name of ["copy.tar.gz", "hello.tar.gz"]) {
      const d = await h.request({
        method: "DELETE",
        url: `${base}/hello/files/${name}`,
        headers: bearer(s.maintainer),
      });
      assert.equal(d.statusCode, 204);
    }
    assert.deepEqual(await listAll(h.storage), []);
    assert.deepEqual(await counts(h), { packages: 1, releases: 0, blobs: 0, package_files: 0, artifacts: 0 });
    const missing = await h.request({
      method: "GET",
      url: `${base}/hello/files/hello.tar.gz`,
      headers: bearer(s.viewer),
    });
    assert.equal(missing.statusCode, 404);

    // Upload bytes are counted in /metrics.
    const metrics = await h.request({ method: "GET", url: "/metrics", headers: bearer(s.admin) });
    const line = metrics.body
      .split("\n")
      .find((l) => l.startsWith('packyard_upload_bytes_total{kind="file"}'));
    assert.equal(line?.split(" ")[1], String(2 * a.length + 2 * b.length));
  });

  test("bad uploads: each refused with its status and code, storage and rows unchanged", async (t) => {
    const limit = 65_536;
    const s = await setup(t, fresh, { uploadLimitBytes: limit });
    if (s === undefined) return;
    const { h, base } = s;
    await h.app.listen({ host: "127.0.0.1", port: 0 });
    const port = (h.app.server.address() as AddressInfo).port;
    // Something stored before, so "unchanged" compares a non-empty listing.
    const kept = enc.encode("kept");
    assert.equal((await put(s, `${base}/hello/files/kept.txt`, kept)).statusCode, 201);

    const deb = await examplePackage("deb");
    const over = new Uint8Array(limit + 1).fill(0x61);
    const auth = bearer(s.maintainer);
    const octet = { ...auth, "content-type": "application/octet-stream" };
    const rows: {
      what: string;
      method?: string;
      path: string;
      headers?: Record<string, string>;
      chunks: Uint8Array[];
      chunked?: boolean;
      status: number;
      code: string;
      details?: Record<string, unknown>;
    }[] = [
      {
        what: "wrong sha256",
        path: `${base}/hello/files/a.txt`,
        headers: { "x-checksum-sha256": sha256("other bytes") },
        chunks: [enc.encode("these bytes")],
        status: 422,
        code: "CHECKSUM_MISMATCH",
      },
      {
        what: "one byte over the limit, with Content-Length",
        path: `${base}/hello/files/big.bin`,
        chunks: [over],
        status: 413,
        code: "PAYLOAD_TOO_LARGE",
      },
      {
        what: "one byte over the limit, without Content-Length (chunked)",
        path: `${base}/hello/files/big.bin`,
        chunks: [over.subarray(0, 40_000), over.subarray(40_000)],
        chunked: true,
        status: 413,
        code: "PAYLOAD_TOO_LARGE",
      },
      {
        what: "one byte over the limit, package upload without Content-Length",
        path: `${base}/hello/releases/1.0.0/artifacts/big.deb`,
        chunks: [over],
        chunked: true,
        status: 413,
        code: "PAYLOAD_TOO_LARGE",
      },
      {
        // Refused from the header alone: were the body awaited, this request (10 bytes of 10 GiB) would hang.
        what: "Content-Length far over the limit, body not sent",
        path: `${base}/hello/files/huge.bin`,
        headers: { "content-length": String(10 * 1024 ** 3) },
        chunks: [enc.encode("0123456789")],
        status: 413,
        code: "PAYLOAD_TOO_LARGE",
      },
      { what: "../x", path: `${base}/hello/files/..%2Fx`, chunks: [kept], status: 400, code: "INVALID_NAME" },
      { what: "a/b", path: `${base}/hello/files/a%2Fb`, chunks: [kept], status: 400, code: "INVALID_NAME" },
      {
        what: "%2e%2e",
        path: `${base}/hello/files/%2e%2e`,
        chunks: [kept],
        status: 400,
        code: "INVALID_NAME",
      },
      {
        what: "../x unencoded",
        path: `${base}/hello/files/../x`,
        chunks: [kept],
        status: 400,
        code: "INVALID_NAME",
      },
      {
        what: "a/b unencoded",
        path: `${base}/hello/files/a/b`,
        chunks: [kept],
        status: 400,
        code: "INVALID_NAME",
      },
      { what: "%2E", path: `${base}/hello/files/%2E`, chunks: [kept], status: 400, code: "INVALID_NAME" },
      { what: "NUL", path: `${base}/hello/files/a%00b`, chunks: [kept], status: 400, code: "INVALID_NAME" },
      {
        what: "129 characters",
        path: `${base}/hello/files/${"a".repeat(129)}`,
        chunks: [kept],
        status: 400,
        code: "INVALID_NAME",
      },
      {
        what: "artifact named ..",
        path: `${base}/hello/releases/1.0.0/artifacts/%2e%2e`,
        chunks: [deb.bytes],
        status: 400,
        code: "INVALID_NAME",
      },
      {
        what: "a truncated .deb",
        path: `${base}/hello/releases/1.0.0/artifacts/${deb.fileName}`,
        chunks: [deb.bytes.subarray(0, Math.floor(deb.bytes.length / 2))],
        status: 422,
        code: "NOT_A_PACKAGE",
        details: { readerCode: "TRUNCATED" },
      },
      {
        what: "text named .rpm",
        path: `${base}/hello/releases/1.0.0/artifacts/hello-1.0-1.x86_64.rpm`,
        chunks: [enc.encode("this is not an rpm\n")],
        status: 422,
        code: "NOT_A_PACKAGE",
        details: { readerCode: "UNSUPPORTED" },
      },
      {
        what: "a packyard.yml with an unknown key",
        path: `${base}/newpkg`,
        headers: { "content-type": "text/yaml" },
        chunks: [enc.encode(`${CONFIG}colour: blue\n`)],
        status: 422,
        code: "INVALID_CONFIG",
        details: { loaderCode: "UNKNOWN_KEY", field: "colour" },
      },
    ];
    const before = { keys: await listAll(h.storage), counts: await counts(h) };
    assert.deepEqual(before.keys, [blobKey(sha256(kept))]);
    for (const row of rows) {
      const length = row.chunks.reduce((n, c) => n + c.length, 0);
      const r = await rawHttp(port, {
        method: row.method ?? "PUT",
        path: row.path,
        headers: {
          ...octet,
          ...(row.chunked ? { "transfer-encoding": "chunked" } : { "content-length": String(length) }),
          ...row.headers,
        },
        chunks: row.chunks,
      });
      assert.equal(r.status, row.status, `${row.what}: ${r.body}`);
      const body = JSON.parse(r.body) as { error: { code: string; details: Record<string, unknown> } };
      assert.equal(body.error.code, row.code, row.what);
      for (const [k, v] of Object.entries(row.details ?? {}))
        assert.equal(body.error.details[k], v, `${row.what}: ${k}`);
      assert.deepEqual(await listAll(h.storage), before.keys, `${row.what}: storage changed`);
      assert.deepEqual(await counts(h), before.counts, `${row.what}: rows changed`);
    }
    // At the limit exactly, the same upload passes.
    const atLimit = await rawHttp(port, {
      method: "PUT",
      path: `${base}/hello/files/big.bin`,
      headers: { ...octet, "transfer-encoding": "chunked" },
      chunks: [over.subarray(0, limit)],
    });
    assert.equal(atLimit.status, 201, atLimit.body);
  });

  test("ready-made packages: deb, rpm, Arch and apk read and stored; releases; idempotent; VERSION_EXISTS; artifactsForPublish", async (t) => {
    const s = await setup(t, fresh);
    if (s === undefined) return;
    const { h, base } = s;
    const made: Record<string, { bytes: Uint8Array; fileName: string }> = {};
    for (const format of ["deb", "rpm", "archlinux", "apk"] as const) {
      const p = await examplePackage(format);
      made[format] = p;
      const r = await put(s, `${base}/hello/releases/1.0.0/artifacts/${p.fileName}`, p.bytes);
      assert.equal(r.statusCode, 201, r.body);
      const info = await readPackage(bytesSource(p.bytes), p.fileName);
      assert.deepEqual(
        {
          format: r.json().format,
          name: r.json().name,
          version: r.json().version,
          arch: r.json().arch,
          sha256: r.json().sha256,
        },
        {
          format,
          name: info.name,
          version: info.versionString,
          arch: info.archString,
          sha256: sha256(p.bytes),
        },
      );
    }
    // The same bytes again: 200, nothing added.
    const before = await counts(h);
    const again = await put(
      s,
      `${base}/hello/releases/1.0.0/artifacts/${made.deb!.fileName}`,
      made.deb!.bytes,
    );
    assert.equal(again.statusCode, 200, again.body);
    assert.deepEqual(await counts(h), before);
    assert.deepEqual(before, { packages: 1, releases: 1, blobs: 4, package_files: 0, artifacts: 4 });

    // Same name, version and architecture with other bytes: 409, nothing stored.
    const { spec, options } = await exampleFromConfig("deb");
    const other = await collectBytes(
      writePackage("deb", { ...spec, description: `${spec.description}\nchanged` }, options as never),
    );
    const keys = await listAll(h.storage);
    const conflict = await put(s, `${base}/hello/releases/1.0.1/artifacts/${made.deb!.fileName}`, other);
    assert.equal(conflict.statusCode, 409, conflict.body);
    assert.equal(errorOf(conflict).code, "VERSION_EXISTS");
    assert.equal(errorOf(conflict).details.release, "1.0.0");
    assert.deepEqual(await listAll(h.storage), keys);
    assert.deepEqual(await counts(h), before);

    // Releases: listed, read with their artifacts; POST makes an empty one, twice is 409.
    const rel = await h.request({
      method: "GET",
      url: `${base}/hello/releases/1.0.0`,
      headers: bearer(s.viewer),
    });
    assert.equal(rel.statusCode, 200);
    assert.deepEqual(
      rel
        .json()
        .artifacts.map((a: { fileName: string }) => a.fileName)
        .sort(),
      Object.values(made)
        .map((p) => p.fileName)
        .sort(),
    );
    const created = await h.request({
      method: "POST",
      url: `${base}/hello/releases`,
      headers: bearer(s.maintainer),
      payload: { version: "2.0.0" },
    });
    assert.equal(created.statusCode, 201, created.body);
    const twice = await h.request({
      method: "POST",
      url: `${base}/hello/releases`,
      headers: bearer(s.maintainer),
      payload: { version: "2.0.0" },
    });
    assert.equal(twice.statusCode, 409);
    const releases = await h.request({
      method: "GET",
      url: `${base}/hello/releases`,
      headers: bearer(s.viewer),
    });
    assert.deepEqual(
      releases.json().map((r: { version: string; artifacts: number }) => [r.version, r.artifacts]),
      [
        ["1.0.0", 4],
        ["2.0.0", 0],
      ],
    );
    const viewerUpload = await put(
      s,
      `${base}/hello/releases/2.0.0/artifacts/${made.rpm!.fileName}`,
      made.rpm!.bytes,
      s.viewer,
    );
    assert.equal(viewerUpload.statusCode, 403);

    // What publishing gets: PackageInfo as the reader makes it, the stored bytes, the file name.
    const project = (await h.db.query<{ id: number }>("SELECT id FROM projects WHERE slug = 'demo'")).rows[0]!
      .id;
    const inputs = await artifactsForPublish(h.db, h.storage, project, {
      package: "hello",
      version: "1.0.0",
    });
    assert.equal(inputs.length, 4);
    for (const input of inputs) {
      const p = made[input.info.format]!;
      assert.equal(input.name, p.fileName);
      assert.equal(input.source.size, p.bytes.length);
      sameBytes(await collectBytes(input.source.open()), p.bytes);
      sameBytes(await collectBytes(input.source.open({ start: 10, end: 20 })), p.bytes.subarray(10, 20));
      const read = await readPackage(bytesSource(p.bytes), p.fileName);
      assert.deepStrictEqual(input.info, withoutUndefined(read));
    }
    const rpmOnly = await artifactsForPublish(h.db, h.storage, project, { formats: ["rpm"] });
    assert.deepEqual(
      rpmOnly.map((i) => i.info.format),
      ["rpm"],
    );

    // An owner deletes the release: its artifacts and their blobs go.
    const del = await h.request({
      method: "DELETE",
      url: `${base}/hello/releases/1.0.0`,
      headers: bearer(s.owner),
    });
    assert.equal(del.statusCode, 204);
    assert.deepEqual(await listAll(h.storage), []);
    assert.deepEqual(await counts(h), { packages: 1, releases: 1, blobs: 0, package_files: 0, artifacts: 0 });
  });

  test("PackageInfo round-trips through jsonb for every format's fixture packages and for awkward values", async (t) => {
    const h = await harness(t, fresh);
    if (h === undefined) return;
    const files: string[] = [];
    for (const dir of ["deb", "rpm", "archlinux", "apk", "macos"])
      for (const name of readdirSync(`${FIXTURES}${dir}`))
        if (/\.(deb|rpm|apk|pkg|pkg\.tar\.(gz|xz|zst))$/.test(name)) files.push(`${dir}/${name}`);
    assert.ok(files.length >= 10, `fixture packages found: ${files.join(", ")}`);
    const formats = new Set<string>();
    for (const file of files) {
      const info = await readPackage(bytesSource(new Uint8Array(readFileSync(`${FIXTURES}${file}`))), file);
      formats.add(info.format);
      assert.deepStrictEqual(await throughDb(h, info), withoutUndefined(info), file);
    }
    assert.deepEqual([...formats].sort(), ["apk", "archlinux", "deb", "rpm"]);
    // Values plain JSON or jsonb would lose or refuse.
    const base = await readPackage(
      bytesSource(new Uint8Array(readFileSync(`${FIXTURES}deb/foo-gzip.deb`))),
      "foo.deb",
    );
    const awkward = {
      ...base,
      description: "NUL \u0000 inside, a lone \ud800 surrogate, a pair \ud83d\ude00",
      installedSize: -0,
      buildDate: Number.NaN,
      scripts: { postinstall: { body: "#!/bin/sh\n\u0000\n" } },
      raw: { format: "archlinux", pkginfo: "pkgname = foo\n", signature: new Uint8Array([0, 1, 2, 255]) },
      extra: { $bytes: "not a tag", "key\u0000nul": [1, Number.POSITIVE_INFINITY, null] },
    } as unknown as PackageInfo;
    const back = await throughDb(h, awkward);
    assert.deepStrictEqual(back, awkward);
    assert.ok(Object.is(back.installedSize, -0));
    assert.ok((back.raw as { signature: Uint8Array }).signature instanceof Uint8Array);
  });

  test("blob collection: unreferenced blobs and stale objects go, referenced ones and fresh temporaries stay", async (t) => {
    const s = await setup(t, fresh);
    if (s === undefined) return;
    const { h, base } = s;
    const used = enc.encode("used");
    assert.equal((await put(s, `${base}/hello/files/used.txt`, used)).statusCode, 201);
    // An unreferenced row + object, an object without a row, a temporary upload left behind.
    const loose = enc.encode("loose");
    await h.storage.put(blobKey(sha256(loose)), loose);
    await h.db.query("INSERT INTO blobs (sha256, size, created_at) VALUES ($1, $2, $3)", [
      sha256(loose),
      loose.length,
      h.clock.now(),
    ]);
    const orphan = enc.encode("orphan");
    await h.storage.put(blobKey(sha256(orphan)), orphan);
    await h.storage.put("uploads/tmp/left-behind", enc.encode("partial"));

    // Within the grace: the unreferenced row goes (rows need no grace), the objects without rows stay.
    const early = await collectBlobs(h.db, h.storage, { graceMs: 3_600_000 });
    assert.deepEqual(early, { blobs: [sha256(loose)], orphans: [], temporaries: [] });
    assert.deepEqual(
      (await listAll(h.storage)).sort(),
      [blobKey(sha256(used)), blobKey(sha256(orphan)), "uploads/tmp/left-behind"].sort(),
    );
    // After it: they go too; the referenced blob stays.
    const later = await collectBlobs(h.db, h.storage, {
      graceMs: 3_600_000,
      now: new Date(Date.now() + 7_200_000),
    });
    assert.deepEqual(later, {
      blobs: [],
      orphans: [sha256(orphan)],
      temporaries: ["uploads/tmp/left-behind"],
    });
    assert.deepEqual(await listAll(h.storage), [blobKey(sha256(used))]);
    const { rows } = await h.db.query<{ sha256: string }>("SELECT sha256 FROM blobs");
    assert.deepEqual(
      rows.map((r) => r.sha256),
      [sha256(used)],
    );
    // Deleting the package unreferences it: collected with the deletion.
    assert.equal(
      (await h.request({ method: "DELETE", url: `${base}/hello`, headers: bearer(s.owner) })).statusCode,
      204,
    );
    assert.deepEqual(await listAll(h.storage), []);
  });

  test("blob collection keeps what builds reference: every build's sources and each job's upload", async (t) => {
    const s = await setup(t, fresh);
    if (s === undefined) return;
    const { h, base } = s;
    const { id: packageId, project_id: projectId } = (
      await h.db.query<{ id: number; project_id: number }>(
        "SELECT id, project_id FROM packages WHERE name = 'hello'",
      )
    ).rows[0]!;
    /** A blob row and object nothing references (as an upload's commit leaves it before its reference). */
    async function looseBlob(bytes: Uint8Array): Promise<string> {
      await h.storage.put(blobKey(sha256(bytes)), bytes);
      await h.db.query("INSERT INTO blobs (sha256, size, created_at) VALUES ($1, $2, $3)", [
        sha256(bytes),
        bytes.length,
        h.clock.now(),
      ]);
      return sha256(bytes);
    }
    /** A finished build of `hello` with these sources and, when given, a job holding an upload. */
    async function build(sources: { accessName: string; bytes: Uint8Array }[], upload?: string) {
      const { rows } = await h.db.query<{ id: number }>(
        `INSERT INTO builds (project_id, package_id, version, state, targets, config, sources, source_date_epoch,
                             created_at)
         VALUES ($1, $2, '1.0.0', 'succeeded', '{debian-12}', $3, $4::jsonb, 0, $5) RETURNING id`,
        [
          projectId,
          packageId,
          CONFIG,
          JSON.stringify(
            sources.map((x) => ({ accessName: x.accessName, sha256: sha256(x.bytes), size: x.bytes.length })),
          ),
          h.clock.now(),
        ],
      );
      const id = rows[0]!.id;
      if (upload !== undefined)
        await h.db.query(
          `INSERT INTO jobs (build_id, project_id, format, arch, targets, state, attempt, upload_sha256,
                             upload_file_name, created_at)
           VALUES ($1, $2, 'deb', 'amd64', '{debian-12}', 'succeeded', 1, $3, 'hello.deb', $4)`,
          [id, projectId, upload, h.clock.now()],
        );
      return id;
    }
    const stored = async (sha: string) =>
      (await h.storage.head(blobKey(sha))) !== undefined &&
      (await h.db.query("SELECT 1 FROM blobs WHERE sha256 = $1", [sha])).rows.length === 1;

    // A blob only a job's upload references is kept, and the collection goes on to the blobs after it (the
    // jobs row's RESTRICT reference used to fail the deletion and end the whole collection).
    const v1 = enc.encode("version one");
    assert.equal((await put(s, `${base}/hello/files/hello.tar.gz`, v1)).statusCode, 201);
    const built = await looseBlob(enc.encode("an uploaded, unsigned package"));
    const first = await build([{ accessName: "hello.tar.gz", bytes: v1 }], built);
    const loose = [await looseBlob(enc.encode("loose 1")), await looseBlob(enc.encode("loose 2"))].sort();
    assert.deepEqual(await collectBlobs(h.db, h.storage, { graceMs: 3_600_000 }), {
      blobs: loose,
      orphans: [],
      temporaries: [],
    });
    assert.ok(await stored(built), "the job's upload was collected");

    // Replacing the source file keeps the bytes a build recorded (a retry or a re-run fetches them).
    const v2 = enc.encode("version two");
    const replaced = await put(s, `${base}/hello/files/hello.tar.gz`, v2);
    assert.equal(replaced.statusCode, 200, replaced.body);
    assert.ok(await stored(sha256(v1)), "the replaced file a build references was collected");
    assert.deepEqual((await collectBlobs(h.db, h.storage, { graceMs: 3_600_000 })).blobs, []);

    // The build pruned (its jobs go with it): both are collected.
    await h.db.query("DELETE FROM builds WHERE id = $1", [first]);
    assert.deepEqual(
      (await collectBlobs(h.db, h.storage, { graceMs: 3_600_000 })).blobs,
      [sha256(v1), built].sort(),
    );

    // A job's upload is recorded with its blob under the blob's lock; a stale attempt leaves neither; an
    // attempt's second upload replaces its first, which is collected.
    const running = (
      await h.db.query<{ id: number }>(
        `INSERT INTO jobs (build_id, project_id, format, arch, targets, state, attempt, created_at)
         VALUES ($1, $2, 'rpm', 'amd64', '{fedora-42}', 'running', 2, $3) RETURNING id`,
        [await build([]), projectId, h.clock.now()],
      )
    ).rows[0]!.id;
    const stage = (text: string) =>
      stageUpload(
        h.storage,
        (async function* () {
          yield enc.encode(text);
        })(),
        { limitBytes: 1000 },
      );
    const deps = { db: h.db, storage: h.storage, clock: h.clock };
    const stale = await stage("from a lost attempt");
    await assert.rejects(
      storeJobUpload(deps, { jobId: running, attempt: 1, fileName: "x.rpm" }, stale),
      (e: unknown) => isServerError(e, "STALE_ATTEMPT"),
    );
    assert.equal(await h.storage.head(blobKey(stale.sha256)), undefined);
    assert.equal((await h.db.query("SELECT 1 FROM blobs WHERE sha256 = $1", [stale.sha256])).rows.length, 0);
    const once = await stage("a job's first upload");
    const again = await stage("a job's second upload");
    await storeJobUpload(deps, { jobId: running, attempt: 2, fileName: "x.rpm" }, once);
    assert.ok(await stored(once.sha256));
    await storeJobUpload(deps, { jobId: running, attempt: 2, fileName: "y.rpm" }, again);
    assert.deepEqual(
      (await h.db.query("SELECT upload_sha256, upload_file_name FROM jobs WHERE id = $1", [running])).rows,
      [{ upload_sha256: again.sha256, upload_file_name: "y.rpm" }],
    );
    assert.equal(await h.storage.head(blobKey(once.sha256)), undefined, "the replaced upload stayed");
    assert.ok(await stored(again.sha256));
    for (const x of [stale, once, again]) await h.storage.delete(x.tmpKey);

    // Deleting the package collects its builds' sources and uploads with it, at once.
    const gone = enc.encode("a source only a build still names");
    await looseBlob(gone);
    await build([{ accessName: "old.tar.gz", bytes: gone }], await looseBlob(enc.encode("second upload")));
    assert.equal(
      (await h.request({ method: "DELETE", url: `${base}/hello`, headers: bearer(s.owner) })).statusCode,
      204,
    );
    assert.deepEqual(await listAll(h.storage), []);
    assert.deepEqual((await h.db.query("SELECT sha256 FROM blobs")).rows, []);
  });

  test("blob collection racing an upload of the same bytes: the committed reference keeps its object", async (t) => {
    const s = await setup(t, fresh);
    if (s === undefined) return;
    const { h } = s;
    const pkg = (await h.db.query<{ id: number }>("SELECT id FROM packages WHERE name = 'hello'")).rows[0]!
      .id;
    const bytes = enc.encode("raced");
    const sha = sha256(bytes);
    // An unreferenced blob (row and object) of the bytes about to be uploaded.
    await h.storage.put(blobKey(sha), bytes);
    await h.db.query("INSERT INTO blobs (sha256, size, created_at) VALUES ($1, $2, $3)", [
      sha,
      bytes.length,
      h.clock.now(),
    ]);

    // 1. The upload finds the object present and writes nothing; 2. a collection deletes row and object
    // (still unreferenced); 3. the upload commits its rows; 4. it looks again and writes the object back.
    const staged = await stageUpload(
      h.storage,
      (async function* () {
        yield bytes;
      })(),
      { limitBytes: 1000 },
    );
    assert.equal(await ensureBlobObject(h.storage, staged), false);
    assert.deepEqual((await collectBlobs(h.db, h.storage, { graceMs: 0, only: [sha] })).blobs, [sha]);
    assert.equal(await h.storage.head(blobKey(sha)), undefined);
    await h.db.transaction(async (tx) => {
      await lockBlob(tx, sha);
      await insertBlobRow(tx, sha, bytes.length, h.clock.now());
      await tx.query(
        "INSERT INTO package_files (package_id, access_name, blob_sha256, created_at, updated_at) VALUES ($1, 'raced', $2, $3, $3)",
        [pkg, sha, h.clock.now()],
      );
    });
    await recheckBlobObject(h.storage, staged);
    sameBytes(await collectBytes((await h.storage.get(blobKey(sha)))!), bytes);

    // A collection started while an upload's commit holds the blob's lock waits for it, then sees the
    // reference (PostgreSQL: the advisory lock, from another connection; PGlite: one transaction at a time).
    await h.db.query("DELETE FROM package_files WHERE access_name = 'raced'");
    let release!: () => void;
    const held = new Promise<void>((r) => {
      release = r;
    });
    let locked!: () => void;
    const isLocked = new Promise<void>((r) => {
      locked = r;
    });
    const upload = h.db.transaction(async (tx) => {
      await lockBlob(tx, sha);
      locked();
      await held;
      await tx.query(
        "INSERT INTO package_files (package_id, access_name, blob_sha256, created_at, updated_at) VALUES ($1, 'raced', $2, $3, $3)",
        [pkg, sha, h.clock.now()],
      );
    });
    await isLocked;
    let done = false;
    const collected = collectBlobs(h.db, h.storage, { graceMs: 0, only: [sha] }).then((r) => {
      done = true;
      return r;
    });
    // Time for the collection to reach the lock (not a timing assertion: it may only be early, never late).
    // The upload's transaction is let go whatever happens, so a failure here does not hang the test.
    await new Promise((r) => setTimeout(r, 300));
    const waited = !done;
    release();
    const uploaded = await upload.then(
      () => true,
      (e: unknown) => e,
    );
    assert.ok(waited, `the collection (${kind}) did not wait for the upload's lock`);
    assert.equal(uploaded, true);
    const result = await collected;
    assert.deepEqual(result.blobs, []);
    sameBytes(await collectBytes((await h.storage.get(blobKey(sha)))!), bytes);
  });
});

secretsNeverLeak();

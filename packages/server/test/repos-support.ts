/**
 * What the repository tests share: an app with a project `demo` (owner, maintainer, viewer tokens) and a
 * package `hello`, the example's packages built as `packyard build -p <format>` builds them, and uploads of
 * them as release artifacts through the uploads API.
 */
import assert from "node:assert/strict";
import type { TestContext } from "node:test";
import { type FormatId, type PackageSpec, packageFileName, writePackage } from "@packyard/formats";
import { collectBytes, type Storage } from "@packyard/repo";
import { exampleFromConfig } from "@packyard/testkit/example";
import type { AppConfig } from "../src/index.ts";
import { bearer, type Harness, harness } from "./app-harness.ts";
import type { FreshDb } from "./dbs.ts";

/** packyard.yml of the project's package `hello` (the uploads API checks it; publishing does not read it). */
export const HELLO_CONFIG = `name: hello
version: 1.0.0
arch: all
maintainer: Packyard Test <test@packyard.invalid>
description: A test package
contents:
  - src: hello.txt
    dst: /usr/share/hello/hello.txt
`;

/** An app with project `demo` and its package `hello`. */
export interface RepoSetup {
  h: Harness;
  owner: string;
  maintainer: string;
  viewer: string;
  /** `/api/v1/projects/demo`. */
  base: string;
}

/** Builds the app, the project (keys drawn from the fixture pool), its members and the package. */
export async function repoSetup(
  t: TestContext,
  fresh: (t: TestContext) => Promise<FreshDb | undefined>,
  config: AppConfig = {},
  options: { storage?: Storage } = {},
): Promise<RepoSetup | undefined> {
  const h = await harness(t, fresh, { rateLimit: { max: 100_000 }, ...config }, options);
  if (h === undefined) return undefined;
  const owner = (await h.token(await h.user("owner"), ["read", "write", "publish", "keys"])).token;
  const r = await h.request({
    method: "POST",
    url: "/api/v1/projects",
    headers: bearer(owner),
    payload: { slug: "demo" },
  });
  assert.equal(r.statusCode, 201, r.body);
  const tokens: Record<string, string> = {};
  for (const role of ["maintainer", "viewer"] as const) {
    const id = await h.user(role);
    const m = await h.request({
      method: "PUT",
      url: `/api/v1/projects/demo/members/${role}`,
      headers: bearer(owner),
      payload: { role },
    });
    assert.equal(m.statusCode, 200, m.body);
    tokens[role] = (await h.token(id, ["read", "write", "publish"])).token;
  }
  const s: RepoSetup = {
    h,
    owner,
    maintainer: tokens.maintainer!,
    viewer: tokens.viewer!,
    base: "/api/v1/projects/demo",
  };
  const p = await h.request({
    method: "PUT",
    url: `${s.base}/packages/hello`,
    headers: { ...bearer(s.maintainer), "content-type": "text/yaml" },
    payload: HELLO_CONFIG,
  });
  assert.equal(p.statusCode, 201, p.body);
  return s;
}

/** A package of the example project as `packyard build -p <format>` makes it, with `spec` changes. */
export async function examplePackage(
  format: FormatId,
  change: Partial<PackageSpec> = {},
): Promise<{ bytes: Uint8Array; fileName: string }> {
  const { spec, options } = await exampleFromConfig(format);
  const s = { ...spec, ...change };
  const bytes = await collectBytes(writePackage(format, s, options as never));
  return { bytes, fileName: packageFileName(format, s, options as never) };
}

/** Uploads a package as an artifact of release `hello` `version` (made on its first artifact). */
export async function uploadArtifact(
  s: RepoSetup,
  version: string,
  pkg: { bytes: Uint8Array; fileName: string },
): Promise<void> {
  const r = await s.h.request({
    method: "PUT",
    url: `${s.base}/packages/hello/releases/${version}/artifacts/${pkg.fileName}`,
    headers: { ...bearer(s.maintainer), "content-type": "application/octet-stream" },
    payload: Buffer.from(pkg.bytes),
  });
  assert.ok(r.statusCode === 201 || r.statusCode === 200, r.body);
}

/** The project's active public OpenPGP key, armored, fetched from the keys API. */
export async function projectPublicKey(s: RepoSetup): Promise<string> {
  const list = await s.h.request({ method: "GET", url: `${s.base}/keys`, headers: bearer(s.viewer) });
  assert.equal(list.statusCode, 200, list.body);
  const keys = list.json() as { id: string; purpose: string; state: string }[];
  const active = keys.find((k) => k.purpose === "openpgp" && k.state === "active");
  assert.ok(active !== undefined, list.body);
  const r = await s.h.request({ method: "GET", url: `${s.base}/keys/${active.id}.asc` });
  assert.equal(r.statusCode, 200, r.body);
  return r.body;
}

/** Every key in the store under `prefix`, ascending (all pages). */
export async function listAll(storage: Storage, prefix = ""): Promise<string[]> {
  const keys: string[] = [];
  for (let cursor: string | undefined; ; ) {
    const page = await storage.list(prefix, cursor === undefined ? {} : { cursor });
    keys.push(...page.objects.map((o) => o.key));
    if (page.cursor === undefined) return keys;
    cursor = page.cursor;
  }
}

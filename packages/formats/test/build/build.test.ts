/**
 * The build API without the CLI and without a disk: an in-memory BuildHost proves all I/O goes through the
 * host; the manifest carries each package's PackageInfo (the Arch `.sig` bytes included) and survives its
 * JSON form; bad manifests and bad builds fail with typed errors, and a failed build writes nothing.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";
import { build } from "../../src/build/build.ts";
import type { BuildHost } from "../../src/source/host.ts";
import { BUILD_MANIFEST_NAME, parseBuildManifest, serializeBuildManifest } from "../../src/build/manifest.ts";
import { bytesSource } from "../../src/bytes/bytes.ts";
import { FormatError, SpecError } from "../../src/errors.ts";
import { readPackage } from "../../src/api.ts";
import { ROOT, type PackageSpec } from "../../src/spec/types.ts";
import { validateSpec } from "../../src/spec/validate.ts";
import { openpgpTestKey } from "@packyard/testkit/keyrings";

const DATE = 1704067200;

/** A BuildHost over a Map: nothing reaches the disk, and every write is visible to the test. */
function memoryHost(): BuildHost & { files: Map<string, Uint8Array>; dirs: Set<string> } {
  const files = new Map<string, Uint8Array>();
  const dirs = new Set<string>();
  const refuse = async (): Promise<never> => {
    throw new Error("the config host is not used by a spec build");
  };
  return {
    files,
    dirs,
    async readFile(path) {
      const f = files.get(path);
      if (f === undefined) throw new Error(`no such file ${path}`);
      return f;
    },
    async mkdir(path) {
      dirs.add(path);
    },
    async writeFileAtomic(path, chunks) {
      const parts: Uint8Array[] = [];
      for await (const c of chunks) parts.push(c);
      files.set(path, new Uint8Array(Buffer.concat(parts)));
    },
    async fileSource(path) {
      const f = files.get(path);
      if (f === undefined) throw new Error(`no such file ${path}`);
      return bytesSource(f);
    },
    config: {
      lstat: refuse,
      stat: refuse,
      readdir: refuse,
      readlink: refuse,
      readFile: refuse,
      file: refuse,
      glob: refuse,
      isGlob: () => false,
    },
  };
}

function spec(name = "api-hello"): PackageSpec {
  return validateSpec({
    name,
    version: { upstream: "1.4.0", release: "2" },
    arch: "amd64",
    date: DATE,
    maintainer: "Build API <api@example.org>",
    description: "Built without the CLI\nThrough the library's build API.",
    license: "MIT",
    relations: {},
    entries: [
      {
        type: "file",
        path: "/usr/bin/api-hello",
        mode: 0o755,
        owner: ROOT,
        group: ROOT,
        content: bytesSource(new TextEncoder().encode("#!/bin/sh\necho api\n")),
      },
    ],
    scripts: {},
    changelog: [{ version: "1.4.0", date: DATE, author: "Build API <api@example.org>", changes: ["first"] }],
  });
}

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

test("a spec build through an in-memory host: every artifact written through the host, PackageInfo in the manifest", async () => {
  const host = memoryHost();
  const events: string[] = [];
  const { manifest, dir, manifestPath } = await build(
    { spec: spec() },
    {
      formats: ["deb", "rpm", "archlinux", "tar.gz"],
      target: "/nowhere/out",
      date: DATE,
      host,
      onProgress: (e) => events.push(e.kind),
    },
  );
  assert.equal(dir, "/nowhere/out");
  assert.deepEqual([...host.dirs], ["/nowhere/out"]);
  assert.equal(manifestPath, `/nowhere/out/${BUILD_MANIFEST_NAME}`);
  assert.deepEqual(
    manifest.artifacts.map((a) => [a.packager, a.kind, a.file]),
    [
      ["deb", "package", "api-hello_1.4.0-2_amd64.deb"],
      ["rpm", "package", "api-hello-1.4.0-2.x86_64.rpm"],
      ["archlinux", "package", "api-hello-1.4.0-2-x86_64.pkg.tar.zst"],
      ["tar.gz", "package", "api-hello_1.4.0_linux_amd64.tar.gz"],
      ["checksums", "checksums", "SHA256SUMS"],
    ],
  );
  assert.deepEqual(
    [...host.files.keys()].sort(),
    [...manifest.artifacts.map((a) => `/nowhere/out/${a.file}`), manifestPath].sort(),
  );
  for (const a of manifest.artifacts) {
    const bytes = host.files.get(`/nowhere/out/${a.file}`)!;
    assert.equal(a.size, bytes.length, a.file);
    assert.equal(a.sha256, sha256(bytes), a.file);
    if (a.kind !== "package") continue;
    // The manifest's PackageInfo is what a reader finds in the bytes written.
    const again = await readPackage(bytesSource(bytes), a.file);
    assert.deepEqual(a.info, again, a.file);
    // A release archive has no metadata: its reader names it after the top folder.
    if (a.packager !== "tar.gz") assert.equal(a.info?.name, "api-hello");
  }
  // The changelog made it into PackageInfo for the formats that keep one.
  const deb = manifest.artifacts[0]?.info;
  const rpm = manifest.artifacts[1]?.info;
  assert.equal(deb?.changelog?.length, 1);
  assert.equal(rpm?.changelog?.[0]?.text, "- first");
  const sums = new TextDecoder().decode(host.files.get("/nowhere/out/SHA256SUMS"));
  for (const a of manifest.artifacts.slice(0, 4))
    assert.ok(sums.includes(`${a.sha256}  ${a.file}\n`), a.file);
  assert.deepEqual(events.filter((e) => e === "start").length, 4);
  assert.equal(events.at(-1), "manifest");
  // The manifest written is the manifest returned.
  const written = parseBuildManifest(new TextDecoder().decode(host.files.get(manifestPath!)));
  assert.deepEqual(written, manifest);
});

test("a signed Arch package: the .sig is an artifact, its bytes are in PackageInfo raw and survive the JSON manifest", async () => {
  const { signer } = await openpgpTestKey({
    name: "Build API",
    email: "api@example.org",
    type: "ecc",
    date: new Date(0),
  });
  const host = memoryHost();
  const { manifest, manifestPath } = await build(
    { spec: spec() },
    { formats: ["archlinux"], target: "/out", date: DATE, host, signers: { archlinux: signer } },
  );
  const [pkg, sig] = manifest.artifacts;
  assert.equal(sig?.kind, "signature");
  assert.equal(sig?.signs, pkg?.file);
  assert.equal(sig?.file, `${pkg?.file}.sig`);
  const sigBytes = host.files.get(`/out/${sig?.file}`)!;
  assert.ok(pkg?.info?.raw.format === "archlinux");
  assert.deepEqual(pkg.info.raw.signature, sigBytes);
  const text = new TextDecoder().decode(host.files.get(manifestPath!));
  assert.ok(!text.includes('"0":'), "byte arrays are not written as index maps");
  const parsed = parseBuildManifest(text);
  const raw = parsed.artifacts[0]?.info?.raw;
  assert.ok(raw?.format === "archlinux" && raw.signature instanceof Uint8Array);
  assert.deepEqual(raw.signature, sigBytes);
  assert.equal(serializeBuildManifest(parsed), text);
});

test("a failed build writes nothing: unknown packagers and format validation fail before the first write", async () => {
  const host = memoryHost();
  await assert.rejects(
    build({ spec: spec() }, { formats: ["deb", "snap"], target: "/out", date: DATE, host }),
    (e: unknown) => e instanceof SpecError && e.code === "UNKNOWN_FORMAT" && /snap/.test(e.message),
  );
  // rpm accepts an upper-case name, Debian policy does not: deb's validate refuses it before rpm is written.
  await assert.rejects(
    build({ spec: spec("Api-Hello") }, { formats: ["rpm", "deb"], target: "/out", date: DATE, host }),
    (e: unknown) => e instanceof SpecError,
  );
  await assert.rejects(
    build({ spec: spec() }, { formats: [], target: "/out", date: DATE, host }),
    (e: unknown) => e instanceof SpecError && e.code === "MISSING_FIELD",
  );
  assert.equal(host.files.size, 0);
  assert.equal(host.dirs.size, 0);
});

test("parseBuildManifest: typed errors naming the field, another schema version refused", () => {
  const good = {
    schema: "packyard-build/1",
    name: "x",
    version: "1.0.0",
    date: 0,
    artifacts: [
      { file: "SHA256SUMS", packager: "checksums", kind: "checksums", size: 1, sha256: "a".repeat(64) },
    ],
  };
  assert.equal(parseBuildManifest(JSON.stringify(good)).artifacts.length, 1);
  const cases: [unknown, string, RegExp][] = [
    [{ ...good, schema: "packyard-build/2" }, "UNSUPPORTED_VERSION", /packyard-build\/2/],
    [{ ...good, schema: "other" }, "INVALID_VALUE", /schema/],
    [
      { ...good, artifacts: [{ ...good.artifacts[0], sha256: "XYZ" }] },
      "INVALID_VALUE",
      /artifacts\[0\]\.sha256/,
    ],
    [
      { ...good, artifacts: [{ ...good.artifacts[0], file: "../etc/passwd" }] },
      "INVALID_VALUE",
      /artifacts\[0\]\.file/,
    ],
    [
      { ...good, artifacts: [{ ...good.artifacts[0], kind: "package" }] },
      "INVALID_VALUE",
      /artifacts\[0\]\.info/,
    ],
    [{ ...good, date: "yesterday" }, "INVALID_VALUE", /date/],
  ];
  for (const [value, code, where] of cases) {
    assert.throws(
      () => parseBuildManifest(JSON.stringify(value), "m.json"),
      (e: unknown) =>
        e instanceof FormatError &&
        e.code === code &&
        where.test(e.message) &&
        e.message.startsWith("m.json"),
      `${code} ${where}`,
    );
  }
  assert.throws(
    () => parseBuildManifest("{", "m.json"),
    (e: unknown) => e instanceof FormatError && e.code === "INVALID_VALUE",
  );
});

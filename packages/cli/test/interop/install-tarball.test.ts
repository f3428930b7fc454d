/**
 * Installed as a user would: every publishable workspace package is packed with `npm pack`, the tarballs
 * are installed into a scratch project with `npm install --offline` (from the cache `npm ci` filled: no
 * workspace links, no network), and that project is used under the pinned Node and under Node 22.15, the
 * `engines` floor (packages/testkit brings it). An ES module builds a .deb and an .rpm through the build
 * API and reads them back; `npx packyard build` runs from the installed CLI; `tsc` type-checks consumer
 * files against the shipped `.d.ts` (a good one passes, a wrong one is refused).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, test } from "node:test";
import { exampleProject } from "@packyard/testkit/example";
import { REPO } from "../run-cli.ts";

const NODES = {
  pinned: join(REPO, "node_modules/.bin/node"),
  floor: join(REPO, "packages/testkit/node_modules/.bin/node"),
} as const;
const EPOCH = "1700000000";

let work = "";
let app = "";
after(() => {
  if (work !== "") rmSync(work, { recursive: true, force: true });
});

function run(cmd: string, args: string[], cwd: string, env: Record<string, string> = {}) {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8", env: { ...process.env, ...env } });
  if (r.status !== 0) {
    assert.fail(`${cmd} ${args.join(" ")} in ${cwd} exited ${r.status}\n${r.stdout}\n${r.stderr}`);
  }
  return r.stdout;
}

/** PATH with `node` (and npm's scripts) resolving to the given Node first. */
function pathWith(node: string): Record<string, string> {
  return { PATH: `${dirname(node)}:${process.env.PATH ?? ""}` };
}

interface LockEntry {
  version?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  dev?: boolean;
  devOptional?: boolean;
  [key: string]: unknown;
}

/**
 * A package-lock for the scratch project: the tarballs, plus the monorepo lock's entries for their
 * runtime dependencies (with `resolved` and `integrity`, so npm installs them from its cache offline).
 */
function scratchLock(tarballs: Record<string, string>): object {
  const root = JSON.parse(readFileSync(join(REPO, "package-lock.json"), "utf8")) as {
    packages: Record<string, LockEntry>;
  };
  const packages: Record<string, LockEntry> = {
    "": {
      name: "scratch",
      dependencies: Object.fromEntries(Object.entries(tarballs).map(([n, f]) => [n, `file:${f}`])),
    },
  };
  // A dependency resolves as npm lays it out: nested under the package that needs it (or an ancestor)
  // when the monorepo lock has it there (ajv needs fast-uri 3 while the top level holds 4), else at the
  // top. Flattening every entry to node_modules/<name> made npm resolve the nested ones afresh, which
  // needs the registry's metadata: not in the cache on a fresh machine, so the offline install failed.
  const todo: { name: string; from: string; to: string }[] = [];
  const need = (deps: Record<string, string> | undefined, from: string, to: string) => {
    for (const name of Object.keys(deps ?? {})) todo.push({ name, from, to });
  };
  for (const [name, file] of Object.entries(tarballs)) {
    const dir = name === "packyard" ? "cli" : name.slice("@packyard/".length);
    const pkg = JSON.parse(readFileSync(join(REPO, "packages", dir, "package.json"), "utf8")) as {
      version: string;
      dependencies?: Record<string, string>;
      optionalDependencies?: Record<string, string>;
      bin?: Record<string, string>;
    };
    packages[`node_modules/${name}`] = {
      version: pkg.version,
      resolved: `file:${file}`,
      ...(pkg.dependencies ? { dependencies: pkg.dependencies } : {}),
      ...(pkg.optionalDependencies ? { optionalDependencies: pkg.optionalDependencies } : {}),
      ...(pkg.bin ? { bin: pkg.bin } : {}),
    };
    need(pkg.dependencies, `packages/${dir}`, `node_modules/${name}`);
    need(pkg.optionalDependencies, `packages/${dir}`, `node_modules/${name}`);
  }
  while (todo.length > 0) {
    const { name, from, to } = todo.pop()!;
    // From the package's own folder up to the top, in the monorepo lock and in the scratch one alike.
    let at = from;
    let scratchAt = to;
    let key: string | undefined;
    for (;;) {
      const here = at === "" ? `node_modules/${name}` : `${at}/node_modules/${name}`;
      if (root.packages[here] !== undefined) {
        key = scratchAt === "" ? `node_modules/${name}` : `${scratchAt}/node_modules/${name}`;
        at = here;
        break;
      }
      if (at === "") break;
      const up = at.lastIndexOf("/node_modules/");
      at = up < 0 ? "" : at.slice(0, up);
      const scratchUp = scratchAt.lastIndexOf("/node_modules/");
      scratchAt = scratchUp < 0 ? "" : scratchAt.slice(0, scratchUp);
    }
    if (key === undefined) assert.fail(`the monorepo lock has no ${name} for ${from}`);
    if (packages[key] !== undefined) continue;
    const entry = root.packages[at]!;
    const { dev: _d, devOptional: _o, ...rest } = entry;
    packages[key] = rest;
    need(entry.dependencies, at, key);
    need(entry.optionalDependencies, at, key);
  }
  return { name: "scratch", lockfileVersion: 3, requires: true, packages };
}

const CONSUMER = `
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { build, bytesSource, fileSource, parseBuildManifest, readPackage, ROOT, validateSpec } from "@packyard/formats";

const out = process.argv[2];
const spec = validateSpec({
  name: "scratch-hello",
  version: { upstream: "2.0.1", release: "3" },
  arch: "amd64",
  date: ${EPOCH},
  maintainer: "Scratch <scratch@example.org>",
  description: "Installed from a tarball\\nBuilt through the build API.",
  license: "MIT",
  relations: {},
  entries: [
    { type: "file", path: "/usr/bin/scratch-hello", mode: 0o755, owner: ROOT, group: ROOT,
      content: bytesSource(new TextEncoder().encode("#!/bin/sh\\necho hello\\n")) },
  ],
  scripts: {},
  changelog: [],
});
const { manifest, manifestPath } = await build({ spec }, { formats: ["deb", "rpm"], target: out, date: ${EPOCH} });
const onDisk = parseBuildManifest(await readFile(manifestPath, "utf8"), manifestPath);
const packages = [];
for (const a of manifest.artifacts.filter((x) => x.kind === "package")) {
  const info = await readPackage(await fileSource(join(out, a.file)), a.file);
  packages.push({
    file: a.file,
    format: info.format,
    name: info.name,
    versionString: info.versionString,
    sha256: info.artifact.digests.sha256,
    manifestSha256: a.sha256,
    manifestInfoName: a.info.name,
    files: info.files.filter((f) => f.type === "file").map((f) => f.path),
  });
}
console.log(JSON.stringify({ node: process.version, packages, onDiskArtifacts: onDisk.artifacts.length }));
`;

const TYPED_OK = `
import { build, type BuildManifest, type DebOptions, type PackageInfo, writePackage, type PackageSpec } from "@packyard/formats";
import { debFileName } from "@packyard/formats/deb";
declare const spec: PackageSpec;
const options: DebOptions = { compression: { algo: "gzip", level: 9 } };
const chunks: AsyncIterable<Uint8Array> = writePackage("deb", spec, options);
const result = await build({ spec }, { formats: ["deb"], target: "out", date: 0 });
const manifest: BuildManifest = result.manifest;
const info: PackageInfo | undefined = manifest.artifacts[0]?.info;
export { chunks, info, debFileName };
`;

const TYPED_WRONG = `
import { build } from "@packyard/formats";
const result = await build({ configPath: "packyard.yml" }, { formats: ["deb"], target: "out", date: 0 });
const wrong: number = result.manifest.name;
export { wrong };
`;

before(() => {
  work = mkdtempSync(join(tmpdir(), "packyard-install-"));
  const tgz = join(work, "tgz");
  mkdirSync(tgz);
  run(
    "npm",
    [
      "pack",
      "--workspace",
      "packages/formats",
      "--workspace",
      "packages/repo",
      "--workspace",
      "packages/server",
      "--workspace",
      "packages/cli",
      "--pack-destination",
      tgz,
    ],
    REPO,
  );
  const files = readdirSync(tgz);
  const formatsTgz = files.find((f) => f.startsWith("packyard-formats-"));
  const repoTgz = files.find((f) => f.startsWith("packyard-repo-"));
  const serverTgz = files.find((f) => f.startsWith("packyard-server-"));
  const cliTgz = files.find((f) => /^packyard-\d/.test(f));
  assert.ok(formatsTgz && repoTgz && serverTgz && cliTgz, `npm pack made ${files.join(", ")}`);
  app = join(work, "app");
  mkdirSync(app);
  const tarballs = {
    "@packyard/formats": `../tgz/${formatsTgz}`,
    "@packyard/repo": `../tgz/${repoTgz}`,
    "@packyard/server": `../tgz/${serverTgz}`,
    packyard: `../tgz/${cliTgz}`,
  };
  writeFileSync(
    join(app, "package.json"),
    JSON.stringify({
      name: "scratch",
      private: true,
      type: "module",
      dependencies: Object.fromEntries(Object.entries(tarballs).map(([n, f]) => [n, `file:${f}`])),
    }),
  );
  writeFileSync(join(app, "package-lock.json"), JSON.stringify(scratchLock(tarballs)));
  run("npm", ["install", "--offline", "--no-audit", "--no-fund"], app);
  writeFileSync(join(app, "consumer.mjs"), CONSUMER);
});

test("the packed tarballs ship dist/ and no TypeScript sources or tests", () => {
  const formats = join(app, "node_modules/@packyard/formats");
  const repo = join(app, "node_modules/@packyard/repo");
  const server = join(app, "node_modules/@packyard/server");
  const cli = join(app, "node_modules/packyard");
  const list = (dir: string): string[] =>
    readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((f) => !f.includes("node_modules"));
  for (const [dir, main] of [
    [formats, "dist/index.js"],
    [repo, "dist/index.js"],
    [server, "dist/index.js"],
    [cli, "dist/main.js"],
  ] as const) {
    const names = list(dir);
    assert.ok(names.includes(main), `${dir} has ${main}`);
    assert.ok(names.includes(main.replace(/\.js$/, ".d.ts")), `${dir} has its .d.ts`);
    assert.ok(names.includes(`${main}.map`), `${dir} has its source map`);
    const stray = names.filter((f) => (f.endsWith(".ts") && !f.endsWith(".d.ts")) || f.startsWith("test"));
    assert.deepEqual(stray, [], `${dir} ships no .ts sources or tests`);
  }
});

for (const [label, node] of Object.entries(NODES)) {
  test(`${label} Node: an ES module builds a .deb and an .rpm through the build API and reads them back`, () => {
    const out = join(work, `api-${label}`);
    const r = JSON.parse(run(node, ["consumer.mjs", out], app)) as {
      node: string;
      packages: {
        file: string;
        format: string;
        name: string;
        versionString: string;
        sha256: string;
        manifestSha256: string;
        manifestInfoName: string;
        files: string[];
      }[];
      onDiskArtifacts: number;
    };
    const version = spawnSync(node, ["--version"], { encoding: "utf8" }).stdout.trim();
    assert.equal(r.node, version);
    if (label === "floor") assert.match(r.node, /^v22\.15\./);
    assert.deepEqual(
      r.packages.map((p) => [p.format, p.name, p.versionString, p.files]),
      [
        // A deb gets the copyright and changelog files Debian policy asks for when the spec ships none.
        [
          "deb",
          "scratch-hello",
          "2.0.1-3",
          [
            "/usr/bin/scratch-hello",
            "/usr/share/doc/scratch-hello/changelog.Debian.gz",
            "/usr/share/doc/scratch-hello/copyright",
          ],
        ],
        ["rpm", "scratch-hello", "2.0.1-3", ["/usr/bin/scratch-hello"]],
      ],
    );
    for (const p of r.packages) {
      const bytes = readFileSync(join(out, p.file));
      assert.equal(p.sha256, createHash("sha256").update(bytes).digest("hex"), `${p.file}: read-back digest`);
      assert.equal(p.manifestSha256, p.sha256, `${p.file}: manifest digest`);
      assert.equal(p.manifestInfoName, p.name);
    }
    // deb, rpm, SHA256SUMS
    assert.equal(r.onDiskArtifacts, 3);
  });
}

test("npx packyard build runs from the installed CLI under both Nodes and writes the same bytes", () => {
  const digests: Record<string, Record<string, string>> = {};
  for (const [label, node] of Object.entries(NODES)) {
    // Inside the scratch project, so npx finds the installed bin in its node_modules/.bin.
    const project = exampleProject(join(app, `example-${label}`));
    run("npx", ["--offline", "packyard", "build", "-p", "deb,rpm,archlinux,apk,macos,tar.gz,zip"], project, {
      ...pathWith(node),
      SOURCE_DATE_EPOCH: EPOCH,
    });
    const dist = join(project, "dist");
    digests[label] = Object.fromEntries(
      readdirSync(dist)
        .sort()
        .map((f) => [
          f,
          createHash("sha256")
            .update(readFileSync(join(dist, f)))
            .digest("hex"),
        ]),
    );
  }
  const names = Object.keys(digests.pinned ?? {});
  for (const ext of [".deb", ".rpm", ".pkg.tar.zst", ".apk", ".pkg", ".tar.gz", ".zip"]) {
    assert.ok(
      names.some((n) => n.endsWith(ext)),
      `built a ${ext}: ${names.join(", ")}`,
    );
  }
  assert.ok(names.includes("SHA256SUMS") && names.includes("packyard-build.json"));
  assert.deepEqual(digests.floor, digests.pinned);
});

test("tsc type-checks a consumer against the shipped .d.ts, and refuses a wrong one", () => {
  const tsc = join(REPO, "node_modules/.bin/tsc");
  writeFileSync(
    join(app, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: {
        module: "nodenext",
        moduleResolution: "nodenext",
        target: "es2023",
        lib: ["es2023"],
        strict: true,
        noEmit: true,
        types: ["node"],
        typeRoots: [join(REPO, "node_modules/@types")],
        skipLibCheck: false,
      },
      files: ["ok.ts"],
    }),
  );
  writeFileSync(join(app, "ok.ts"), TYPED_OK);
  writeFileSync(join(app, "wrong.ts"), TYPED_WRONG);
  run(tsc, ["-p", "tsconfig.json"], app);
  writeFileSync(
    join(app, "tsconfig.json"),
    readFileSync(join(app, "tsconfig.json"), "utf8").replace('"ok.ts"', '"wrong.ts"'),
  );
  const refused = spawnSync(tsc, ["-p", "tsconfig.json"], { cwd: app, encoding: "utf8" });
  assert.notEqual(
    refused.status,
    0,
    "a string assigned to number must be refused: the types are real, not any",
  );
  assert.match(refused.stdout, /wrong\.ts.*TS2322/);
});

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import fc from "fast-check";
import { bytesSource, encodeUtf8 } from "../../src/bytes/bytes.ts";
import { SpecError } from "../../src/errors.ts";
import {
  compareMacosVersions,
  defaultIdentifier,
  isSipProtected,
  macosFormat,
  parseMacosConfig,
  planMacos,
  readMacos,
  type MacosOptions,
  writeMacosBytes,
} from "../../src/macos/index.ts";
import { formatById } from "../../src/registry.ts";
import { macosSpec } from "../support/arbitrary-macos.ts";
import { chunkedSource } from "@packyard/testkit/chunked";
import { helloSpec } from "./hello.ts";
import { expectedInfo } from "./expected.ts";

const ROOT = { name: "root", id: 0 };

const strip = (i: Awaited<ReturnType<typeof readMacos>>) => {
  const { artifact: _a, raw: _r, ...rest } = i;
  return rest;
};

test("registered, named name-version.pkg, sniffed by xar magic", async () => {
  assert.equal(formatById("macos"), macosFormat);
  assert.equal(macosFormat.fileName(helloSpec(), {}), "hello-1.2.3.pkg");
  const bytes = await writeMacosBytes(helloSpec());
  assert.equal(macosFormat.sniff(bytes.subarray(0, 8), "x.pkg"), true);
  assert.equal(macosFormat.sniff(bytes.subarray(0, 8), "x.deb"), false);
});

test("product archive and component package read back as the reviewed projection, fed in 1/7/321-byte chunks", async () => {
  for (const component of [false, true]) {
    const bytes = await writeMacosBytes(helloSpec(), { componentOnly: component });
    const want = await expectedInfo(helloSpec(), "macos", { component });
    for (const size of [1, 7, 321]) {
      const info = await readMacos(chunkedSource(bytes, size));
      assert.deepEqual(strip(info), want);
    }
    const info = await readMacos(bytesSource(bytes));
    assert.equal(info.artifact.size, bytes.length);
    assert.equal(info.artifact.digests.sha256, createHash("sha256").update(bytes).digest("hex"));
  }
});

test("property: read(write(spec)) equals expectedInfo(spec) for product archives and component packages", async () => {
  await fc.assert(
    fc.asyncProperty(macosSpec, fc.boolean(), async (spec, component) => {
      const bytes = await writeMacosBytes(spec, { componentOnly: component });
      assert.deepEqual(
        strip(await readMacos(bytesSource(bytes))),
        await expectedInfo(spec, "macos", { component }),
      );
    }),
    { numRuns: 40 },
  );
});

test("validation: SIP-protected destinations, install location, identifier, arch", () => {
  for (const p of ["/System/x", "/bin/x", "/sbin/x", "/usr/bin/x", "/usr/lib/x", "/usr/share/man/x"]) {
    assert.equal(isSipProtected(p), true, p);
    const spec = helloSpec();
    spec.entries.push({
      type: "file",
      path: p,
      mode: 0o644,
      owner: ROOT,
      group: ROOT,
      content: bytesSource(new Uint8Array(1)),
    });
    assert.throws(
      () => planMacos(spec),
      (e) => e instanceof SpecError && e.code === "INVALID_PATH" && /System Integrity/.test(e.message),
    );
  }
  assert.equal(isSipProtected("/usr/local/bin/x"), false);
  assert.equal(isSipProtected("/usr"), true);
  // /usr itself only as an ancestor directory is fine
  const withUsr = helloSpec();
  withUsr.entries.push({ type: "dir", path: "/usr", mode: 0o755, owner: ROOT, group: ROOT });
  planMacos(withUsr);
  assert.throws(
    () => planMacos(helloSpec(), { installLocation: "/opt/x" }),
    (e) => e instanceof SpecError && e.code === "INVALID_PATH",
  );
  assert.throws(
    () => planMacos(helloSpec(), { installLocation: "/usr/bin" }),
    (e) => e instanceof SpecError && e.code === "INVALID_PATH",
  );
  const under = planMacos(
    { ...helloSpec(), entries: helloSpec().entries.slice(0, 2) },
    { installLocation: "/usr/local" },
  );
  assert.deepEqual(
    under.payload.map((p) => p.rel),
    [".", "./bin", "./bin/hello", "./bin/hi"],
  );
  assert.throws(
    () => planMacos({ ...helloSpec(), arch: "armv7" }),
    (e) => e instanceof SpecError && e.code === "INVALID_ARCH",
  );
  assert.throws(
    () => planMacos(helloSpec(), { identifier: "nodots" }),
    (e) => e instanceof SpecError && e.code === "INVALID_FIELD" && e.data.field === "macos.identifier",
  );
  assert.equal(planMacos(helloSpec()).identifier, "org.example.hello");
  assert.equal(
    defaultIdentifier({ name: "my tool", maintainer: "Jane <jane@Dev.Example.com>" }),
    "com.example.dev.my-tool",
  );
  assert.equal(defaultIdentifier({ name: "x" }), "local.x");
});

test("only pre/postinstall are written; other scripts give a warning", async () => {
  const spec = helloSpec();
  spec.scripts.preremove = { body: "echo rm\n" };
  const warnings: string[] = [];
  await writeMacosBytes(spec, {}, { warn: (w) => warnings.push(w.code) });
  assert.deepEqual(warnings, ["MACOS_SCRIPT_IGNORED"]);
});

test("versions: upstream[-prerelease], ordered as semver", () => {
  assert.equal(
    macosFormat.fileName(
      { ...helloSpec(), version: { upstream: "2.0", prerelease: "rc.1", release: "3" } },
      {},
    ),
    "hello-2.0-rc.1.pkg",
  );
  assert.ok(compareMacosVersions("1.0-rc.1", "1.0") < 0);
  assert.ok(compareMacosVersions("1.10", "1.9") > 0);
  assert.equal(compareMacosVersions("1.0", "1.0.0"), 0);
});

test("config block: keys parsed, unknown keys rejected by name, bad values named", () => {
  const o = parseMacosConfig(
    {
      identifier: "com.acme.hello",
      install_location: "/",
      min_os_version: 10.13,
      title: "Hello",
      component_only: true,
      resources: { welcome: "w.rtf" },
      scripts: { helpers: ["lib.sh"] },
      signature: { p12_file: "id.p12" },
    },
    { field: "macos", baseDir: "/cfg" },
  );
  assert.deepEqual(o, {
    identifier: "com.acme.hello",
    installLocation: "/",
    minOsVersion: "10.13",
    title: "Hello",
    componentOnly: true,
    resourceFiles: { welcome: "/cfg/w.rtf" },
    scriptHelperFiles: ["/cfg/lib.sh"],
    signing: { p12File: "/cfg/id.p12" },
  });
  assert.throws(
    () => parseMacosConfig({ bogus: 1 }, { field: "macos", baseDir: "/" }),
    (e) => e instanceof SpecError && e.code === "UNKNOWN_KEY" && e.data.field === "macos.bogus",
  );
  assert.throws(
    () => parseMacosConfig({ signature: { p12_file: "a", key_file: "b" } }, { field: "macos", baseDir: "/" }),
    (e) => e instanceof SpecError && e.data.field === "macos.signature",
  );
  assert.throws(
    () => parseMacosConfig({ min_os_version: "ten" }, { field: "macos", baseDir: "/" }),
    (e) => e instanceof SpecError && e.data.field === "macos.min_os_version",
  );
});

test("resources are stored under Resources/ and named in Distribution", async () => {
  const bytes = await writeMacosBytes(helloSpec(), {
    title: "Hello World",
    resources: {
      welcome: { name: "Welcome.rtf", content: encodeUtf8("{\\rtf1 hi}") },
      license: { name: "LICENSE.txt", content: encodeUtf8("MIT") },
    },
  });
  const details: Record<string, unknown> = {};
  const info = await readMacos(bytesSource(bytes), {}, details);
  assert.equal(info.summary, "Hello World");
  assert.match(info.raw.format === "macos" ? info.raw.toc : "", /<name>Resources<\/name>/);
  assert.deepEqual((details.distribution as { resources: unknown }).resources, [
    { kind: "welcome", file: "Welcome.rtf" },
    { kind: "license", file: "LICENSE.txt" },
  ]);
});

test("deterministic across processes with different TZ, umask and cwd", async () => {
  const script = `
    import { writeMacosBytes } from ${JSON.stringify(new URL("../../src/macos/index.ts", import.meta.url).pathname)};
    import { helloSpec } from ${JSON.stringify(new URL("./hello.ts", import.meta.url).pathname)};
    import { createHash } from "node:crypto";
    process.stdout.write(createHash("sha256").update(await writeMacosBytes(helloSpec())).digest("hex"));
  `;
  const dir = mkdtempSync(join(tmpdir(), "packyard-mac-det-"));
  try {
    const run = (tz: string, umask: string, cwd: string) =>
      spawnSync(
        "sh",
        ["-c", `umask ${umask}; exec "$0" --input-type=module -e "$1"`, process.execPath, script],
        { cwd, env: { ...process.env, TZ: tz, NODE_TEST_CONTEXT: "" } },
      );
    const a = run("UTC", "022", dir);
    const b = run("Asia/Tokyo", "077", "/");
    assert.equal(a.status, 0, a.stderr.toString());
    assert.equal(a.stdout.toString(), b.stdout.toString());
    const here = createHash("sha256")
      .update(await writeMacosBytes(helloSpec()))
      .digest("hex");
    assert.equal(a.stdout.toString(), here);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("golden sha256 of the example project's product archive, through the config loader (UPDATE_GOLDEN=1 to refresh on purpose)", async () => {
  const { readFileSync, writeFileSync } = await import("node:fs");
  const { exampleFromConfig } = await import("@packyard/testkit/example");
  const { spec, options } = await exampleFromConfig<MacosOptions>("macos");
  // overrides.macos in packyard.yml moves everything out of SIP-protected /usr/bin
  assert.ok(
    spec.entries.every((e) => e.path.startsWith("/usr/local/")),
    "every entry under /usr/local",
  );
  const golden = new URL("../../../../fixtures/macos/example.sha256", import.meta.url);
  const sum = createHash("sha256")
    .update(await writeMacosBytes(spec, options))
    .digest("hex");
  if (process.env.UPDATE_GOLDEN === "1") writeFileSync(golden, `${sum}\n`);
  assert.equal(sum, readFileSync(golden, "utf8").trim());
});

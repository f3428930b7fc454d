import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { test } from "node:test";
import fc from "fast-check";
import {
  type ArchlinuxOptions,
  archlinuxFormat,
  readArchlinux,
  writeArchlinux,
} from "../../src/archlinux/index.ts";
import { bytesSource, collect } from "../../src/bytes/bytes.ts";
import { chunkedSource } from "@packyard/testkit/chunked";
import { archlinuxSpec } from "../support/arbitrary-archlinux.ts";
import { exampleFromConfig } from "@packyard/testkit/example";
import { helloSpec } from "./hello.ts";
import { comparable, expectedInfo } from "./expected.ts";

const example = () => exampleFromConfig<ArchlinuxOptions>("archlinux");

test("example project: read(write(spec)) equals expectedInfo, artifact digests match", async () => {
  const { spec, options } = await example();
  const bytes = await collect(writeArchlinux(spec, options));
  const info = await readArchlinux(bytesSource(bytes));
  assert.deepEqual(comparable(info), await expectedInfo(spec, "archlinux"));
  assert.equal(info.artifact.size, bytes.length);
  assert.equal(info.artifact.digests.sha256, createHash("sha256").update(bytes).digest("hex"));
  assert.equal(info.artifact.digests.md5, createHash("md5").update(bytes).digest("hex"));
  assert.match(info.raw.format === "archlinux" ? info.raw.pkginfo : "", /^pkgver = 1\.0\.0-1$/m);
});

test("relations and every script function: read(write(spec)) equals expectedInfo", async () => {
  const spec = helloSpec();
  const bytes = await collect(writeArchlinux(spec));
  assert.deepEqual(
    comparable(await readArchlinux(bytesSource(bytes))),
    await expectedInfo(spec, "archlinux"),
  );
});

test("example project: chunked reads of 1, 7, 321 and random sizes give the same info", async () => {
  const { spec, options } = await example();
  const bytes = await collect(writeArchlinux(spec, options));
  const whole = await readArchlinux(bytesSource(bytes));
  for (const sizes of [1, 7, 321, [5, 1000, 3, 77, 4096]]) {
    assert.deepEqual(
      await readArchlinux(chunkedSource(bytes, sizes)),
      whole,
      `chunks ${JSON.stringify(sizes)}`,
    );
  }
});

test("property: read(write(spec)) == expectedInfo(spec) for generated specs", async () => {
  await fc.assert(
    fc.asyncProperty(archlinuxSpec, async (spec) => {
      const bytes = await collect(writeArchlinux(spec));
      const info = await readArchlinux(bytesSource(bytes));
      assert.deepEqual(comparable(info), await expectedInfo(spec, "archlinux"));
    }),
    { numRuns: 60, seed: 5 },
  );
});

test("every compression reads back the same metadata (gzip, xz, none)", async () => {
  const spec = helloSpec();
  const expected = await expectedInfo(spec, "archlinux");
  for (const algo of ["gzip", "xz", "none"] as const) {
    const bytes = await collect(writeArchlinux(spec, { compression: { algo } }));
    assert.deepEqual(comparable(await readArchlinux(bytesSource(bytes))), expected, algo);
    const suffix = archlinuxFormat.fileName(spec, { compression: { algo } });
    assert.equal(suffix, `hello-1.0.0-1-x86_64.pkg.tar${{ gzip: ".gz", xz: ".xz", none: "" }[algo]}`);
    assert.equal(archlinuxFormat.sniff(bytes.subarray(0, 512), suffix), true, `sniff ${algo}`);
  }
});

test("file name: name-[epoch:]pkgver-pkgrel-arch.pkg.tar.zst", () => {
  const spec = helloSpec();
  assert.equal(archlinuxFormat.fileName(spec, {}), "hello-1.0.0-1-x86_64.pkg.tar.zst");
  const v = {
    ...spec,
    version: { upstream: "2.0.0", prerelease: "rc.1", epoch: 2, release: "3" },
    arch: "all" as const,
  };
  assert.equal(archlinuxFormat.fileName(v, {}), "hello-2:2.0.0rc.1-3-any.pkg.tar.zst");
  assert.equal(archlinuxFormat.fileName(spec, { arch: "pentium4" }), "hello-1.0.0-1-pentium4.pkg.tar.zst");
  assert.equal(archlinuxFormat.sniff(new Uint8Array([0x28, 0xb5, 0x2f, 0xfd]), "x.pkg.tar.zst"), true);
  assert.equal(archlinuxFormat.sniff(new Uint8Array([0x28, 0xb5, 0x2f, 0xfd]), "x.deb"), false);
});

// Golden: sha256 of the example project's package, checked independently by bsdtar/pacman in the interop
// suite; refresh only on purpose (UPDATE_GOLDEN=1 rewrites fixtures/archlinux/example.sha256).
test("golden sha256 of the example project's package (through the config loader)", async () => {
  const { spec, options } = await example();
  const bytes = await collect(writeArchlinux(spec, options));
  const sha = createHash("sha256").update(bytes).digest("hex");
  const golden = new URL("../../../../fixtures/archlinux/example.sha256", import.meta.url);
  if (process.env.UPDATE_GOLDEN === "1")
    writeFileSync(golden, `${sha}  ${archlinuxFormat.fileName(spec, options)}\n`);
  assert.equal(sha, readFileSync(golden, "utf8").split(/\s+/)[0]);
});

test("deterministic across processes with different TZ, umask and cwd", () => {
  const script = `
    import { writeArchlinux } from ${JSON.stringify(new URL("../../src/archlinux/index.ts", import.meta.url).href)};
    import { collect } from ${JSON.stringify(new URL("../../src/bytes/bytes.ts", import.meta.url).href)};
    import { helloSpec } from ${JSON.stringify(new URL("./hello.ts", import.meta.url).href)};
    import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
    process.umask(Number(process.argv[1]));
    const bytes = await collect(writeArchlinux(helloSpec()));
    process.stdout.write(createHash("sha256").update(bytes).digest("hex"));
  `;
  const runOne = (tz: string, umask: string, cwd: string) => {
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", script, umask], {
      cwd,
      env: { ...process.env, TZ: tz },
    });
    assert.equal(r.status, 0, r.stderr.toString());
    return r.stdout.toString();
  };
  const a = runOne("UTC", "0o022", "/");
  const b = runOne("Pacific/Kiritimati", "0o077", "/tmp");
  assert.match(a, /^[0-9a-f]{64}$/);
  assert.equal(a, b);
});

test("output does not depend on how file contents are chunked by their source", async () => {
  const spec = helloSpec();
  const whole = await collect(writeArchlinux(spec));
  const rechunked = {
    ...spec,
    entries: await Promise.all(
      spec.entries.map(async (e) =>
        e.type === "file"
          ? { ...e, content: chunkedSource(await collect(e.content.open()), [1, 3, 700]) }
          : e,
      ),
    ),
  };
  assert.deepEqual(await collect(writeArchlinux(rechunked)), whole);
});

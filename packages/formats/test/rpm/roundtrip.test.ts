import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { test } from "node:test";
import fc from "fast-check";
import { bytesSource, collect } from "../../src/bytes/bytes.ts";
import { chunkedSource } from "@packyard/testkit/chunked";
import { readRpm, rpmFormat, writeRpm } from "../../src/rpm/index.ts";
import { arbRpmSpec } from "../support/arbitrary-rpm.ts";
import { comparable, expectedInfo } from "./expected.ts";
import { exampleSpec } from "@packyard/testkit/example";

test("read(write(spec)) equals the reviewed projection (property)", async () => {
  await fc.assert(
    fc.asyncProperty(arbRpmSpec, async (spec) => {
      const bytes = await collect(writeRpm(spec, {}));
      const info = await readRpm(bytesSource(bytes));
      assert.deepEqual(comparable(info), await expectedInfo(spec, "rpm"));
      assert.equal(info.artifact.size, bytes.length);
      assert.equal(info.artifact.digests.sha256, createHash("sha256").update(bytes).digest("hex"));
    }),
    { numRuns: 60 },
  );
});

test("the reader gives the same result whatever the chunk sizes (1, 7, 321, random)", async () => {
  const bytes = await collect(writeRpm(exampleSpec(), {}));
  const want = await readRpm(bytesSource(bytes));
  for (const sizes of [[1], [7], [321], [3, 1000, 17, 64, 5]]) {
    assert.deepEqual(await readRpm(chunkedSource(bytes, sizes)), want, `chunks ${sizes.join(",")}`);
  }
});

test("zstd and xz payloads round trip too", async () => {
  for (const algo of ["zstd", "xz"] as const) {
    const spec = exampleSpec();
    const bytes = await collect(writeRpm(spec, { compression: { algo } }));
    const info = await readRpm(bytesSource(bytes));
    assert.deepEqual(comparable(info), await expectedInfo(spec, "rpm"), algo);
  }
});

test("file name is N-V-R.ARCH.rpm", () => {
  const spec = exampleSpec();
  assert.equal(
    rpmFormat.fileName(
      { ...spec, name: "hello", version: { upstream: "1.2.0", prerelease: "rc.1", epoch: 2 }, arch: "arm64" },
      {},
    ),
    "hello-1.2.0~rc.1-1.aarch64.rpm",
  );
  assert.equal(
    rpmFormat.fileName({ ...spec, name: "x", version: { upstream: "3", release: "4" }, arch: "all" }, {}),
    "x-3-4.noarch.rpm",
  );
});

test("sniff recognises the lead magic", () => {
  assert.equal(rpmFormat.sniff(new Uint8Array([0xed, 0xab, 0xee, 0xdb, 3, 0]), "x.bin"), true);
  assert.equal(rpmFormat.sniff(new Uint8Array([0x21, 0x3c, 0x61, 0x72]), "x.deb"), false);
});

test("output is identical across processes with different TZ, umask and cwd", () => {
  const script = new URL("./build-example.ts", import.meta.url).pathname;
  const digests = [
    { TZ: "UTC", umask: "022", cwd: "/" },
    { TZ: "Asia/Kolkata", umask: "077", cwd: "/tmp" },
  ].map(({ TZ, umask, cwd }) => {
    const r = spawnSync(
      "sh",
      ["-c", `umask ${umask} && exec "${process.execPath}" --conditions=@packyard/source "${script}"`],
      {
        cwd,
        env: { ...process.env, TZ },
        encoding: "utf8",
      },
    );
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.trim();
  });
  assert.match(digests[0]!, /^[0-9a-f]{64}$/);
  assert.equal(digests[0], digests[1]);
});

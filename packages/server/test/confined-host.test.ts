// The work-folder host: a stored packyard.yml cannot make the builder read files outside the job's work
// folder — absolute paths, `..`, absolute globs, trees, and links a step left behind that point out.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { FORMATS, loadConfig } from "@packyard/formats";
import { confinedConfigHost } from "../src/agent/confined-host.ts";

const top = mkdtempSync(join(tmpdir(), "packyard-confined-"));
after(() => rmSync(top, { recursive: true, force: true }));
const work = join(top, "work");
mkdirSync(join(work, "bin"), { recursive: true });
writeFileSync(join(work, "bin/app"), "app\n");
// Beside the work folder: what another job (or the agent) keeps.
writeFileSync(join(top, "secret.txt"), "not yours\n");
mkdirSync(join(top, "private"));
writeFileSync(join(top, "private/key"), "key\n");
symlinkSync(join(top, "secret.txt"), join(work, "out-link"));
symlinkSync(join(top, "private"), join(work, "out-dir"));
symlinkSync("bin/app", join(work, "in-link"));

/** Resolves a deb spec from `contents` with the confined host; the promise rejects on a refused path. */
async function resolveContents(contents: string): Promise<string[]> {
  const text = `name: demo\nversion: 1.0.0\narch: amd64\ncontents:\n${contents}`;
  const config = loadConfig({
    text,
    baseDir: work,
    env: {},
    formats: FORMATS,
    host: confinedConfigHost(work),
  });
  const resolved = await config.resolve("deb", { date: 0 });
  return resolved.spec.entries.map((e) => e.path);
}

test("a link a step left that points out is packaged as a link, never read", async () => {
  const text = "name: demo\nversion: 1.0.0\narch: amd64\ncontents:\n  - src: out-link\n    dst: /x\n";
  const config = loadConfig({
    text,
    baseDir: work,
    env: {},
    formats: FORMATS,
    host: confinedConfigHost(work),
  });
  const { spec } = await config.resolve("deb", { date: 0 });
  const entry = spec.entries.find((e) => e.path === "/x");
  assert.equal(entry?.type, "symlink", JSON.stringify(entry));
});

test("paths inside the work folder are read, links inside it followed, links packaged as links", async () => {
  const dsts = await resolveContents(
    "  - src: ./bin/app\n    dst: /usr/bin/app\n  - src: in-link\n    dst: /usr/bin/via-link\n  - src: /etc/passwd\n    dst: /usr/bin/l\n    type: symlink\n",
  );
  assert.ok(dsts.includes("/usr/bin/app") && dsts.includes("/usr/bin/via-link"), dsts.join(", "));
});

for (const [what, contents] of [
  ["an absolute path", "  - src: /etc/hostname\n    dst: /x\n"],
  ["`..` out of the folder", "  - src: ../secret.txt\n    dst: /x\n"],
  ["an absolute glob", "  - src: /etc/host*\n    dst: /x/\n"],
  ["a tree out of the folder", "  - src: ../private\n    dst: /x\n    type: tree\n"],
  ["a path below a linked folder that points out", "  - src: out-dir/key\n    dst: /x\n"],
] as const) {
  test(`refused: ${what}`, async () => {
    await assert.rejects(resolveContents(contents), (e: Error) => {
      assert.equal(e.name, "IOError", `${e.name}: ${e.message}`);
      assert.match(e.message, /expected a path inside the build's work folder/);
      return true;
    });
  });
}

test("the builders' buildUnsigned reads through it: a config naming a file outside fails BUILD_FAILED", async () => {
  const { buildUnsigned } = await import("../src/agent/execute.ts");
  const outDir = join(top, "out");
  await assert.rejects(
    buildUnsigned({
      configText: "name: demo\nversion: 1.0.0\narch: amd64\ncontents:\n  - src: ../secret.txt\n    dst: /x\n",
      version: "1.0.0",
      baseDir: work,
      packager: "deb",
      arch: "amd64",
      date: 0,
      outDir,
    }),
    (e: Error & { code?: string }) => {
      assert.equal(e.code, "BUILD_FAILED", `${e.name} ${e.code}: ${e.message}`);
      assert.match(e.message, /inside the build's work folder/);
      return true;
    },
  );
});

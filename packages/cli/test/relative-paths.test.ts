/**
 * Relative paths in the config resolve against the working directory, as nfpm's do: nfpm's acceptance
 * configs live in testdata/acceptance/ and name `./testdata/fake` from the repository root, where
 * `nfpm pkg -f testdata/acceptance/x.yaml` runs. The same config run from its own folder fails, naming the
 * missing source.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { bytesSource, readPackage } from "@packyard/formats";
import { isOneParagraph, REPO, spawnCli } from "./run-cli.ts";

const ROOT = join(REPO, "fixtures/config");
const work = mkdtempSync(join(tmpdir(), "packyard-relpaths-"));
after(() => rmSync(work, { recursive: true, force: true }));

test("a config in a subfolder builds from the root with paths written from the root", async () => {
  const out = join(work, "out");
  const r = spawnCli(
    ["build", "-f", "testdata/acceptance/core.layout.yaml", "-p", "deb,rpm", "-t", out, "--json"],
    ROOT,
    {
      SOURCE_DATE_EPOCH: "1700000000",
    },
  );
  assert.equal(r.status, 0, r.stderr);
  const built = JSON.parse(r.stdout) as { format: string; path: string }[];
  for (const a of built.filter((x) => x.format === "deb" || x.format === "rpm")) {
    const info = await readPackage(bytesSource(new Uint8Array(readFileSync(a.path))), a.path);
    const files = info.files.filter((f) => f.type === "file").map((f) => f.path);
    assert.ok(files.includes("/usr/bin/fake"), `${a.format}: ${files.join(", ")}`);
    assert.ok(
      files.includes("/usr/share/layout/folder2/file1"),
      `${a.format}: the tree from ./testdata/acceptance/folder`,
    );
    assert.equal(
      info.scripts.postinstall?.body.trim(),
      readFileSync(join(ROOT, "testdata/acceptance/scripts/postinstall.sh"), "utf8").trim(),
      `${a.format}: the script from ./testdata/acceptance/scripts`,
    );
    assert.ok((info.changelog?.length ?? 0) > 0, `${a.format}: the changelog from ./testdata/changelog.yaml`);
  }
});

test("the same config run from its own folder fails naming the missing source", () => {
  const r = spawnCli(
    ["build", "-f", "core.layout.yaml", "-p", "deb", "-t", join(work, "fail")],
    join(ROOT, "testdata/acceptance"),
    { SOURCE_DATE_EPOCH: "1700000000" },
  );
  assert.equal(r.status, 1, r.stderr);
  assert.ok(isOneParagraph(r.stderr), r.stderr);
  assert.match(r.stderr, /MISSING_SOURCE/);
  assert.match(r.stderr, /looked for \S*\/testdata\/acceptance\/testdata\//);
});

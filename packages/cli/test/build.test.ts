import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { EXAMPLE_DIR } from "@packyard/testkit/example";
import { fakeFormat } from "./fake-format.ts";
import { isOneParagraph, REPO, runMain } from "./run-cli.ts";
import { tempDirs } from "./temp-dirs.ts";

const tmp = tempDirs("packyard-build-");

/** The example's config; builds run in its folder, since relative paths resolve against the working directory. */
const EXAMPLE = join(EXAMPLE_DIR, "packyard.yml");
const formats = [fakeFormat];

test("build -p deb --json on the example project: manifest matches the files written", async () => {
  const out = tmp();
  const r = await runMain(["build", "-f", EXAMPLE, "-p", "deb", "-t", out, "--json"], EXAMPLE_DIR, formats, {
    SOURCE_DATE_EPOCH: "1700000000",
  });
  assert.equal(r.status, 0, r.stderr);
  const manifest = JSON.parse(r.stdout) as { format: string; path: string; size: number; sha256: string }[];
  assert.deepEqual(
    manifest.map((m) => m.format),
    ["deb", "checksums"],
  );
  const [a, sums] = manifest;
  assert.equal(a!.format, "deb");
  assert.equal(a!.path, join(out, "hello-packyard_1.0.0_all.fake"));
  const bytes = readFileSync(a!.path);
  assert.equal(a!.size, bytes.length);
  assert.equal(a!.sha256, createHash("sha256").update(bytes).digest("hex"));
  assert.equal(statSync(a!.path).mode & 0o777, 0o644);
  assert.match(r.stderr, /deb: writing/, "progress goes to stderr");
  // The checksums file lists the package by its name, with the digest the manifest reports.
  assert.equal(sums!.path, join(out, "SHA256SUMS"));
  const sumsText = readFileSync(sums!.path, "utf8");
  assert.equal(sumsText, `${a!.sha256}  hello-packyard_1.0.0_all.fake\n`);
  assert.equal(sums!.sha256, createHash("sha256").update(sumsText).digest("hex"));

  // What the format received: the example's entries, modes, flags, contents and scripts.
  const text = bytes.toString("utf8");
  assert.match(text, /^FAKE hello-packyard 1\.0\.0 all date=1700000000\n/);
  assert.match(text, /^file \/usr\/bin\/hello 755\n/m);
  assert.ok(text.includes(readFileSync(join(REPO, "fixtures/example/bin/hello"), "utf8")));
  assert.match(text, /^file \/etc\/hello-packyard\/hello\.conf 644 config noreplace$/m);
  assert.match(text, /^symlink \/usr\/bin\/hello-packyard 777 -> hello$/m);
  assert.match(text, /^dir \/var\/lib\/hello-packyard 755$/m);
  assert.match(text, /^file \/usr\/share\/man\/man1\/hello\.1\.gz 644$/m);
  for (const s of ["preinstall", "postinstall", "preremove", "postremove"])
    assert.match(text, new RegExp(`^script ${s}$`, "m"));
});

test("SOURCE_DATE_EPOCH sets the build date; --debug says where the date came from", async () => {
  const out = tmp();
  const r = await runMain(["build", "-f", EXAMPLE, "-p", "deb", "-t", out, "--debug"], EXAMPLE_DIR, formats, {
    SOURCE_DATE_EPOCH: "1234567890",
  });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /build date 1234567890 .* from SOURCE_DATE_EPOCH/);
  assert.match(readFileSync(join(out, "hello-packyard_1.0.0_all.fake"), "utf8"), /date=1234567890/);
});

test("init, then build: the written config builds", async () => {
  const cwd = join(tmp(), "my-tool");
  mkdirSync(cwd);
  assert.equal((await runMain(["init"], cwd, formats)).status, 0);
  const r = await runMain(["build", "-p", "deb", "--json"], cwd, formats, {
    SOURCE_DATE_EPOCH: "1700000000",
  });
  assert.equal(r.status, 0, r.stderr);
  const [a] = JSON.parse(r.stdout) as { path: string }[];
  assert.match(a!.path, /\/dist\/my-tool_0\.1\.0_amd64\.fake$/);
});

test("a missing source is a user error: one paragraph naming the file, exit 1", async () => {
  const cwd = tmp();
  writeFileSync(
    join(cwd, "packyard.yml"),
    "name: x\nversion: 1.0.0\narch: all\ncontents:\n  - src: ./not-there.sh\n    dst: /usr/bin/x\n",
  );
  const r = await runMain(["build", "-p", "deb"], cwd, formats, { SOURCE_DATE_EPOCH: "1" });
  assert.equal(r.status, 1);
  assert.ok(isOneParagraph(r.stderr), r.stderr);
  assert.match(r.stderr, /not-there\.sh/);
  assert.match(r.stderr, /MISSING_SOURCE|GLOB_NO_MATCH/);
});

test("a packager with no format is a user error listing the packagers", async () => {
  const r = await runMain(["build", "-f", EXAMPLE, "-p", "rpm", "-t", tmp()], tmp(), formats, {
    SOURCE_DATE_EPOCH: "1",
  });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /unknown packager "rpm": expected one of deb, rpm/);
});

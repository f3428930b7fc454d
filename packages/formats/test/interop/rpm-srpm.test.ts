// A source rpm made by rpmbuild -bs reads: its file list is relative (`hello.spec`, dirname ""), and
// the payload's rooted cpio names still match it.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileSource, readPackage } from "@packyard/formats";
import { needTool, run } from "@packyard/testkit/tools";
import { rpmQuery } from "./rpm-tools.ts";

test("a source rpm from rpmbuild -bs is read with its relative file list", async (t) => {
  if (!needTool(t, "rpmbuild", "rpm")) return;
  const top = mkdtempSync(join(tmpdir(), "packyard-srpm-"));
  t.after(() => rmSync(top, { recursive: true, force: true }));
  mkdirSync(join(top, "SOURCES"), { recursive: true });
  writeFileSync(join(top, "SOURCES/notes.txt"), "notes\n");
  const spec = join(top, "hello.spec");
  writeFileSync(
    spec,
    [
      "Name: hello-src",
      "Version: 1.2",
      "Release: 3",
      "Summary: a source package",
      "License: MIT",
      "Source0: notes.txt",
      "%description",
      "A source package for the reader.",
      "%files",
      "",
    ].join("\n"),
  );
  run("rpmbuild", ["-bs", "--quiet", "--define", `_topdir ${top}`, spec]);
  const dir = join(top, "SRPMS");
  const file = join(dir, readdirSync(dir).find((f) => f.endsWith(".src.rpm"))!);
  const info = await readPackage(await fileSource(file), file);
  assert.equal(info.name, "hello-src");
  assert.equal(info.versionString, "1.2-3");
  const expected = rpmQuery(file, "--qf", "[%{FILENAMES}\\n]").sort();
  assert.deepEqual(info.files.map((f) => f.path).sort(), expected);
  assert.ok(expected.includes("notes.txt") && expected.includes("hello.spec"), expected.join(" "));
  assert.equal(
    info.raw.format === "rpm" ? info.raw.sourcerpm : "not rpm",
    undefined,
    "no SOURCERPM in a source rpm",
  );
});

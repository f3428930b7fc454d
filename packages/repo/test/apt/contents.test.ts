/** apt/contents: the Contents-<arch> lines apt-file reads. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { contentsFile } from "../../src/apt/contents.ts";
import { testPackage } from "./support.ts";

test("contentsFile: one line per path, sorted, section/name lists, no leading slash, no header", () => {
  const hello = testPackage({
    name: "hello",
    version: "1",
    arch: "amd64",
    paths: ["usr/bin/hello", "/usr/share/man/man1/hello.1.gz", "usr/share/doc/shared"],
  });
  const doc = testPackage({
    name: "doc",
    version: "1",
    arch: "all",
    control: "Package: doc\nVersion: 1\nArchitecture: all\nDescription: no section\n",
    paths: ["usr/share/doc/shared", "usr/share/doc/with space/file"],
  });
  const pad = (p: string) => p + " ".repeat(60 - p.length);
  assert.equal(
    contentsFile([hello.record, doc.record]),
    `${pad("usr/bin/hello")}utils/hello\n` +
      `${pad("usr/share/doc/shared")}doc,utils/hello\n` +
      `${pad("usr/share/doc/with space/file")}doc\n` +
      `${pad("usr/share/man/man1/hello.1.gz")}utils/hello\n`,
  );
});

test("contentsFile: long paths keep one space; unrepresentable paths are left out; no path gives ''", () => {
  const long = `usr/share/${"x".repeat(70)}`;
  const p = testPackage({
    name: "p",
    version: "1",
    arch: "amd64",
    paths: [long, "bad\nname", "trailing ", ""],
  });
  assert.equal(contentsFile([p.record]), `${long} utils/p\n`);
  assert.equal(contentsFile([testPackage({ name: "q", version: "1", arch: "amd64" }).record]), "");
  assert.equal(contentsFile([]), "");
});

/**
 * Config mistakes as `packyard build` reports them: YAML syntax errors in words at line:column (none of
 * the yaml library's internal codes), and an unknown key — top level, in contents, or inside a format
 * block — with its line and a "did you mean" when exactly one known key is a near miss.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { FORMATS } from "../src/formats.ts";
import { type CliResult, isOneParagraph, runMain } from "./run-cli.ts";

const cwd = mkdtempSync(join(tmpdir(), "packyard-config-errors-"));
after(() => rmSync(cwd, { recursive: true, force: true }));

async function buildWith(config: string): Promise<CliResult> {
  writeFileSync(join(cwd, "packyard.yml"), config);
  const r = await runMain(["build", "-p", "deb,rpm", "-t", "out"], cwd, FORMATS, { SOURCE_DATE_EPOCH: "1" });
  assert.equal(r.status, 1, r.stderr);
  assert.ok(isOneParagraph(r.stderr), r.stderr);
  return r;
}

const HEAD = "name: hello\nversion: 1.0.0\narch: all\n";

test("YAML syntax errors: line:column and what is wrong in words, no parser codes", async () => {
  const cases: [string, string, RegExp][] = [
    ["name: x\nversion: [1.0\n", "3:1", /a \[ list is not closed with \]/],
    ["name: x\nvalue: {a: 1\n", "3:1", /a \{ map is not closed with \}/],
    ["name: x\n  version: 1\n", "1:7", /a second `key:` on one line/],
    ["name: x\nname: y\n", "2:1", /this key appears twice/],
    // yaml reports an unclosed quote where the text ends
    ['name: "x\n', "2:1", /a "quoted value is not closed/],
    ["contents:\n- src: a\n  dst: b\n - src: c\n", "4:2", /do not start at the same column/],
    ["name: @x\n", "1:7", /cannot start with .*@.* unless it is quoted/],
    ["name: x\nscripts:\n\tpostinstall: a.sh\n", "3:1", /a tab is used for indentation/],
    ["a: 1\n---\nb: 2\n", "", /more than one YAML document/],
  ];
  for (const [text, at, words] of cases) {
    const r = await buildWith(text);
    const message = r.stderr.replace(/ \[SpecError CONFIG_SYNTAX\]\n$/, "");
    assert.notEqual(message, r.stderr, `CONFIG_SYNTAX: ${r.stderr}`);
    if (at !== "") assert.ok(message.includes(`packyard.yml:${at}: invalid YAML: `), `${at}: ${message}`);
    assert.match(message, words);
    assert.doesNotMatch(message, /\b[A-Z]+_[A-Z_]+\b/, `no parser code in ${message}`);
    assert.doesNotMatch(message, /implicit|compact mapping|flow (map|sequence)|block collection/i, message);
  }
});

test("an unknown key in a format block: its line and `did you mean` the one close key", async () => {
  const r = await buildWith(`${HEAD}deb:\n  compresion: zstd\n`);
  assert.match(r.stderr, /^error: deb\.compresion: unknown key; expected one of .*compression.*/);
  assert.match(r.stderr, /; did you mean `compression`\? \(line 5\)/);
  const nested = await buildWith(`${HEAD}rpm:\n  summary: x\n  signature:\n    kye_file: k.asc\n`);
  assert.match(
    nested.stderr,
    /rpm\.signature\.kye_file: unknown key; .*did you mean `key_file`\? \(line 7\)/,
  );
  const override = await buildWith(`${HEAD}overrides:\n  deb:\n    deb:\n      compresion: xz\n`);
  assert.match(override.stderr, /overrides\.deb\.deb\.compresion: .*did you mean `compression`\? \(line 7\)/);
});

test("an unknown top-level or contents key: the same, and no guess when two keys are as close", async () => {
  const top = await buildWith(`${HEAD}maintaner: Jane <j@example.org>\n`);
  assert.match(top.stderr, /^error: maintaner: unknown key; .*did you mean `maintainer`\? \(line 4\)/);
  const contents = await buildWith(`${HEAD}contents:\n  - src: a\n    dts: /b\n`);
  assert.match(contents.stderr, /contents\[0\]\.dts: .*did you mean `dst`\? \(line 6\)/);
  // `rpk` is one letter from both rpm and apk: no guess.
  const two = await buildWith(`${HEAD}rpk: {}\n`);
  assert.match(two.stderr, /^error: rpk: unknown key; expected one of .* \(line 4\)/);
  assert.doesNotMatch(two.stderr, /did you mean/);
  // A one-letter key is no near miss of a three-letter one.
  const short = await buildWith(`${HEAD}a: 1\n`);
  assert.doesNotMatch(short.stderr, /did you mean/);
  // Far from everything: no guess.
  const far = await buildWith(`${HEAD}frobnicate: yes\n`);
  assert.doesNotMatch(far.stderr, /did you mean/);
});

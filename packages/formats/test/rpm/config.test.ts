/**
 * The `rpm:` block of packyard.yml, parsed from YAML by the real loader with the real format registry:
 * every key of the block (src/rpm/config.ts, the README's options table) lands in RpmOptions, script
 * files are read into the spec, and unknown or refused keys fail with their own code naming the key.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { loadConfig } from "../../src/config/index.ts";
import { SpecError } from "../../src/errors.ts";
import { FORMATS } from "../../src/registry.ts";
import { RPM_SCHEMA } from "../../src/rpm/config.ts";
import type { RpmOptions } from "../../src/rpm/options.ts";
import { specErrorOf } from "../support/spec-error.ts";

const dir = mkdtempSync(join(tmpdir(), "packyard-rpm-config-"));
after(() => rmSync(dir, { recursive: true, force: true }));
mkdirSync(join(dir, "scripts"));
const SCRIPT_BODIES = {
  pretrans: "#!/bin/sh\necho pretrans\n",
  posttrans: "#!/bin/sh\necho posttrans\n",
  verify: "#!/bin/sh\necho verify\n",
};
for (const [k, body] of Object.entries(SCRIPT_BODIES)) writeFileSync(join(dir, "scripts", `${k}.sh`), body);

const HEAD = "name: hello\nversion: 1.2.3\narch: amd64\nmaintainer: Ann <ann@example.org>\ndescription: hi\n";

async function resolveRpm(block: string): Promise<{ options: RpmOptions; scripts: Record<string, string> }> {
  const cfg = loadConfig({ text: HEAD + block, baseDir: dir, env: {}, formats: FORMATS });
  const r = await cfg.resolve("rpm", { date: 1704067200 });
  const scripts: Record<string, string> = {};
  for (const [k, s] of Object.entries(r.spec.scripts)) if (s) scripts[k] = s.body;
  return { options: r.options as RpmOptions, scripts };
}

/** The code and field of the SpecError that loading `block` throws, or "ok". */
const loadError = (block: string): string =>
  specErrorOf(() => loadConfig({ text: HEAD + block, baseDir: dir, env: {}, formats: FORMATS }));

const FULL_BLOCK = `rpm:
  arch: armv7hl
  summary: A short summary
  group: Applications/System
  packager: Rpm Packager <rpm@example.org>
  buildhost: build.example.org
  compression: zstd:19
  prefixes: [/usr, /etc]
  requires:
    pre: [shadow-utils]
    post: ["coreutils >= 8"]
    preun: [systemd]
    postun: ["glibc | musl"]
    pretrans: [bash]
    posttrans: ["grep (<< 4)"]
  supplements: ["foo >= 1.0"]
  scripts:
    pretrans: scripts/pretrans.sh
    posttrans: scripts/posttrans.sh
    verify: scripts/verify.sh
  signature:
    key_file: keys/rpm.asc
    key_id: 0123456789ABCDEF
  legacy_signature: true
  format: 4
`;

test("every key of the rpm: block, from YAML through the loader, lands in RpmOptions", async () => {
  const { options, scripts } = await resolveRpm(FULL_BLOCK);
  assert.deepEqual(options, {
    arch: "armv7hl",
    summary: "A short summary",
    group: "Applications/System",
    packager: "Rpm Packager <rpm@example.org>",
    buildhost: "build.example.org",
    compression: { algo: "zstd", level: 19 },
    prefixes: ["/usr", "/etc"],
    requires: {
      pre: [[{ name: "shadow-utils" }]],
      post: [[{ name: "coreutils", op: ">=", version: "8" }]],
      preun: [[{ name: "systemd" }]],
      postun: [[{ name: "glibc" }, { name: "musl" }]],
      pretrans: [[{ name: "bash" }]],
      posttrans: [[{ name: "grep", op: "<", version: "4" }]],
    },
    supplements: [[{ name: "foo", op: ">=", version: "1.0" }]],
    scriptFiles: {
      pretrans: "scripts/pretrans.sh",
      posttrans: "scripts/posttrans.sh",
      verify: "scripts/verify.sh",
    },
    signature: { keyFile: `${dir}/keys/rpm.asc`, keyId: "0123456789ABCDEF" },
    legacySignature: true,
    format: 4,
  });
  // The script files named in rpm.scripts are read into the spec by the loader.
  assert.deepEqual(scripts, SCRIPT_BODIES);
  // The test covers the whole block: every key of the JSON schema appears in FULL_BLOCK.
  const used = new Set([...FULL_BLOCK.matchAll(/^ {2}([a-z_]+):/gm)].map((m) => m[1]));
  assert.deepEqual([...used].sort(), Object.keys(RPM_SCHEMA.properties ?? {}).sort());
});

test("rpm: format as a string, other compressions, and an empty block", async () => {
  assert.deepEqual((await resolveRpm('rpm:\n  format: "4"\n  compression: xz\n')).options, {
    format: 4,
    compression: { algo: "xz" },
  });
  assert.deepEqual((await resolveRpm("rpm:\n  compression: gzip:9\n")).options, {
    compression: { algo: "gzip", level: 9 },
  });
  assert.deepEqual((await resolveRpm("rpm:\n")).options, {});
  assert.deepEqual((await resolveRpm("")).options, {});
});

test("rpm: unknown keys, key_passphrase and format 6 are rejected by name", () => {
  assert.equal(loadError("rpm:\n  compresion: xz\n"), "UNKNOWN_KEY rpm.compresion");
  assert.equal(loadError("rpm:\n  requires:\n    install: [a]\n"), "UNKNOWN_KEY rpm.requires.install");
  assert.equal(loadError("rpm:\n  scripts:\n    preinstall: a.sh\n"), "UNKNOWN_KEY rpm.scripts.preinstall");
  assert.equal(loadError("rpm:\n  signature:\n    key_name: x\n"), "UNKNOWN_KEY rpm.signature.key_name");
  assert.equal(
    loadError("rpm:\n  signature:\n    key_passphrase: secret\n"),
    "UNSUPPORTED_KEY rpm.signature.key_passphrase",
  );
  assert.equal(loadError("rpm:\n  format: 6\n"), "UNSUPPORTED_FEATURE rpm.format");
  assert.equal(loadError("rpm:\n  compression: none\n"), "INVALID_FIELD rpm.compression");
  assert.equal(loadError("rpm:\n  legacy_signature: yes please\n"), "INVALID_FIELD rpm.legacy_signature");
  // The same checks apply to the block under overrides.rpm.
  assert.equal(
    loadError("overrides:\n  rpm:\n    rpm:\n      format: 6\n"),
    "UNSUPPORTED_FEATURE overrides.rpm.rpm.format",
  );
  // The message names the key and what was expected.
  assert.throws(
    () => loadConfig({ text: `${HEAD}rpm:\n  compresion: xz\n`, baseDir: dir, env: {}, formats: FORMATS }),
    (e: unknown) =>
      e instanceof SpecError && /rpm\.compresion: unknown key; expected one of .*compression/.test(e.message),
  );
});

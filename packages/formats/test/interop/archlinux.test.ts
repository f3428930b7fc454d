/**
 * pacman and bsdtar judge our Arch packages: listing, signed install into a scratch root with
 * SigLevel/LocalFileSigLevel Required, -Qi metadata, -Qkk, .INSTALL functions, .pacnew on upgrade,
 * removal, and the three refusals (unsigned, unknown key, corrupted .sig).
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import fc from "fast-check";
import { type ArchlinuxOptions, archlinuxFormat, readArchlinux } from "../../src/archlinux/index.ts";
import { bytesSource, collect } from "../../src/bytes/bytes.ts";
import { loadOpenPGPSigner } from "../../src/sign/index.ts";
import type { OpenPGPSigner } from "../../src/sign/signer.ts";
import type { PackageSpec, Relation } from "../../src/spec/types.ts";
import { helloSpec } from "../archlinux/hello.ts";
import { expectedInfo } from "../archlinux/expected.ts";
import { makeKeyring, makeRoot } from "@packyard/testkit/pacman-root";
import { archlinuxSpec } from "../support/arbitrary-archlinux.ts";
import { exampleFromConfig } from "@packyard/testkit/example";
import { hasTool, needTool, run } from "@packyard/testkit/tools";
import { openpgpTestKey } from "@packyard/testkit/keyrings";

const TOOLS = ["pacman", "pacman-key", "bsdtar", "busybox"];
const KEY = new URL("../../../../fixtures/keys/gpg-plain.secret.asc", import.meta.url);

let dir = "";
let gpgdir = "";
let signer: OpenPGPSigner;

before(async () => {
  if (!TOOLS.every(hasTool)) return;
  dir = mkdtempSync(join(tmpdir(), "packyard-arch-interop-"));
  signer = await loadOpenPGPSigner(readFileSync(KEY, "utf8"));
  gpgdir = makeKeyring(dir, signer.publicKeyArmored(), signer.primaryFingerprint);
});
after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Writes the package and its .sig (unless `sign` is false) into a fresh folder; returns the package path. */
async function build(
  spec: PackageSpec,
  sign: OpenPGPSigner | false = signer,
  options: ArchlinuxOptions = {},
): Promise<string> {
  const out = mkdtempSync(join(dir, "pkg-"));
  const file = join(out, archlinuxFormat.fileName(spec, options));
  const bytes = await collect(archlinuxFormat.write(spec, options));
  writeFileSync(file, bytes);
  if (sign) {
    const sig = await archlinuxFormat.detachedSignature!(bytesSource(bytes), {}, sign);
    writeFileSync(file + sig!.suffix, sig!.bytes);
  }
  return file;
}

/** Members bsdtar must list: metadata first, then every directory (trailing /) and entry, no "./". */
function expectedMembers(spec: PackageSpec): string[] {
  const meta = [".PKGINFO", ".BUILDINFO", ".MTREE"];
  if (
    ["preinstall", "postinstall", "preupgrade", "postupgrade", "preremove", "postremove"].some(
      (k) => k in spec.scripts,
    )
  )
    meta.push(".INSTALL");
  if (spec.changelog.length > 0) meta.push(".CHANGELOG");
  const names = new Map<string, boolean>();
  for (const e of spec.entries) {
    const parts = e.path.split("/").filter(Boolean);
    for (let i = 1; i < parts.length; i++) names.set(parts.slice(0, i).join("/"), true);
  }
  for (const e of spec.entries) names.set(e.path.slice(1), e.type === "dir");
  // hard links come last: their targets must be extracted first
  const links = new Set(spec.entries.filter((e) => e.type === "hardlink").map((e) => e.path.slice(1)));
  const payload = [...names].map(([n, isDir]) => (isDir ? `${n}/` : n)).sort();
  return [...meta, ...payload.filter((n) => !links.has(n)), ...payload.filter((n) => links.has(n))];
}

/** Undoes bsdtar's listing escapes (`\\`, `\t`, `\ooo` bytes) so names compare as UTF-8 text. */
function bsdtarNames(file: string): string[] {
  const out = run("bsdtar", ["-tf", file]).replace(/\n$/, "");
  return out.split("\n").map((line) => {
    const bytes: number[] = [];
    for (let i = 0; i < line.length; i++) {
      const m = line[i] === "\\" ? /^\\([0-7]{3}|\\|t|n|r)/.exec(line.slice(i)) : null;
      if (m) {
        const e = m[1]!;
        bytes.push(e.length === 3 ? Number.parseInt(e, 8) : { "\\": 0x5c, t: 9, n: 10, r: 13 }[e]!);
        i += m[0].length - 1;
      } else bytes.push(...new TextEncoder().encode(line[i]!));
    }
    return new TextDecoder().decode(Uint8Array.from(bytes));
  });
}

function field(qi: string, name: string): string {
  const m = new RegExp(`^${name}\\s*: (.*)$`, "m").exec(qi);
  assert.ok(m, `pacman -Qi shows ${name}:\n${qi}`);
  return m[1]!.trim();
}

const example = () => exampleFromConfig<ArchlinuxOptions>("archlinux");

test("example project: bsdtar lists the expected members in order, without ./ prefixes", async (t) => {
  if (!needTool(t, ...TOOLS)) return;
  const { spec, options } = await example();
  const file = await build(spec, false, options);
  const listed = bsdtarNames(file);
  assert.deepEqual(listed, expectedMembers(spec));
  assert.match(run("bsdtar", ["-tvf", file]), /^lrwxrwxrwx .* usr\/bin\/hello-packyard -> hello$/m);
});

test("example project (through the config loader): signed install, -Qi, -Qkk, runs chrooted, -Qc, .pacsave on removal", async (t) => {
  if (!needTool(t, ...TOOLS, "chroot")) return;
  const { spec, options } = await example();
  const r = makeRoot(gpgdir);
  const pkg = await build(spec, signer, options);
  const install = r.pacman(["-U", pkg]);
  assert.equal(install.status, 0, install.stderr + install.stdout);
  assert.doesNotMatch(install.stdout + install.stderr, /error|warning/i, "scriptlets ran cleanly");

  const qi = r.pacman(["-Qi", "hello-packyard"]).stdout;
  assert.equal(field(qi, "Name"), "hello-packyard");
  assert.equal(field(qi, "Version"), "1.0.0-1");
  assert.equal(field(qi, "Description"), "Friendly greeting program (packyard example)");
  assert.equal(field(qi, "Architecture"), "any");
  assert.equal(field(qi, "URL"), "https://packyard.invalid/example");
  assert.equal(field(qi, "Licenses"), "MIT");
  assert.equal(field(qi, "Packager"), "Packyard Example <example@packyard.invalid>");
  assert.equal(field(qi, "Install Script"), "Yes");
  assert.equal(field(qi, "Validated By"), "Signature");
  const qkk = r.pacman(["-Qkk", "hello-packyard"]);
  assert.equal(qkk.status, 0, qkk.stderr + qkk.stdout);
  assert.match(qkk.stdout, /hello-packyard: \d+ total files, 0 altered files/);
  const qc = r.pacman(["-Qc", "hello-packyard"]).stdout;
  assert.match(qc, /Stable release; the greeting is read from/);
  assert.match(qc, /Preview release of the example project/);

  const hello = () => run("chroot", [r.root, "/bin/sh", "/usr/bin/hello-packyard", "arch"]);
  assert.equal(hello(), "Hello from packyard, arch!\n");
  const conf = join(r.root, "etc/hello-packyard/hello.conf");
  writeFileSync(conf, 'greeting="Hi from the admin"\n');
  assert.equal(hello(), "Hi from the admin, arch!\n");

  // what the program may leave behind; the example's pre_remove deletes it, else the folder stays non-empty
  writeFileSync(join(r.root, "var/lib/hello-packyard/last-greeting"), "Hi\n");
  const rm = r.pacman(["-R", "hello-packyard"]);
  assert.equal(rm.status, 0, rm.stderr + rm.stdout);
  assert.equal(existsSync(join(r.root, "usr/bin/hello")), false);
  assert.equal(existsSync(join(r.root, "usr/bin/hello-packyard")), false);
  assert.equal(readFileSync(`${conf}.pacsave`, "utf8"), 'greeting="Hi from the admin"\n');
  assert.equal(
    existsSync(join(r.root, "var/lib/hello-packyard")),
    false,
    "pre_remove emptied the state folder",
  );
  assert.equal(r.pacman(["-Q", "hello-packyard"]).status, 1);
});

test("relations and every script function: signed install, -Qi, -Qkk, scripts, .pacnew on upgrade, .pacsave and removal", async (t) => {
  if (!needTool(t, ...TOOLS)) return;
  const r = makeRoot(gpgdir);
  const v1 = await build(helloSpec("1.0.0", "greeting=hello\n"));
  // -dd: the scratch root has no bash/glibc to satisfy dependencies; signatures are still checked
  const install = r.pacman(["-Udd", v1]);
  assert.equal(install.status, 0, install.stderr + install.stdout);
  assert.equal(readFileSync(join(r.root, "usr/bin/hello"), "utf8"), '#!/bin/sh\necho "hello 1.0.0"\n');

  const qi = r.pacman(["-Qi", "hello"]).stdout;
  assert.equal(field(qi, "Name"), "hello");
  assert.equal(field(qi, "Version"), "1.0.0-1");
  assert.equal(field(qi, "Description"), "Says hello");
  assert.equal(field(qi, "Architecture"), "x86_64");
  assert.equal(field(qi, "URL"), "https://packyard.dev/hello");
  assert.equal(field(qi, "Licenses"), "MIT");
  assert.equal(field(qi, "Groups"), "utils");
  assert.equal(field(qi, "Provides"), "greeter=1.0");
  assert.match(field(qi, "Depends On"), /^bash\s+glibc>=2\.30$/);
  assert.equal(field(qi, "Optional Deps"), "python: for the helper scripts");
  assert.equal(field(qi, "Conflicts With"), "hello-legacy");
  assert.equal(field(qi, "Replaces"), "hello-old");
  assert.equal(field(qi, "Packager"), "Packyard Example <example@packyard.dev>");
  assert.equal(field(qi, "Install Script"), "Yes");
  assert.equal(field(qi, "Validated By"), "Signature");
  assert.match(field(qi, "Installed Size"), /^\d/);

  const qkk = r.pacman(["-Qkk", "hello"]);
  assert.equal(qkk.status, 0, qkk.stderr + qkk.stdout);
  assert.match(qkk.stdout, /hello: \d+ total files, 0 altered files/);
  assert.equal(
    r.pacman(["-Qc", "hello"]).stdout.includes("Initial release"),
    true,
    "pacman -Qc shows .CHANGELOG",
  );

  const log = () => readFileSync(join(r.root, "tmp/hello-scripts.log"), "utf8");
  assert.equal(log(), "pre_install 1.0.0-1\npost_install 1.0.0-1\n");

  // the user edits the config file; the upgrade ships a different one: pacman keeps the edit, writes .pacnew
  const conf = join(r.root, "etc/hello/hello.conf");
  writeFileSync(conf, "greeting=edited by the user\n");
  const v2 = await build(helloSpec("1.1.0", "greeting=hello again\n"));
  const up = r.pacman(["-Udd", v2]);
  assert.equal(up.status, 0, up.stderr + up.stdout);
  assert.match(up.stdout + up.stderr, /installed as .*hello\.conf\.pacnew/);
  assert.equal(readFileSync(conf, "utf8"), "greeting=edited by the user\n");
  assert.equal(readFileSync(`${conf}.pacnew`, "utf8"), "greeting=hello again\n");
  assert.equal(
    log(),
    "pre_install 1.0.0-1\npost_install 1.0.0-1\npre_upgrade 1.1.0-1 1.0.0-1\npost_upgrade 1.1.0-1 1.0.0-1\n",
  );

  const rm = r.pacman(["-R", "hello"]);
  assert.equal(rm.status, 0, rm.stderr + rm.stdout);
  assert.equal(existsSync(join(r.root, "usr/bin/hello")), false);
  assert.equal(existsSync(join(r.root, "usr/bin/hi")), false);
  assert.equal(readFileSync(`${conf}.pacsave`, "utf8"), "greeting=edited by the user\n");
  assert.equal(log().endsWith("pre_remove 1.1.0-1\n"), true, log());
  assert.equal(readFileSync(join(r.root, "tmp/hello-post-remove"), "utf8"), "post_remove 1.1.0-1\n");
  assert.equal(r.pacman(["-Q", "hello"]).status, 1);
});

test("signatures: unsigned, unknown key and corrupted .sig are refused with pacman's messages", async (t) => {
  if (!needTool(t, ...TOOLS)) return;
  const { spec, options } = await example();
  const r = makeRoot(gpgdir);

  const unsigned = await build(spec, false, options);
  const a = r.pacman(["-Udd", unsigned]);
  assert.notEqual(a.status, 0);
  assert.match(a.stderr, /package missing required signature/);

  const other = await openpgpTestKey({
    name: "Stranger",
    email: "stranger@example.org",
    date: new Date(1_600_000_000_000),
  });
  const strangerSigned = await build(spec, other.signer, options);
  const b = r.pacman(["-Udd", strangerSigned]);
  assert.notEqual(b.status, 0);
  assert.match(
    b.stderr,
    new RegExp(`key "${other.key.keyId}" could not be looked up remotely|required key missing from keyring`),
  );

  const corrupt = await build(spec, signer, options);
  const sig = readFileSync(`${corrupt}.sig`);
  sig[sig.length - 20]! ^= 0xff;
  writeFileSync(`${corrupt}.sig`, sig);
  const c = r.pacman(["-Udd", corrupt]);
  assert.notEqual(c.status, 0);
  assert.match(c.stderr, /invalid or corrupted package \(PGP signature\)/);

  assert.equal(r.pacman(["-Q", spec.name]).status, 1, "nothing was installed");
  // the reader reports the .sig and checks it against the key
  const good = await build(spec, signer, options);
  const info = await readArchlinux(bytesSource(new Uint8Array(readFileSync(good))), {
    detachedSignature: new Uint8Array(readFileSync(`${good}.sig`)),
    publicKeys: [signer.publicKeyArmored()],
  });
  assert.deepEqual(
    info.signatures.map((s) => [s.location, s.keyId, s.verified]),
    [[".sig", signer.keyId, true]],
  );
});

/** pacman -Qi's rendering of a relation list: `name<op>version` joined by two spaces, `None` when empty. */
function qiList(groups: readonly Relation[][] | undefined): string {
  const items = (groups ?? []).map((g) => {
    const r = g[0]!;
    return r.op ? `${r.name}${r.op}${r.version}` : r.name;
  });
  return items.length > 0 ? items.join("  ") : "None";
}

test("20 seeded specs: bsdtar lists the members; pacman installs (signed), -Qi shows the spec, -Qkk is clean, removal works", async (t) => {
  if (!needTool(t, ...TOOLS)) return;
  const specs = fc.sample(archlinuxSpec, { numRuns: 20, seed: 20 });
  for (const [i, spec] of specs.entries()) {
    const want = await expectedInfo(spec, "archlinux");
    const file = await build(spec);
    assert.deepEqual(bsdtarNames(file), expectedMembers(spec), `spec ${i}`);
    const arch = archlinuxFormat
      .fileName(spec, {})
      .replace(/\.pkg\.tar\.zst$/, "")
      .split("-")
      .pop()!;
    const r = makeRoot(gpgdir, arch);
    const install = r.pacman(["-Udd", file]);
    assert.equal(install.status, 0, `spec ${i}: ${install.stderr}${install.stdout}`);
    const qi = r.pacman(["-Qi", spec.name]);
    assert.equal(qi.status, 0, `spec ${i}: ${qi.stderr}${qi.stdout}`);
    const at = `spec ${i} (${spec.name}) -Qi:\n${qi.stdout}`;
    assert.equal(field(qi.stdout, "Name"), spec.name, at);
    assert.equal(field(qi.stdout, "Version"), want.versionString, at);
    assert.equal(field(qi.stdout, "Description"), want.summary ?? "None", at);
    assert.equal(field(qi.stdout, "Architecture"), want.archString, at);
    assert.equal(field(qi.stdout, "Depends On"), qiList(spec.relations.depends), at);
    assert.equal(field(qi.stdout, "Provides"), qiList(spec.relations.provides), at);
    assert.equal(field(qi.stdout, "Conflicts With"), qiList(spec.relations.conflicts), at);
    assert.equal(field(qi.stdout, "Replaces"), qiList(spec.relations.replaces), at);
    assert.equal(field(qi.stdout, "Licenses"), spec.license ?? "None", at);
    assert.equal(field(qi.stdout, "Packager"), spec.maintainer ?? "Unknown Packager", at);
    assert.equal(field(qi.stdout, "Validated By"), "Signature", at);
    const qkk = r.pacman(["-Qkk", spec.name]);
    assert.equal(qkk.status, 0, `spec ${i}: ${qkk.stderr}${qkk.stdout}`);
    assert.match(qkk.stdout, / 0 altered files/);
    for (const e of spec.entries)
      assert.equal(
        existsSync(join(r.root, e.path)) || e.type === "symlink",
        true,
        `spec ${i}: ${e.path} installed`,
      );
    const rm = r.pacman(["-Rdd", spec.name]);
    assert.equal(rm.status, 0, `spec ${i}: ${rm.stderr}${rm.stdout}`);
    rmSync(r.root, { recursive: true, force: true });
  }
});

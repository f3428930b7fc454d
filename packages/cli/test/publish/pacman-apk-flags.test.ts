/**
 * The pacman and Alpine side of `packyard publish` and `packyard repo` before the engine: `--pacman-*`,
 * `--apk-*` and `--resign` over the `publish.archlinux:` and `publish.alpine:` blocks; the engine request
 * (each family's settings only with its packages); flags of a family the publish has no package of, named
 * as ignored; the Alpine key (`--apk-key`: RSA of 2048 bits or more, named as `packyard build` names the
 * project's apk signatures); which key a publish or removal requires; `repo rm --family/--apk-target`; and
 * `repo ls` of pacman and Alpine roots. Nothing here reaches the engine's pacman or Alpine code.
 */
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { gunzipSync } from "node:zlib";
import { bytesSource } from "@packyard/formats";
import type { Flags } from "../../src/command.ts";
import { publishCommand, warnIgnoredFlags } from "../../src/commands/publish.ts";
import { listedRoot, listingText, repoCommand, selectors } from "../../src/commands/repo.ts";
import { apkKeyName, FORMATS, type PackageInfo } from "../../src/formats.ts";
import { parseCommandArgs } from "../../src/main.ts";
import { findPublishConfig, findPublishSetup } from "../../src/publish-config.ts";
import { APK_KEYGEN_HINT, KEYGEN_HINT, loadApkSigner } from "../../src/publish-keys.ts";
import { familiesOf, publishRequest } from "../../src/publish-run.ts";
import { type PublishBlock, repoSettings } from "../../src/publish-settings.ts";
import { isRepoError, type PublishInput, type RootState } from "../../src/repo.ts";
import { UsageError } from "../../src/usage-error.ts";
import { tempDirs } from "../temp-dirs.ts";
import { builtExample, cli, KEY, OTHER_PASSPHRASE, RSA_KEY } from "./support.ts";

const tmp = tempDirs("packyard-pacman-apk-flags-");

/** `packyard publish ARGS` parsed as main() parses it. */
function flags(...args: string[]): Flags {
  return parseCommandArgs(publishCommand, args).flags;
}

/** The same RSA key as RSA_KEY, locked with OTHER_PASSPHRASE (fixtures/keys/make.sh). */
const LOCKED_RSA_KEY = RSA_KEY.replace("openssl-pkcs1.rsa", "openssl-pkcs1-locked.rsa");

const CONFIG: PublishBlock = {
  to: "public",
  apkKey: "keys/apk.rsa",
  archlinux: { repo: "example", architectures: ["x86_64"], includeSignatures: true, resign: false },
  alpine: {
    targets: ["alpine-3.22"],
    repo: "community",
    architectures: ["x86_64"],
    description: "Example",
    legacySha1: true,
    keyName: "dev@example.org-0badc0de.rsa.pub",
  },
};

test("the publish.archlinux and publish.alpine blocks give the settings; each flag given overrides its key", () => {
  const fromConfig = repoSettings(flags(), CONFIG, "publish", "hello");
  assert.deepEqual(fromConfig.archlinux, CONFIG.archlinux);
  const { keyName, ...alpine } = CONFIG.alpine!;
  assert.deepEqual(fromConfig.alpine, alpine, "the key name is not an engine setting of the roots");
  assert.equal(fromConfig.apkKey, "keys/apk.rsa");
  assert.equal(fromConfig.apkKeyName, keyName);
  const over = repoSettings(
    flags(
      "--pacman-repo",
      "other",
      "--pacman-arch",
      "aarch64",
      "--pacman-arch",
      "armv7h,x86_64",
      "--no-pacman-embed-signatures",
      "--resign",
      "--apk-target",
      "alpine-3.21, alpine-edge",
      "--apk-repo",
      "main",
      "--apk-arch",
      "aarch64",
      "--apk-description",
      "Flag",
      "--no-apk-sha1",
      "--apk-key",
      "flag.rsa",
      "--apk-key-name",
      "flag",
      "--apk-change-key",
    ),
    CONFIG,
    "publish",
    "hello",
  );
  assert.deepEqual(over.archlinux, {
    repo: "other",
    architectures: ["aarch64", "armv7h", "x86_64"],
    includeSignatures: false,
    resign: true,
  });
  assert.deepEqual(over.alpine, {
    targets: ["alpine-3.21", "alpine-edge"],
    repo: "main",
    architectures: ["aarch64"],
    description: "Flag",
    legacySha1: false,
    changeKey: true,
  });
  assert.equal(over.apkKey, "flag.rsa");
  assert.equal(over.apkKeyName, "flag");
  // --resign is the rpm one too; the APT and RPM-MD settings are not touched by the new flags.
  assert.equal(over.rpm.resign, true);
  assert.deepEqual(over.apt, {});
  // Target ids and architectures pass as given: the engine checks them against its catalogue.
  assert.deepEqual(
    repoSettings(flags("--to", "r", "--apk-target", "nosuch-1", "--apk-arch", "amd64"), undefined, "publish")
      .alpine,
    { targets: ["nosuch-1"], architectures: ["amd64"] },
  );
});

test("the pacman repository: --pacman-repo, else publish.archlinux.repo, else the key name, else the project's name", () => {
  const repo = (args: string[], config?: PublishBlock, project?: string) =>
    repoSettings(flags("--to", "r", ...args), config, "publish", project).archlinux.repo;
  assert.equal(repo([], undefined, "hello"), "hello");
  assert.equal(repo(["--key-name", "acme"], undefined, "hello"), "acme");
  assert.equal(repo([], { keyName: "k" }, "hello"), "k");
  assert.equal(repo([], { keyName: "k", archlinux: { repo: "a" } }, "hello"), "a");
  assert.equal(repo(["--pacman-repo", "f"], { archlinux: { repo: "a" } }, "hello"), "f");
  assert.equal(repo([]), undefined, "no name at all: the engine's default");
});

/** A package input of `format` (the request looks at nothing else). */
function input(format: string, name: string): PublishInput {
  return { info: { format } as PackageInfo, source: bytesSource(new Uint8Array()), name };
}

test("the engine request: each family's settings go only with its packages", () => {
  const deb = input("deb", "a.deb");
  const rpm = input("rpm", "a.rpm");
  const arch = input("archlinux", "a.pkg.tar.zst");
  const apk = input("apk", "a.apk");
  const s = repoSettings(
    flags("--to", "r", "--suite", "testing", "--rpm-target", "el-9", "--pacman-repo", "ex"),
    { alpine: { targets: ["alpine-3.22"] } },
    "publish",
  );
  const common = { replace: false };
  assert.deepEqual(publishRequest(s, [arch]), { add: [arch], archlinux: { repo: "ex" }, ...common });
  assert.deepEqual(publishRequest(s, [apk]), { add: [apk], alpine: { targets: ["alpine-3.22"] }, ...common });
  assert.deepEqual(publishRequest(s, [deb, rpm, arch, apk]), {
    add: [deb, rpm, arch, apk],
    apt: { suite: "testing" },
    rpm: { targets: ["el-9"] },
    archlinux: { repo: "ex" },
    alpine: { targets: ["alpine-3.22"] },
    ...common,
  });
  assert.deepEqual(familiesOf([apk, deb, apk, arch]), ["deb", "archlinux", "alpine"]);
});

test("flags of a family the publish has no package of are named as ignored; --resign counts for rpm and Arch", () => {
  const warned = (args: string[], families: Parameters<typeof warnIgnoredFlags>[1]) => {
    let err = "";
    warnIgnoredFlags(flags(...args), families, { err: (t) => (err += t) });
    return err;
  };
  const all = [
    "--rpm-target",
    "el-9",
    "--resign",
    "--pacman-repo",
    "x",
    "--pacman-embed-signatures",
    "--apk-target",
    "alpine-3.22",
    "--no-apk-sha1",
  ];
  assert.equal(
    warned(all, ["deb"]),
    "warning: --rpm-target ignored: this publish has no .rpm package (RPM-MD settings apply when rpms are published)\n" +
      "warning: --resign ignored: this publish has no .rpm and no Arch package (it re-signs those)\n" +
      "warning: --pacman-repo, --pacman-embed-signatures ignored: this publish has no Arch package (pacman settings apply when Arch packages are published)\n" +
      "warning: --apk-target, --apk-sha1 ignored: this publish has no .apk package (Alpine settings apply when apks are published)\n",
  );
  assert.equal(
    warned(all, ["archlinux", "alpine"]),
    "warning: --rpm-target ignored: this publish has no .rpm package (RPM-MD settings apply when rpms are published)\n",
  );
  assert.equal(warned(all, ["rpm", "archlinux", "alpine"]), "");
  // Keys are not a family's settings: --apk-key is loaded (a root left midway may need it), not ignored.
  assert.equal(warned(["--apk-key", "a.rsa", "--apk-key-name", "n"], ["deb"]), "");
});

test("the help: every pacman and Alpine flag, the config keys, where users point pacman and apk", () => {
  const help = publishCommand.help;
  for (const flag of [
    "--pacman-repo NAME",
    "--pacman-arch A",
    "--pacman-embed-signatures\n",
    "--apk-target ID",
    "--apk-repo NAME",
    "--apk-arch A",
    "--apk-description T",
    "--apk-sha1",
    "--apk-key FILE",
    "--apk-key-name NAME",
  ]) {
    assert.ok(help.includes(`\n      ${flag}`), flag);
  }
  for (const key of ["repo", "architectures", "embed_signatures", "resign"]) {
    assert.match(help, new RegExp(`archlinux: block with [^;]*\\b${key}\\b`), key);
  }
  for (const key of ["targets", "repo", "architectures", "description", "legacy_sha1", "key_name"]) {
    assert.match(help, new RegExp(`alpine: block with [^)]*\\b${key}\\b`), key);
  }
  assert.match(help, /\bapk_key\b/);
  assert.match(help, /Server = <url>\/archlinux\/\$repo\/os\/\$arch/);
  assert.match(help, /\/etc\/apk\/repositories gets\s+<url>\/alpine\/<branch>\/<repo>/);
  assert.doesNotMatch(help, /come later|for now/);
  const repoHelp = repoCommand.help;
  for (const flag of ["--apk-target ID", "--family F", "--apk-key FILE"]) {
    assert.ok(repoHelp.includes(`\n      ${flag}`), flag);
  }
});

/** Asserts that `promise` rejects with RepoError `code` whose message matches `pattern`. */
async function rejectsRepo(promise: Promise<unknown>, code: string, pattern: RegExp): Promise<void> {
  await assert.rejects(promise, (e: unknown) => {
    assert.ok(isRepoError(e), String(e));
    assert.equal(e.code, code, e.message);
    assert.match(e.message, pattern);
    return true;
  });
}

/** The public key openssl derived from RSA_KEY (fixtures/keys/make.sh), as apk users install it. */
const RSA_PUBLIC = readFileSync(`${RSA_KEY}.pub`, "utf8");

test("--apk-key: an RSA key loads, named by the key name given, else the maintainer's e-mail, else its own name", async () => {
  const opts = { cwd: "/", env: {} };
  const named = await loadApkSigner(RSA_KEY, {
    ...opts,
    keyName: "release",
    maintainer: "A <a@example.org>",
  });
  assert.equal(named.kind, "rsa");
  assert.equal(named.bits, 2048);
  assert.equal(named.keyName, "release.rsa.pub", "the name given wins; .rsa.pub appended");
  assert.equal((await loadApkSigner(RSA_KEY, { ...opts, keyName: "k.pub" })).keyName, "k.pub");
  // The maintainer's e-mail with 8 hex digits of the key: the key's SHA-256 over its DER SubjectPublicKeyInfo.
  const byMaintainer = await loadApkSigner(RSA_KEY, { ...opts, maintainer: "Jane Doe <jane@example.org>" });
  assert.equal(byMaintainer.keyName, apkKeyName("jane@example.org", RSA_PUBLIC));
  assert.match(byMaintainer.keyName, /^jane@example\.org-[0-9a-f]{8}\.rsa\.pub$/);
  assert.match((await loadApkSigner(RSA_KEY, opts)).keyName, /^packyard-[0-9a-f]{8}\.rsa\.pub$/);
  // The renamed signer still signs, with the same key.
  const data = new TextEncoder().encode("index");
  assert.deepEqual(
    await byMaintainer.sign(data, "sha256"),
    await (await loadApkSigner(RSA_KEY, opts)).sign(data, "sha256"),
  );
  assert.equal(byMaintainer.publicKeyPem(), (await loadApkSigner(RSA_KEY, opts)).publicKeyPem());
});

test("--apk-key passphrase: --passphrase-env, else PACKYARD_APK_PASSPHRASE, else PACKYARD_PASSPHRASE", async () => {
  for (const env of [
    { PACKYARD_APK_PASSPHRASE: OTHER_PASSPHRASE },
    { PACKYARD_PASSPHRASE: OTHER_PASSPHRASE },
    { MINE: OTHER_PASSPHRASE, PACKYARD_APK_PASSPHRASE: "wrong" },
  ]) {
    const passphraseEnv = "MINE" in env ? { passphraseEnv: "MINE" } : {};
    const signer = await loadApkSigner(LOCKED_RSA_KEY, { cwd: "/", env, ...passphraseEnv });
    assert.equal(signer.bits, 2048, JSON.stringify(env));
  }
  await assert.rejects(loadApkSigner(LOCKED_RSA_KEY, { cwd: "/", env: {} }), /KEY_LOCKED|passphrase/i);
});

test("--apk-key: an OpenPGP key, or an RSA key under 2048 bits, is BAD_KEY saying what was found", async () => {
  await rejectsRepo(
    loadApkSigner(KEY, { cwd: "/", env: {} }),
    "BAD_KEY",
    new RegExp(
      `^${KEY.replaceAll(".", "\\.")}: expected an RSA private key in PEM \\(apk verifies Alpine indexes with RSA\\), found an OpenPGP key \\(that is for --key\\)`,
    ),
  );
  const dir = tmp();
  const small = join(dir, "small.rsa");
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 1024 });
  writeFileSync(small, privateKey.export({ type: "pkcs1", format: "pem" }));
  await rejectsRepo(
    loadApkSigner("small.rsa", { cwd: dir, env: {} }),
    "BAD_KEY",
    /^small\.rsa: expected an RSA key of at least 2048 bits for the Alpine indexes, found 1024 bits; make a new one with: packyard keygen --type rsa /,
  );
});

/** The name of the first member of a gzip-compressed tar stream (for an apk, its signature: `.SIGN.RSA256.<key name>`). */
function firstTarName(gz: Uint8Array): string {
  const tar = gunzipSync(gz);
  const field = tar.subarray(0, 100);
  const end = field.indexOf(0);
  return new TextDecoder().decode(end >= 0 ? field.subarray(0, end) : field);
}

test("the derived key name is the one packyard build signs the project's apk with, for the same key", async () => {
  const io = (cwd: string) => ({
    out() {},
    err() {},
    env: {},
    cwd,
    debug: false,
    color: false,
    tty: false,
    formats: FORMATS,
  });
  const apk = "dist/hello-packyard-1.0.0-r1.apk";
  // The example's maintainer names the key (packyard build -p apk with the key in apk.signature).
  const plain = await builtExample(tmp(), "apk", `apk:\n  signature:\n    key_file: ${RSA_KEY}\n`);
  const built = firstTarName(readFileSync(join(plain, apk)));
  assert.match(built, /^\.SIGN\.RSA256\.example@packyard\.invalid-[0-9a-f]{8}\.rsa\.pub$/);
  const setup = await findPublishSetup({}, io(plain));
  assert.equal(setup.maintainer, "Packyard Example <example@packyard.invalid>");
  assert.equal(setup.apkKeyName, undefined);
  const derived = await loadApkSigner(RSA_KEY, { cwd: plain, env: {}, maintainer: setup.maintainer! });
  assert.equal(`.SIGN.RSA256.${derived.keyName}`, built);

  // A key name the project gives its apk signatures is the publish's default too.
  const custom = await builtExample(
    tmp(),
    "apk",
    `apk:\n  signature:\n    key_file: ${RSA_KEY}\n    key_name: packages@example.org\n`,
  );
  const customBuilt = firstTarName(readFileSync(join(custom, apk)));
  assert.equal(customBuilt, ".SIGN.RSA256.packages@example.org.rsa.pub");
  const customSetup = await findPublishSetup({}, io(custom));
  const customDerived = await loadApkSigner(RSA_KEY, {
    cwd: custom,
    env: {},
    keyName: customSetup.apkKeyName!,
    maintainer: customSetup.maintainer!,
  });
  assert.equal(`.SIGN.RSA256.${customDerived.keyName}`, customBuilt);
});

test("through the command: .apk without --apk-key is MISSING_KEY naming keygen --type rsa; an OpenPGP --apk-key is BAD_KEY", async () => {
  const cwd = await builtExample(tmp(), "deb,apk");
  const repo = join(cwd, "repo");
  const missing = await cli(["publish", "--to", repo, "--key", KEY], cwd);
  assert.equal(missing.status, 1, missing.stderr);
  assert.match(
    missing.stderr,
    /^error: packyard publish signs Alpine indexes with an RSA key, and this publish has \.apk packages \(dist\/hello-packyard-1\.0\.0-r1\.apk\), but no Alpine key was given: pass --apk-key FILE \(an RSA private key in PEM\) or set publish\.apk_key in packyard\.yml; make a key with: /,
  );
  assert.ok(missing.stderr.includes(APK_KEYGEN_HINT), missing.stderr);
  assert.match(missing.stderr, /\[RepoError MISSING_KEY\]\n$/);
  const bad = await cli(["publish", "--to", repo, "--key", KEY, "--apk-key", KEY], cwd);
  assert.equal(bad.status, 1, bad.stderr);
  assert.match(bad.stderr, /found an OpenPGP key \(that is for --key\).*\[RepoError BAD_KEY\]\n$/s);
  // With the Alpine key but no OpenPGP one, the deb still needs --key.
  const noKey = await cli(["publish", "--to", repo, "--apk-key", RSA_KEY], cwd);
  assert.equal(noKey.status, 1, noKey.stderr);
  assert.ok(noKey.stderr.includes(`make a key with: ${KEYGEN_HINT}`), noKey.stderr);
  assert.ok(!existsSync(repo), "nothing written");
  // The hint is a command keygen takes.
  assert.match(
    APK_KEYGEN_HINT,
    /^packyard keygen --type rsa --name repo --email \S+ \(writes repo\.rsa and repo\.rsa\.pub\)$/,
  );
});

test("repo rm: --family and --apk-target narrow the selectors; the families touched decide the keys", async () => {
  const rm = (...args: string[]) => selectors(["hello=1.0-r0"], parseCommandArgs(repoCommand, args).flags);
  assert.deepEqual(rm(), { select: [{ name: "hello", version: "1.0-r0" }], families: ["deb"] });
  assert.deepEqual(rm("--family", "archlinux"), {
    select: [{ name: "hello", version: "1.0-r0", family: "archlinux" }],
    families: ["archlinux"],
  });
  assert.deepEqual(rm("--apk-target", "alpine-3.22,alpine-edge"), {
    select: [
      { name: "hello", version: "1.0-r0", target: "alpine-3.22" },
      { name: "hello", version: "1.0-r0", target: "alpine-edge" },
    ],
    families: ["alpine"],
  });
  assert.deepEqual(rm("--apk-target", "alpine-3.22", "--rpm-target", "el-9"), {
    select: [
      { name: "hello", version: "1.0-r0", target: "el-9" },
      { name: "hello", version: "1.0-r0", target: "alpine-3.22" },
    ],
    families: ["rpm", "alpine"],
  });
  assert.deepEqual(rm("--family", "alpine", "--apk-target", "alpine-3.22").families, ["alpine"]);
  const usage = (args: string[], pattern: RegExp) =>
    assert.throws(
      () => rm(...args),
      (e: unknown) => e instanceof UsageError && pattern.test(e.message),
      args.join(" "),
    );
  usage(["--family", "debian"], /^--family: expected one of deb, rpm, archlinux, alpine, found 'debian'$/);
  usage(
    ["--family", "rpm", "--apk-target", "alpine-3.22"],
    /^--apk-target names alpine roots, but --family is rpm$/,
  );
  usage(["--apk-target", "alpine-3.22", "--component", "main"], /--apk-target takes none$/);
  usage(["--family", "archlinux", "--component", "main"], /--family archlinux takes none$/);
  assert.deepEqual(rm("--family", "deb", "--component", "contrib").select, [
    { name: "hello", version: "1.0-r0", component: "contrib", family: "deb" },
  ]);

  const cwd = tmp();
  const repo = join(cwd, "repo");
  const cases: [string[], number, RegExp][] = [
    [
      ["--family", "alpine"],
      1,
      /signs Alpine indexes with an RSA key, and this removal touches Alpine roots, .*\[RepoError MISSING_KEY\]\n$/s,
    ],
    [
      ["--apk-target", "alpine-3.22", "--key", KEY],
      1,
      /no Alpine key was given: pass --apk-key FILE.*\[RepoError MISSING_KEY\]\n$/s,
    ],
    [
      ["--family", "archlinux", "--apk-key", RSA_KEY],
      1,
      /no key was given: pass --key FILE.*\[RepoError MISSING_KEY\]\n$/s,
    ],
    [
      ["--apk-target", "alpine-3.22", "--apk-key", KEY],
      1,
      /found an OpenPGP key \(that is for --key\).*\[RepoError BAD_KEY\]\n$/s,
    ],
    [
      ["--family", "nope"],
      2,
      /^error: --family: expected one of deb, rpm, archlinux, alpine, found 'nope'\n/,
    ],
  ];
  for (const [args, status, pattern] of cases) {
    const r = await cli(["repo", "rm", "--to", repo, ...args, "hello"], cwd);
    assert.equal(r.status, status, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, pattern, args.join(" "));
  }
  const copy = await cli(["repo", "copy", "--to", repo, "--from-suite", "a", "--apk-key", RSA_KEY], cwd);
  assert.equal(copy.status, 2);
  assert.match(copy.stderr, /^error: --apk-key does not apply to packyard repo copy\n/);
  assert.ok(!existsSync(repo), "nothing written");
});

test("repo ls: pacman roots with their repository, Alpine roots with target and repository", () => {
  const base = { schema: "packyard-state/1", generation: 3, date: "2025-01-02T03:04:05Z", tombstones: [] };
  const pkg = (name: string, version: string, arch: string, key: string) => ({
    name,
    version,
    arch,
    key,
    size: 10,
    digests: { sha256: "a".repeat(64) },
  });
  const states = [
    {
      ...base,
      family: "archlinux",
      root: "archlinux/example/os/x86_64",
      archlinux: { target: "arch", repo: "example", arch: "x86_64", includeSignatures: false },
      packages: [pkg("hello", "1.0-1", "any", "archlinux/example/os/x86_64/hello-1.0-1-any.pkg.tar.zst")],
    },
    {
      ...base,
      family: "alpine",
      root: "alpine/v3.22/main/aarch64",
      alpine: {
        target: "alpine-3.22",
        branch: "v3.22",
        repo: "main",
        arch: "aarch64",
        description: "main v3.22",
        legacySha1: false,
      },
      packages: [pkg("hello", "1.0-r1", "noarch", "alpine/v3.22/main/aarch64/hello-1.0-r1.apk")],
    },
  ] as unknown as RootState[];
  const listed = states.map(listedRoot);
  assert.deepEqual(
    listed.map((r) => [r.root, r.family, r.target, r.repo, r.architectures, r.suite]),
    [
      ["archlinux/example/os/x86_64", "archlinux", undefined, "example", ["x86_64"], undefined],
      ["alpine/v3.22/main/aarch64", "alpine", "alpine-3.22", "main", ["aarch64"], undefined],
    ],
  );
  assert.equal(
    listingText(listed),
    "archlinux/example/os/x86_64: repository example, architectures x86_64, 1 package, updated 2025-01-02T03:04:05Z\n" +
      "  hello  1.0-1  any\n" +
      "alpine/v3.22/main/aarch64: target alpine-3.22, repository main, architectures aarch64, 1 package, updated 2025-01-02T03:04:05Z\n" +
      "  hello  1.0-r1  noarch\n",
  );
});

test("packyard.yml's publish.apk_key, publish.archlinux and publish.alpine reach the settings through the config loader", async () => {
  const cwd = tmp();
  writeFileSync(
    join(cwd, "packyard.yml"),
    "name: a\nversion: 1.0.0\narch: all\npublish:\n  to: public\n  apk_key: keys/apk.rsa\n  archlinux:\n    repo: example\n    architectures: [x86_64, aarch64]\n    embed_signatures: true\n    resign: true\n  alpine:\n    targets: [alpine-3.22]\n    repo: community\n    architectures: [x86_64]\n    description: Example\n    legacy_sha1: true\n    key_name: dev@example.org-0badc0de.rsa.pub\n",
  );
  const io = { out() {}, err() {}, env: {}, cwd, debug: false, color: false, tty: false, formats: FORMATS };
  const s = repoSettings(flags(), await findPublishConfig({}, io), "publish");
  assert.equal(s.apkKey, "keys/apk.rsa");
  assert.equal(s.apkKeyName, "dev@example.org-0badc0de.rsa.pub");
  assert.deepEqual(s.archlinux, {
    repo: "example",
    architectures: ["x86_64", "aarch64"],
    includeSignatures: true,
    resign: true,
  });
  assert.deepEqual(s.alpine, {
    targets: ["alpine-3.22"],
    repo: "community",
    architectures: ["x86_64"],
    description: "Example",
    legacySha1: true,
  });
});

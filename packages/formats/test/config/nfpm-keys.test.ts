/**
 * Every nfpm configuration key is implemented or rejected by name. The list below is nfpm's schema as nfpm
 * defines it (nfpm.go structs, files/files.go, www/content/docs/configuration.md): top-level keys, scripts,
 * contents[] keys, file_info keys, overrides, and the deb, rpm, archlinux and apk blocks. Each key is loaded
 * with a plausible value through the real formats' blocks; it must either load and reach the spec or the
 * format's options (never accepted and dropped), or fail with SpecError UNSUPPORTED_KEY naming it (never
 * UNKNOWN_KEY).
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import type { ApkOptions } from "../../src/apk/options.ts";
import type { ArchlinuxOptions } from "../../src/archlinux/options.ts";
import { type LoadedConfig, loadConfig, type ResolvedPackage } from "../../src/config/load.ts";
import type { DebOptions } from "../../src/deb/options.ts";
import { SpecError } from "../../src/errors.ts";
import { FORMATS } from "../../src/registry.ts";
import type { RpmOptions } from "../../src/rpm/options.ts";
import type { Entry, ScriptKind } from "../../src/spec/types.ts";

const DATE = 1_700_000_000;
const dir = mkdtempSync(join(tmpdir(), "packyard-nfpm-keys-"));
after(() => rmSync(dir, { recursive: true, force: true }));
for (const [rel, text] of Object.entries({
  "bin/app": "app\n",
  "scripts/pre.sh": "#!/bin/sh\necho pre\n",
  "scripts/other.sh": "#!/bin/sh\necho other\n",
  "debian/templates": "Template: app/q\nType: boolean\n",
  "debian/config": "#!/bin/sh\n",
  "changelog.yml":
    "- semver: 1.0.0\n  date: 2023-11-14T22:13:20Z\n  packager: Jane <j@example.org>\n  changes:\n    - note: first\n",
})) {
  mkdirSync(join(dir, rel, ".."), { recursive: true });
  writeFileSync(join(dir, rel), text);
}

const BASE = "name: app\nversion: 1.0.0\narch: amd64\n";
const FILE = "contents:\n  - src: ./bin/app\n    dst: /usr/bin/app\n";

type Fmt = "deb" | "rpm" | "archlinux" | "apk";
interface KeyCase {
  /** The nfpm key, as a path: `deb.triggers.interest`, `contents[].file_info.mode`, `overrides.<fmt>.depends`. */
  key: string;
  /** A whole config using the key. */
  yaml: string;
  /** The format resolved (default deb). */
  format?: Fmt;
  /** Env for `$VAR` expansion. */
  env?: Record<string, string>;
  /** For an implemented key: asserts its value reached the spec, the options, or the loader's notes. */
  reached: (r: ResolvedPackage, c: LoadedConfig) => void | Promise<void>;
}

function entry(r: ResolvedPackage, path: string): Entry {
  const e = r.spec.entries.find((x) => x.path === path);
  assert.ok(e, `entry ${path} in ${r.spec.entries.map((x) => x.path).join(", ")}`);
  return e;
}
const deb = (r: ResolvedPackage) => r.options as DebOptions;
const rpm = (r: ResolvedPackage) => r.options as RpmOptions;
const arch = (r: ResolvedPackage) => r.options as ArchlinuxOptions;
const apk = (r: ResolvedPackage) => r.options as ApkOptions;
const names = (groups: readonly { name: string }[][] | undefined) =>
  groups?.map((g) => g.map((x) => x.name).join("|"));
const body = (r: ResolvedPackage, kind: ScriptKind): string => r.spec.scripts[kind]?.body ?? "";

const RELATIONS = ["replaces", "provides", "depends", "recommends", "suggests", "conflicts"] as const;
const SCRIPTS = ["preinstall", "postinstall", "preremove", "postremove"] as const;
const TRIGGERS = {
  interest: "interest",
  interest_await: "interestAwait",
  interest_noawait: "interestNoawait",
  activate: "activate",
  activate_await: "activateAwait",
  activate_noawait: "activateNoawait",
} as const;

// nfpm.go's structs, key by key.
const CASES: KeyCase[] = [
  // --- top level (Info) ---
  { key: "name", yaml: BASE, reached: (r) => assert.equal(r.spec.name, "app") },
  {
    key: "arch",
    yaml: "name: app\nversion: 1.0.0\narch: aarch64\n",
    reached: (r) => assert.equal(r.spec.arch, "arm64"),
  },
  {
    key: "platform",
    yaml: `${BASE}platform: linux\n`,
    // linux is the only value deb accepts; darwin is checked to take effect below
    reached: (r) => assert.equal(r.spec.name, "app"),
  },
  {
    key: "version",
    yaml: "name: app\nversion: v2.3.4\narch: amd64\n",
    reached: (r) => assert.equal(r.spec.version.upstream, "2.3.4"),
  },
  {
    key: "version_schema",
    yaml: "name: app\nversion: 2.3.4-rc1\narch: amd64\nversion_schema: none\n",
    reached: (r) => {
      assert.equal(r.spec.version.upstream, "2.3.4-rc1");
      assert.equal(r.spec.version.prerelease, undefined);
    },
  },
  { key: "epoch", yaml: `${BASE}epoch: 2\n`, reached: (r) => assert.equal(r.spec.version.epoch, 2) },
  { key: "release", yaml: `${BASE}release: 3\n`, reached: (r) => assert.equal(r.spec.version.release, "3") },
  {
    key: "prerelease",
    yaml: `${BASE}prerelease: beta1\n`,
    reached: (r) => assert.equal(r.spec.version.prerelease, "beta1"),
  },
  {
    key: "version_metadata",
    yaml: `${BASE}version_metadata: git.abc\n`,
    reached: (r) => assert.equal(r.spec.version.metadata, "git.abc"),
  },
  { key: "section", yaml: `${BASE}section: utils\n`, reached: (r) => assert.equal(r.spec.section, "utils") },
  {
    key: "priority",
    yaml: `${BASE}priority: extra\n`,
    reached: (r) => assert.equal(r.spec.priority, "extra"),
  },
  {
    key: "maintainer",
    yaml: `${BASE}maintainer: Jane <j@example.org>\n`,
    reached: (r) => assert.equal(r.spec.maintainer, "Jane <j@example.org>"),
  },
  {
    key: "description",
    yaml: `${BASE}description: An app.\n`,
    reached: (r) => assert.match(r.spec.description ?? "", /An app\./),
  },
  {
    key: "vendor",
    yaml: `${BASE}vendor: Acme\n`,
    format: "rpm",
    reached: (r) => assert.equal(r.spec.vendor, "Acme"),
  },
  {
    key: "homepage",
    yaml: `${BASE}homepage: https://example.org\n`,
    reached: (r) => assert.equal(r.spec.homepage, "https://example.org"),
  },
  { key: "license", yaml: `${BASE}license: MIT\n`, reached: (r) => assert.equal(r.spec.license, "MIT") },
  {
    key: "changelog",
    yaml: `${BASE}changelog: changelog.yml\n`,
    reached: (r) =>
      assert.deepEqual(
        r.spec.changelog.map((c) => [c.version, c.changes]),
        [["1.0.0", ["first"]]],
      ),
  },
  {
    key: "disable_globbing",
    yaml: `${BASE}disable_globbing: true\ncontents:\n  - src: ./bin/*\n    dst: /usr/bin/\n`,
    // with globbing off, `./bin/*` is a literal (missing) file: the error proves the key took effect
    reached: () => assert.fail("a literal ./bin/* should not resolve"),
  },
  {
    key: "mtime",
    yaml: `${BASE}mtime: 2020-01-02T03:04:05Z\n`,
    reached: (r) => assert.equal(r.spec.date, Date.UTC(2020, 0, 2, 3, 4, 5) / 1000),
  },
  {
    key: "umask",
    yaml: `${BASE}umask: 0o077\n${FILE}`,
    reached: (r) => assert.equal(entry(r, "/usr/bin/app").mode & 0o077, 0),
  },
  ...RELATIONS.map(
    (k): KeyCase => ({
      key: k,
      yaml: `${BASE}${k}:\n  - foo (>= 1.2)\n`,
      reached: (r) => assert.deepEqual(names(r.spec.relations[k]), ["foo"]),
    }),
  ),
  {
    key: "contents",
    yaml: `${BASE}${FILE}`,
    reached: (r) => assert.equal(entry(r, "/usr/bin/app").type, "file"),
  },
  ...SCRIPTS.map(
    (k): KeyCase => ({
      key: `scripts.${k}`,
      yaml: `${BASE}scripts:\n  ${k}: scripts/pre.sh\n`,
      reached: async (r) => assert.match(body(r, k), /echo pre/),
    }),
  ),
  {
    key: "overrides",
    yaml: `${BASE}overrides:\n  deb:\n    depends: [foo]\n`,
    reached: (r) => assert.deepEqual(names(r.spec.relations.depends), ["foo"]),
  },

  // --- contents[] (files/files.go) ---
  {
    key: "contents[].src",
    yaml: `${BASE}${FILE}`,
    reached: (r) => assert.equal(entry(r, "/usr/bin/app").type, "file"),
  },
  { key: "contents[].dst", yaml: `${BASE}${FILE}`, reached: (r) => assert.ok(entry(r, "/usr/bin/app")) },
  {
    key: "contents[].type",
    yaml: `${BASE}${FILE}    type: config\n`,
    reached: (r) => assert.equal(entry(r, "/usr/bin/app").flags?.config, true),
  },
  {
    key: "contents[].packager",
    yaml: `${BASE}${FILE}    packager: rpm\n`,
    reached: (r) =>
      assert.equal(
        r.spec.entries.find((e) => e.path === "/usr/bin/app"),
        undefined,
      ),
  },
  {
    key: "contents[].file_info",
    yaml: `${BASE}${FILE}    file_info: { mode: 0o700 }\n`,
    reached: (r) => assert.equal(entry(r, "/usr/bin/app").mode, 0o700),
  },
  {
    key: "contents[].expand",
    yaml: `${BASE}contents:\n  - src: ./bin/app\n    dst: /usr/bin/\${BIN}\n    expand: true\n`,
    env: { BIN: "renamed" },
    reached: (r) => assert.ok(entry(r, "/usr/bin/renamed")),
  },
  {
    key: "contents[].disown_subtree",
    yaml: `${BASE}contents:\n  - src: ./bin\n    dst: /opt/app\n    type: tree\n    disown_subtree: true\n`,
    reached: () => assert.fail("disown_subtree must not be accepted and dropped"),
  },
  {
    key: "contents[].force_implicit_dirs",
    yaml: `${BASE}contents:\n  - src: ./bin\n    dst: /opt/app\n    type: tree\n    force_implicit_dirs: true\n`,
    reached: () => assert.fail("force_implicit_dirs must not be accepted and dropped"),
  },

  // --- contents[].file_info ---
  {
    key: "contents[].file_info.mode",
    yaml: `${BASE}${FILE}    file_info:\n      mode: 0640\n`,
    reached: (r) => assert.equal(entry(r, "/usr/bin/app").mode, 0o640),
  },
  {
    key: "contents[].file_info.mtime",
    yaml: `${BASE}${FILE}    file_info:\n      mtime: 2021-05-06T07:08:09Z\n`,
    reached: (r) => assert.equal(entry(r, "/usr/bin/app").mtime, Date.UTC(2021, 4, 6, 7, 8, 9) / 1000),
  },
  {
    key: "contents[].file_info.owner",
    yaml: `${BASE}${FILE}    file_info:\n      owner: daemon\n`,
    reached: (r) => assert.equal(entry(r, "/usr/bin/app").owner.name, "daemon"),
  },
  {
    key: "contents[].file_info.group",
    yaml: `${BASE}${FILE}    file_info:\n      group: adm\n`,
    reached: (r) => assert.equal(entry(r, "/usr/bin/app").group.name, "adm"),
  },
  {
    key: "contents[].file_info.lang",
    yaml: `${BASE}${FILE}    file_info:\n      lang: de\n`,
    format: "rpm",
    reached: (r) => assert.equal(entry(r, "/usr/bin/app").lang, "de"),
  },

  // --- overrides.<packager>: the overridable subset ---
  ...RELATIONS.map(
    (k): KeyCase => ({
      key: `overrides.rpm.${k}`,
      yaml: `${BASE}${k}: [top]\noverrides:\n  rpm:\n    ${k}: [over]\n`,
      format: "rpm",
      reached: (r) => assert.deepEqual(names(r.spec.relations[k]), ["over"]),
    }),
  ),
  {
    key: "overrides.apk.contents",
    yaml: `${BASE}${FILE}overrides:\n  apk:\n    contents:\n      - { src: ./bin/app, dst: /usr/sbin/app }\n`,
    format: "apk",
    reached: (r) => {
      assert.ok(entry(r, "/usr/sbin/app"));
      assert.equal(
        r.spec.entries.find((e) => e.path === "/usr/bin/app"),
        undefined,
      );
    },
  },
  {
    key: "overrides.archlinux.umask",
    yaml: `${BASE}${FILE}overrides:\n  archlinux:\n    umask: 0o077\n`,
    format: "archlinux",
    reached: (r) => assert.equal(entry(r, "/usr/bin/app").mode & 0o077, 0),
  },
  {
    key: "overrides.deb.scripts",
    yaml: `${BASE}scripts:\n  postinstall: scripts/pre.sh\noverrides:\n  deb:\n    scripts:\n      postinstall: scripts/other.sh\n`,
    reached: async (r) => assert.match(body(r, "postinstall"), /echo other/),
  },
  {
    key: "overrides.deb.deb",
    yaml: `${BASE}deb:\n  compression: gzip\noverrides:\n  deb:\n    deb:\n      compression: zstd\n`,
    reached: (r) => assert.equal(deb(r).compression?.algo, "zstd"),
  },
  {
    key: "overrides.rpm.rpm",
    yaml: `${BASE}overrides:\n  rpm:\n    rpm:\n      group: Games\n`,
    format: "rpm",
    reached: (r) => assert.equal(rpm(r).group, "Games"),
  },
  {
    key: "overrides.apk.apk",
    yaml: `${BASE}overrides:\n  apk:\n    apk:\n      arch: x86\n`,
    format: "apk",
    reached: (r) => assert.equal(apk(r).arch, "x86"),
  },
  {
    key: "overrides.archlinux.archlinux",
    yaml: `${BASE}overrides:\n  archlinux:\n    archlinux:\n      pkgbase: base\n`,
    format: "archlinux",
    reached: (r) => assert.equal(arch(r).pkgbase, "base"),
  },
  {
    key: "overrides.ipk",
    yaml: `${BASE}overrides:\n  ipk:\n    depends: [foo]\n`,
    // packyard does not build ipk: kept and reported, not applied to deb
    reached: (r, c) => {
      assert.deepEqual(r.spec.relations.depends, undefined);
      assert.ok(
        c.notes.some((n) => n.includes("overrides.ipk")),
        c.notes.join("; "),
      );
    },
  },
  {
    key: "ipk",
    yaml: `${BASE}ipk:\n  abi_version: "1"\n`,
    reached: (_r, c) =>
      assert.ok(
        c.notes.some((n) => n.startsWith("ipk:")),
        c.notes.join("; "),
      ),
  },
  {
    key: "msix",
    yaml: `${BASE}msix:\n  publisher: CN=Acme\n`,
    reached: (_r, c) =>
      assert.ok(
        c.notes.some((n) => n.startsWith("msix:")),
        c.notes.join("; "),
      ),
  },

  // --- rpm block ---
  {
    key: "rpm.arch",
    yaml: `${BASE}rpm:\n  arch: i686\n`,
    format: "rpm",
    reached: (r) => assert.equal(rpm(r).arch, "i686"),
  },
  {
    key: "rpm.buildhost",
    yaml: `${BASE}rpm:\n  buildhost: builder\n`,
    format: "rpm",
    reached: (r) => assert.equal(rpm(r).buildhost, "builder"),
  },
  ...(["pretrans", "posttrans", "verify"] as const).map(
    (k): KeyCase => ({
      key: `rpm.scripts.${k}`,
      yaml: `${BASE}rpm:\n  scripts:\n    ${k}: scripts/pre.sh\n`,
      format: "rpm",
      reached: async (r) => assert.match(body(r, k), /echo pre/),
    }),
  ),
  {
    key: "rpm.requires.post",
    yaml: `${BASE}rpm:\n  requires:\n    post: [systemd]\n`,
    format: "rpm",
    reached: (r) => assert.deepEqual(names(rpm(r).requires?.post), ["systemd"]),
  },
  {
    key: "rpm.group",
    yaml: `${BASE}rpm:\n  group: Games\n`,
    format: "rpm",
    reached: (r) => assert.equal(rpm(r).group, "Games"),
  },
  {
    key: "rpm.summary",
    yaml: `${BASE}rpm:\n  summary: Short\n`,
    format: "rpm",
    reached: (r) => assert.equal(rpm(r).summary, "Short"),
  },
  {
    key: "rpm.compression",
    yaml: `${BASE}rpm:\n  compression: zstd:19\n`,
    format: "rpm",
    reached: (r) => assert.deepEqual([rpm(r).compression?.algo, rpm(r).compression?.level], ["zstd", 19]),
  },
  {
    key: "rpm.packager",
    yaml: `${BASE}rpm:\n  packager: Bob <b@example.org>\n`,
    format: "rpm",
    reached: (r) => assert.equal(rpm(r).packager, "Bob <b@example.org>"),
  },
  {
    key: "rpm.prefixes",
    yaml: `${BASE}rpm:\n  prefixes: [/usr]\n${FILE}`,
    format: "rpm",
    reached: (r) => assert.deepEqual(rpm(r).prefixes, ["/usr"]),
  },
  {
    key: "rpm.signature.key_file",
    yaml: `${BASE}rpm:\n  signature:\n    key_file: key.asc\n`,
    format: "rpm",
    reached: (r) => assert.equal(rpm(r).signature?.keyFile, `${dir}/key.asc`),
  },
  {
    key: "rpm.signature.key_id",
    yaml: `${BASE}rpm:\n  signature:\n    key_id: 0123456789ABCDEF\n`,
    format: "rpm",
    reached: (r) => assert.equal(rpm(r).signature?.keyId, "0123456789ABCDEF"),
  },

  // --- deb block ---
  {
    key: "deb.arch",
    yaml: `${BASE}deb:\n  arch: armhf\n`,
    reached: (r) => assert.equal(deb(r).arch, "armhf"),
  },
  {
    key: "deb.arch_variant",
    yaml: `${BASE}deb:\n  arch_variant: v3\n`,
    reached: (r) => assert.equal(deb(r).archVariant, "amd64v3"),
  },
  {
    key: "deb.scripts.rules",
    yaml: `${BASE}deb:\n  scripts:\n    rules: debian/rules\n`,
    reached: () => assert.fail("deb.scripts.rules must not be accepted and dropped"),
  },
  {
    key: "deb.scripts.templates",
    yaml: `${BASE}deb:\n  scripts:\n    templates: debian/templates\n`,
    reached: (r) => assert.match(new TextDecoder().decode(deb(r).debconf?.templates), /Template: app\/q/),
  },
  {
    key: "deb.scripts.config",
    yaml: `${BASE}deb:\n  scripts:\n    config: debian/config\n`,
    reached: (r) => assert.equal(new TextDecoder().decode(deb(r).debconf?.config), "#!/bin/sh\n"),
  },
  ...Object.entries(TRIGGERS).map(
    ([k, prop]): KeyCase => ({
      key: `deb.triggers.${k}`,
      yaml: `${BASE}deb:\n  triggers:\n    ${k}: [my-trigger]\n`,
      reached: (r) => assert.deepEqual(deb(r).triggers?.[prop], ["my-trigger"]),
    }),
  ),
  {
    key: "deb.breaks",
    yaml: `${BASE}deb:\n  breaks: [old (<< 2)]\n`,
    reached: (r) => assert.deepEqual(names(deb(r).breaks), ["old"]),
  },
  {
    key: "deb.predepends",
    yaml: `${BASE}deb:\n  predepends: [libc6]\n`,
    reached: (r) => assert.deepEqual(names(deb(r).preDepends), ["libc6"]),
  },
  {
    key: "deb.fields",
    yaml: `${BASE}deb:\n  fields:\n    Bugs: https://example.org/bugs\n`,
    reached: (r) => assert.deepEqual(deb(r).fields, { Bugs: "https://example.org/bugs" }),
  },
  {
    key: "deb.compression",
    yaml: `${BASE}deb:\n  compression: xz\n`,
    reached: (r) => assert.equal(deb(r).compression?.algo, "xz"),
  },
  {
    key: "deb.signature.method",
    yaml: `${BASE}deb:\n  signature:\n    method: debsign\n    key_file: key.asc\n`,
    // debsign is the only method written; the value is validated (dpkg-sig is rejected by name)
    reached: (r) => assert.ok(deb(r).signature?.keyFile),
  },
  {
    key: "deb.signature.key_file",
    yaml: `${BASE}deb:\n  signature:\n    key_file: key.asc\n`,
    reached: (r) => assert.equal(deb(r).signature?.keyFile, "key.asc"),
  },
  {
    key: "deb.signature.key_id",
    yaml: `${BASE}deb:\n  signature:\n    key_id: 0123456789ABCDEF\n`,
    reached: (r) => assert.equal(deb(r).signature?.keyId, "0123456789ABCDEF"),
  },
  {
    key: "deb.signature.type",
    yaml: `${BASE}deb:\n  signature:\n    type: maint\n`,
    reached: (r) => assert.equal(deb(r).signatureType, "maint"),
  },
  {
    key: "deb.signature.signer",
    yaml: `${BASE}deb:\n  signature:\n    signer: Jane\n`,
    reached: () => assert.fail("deb.signature.signer must not be accepted and dropped"),
  },

  // --- apk block ---
  {
    key: "apk.arch",
    yaml: `${BASE}apk:\n  arch: armhf\n`,
    format: "apk",
    reached: (r) => assert.equal(apk(r).arch, "armhf"),
  },
  ...(["preupgrade", "postupgrade"] as const).flatMap((k): KeyCase[] => [
    {
      key: `apk.scripts.${k}`,
      yaml: `${BASE}apk:\n  scripts:\n    ${k}: scripts/pre.sh\n`,
      format: "apk",
      reached: async (r) => assert.match(body(r, k), /echo pre/),
    },
    {
      key: `archlinux.scripts.${k}`,
      yaml: `${BASE}archlinux:\n  scripts:\n    ${k}: scripts/pre.sh\n`,
      format: "archlinux",
      reached: async (r) => assert.match(body(r, k), /echo pre/),
    },
  ]),
  {
    key: "apk.signature.key_file",
    yaml: `${BASE}apk:\n  signature:\n    key_file: key.rsa\n`,
    format: "apk",
    reached: (r) => assert.equal(apk(r).signature?.keyFile, `${dir}/key.rsa`),
  },
  {
    key: "apk.signature.key_name",
    yaml: `${BASE}apk:\n  signature:\n    key_name: me.rsa.pub\n`,
    format: "apk",
    reached: (r) => assert.equal(apk(r).signature?.keyName, "me.rsa.pub"),
  },
  {
    key: "apk.signature.key_id",
    yaml: `${BASE}apk:\n  signature:\n    key_id: "0123"\n`,
    format: "apk",
    reached: () => assert.fail("apk.signature.key_id must not be accepted and dropped"),
  },

  // --- archlinux block ---
  {
    key: "archlinux.arch",
    yaml: `${BASE}archlinux:\n  arch: pentium4\n`,
    format: "archlinux",
    reached: (r) => assert.equal(arch(r).arch, "pentium4"),
  },
  {
    key: "archlinux.pkgbase",
    yaml: `${BASE}archlinux:\n  pkgbase: app-base\n`,
    format: "archlinux",
    reached: (r) => assert.equal(arch(r).pkgbase, "app-base"),
  },
  {
    key: "archlinux.packager",
    yaml: `${BASE}archlinux:\n  packager: Bob <b@example.org>\n`,
    format: "archlinux",
    reached: (r) => assert.equal(arch(r).packager, "Bob <b@example.org>"),
  },
];

/**
 * The nfpm keys packyard recognises and rejects, each with a message saying what to do instead (read
 * from keys.ts and the format blocks' UNSUPPORTED tables). `disable_globbing` is here as a check of its
 * effect, not a rejection: see its case.
 */
const REJECTED = [
  "contents[].disown_subtree",
  "contents[].force_implicit_dirs",
  "deb.scripts.rules",
  "deb.signature.signer",
  "apk.signature.key_id",
];

/** The error's field with list indices blanked: `contents[0].disown_subtree` -> `contents[].disown_subtree`. */
function fieldOf(e: SpecError): string {
  return String(e.data.field ?? "").replace(/\[\d+\]/g, "[]");
}

test("every nfpm key of nfpm.go's structs is implemented (and reaches the spec/options) or rejected by name", async () => {
  const rejected: string[] = [];
  const failures: string[] = [];
  for (const c of CASES) {
    let loaded: LoadedConfig | undefined;
    let resolved: ResolvedPackage | undefined;
    let error: unknown;
    try {
      loaded = loadConfig({
        text: c.yaml,
        path: "nfpm.yaml",
        baseDir: dir,
        env: c.env ?? {},
        formats: FORMATS,
      });
      resolved = await loaded.resolve(c.format ?? "deb", { date: DATE });
    } catch (e) {
      error = e;
    }
    if (c.key === "disable_globbing") {
      // the literal `./bin/*` does not exist: the key changed how src was read
      if (!(error instanceof SpecError && error.code === "MISSING_SOURCE"))
        failures.push(
          `disable_globbing: expected MISSING_SOURCE for a literal ./bin/*, got ${error ?? "success"}`,
        );
      continue;
    }
    if (error !== undefined) {
      if (!(error instanceof SpecError)) {
        failures.push(`${c.key}: threw ${error}`);
      } else if (error.code !== "UNSUPPORTED_KEY") {
        failures.push(`${c.key}: SpecError ${error.code} (${error.message})`);
      } else if (fieldOf(error) !== c.key) {
        failures.push(`${c.key}: UNSUPPORTED_KEY names ${fieldOf(error)} (${error.message})`);
      } else {
        rejected.push(c.key);
      }
      continue;
    }
    try {
      await c.reached(resolved!, loaded!);
    } catch (e) {
      failures.push(`${c.key}: loaded but its value was dropped: ${(e as Error).message}`);
    }
  }
  assert.deepEqual(failures, []);
  assert.deepEqual(rejected, REJECTED);
});

test("the key walk covers every top-level, contents[], file_info and scripts key of nfpm.go", () => {
  const keys = new Set(CASES.map((c) => c.key));
  const top = [
    ...["name", "arch", "platform", "version", "version_schema", "epoch", "release", "prerelease"],
    ...["version_metadata", "section", "priority", "maintainer", "description", "vendor", "homepage"],
    ...["license", "changelog", "disable_globbing", "mtime", "umask", ...RELATIONS, "contents", "overrides"],
  ];
  const nested = [
    ...SCRIPTS.map((k) => `scripts.${k}`),
    ...["src", "dst", "type", "packager", "file_info", "expand", "disown_subtree"].map(
      (k) => `contents[].${k}`,
    ),
    ...["mode", "mtime", "owner", "group", "lang"].map((k) => `contents[].file_info.${k}`),
    ...["arch", "buildhost", "group", "summary", "compression", "packager", "prefixes"].map(
      (k) => `rpm.${k}`,
    ),
    ...["arch", "arch_variant", "breaks", "predepends", "fields", "compression"].map((k) => `deb.${k}`),
    ...["rules", "templates", "config"].map((k) => `deb.scripts.${k}`),
    ...Object.keys(TRIGGERS).map((k) => `deb.triggers.${k}`),
    ...["method", "key_file", "key_id", "type", "signer"].map((k) => `deb.signature.${k}`),
    ...["key_file", "key_name", "key_id"].map((k) => `apk.signature.${k}`),
    ...["arch", "pkgbase", "packager"].map((k) => `archlinux.${k}`),
  ];
  const missing = [...top, ...nested].filter((k) => !keys.has(k));
  assert.deepEqual(missing, []);
});

test("platform takes effect: darwin is refused for deb (only the macos format builds it)", async () => {
  const c = loadConfig({ text: `${BASE}platform: darwin\n`, baseDir: dir, env: {}, formats: FORMATS });
  await assert.rejects(c.resolve("deb", { date: DATE }), (e: unknown) => {
    assert.ok(e instanceof SpecError);
    assert.equal(e.code, "INVALID_FIELD");
    assert.equal(e.data.field, "platform");
    return true;
  });
});

test("every contents[].type value of nfpm's files.go loads: rpm gets its flags, other formats drop the rpm-only types as nfpm does", async () => {
  // value -> [entry path, expected type, expected rpm flags]
  const types: Record<string, [string, Entry["type"], string]> = {
    "": ["/usr/bin/app", "file", ""],
    file: ["/usr/bin/app", "file", ""],
    config: ["/usr/bin/app", "file", "config"],
    "config|noreplace": ["/usr/bin/app", "file", "config,noreplace"],
    "config|missingok": ["/usr/bin/app", "file", "config,missingok"],
    ghost: ["/usr/bin/app", "file", "ghost"],
    doc: ["/usr/bin/app", "file", "doc"],
    license: ["/usr/bin/app", "file", "license"],
    licence: ["/usr/bin/app", "file", "license"],
    readme: ["/usr/bin/app", "file", "doc"],
    dir: ["/usr/bin/app", "dir", ""],
    symlink: ["/usr/bin/app", "symlink", ""],
    tree: ["/usr/bin/app", "file", ""],
    "config|tree": ["/usr/bin/app", "file", "config"],
    "config|noreplace|tree": ["/usr/bin/app", "file", "config,noreplace"],
    "config|missingok|tree": ["/usr/bin/app", "file", "config,missingok"],
  };
  const flagsOf = (e: Entry) =>
    Object.entries(e.flags ?? {})
      .filter(([, v]) => v === true)
      .map(([k]) => k)
      .sort()
      .join(",");
  for (const [type, [path, kind, flags]] of Object.entries(types)) {
    const item =
      type === "dir"
        ? "  - dst: /usr/bin/app\n    type: dir\n"
        : type === "symlink"
          ? "  - src: /opt/app\n    dst: /usr/bin/app\n    type: symlink\n"
          : type.endsWith("tree")
            ? `  - src: ./bin\n    dst: /usr/bin\n    type: "${type}"\n`
            : `  - src: ./bin/app\n    dst: /usr/bin/app\n    type: "${type}"\n`;
    const c = loadConfig({ text: `${BASE}contents:\n${item}`, baseDir: dir, env: {}, formats: FORMATS });
    const r = await c.resolve("rpm", { date: DATE });
    const e = entry(r, path);
    assert.equal(e.type, kind, `type ${type}`);
    assert.equal(flagsOf(e), flags, `type ${type}: rpm flags`);
    const d = await c.resolve("deb", { date: DATE });
    const inDeb = d.spec.entries.some((x) => x.path === path);
    // files.go isRelevantForPackager: ghost/doc/license/readme are rpm-only
    assert.equal(
      inDeb,
      !["ghost", "doc", "license", "licence", "readme"].includes(type),
      `type ${type} in deb`,
    );
  }
});

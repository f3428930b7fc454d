// Loader behaviour beyond the nfpm fixtures: expansion, globbing, trees, file_info, umask, packager
// filters, overrides, and one exact error code and field per kind of bad input.
import assert from "node:assert/strict";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { initConfigText } from "../../src/config/init.ts";
import { TOP_KEYS } from "../../src/config/keys.ts";
import { loadConfig } from "../../src/config/load.ts";
import { BUILD_CONFIG_BLOCKS } from "../../src/build/settings.ts";
import { configJsonSchema } from "../../src/config/schema.ts";
import { FORMATS } from "../../src/registry.ts";
import { FAKE_FORMATS, fakeFormat } from "./fake-format.ts";
import { contentText, shape } from "./support.ts";

const DATE = 1_700_000_000;
const dir = mkdtempSync(join(tmpdir(), "packyard-config-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function put(rel: string, text: string, mode = 0o644): void {
  const p = join(dir, rel);
  mkdirSync(join(p, ".."), { recursive: true });
  writeFileSync(p, text);
  chmodSync(p, mode);
}
put("bin/app", "app\n", 0o777);
put("bin/tool", "tool\n", 0o755);
put("share/a.txt", "a\n", 0o666);
put("share/sub/b.txt", "b\n");
put("share/sub/deep/c.md", "c\n");
put("etc/app.conf", "x=1\n", 0o600);
put("scripts/post.sh", "#!/bin/sh\necho post\n");
symlinkSync("a.txt", join(dir, "share/link"));
mkdirSync(join(dir, "emptydir"));
chmodSync(join(dir, "share/sub"), 0o775);

const HEAD = "name: app\nversion: 1.0.0\narch: x86_64\n";
function cfg(body: string, env: Record<string, string> = {}, formats = FAKE_FORMATS) {
  return loadConfig({ text: HEAD + body, path: "packyard.yml", baseDir: dir, env, formats });
}
async function entries(body: string, format = "deb", env: Record<string, string> = {}) {
  return shape((await cfg(body, env).resolve(format, { date: DATE })).spec.entries);
}

test("$VAR/${VAR} expansion follows nfpm: selected keys, relation items trimmed and dropped when empty", async () => {
  const c = cfg(
    "maintainer: ${WHO} <$MAIL>\nlicense: $NOPE\ndepends:\n  - ${DEP}\n  - ' ${EMPTY} '\n  - b\nrelease: r$REL\n",
    { WHO: "Jane", MAIL: "j@x", DEP: "a (>= 1)", REL: "2" },
  );
  const { spec } = await c.resolve("deb", { date: DATE });
  assert.equal(spec.maintainer, "Jane <j@x>");
  assert.equal(spec.license, "$NOPE"); // nfpm does not expand license
  assert.equal(spec.version.release, "r2");
  assert.deepEqual(spec.relations.depends, [[{ name: "a", op: ">=", version: "1" }], [{ name: "b" }]]);
  assert.equal(spec.arch, "amd64");
});

test("expand: true expands src and dst of one content item only", async () => {
  const e = await entries(
    "contents:\n  - { src: './bin/${BIN}', dst: '/usr/bin/${BIN}', expand: true }\n  - { src: ./bin/tool, dst: '/opt/${BIN}' }\n",
    "deb",
    { BIN: "app" },
  );
  assert.deepEqual(Object.keys(e), ["/opt/${BIN}", "/usr/bin/app"]);
});

test("globs: one match under a directory dst, ** keeps sub-paths, symlinks found on disk stay links", async () => {
  const e = await entries("contents:\n  - src: share/**/*\n    dst: /usr/share/app\n");
  assert.deepEqual(e, {
    "/usr/share/app/a.txt": "file 664 root:root size=2",
    "/usr/share/app/link": "symlink 777 root:root -> a.txt",
    "/usr/share/app/sub/b.txt": "file 644 root:root size=2",
    "/usr/share/app/sub/deep/c.md": "file 644 root:root size=2",
  });
  const one = await entries("contents:\n  - src: share/*.txt\n    dst: /doc\n");
  assert.deepEqual(Object.keys(one), ["/doc/a.txt"]);
  const braces = await entries("contents:\n  - src: 'bin/{app,tool}'\n    dst: /usr/bin/\n");
  assert.deepEqual(Object.keys(braces), ["/usr/bin/app", "/usr/bin/tool"]);
});

test("a directory src copies its files with their structure; disable_globbing takes src literally", async () => {
  assert.deepEqual(Object.keys(await entries("contents:\n  - { src: share/sub, dst: /x }\n")), [
    "/x/b.txt",
    "/x/deep/c.md",
  ]);
  put("lit/*.txt", "lit\n");
  put("lit/b.txt", "b\n");
  const e = await entries("disable_globbing: true\ncontents:\n  - { src: 'lit/*.txt', dst: /lit.txt }\n");
  assert.deepEqual(e, { "/lit.txt": "file 644 root:root size=4" });
  const globbed = await entries("contents:\n  - { src: 'lit/*.txt', dst: /lit.txt }\n");
  assert.deepEqual(Object.keys(globbed), ["/lit.txt/*.txt", "/lit.txt/b.txt"]);
});

test("tree: directories become dir entries (mode from disk minus umask), file_info owner applies", async () => {
  const e = await entries(
    "contents:\n  - { src: share, dst: /srv/app, type: tree, file_info: { owner: app, group: app } }\n",
  );
  assert.deepEqual(e, {
    "/srv/app": "dir 755 app:app",
    "/srv/app/a.txt": "file 664 app:app size=2",
    "/srv/app/link": "symlink 777 app:app -> a.txt",
    "/srv/app/sub": "dir 775 app:app",
    "/srv/app/sub/b.txt": "file 644 app:app size=2",
    "/srv/app/sub/deep": "dir 755 app:app",
    "/srv/app/sub/deep/c.md": "file 644 app:app size=2",
  });
  const conf = await entries(
    "contents:\n  - { src: share/sub, dst: /etc/app, type: 'config|noreplace|tree' }\n",
  );
  assert.equal(conf["/etc/app/b.txt"], "file 644 root:root [config,noreplace] size=2");
});

test("umask (default 0o002, top-level or per packager) applies only without file_info.mode", async () => {
  const body =
    "contents:\n  - { src: bin/app, dst: /a }\n  - { src: bin/app, dst: /b, file_info: { mode: 0640 } }\n";
  assert.deepEqual(await entries(body), {
    "/a": "file 775 root:root size=4",
    "/b": "file 640 root:root size=4",
  });
  assert.equal((await entries(`umask: 0o022\n${body}`))["/a"], "file 755 root:root size=4");
  const ov = `umask: 0o022\noverrides:\n  rpm:\n    umask: 0o077\n${body}`;
  assert.equal((await entries(ov, "rpm"))["/a"], "file 700 root:root size=4");
  assert.equal((await entries(ov, "deb"))["/a"], "file 755 root:root size=4");
});

test("file_info: octal modes as Go reads them, mtime, lang; dir and ghost defaults", async () => {
  const { spec } = await cfg(
    "mtime: 2009-11-10T23:00:00Z\ncontents:\n  - src: etc/app.conf\n    dst: etc/app.conf\n    type: config\n    file_info: { mode: 0o644, mtime: '2008-01-02T15:04:05Z', owner: app, lang: de }\n  - { dst: /var/lib/app, type: dir, file_info: { mode: 0700 } }\n  - { dst: /var/log/app.log, type: ghost }\n  - { src: share/a.txt, dst: /usr/share/doc/app/README, type: doc }\n",
  ).resolve("rpm", { date: DATE });
  assert.equal(spec.date, Date.UTC(2009, 10, 10, 23) / 1000);
  const conf = spec.entries.find((e) => e.path === "/etc/app.conf");
  assert.deepEqual(
    { mode: conf?.mode, mtime: conf?.mtime, lang: conf?.lang, owner: conf?.owner, flags: conf?.flags },
    {
      mode: 0o644,
      mtime: Date.UTC(2008, 0, 2, 15, 4, 5) / 1000,
      lang: "de",
      owner: { name: "app", id: 0 },
      flags: { config: true },
    },
  );
  assert.deepEqual(shape(spec.entries), {
    "/etc/app.conf": "file 644 app:root [config] size=4",
    "/usr/share/doc/app/README": "file 664 root:root [doc] size=2",
    "/var/lib/app": "dir 700 root:root",
    "/var/log/app.log": "file 644 root:root [ghost] size=0",
  });
  assert.equal(await contentText(spec.entries[0]), "x=1\n");
  // nfpm drops rpm-only types (ghost, doc, license, readme) for other packagers.
  const deb = await cfg(
    "contents:\n  - { dst: /var/log/app.log, type: ghost }\n  - { src: share/a.txt, dst: /d, type: license }\n",
  ).resolve("deb", { date: DATE });
  assert.deepEqual(deb.spec.entries, []);
});

test("packager filters and blocks: options come from the block merged with overrides.<packager>.<block>", async () => {
  const c = cfg(
    "contents:\n  - { src: bin/app, dst: /only-rpm, packager: rpm }\n  - { src: bin/app, dst: /only-deb, packager: deb }\ndeb:\n  flag: top\n  arch: arm64\noverrides:\n  deb:\n    deb:\n      flag: over\n    release: '9'\n",
  );
  const deb = await c.resolve("deb", { date: DATE });
  assert.deepEqual(Object.keys(shape(deb.spec.entries)), ["/only-deb"]);
  assert.deepEqual(deb.options, { field: "overrides.deb.deb", flag: "over", arch: "arm64" });
  assert.equal(deb.spec.version.release, "9");
  const rpm = await c.resolve("rpm", { date: DATE });
  assert.deepEqual(Object.keys(shape(rpm.spec.entries)), ["/only-rpm"]);
  assert.deepEqual(rpm.options, { field: "rpm" });
  assert.equal(rpm.spec.version.release, undefined);
});

test("overrides.<packager>.contents replaces the top-level contents; scripts merge per kind", async () => {
  const c = cfg(
    "contents:\n  - { src: bin/app, dst: /top }\nscripts:\n  postinstall: scripts/post.sh\noverrides:\n  apk:\n    contents:\n      - { src: bin/tool, dst: /apk }\n    scripts:\n      preinstall: scripts/post.sh\n",
  );
  const apk = (await c.resolve("apk", { date: DATE })).spec;
  assert.deepEqual(Object.keys(shape(apk.entries)), ["/apk"]);
  assert.deepEqual(Object.keys(apk.scripts).sort(), ["postinstall", "preinstall"]);
  assert.deepEqual(Object.keys(shape((await c.resolve("deb", { date: DATE })).spec.entries)), ["/top"]);
});

test("arch may come from the format block when the top level has none; blocks of unregistered formats stay raw", async () => {
  const c = loadConfig({
    text: "name: a\nversion: 1\nrpm:\n  arch: aarch64\nmacos:\n  identifier: com.example.a\n",
    baseDir: dir,
    env: {},
    formats: [fakeFormat("rpm")],
  });
  assert.equal((await c.resolve("rpm", { date: DATE })).spec.arch, "arm64");
  assert.deepEqual(c.raw.macos, { identifier: "com.example.a" });
  await assert.rejects(c.resolve("macos", { date: DATE }), {
    code: "UNKNOWN_FORMAT",
    data: { field: "format", found: "macos" },
  });
});

// --- bad input: each kind has its own code and names the field -------------------------------------

async function fails(body: string, code: string, field: string | undefined, format = "deb", head = HEAD) {
  const run = async () => {
    const c = loadConfig({
      text: head + body,
      path: "packyard.yml",
      baseDir: dir,
      env: {},
      formats: FAKE_FORMATS,
    });
    await c.resolve(format, { date: DATE });
  };
  await assert.rejects(
    run,
    (e: { code?: string; data?: { field?: string } }) => {
      assert.equal(e.code, code);
      assert.equal(e.data?.field, field);
      return true;
    },
    `expected ${code} at ${field} for: ${body}`,
  );
}

test("malformed YAML is CONFIG_SYNTAX with line and column", async () => {
  const text = "name: a\nversion: 1\ncontents: [\n  - x\n";
  assert.throws(
    () => loadConfig({ text, path: "p.yml", baseDir: dir, env: {}, formats: [] }),
    (e: { code: string; data: { line: number }; message: string }) => {
      assert.equal(e.code, "CONFIG_SYNTAX");
      assert.match(e.message, /^p\.yml:\d+:\d+: invalid YAML/);
      assert.ok(e.data.line >= 3);
      return true;
    },
  );
  assert.throws(() => loadConfig({ text: "a: 1\na: 2\n", baseDir: dir, env: {}, formats: [] }), {
    code: "CONFIG_SYNTAX",
  });
});

test("unknown keys are UNKNOWN_KEY with the field path, at every level", async () => {
  await fails("nmae: x\n", "UNKNOWN_KEY", "nmae");
  await fails("contents:\n  - { src: bin/app, dst: /a, mdoe: 1 }\n", "UNKNOWN_KEY", "contents[0].mdoe");
  await fails(
    "contents:\n  - { src: bin/app, dst: /a, file_info: { size: 1 } }\n",
    "UNKNOWN_KEY",
    "contents[0].file_info.size",
  );
  await fails("scripts:\n  postinst: scripts/post.sh\n", "UNKNOWN_KEY", "scripts.postinst");
  await fails("overrides:\n  deb:\n    name: x\n", "UNKNOWN_KEY", "overrides.deb.name");
  await fails("overrides:\n  debian: {}\n", "UNKNOWN_KEY", "overrides.debian");
  await fails("deb:\n  nope: 1\n", "UNKNOWN_KEY", "deb.nope");
});

test("recognised but unimplemented nfpm keys are UNSUPPORTED_KEY saying what to do", async () => {
  await fails("bindir: /usr/bin\n", "UNSUPPORTED_KEY", "bindir");
  await fails("files:\n  a: b\n", "UNSUPPORTED_KEY", "files");
  await fails(
    "contents:\n  - { src: share, dst: /s, type: tree, disown_subtree: true }\n",
    "UNSUPPORTED_KEY",
    "contents[0].disown_subtree",
  );
});

test("missing sources, empty globs, bad destinations and duplicates have their own codes", async () => {
  await fails("contents:\n  - { src: nope/app, dst: /a }\n", "MISSING_SOURCE", "contents[0].src");
  await fails("contents:\n  - { src: 'nope/*.bin', dst: /a }\n", "GLOB_NO_MATCH", "contents[0].src");
  await fails("contents:\n  - { src: emptydir, dst: /a }\n", "GLOB_NO_MATCH", "contents[0].src");
  await fails("scripts:\n  preinstall: scripts/missing.sh\n", "MISSING_SOURCE", "scripts.preinstall");
  await fails("changelog: missing.yml\n", "MISSING_SOURCE", "changelog");
  await fails(
    "contents:\n  - { src: bin/app, dst: /usr/../../etc/passwd }\n",
    "INVALID_PATH",
    "contents[0].dst",
  );
  await fails("contents:\n  - { src: bin/app, dst: /. }\n", "INVALID_PATH", "contents[0].dst");
  await fails(
    "contents:\n  - { src: bin/app, dst: /a }\n  - { src: bin/tool, dst: a }\n",
    "DUPLICATE_PATH",
    "contents[1]",
  );
  await fails(
    "contents:\n  - { src: bin/app, dst: /a }\n  - { src: bin/tool, dst: /a/b }\n",
    "DUPLICATE_PATH",
    "contents[1]",
  );
  await fails(
    "contents:\n  - { src: share/*.txt, dst: /d/ }\n  - { src: share/sub/b.txt, dst: /d/a.txt }\n",
    "DUPLICATE_PATH",
    "contents[1]",
  );
});

test("wrong types are INVALID_FIELD naming the field", async () => {
  await fails(
    "contents:\n  - { src: bin/app, dst: /a, file_info: { mode: rw-r--r-- } }\n",
    "INVALID_FIELD",
    "contents[0].file_info.mode",
  );
  await fails(
    "contents:\n  - { src: bin/app, dst: /a, file_info: { mode: 0o17777 } }\n",
    "INVALID_FIELD",
    "contents[0].file_info.mode",
  );
  await fails(
    "contents:\n  - { src: bin/app, dst: /a, type: file|config }\n",
    "INVALID_FIELD",
    "contents[0].type",
  );
  await fails("contents: /usr/bin/app\n", "INVALID_FIELD", "contents");
  await fails("depends: bash\n", "INVALID_FIELD", "depends");
  await fails("depends: [[a]]\n", "INVALID_FIELD", "depends[0]");
  await fails("disable_globbing: maybe\n", "INVALID_FIELD", "disable_globbing");
  await fails("mtime: yesterday\n", "INVALID_FIELD", "mtime");
  await fails("epoch: one\n", "INVALID_FIELD", "epoch");
  await fails("platform: windows\n", "INVALID_FIELD", "platform");
  await fails("platform: darwin\n", "INVALID_FIELD", "platform", "deb");
  await fails("name: [a]\n", "INVALID_FIELD", "name", "deb", "version: 1\narch: all\n");
  await fails("contents:\n  - { dst: /a }\n", "MISSING_FIELD", "contents[0].src");
  await fails("", "MISSING_FIELD", "name", "deb", "version: 1\n");
  await fails("", "INVALID_ARCH", "arch", "deb", "name: a\nversion: 1\narch: sparc\n");
  await fails("depends: ['a >=']\n", "INVALID_RELATION", "depends[0]");
});

test("the committed packyard.schema.json is generated from the key table and registered formats", () => {
  const committed = readFileSync(new URL("../../../../packyard.schema.json", import.meta.url), "utf8");
  assert.equal(
    committed,
    `${JSON.stringify(configJsonSchema(FORMATS, BUILD_CONFIG_BLOCKS), null, 2)}\n`,
    "run `npm run schema`",
  );
  const schema = configJsonSchema(FAKE_FORMATS) as { properties: Record<string, unknown> };
  for (const [k, d] of Object.entries(TOP_KEYS)) assert.equal(k in schema.properties, !d.unsupported, k);
  assert.deepEqual(schema.properties.deb, FAKE_FORMATS[0]?.config.schema);
});

test("packyard init's template shows every common key and loads without error", async () => {
  const text = initConfigText({ name: "demo" });
  for (const [k, d] of Object.entries(TOP_KEYS))
    if (!d.unsupported) assert.match(text, new RegExp(`^#? ?${k}:`, "m"), k);
  const c = loadConfig({ text, baseDir: dir, env: {}, formats: FAKE_FORMATS });
  const { spec } = await c.resolve("deb", { date: DATE });
  assert.deepEqual(
    [spec.name, spec.version, spec.arch],
    ["demo", { upstream: "0.1.0", release: "1" }, "amd64"],
  );
  // Uncommenting every optional key (and its indented lines) still gives a config the loader accepts.
  const keys = Object.keys(TOP_KEYS).join("|");
  const all = text
    .replace(new RegExp(`^# ((?:${keys}|deb|publish):.*)$`, "gm"), "$1")
    .replace(/^#( {2,}\S.*)$/gm, "$1");
  assert.notEqual(all, text);
  const loaded = loadConfig({ text: all, baseDir: dir, env: {}, formats: [] });
  for (const [k, d] of Object.entries(TOP_KEYS)) if (!d.unsupported) assert.ok(k in loaded.raw, k);
});

test("the version input replaces the config's version: (a build server builds the version asked for)", async () => {
  const text = `${HEAD}release: "3"\n`;
  const load = (version?: string) =>
    loadConfig({
      text,
      path: "packyard.yml",
      baseDir: dir,
      env: {},
      formats: FAKE_FORMATS,
      ...(version ? { version } : {}),
    });
  const asked = (await load("2.1.0-rc.1").resolve("deb", { date: DATE })).spec.version;
  assert.deepEqual([asked.upstream, asked.prerelease, asked.release], ["2.1.0", "rc.1", "3"]);
  const written = (await load().resolve("deb", { date: DATE })).spec.version;
  assert.notEqual(written.upstream, "2.1.0");
});

/**
 * Full dpkg life cycle in a scratch root (dpkg 1.21: --root sets both the install dir and the admin dir
 * <root>/var/lib/dpkg; maintainer scripts run chrooted, so a static busybox provides /bin/sh there):
 * install, scripts run, dpkg --verify clean, a modified conffile survives an upgrade, remove and purge
 * leave nothing behind. Run for the example project, for the example as `packyard build -p deb` writes it
 * (pinned to the golden sha256), and for 20 seeded generated specs whose maintainer scripts log the
 * arguments dpkg gives them. Also: our version comparison and translation against dpkg --compare-versions.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { after, test } from "node:test";
import fc from "fast-check";
import { collect } from "../../src/bytes/bytes.ts";
import { compareDebVersions, debVersion } from "../../src/deb/version.ts";
import type { DebOptions } from "../../src/deb/options.ts";
import { writeDeb } from "../../src/deb/writer.ts";
import type { PackageSpec, Scripts } from "../../src/spec/types.ts";
import { compareSemver } from "../../src/spec/version.ts";
import { arbDebSpec, arbSemverVersion } from "../support/arbitrary-deb.ts";
import { EXAMPLE_DATE, exampleFromConfig, exampleProject } from "@packyard/testkit/example";
import { needTool, run, tryRun } from "@packyard/testkit/tools";

const work = mkdtempSync(join(tmpdir(), "packyard-deb-install-"));
after(() => rmSync(work, { recursive: true, force: true }));
const env = { ...process.env, TZ: "UTC", LC_ALL: "C" };

function scratchRoot(name: string): string {
  const root = join(work, name);
  mkdirSync(join(root, "var/lib/dpkg/info"), { recursive: true });
  mkdirSync(join(root, "var/lib/dpkg/updates"), { recursive: true });
  writeFileSync(join(root, "var/lib/dpkg/status"), "");
  writeFileSync(join(root, "var/lib/dpkg/available"), "");
  mkdirSync(join(root, "bin"), { recursive: true });
  mkdirSync(join(root, "tmp"), { recursive: true });
  copyFileSync("/bin/busybox", join(root, "bin/busybox"));
  for (const applet of ["sh", "mkdir", "rm", "rmdir", "chmod", "cat", "echo"])
    symlinkSync("busybox", join(root, "bin", applet));
  return root;
}

function walk(dir: string, base = dir): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, name.name);
    out.push(relative(base, p));
    if (name.isDirectory()) out.push(...walk(p, base));
  }
  return out.sort();
}

function dpkg(root: string, ...args: string[]) {
  return run(
    "dpkg",
    [
      `--root=${root}`,
      "--log=/dev/null",
      "--force-depends",
      "--force-conflicts",
      "--force-breaks",
      "--force-architecture",
      ...args,
    ],
    { env },
  );
}

/** Where the logging maintainer scripts append, inside the scratch root (they run chrooted). */
const SCRIPT_LOG = "/tmp/maintainer-scripts.log";

/** preinst/postinst/prerm/postrm that each append "<package version> <script> <dpkg's arguments>" to SCRIPT_LOG. */
function loggingScripts(version: string): Scripts {
  const body = (script: string) => `set -e\necho "${version} ${script} $*" >> ${SCRIPT_LOG}\n`;
  return {
    preinstall: { body: body("preinst") },
    postinstall: { body: body("postinst") },
    preremove: { body: body("prerm") },
    postremove: { body: body("postrm") },
  };
}

/** Reads the lines the logging scripts appended since the previous `expect`. */
class ScriptLog {
  readonly path: string;
  seen = 0;
  constructor(root: string) {
    this.path = join(root, SCRIPT_LOG);
  }
  expect(step: string, lines: string[]): void {
    const all = existsSync(this.path) ? readFileSync(this.path, "utf8").split("\n").slice(0, -1) : [];
    assert.deepEqual(all.slice(this.seen), lines, `maintainer scripts dpkg ran for ${step}`);
    this.seen = all.length;
  }
  /** The log is the test's, not the package's: drop it before checking that purge left nothing. */
  remove(): void {
    rmSync(this.path);
  }
}

/**
 * Install, verify, modify a conffile, upgrade, check it survived, remove, purge, check nothing is left.
 * `example` adds the example project's own checks: its program runs chrooted and reads the admin's
 * conffile, and its prerm clears the state folder so that removal can drop it.
 */
async function lifeCycle(
  spec0: PackageSpec,
  label: string,
  example = false,
  options: DebOptions = {},
  logged = false,
): Promise<void> {
  const root = scratchRoot(label);
  const before = walk(root).filter((p) => !p.startsWith("var/lib/dpkg"));
  const v1 = join(work, `${label}-1.deb`);
  const v2 = join(work, `${label}-2.deb`);
  const withLog = (s: PackageSpec): PackageSpec =>
    logged ? { ...s, scripts: loggingScripts(debVersion(s.version)) } : s;
  const spec = withLog(spec0);
  writeFileSync(v1, await collect(writeDeb(spec, options)));
  const upgraded = withLog({ ...spec0, version: { ...spec0.version, release: "99" } });
  writeFileSync(v2, await collect(writeDeb(upgraded, options)));
  const [a, b] = [debVersion(spec.version), debVersion(upgraded.version)];
  const log = logged ? new ScriptLog(root) : undefined;
  dpkg(root, "-i", v1);
  // a fresh install: preinst install, then postinst configure with an empty most-recently-configured version
  log?.expect("install", [`${a} preinst install`, `${a} postinst configure `]);
  assert.equal(dpkg(root, "--verify", spec.name), "", "dpkg --verify is clean after install");
  const hello = () => run("chroot", [root, "/bin/sh", "/usr/bin/hello-packyard", "deb"], { env });
  if (example) assert.equal(hello(), "Hello from packyard, deb!\n");
  // dpkg does not keep an admin's edit of a conffile that shares its inode with another packaged path
  // (the edit lands on both, and the upgrade relinks them), so the check uses a conffile outside any hardlink group
  const linked = new Set(spec.entries.flatMap((e) => (e.type === "hardlink" ? [e.target] : [])));
  const conffile = spec.entries.find((e) => e.type === "file" && e.flags?.config && !linked.has(e.path));
  // valid sh, since the example's program sources its conffile
  const edited = '# modified by the admin\ngreeting="Hi from the admin"\n';
  if (conffile !== undefined) writeFileSync(join(root, conffile.path), edited);
  dpkg(root, "-i", v2);
  // an upgrade (deb-preinst(5) and friends): old prerm and postrm get the new version, the new preinst
  // gets old and new, the new postinst the old (most recently configured) one
  log?.expect("upgrade", [
    `${a} prerm upgrade ${b}`,
    `${b} preinst upgrade ${a} ${b}`,
    `${a} postrm upgrade ${b}`,
    `${b} postinst configure ${a}`,
  ]);
  if (conffile !== undefined)
    assert.equal(readFileSync(join(root, conffile.path), "utf8"), edited, `${label}: ${conffile.path} kept`);
  const status = dpkg(root, "-s", spec.name);
  assert.match(status, new RegExp(`Version: ${debVersion(upgraded.version).replace(/[.+~]/g, "\\$&")}\n`));
  if (example) {
    assert.equal(hello(), "Hi from the admin, deb!\n", "the upgrade kept the admin's conffile");
    // what the program may leave behind; the example's prerm removes it, else the folder stays non-empty
    writeFileSync(join(root, "var/lib/hello-packyard/last-greeting"), "Hi\n");
  }
  dpkg(root, "-r", spec.name);
  log?.expect("remove", [`${b} prerm remove`, `${b} postrm remove`]);
  for (const e of spec.entries)
    if (e.type !== "dir" && !e.flags?.config) assert.ok(!existsSync(join(root, e.path)), `${e.path} removed`);
  if (example) assert.ok(!existsSync(join(root, "var/lib/hello-packyard")), "prerm emptied the state folder");
  dpkg(root, "-P", spec.name);
  log?.expect("purge", [`${b} postrm purge`]);
  log?.remove();
  const left = walk(root).filter((p) => !p.startsWith("var/lib/dpkg"));
  assert.deepEqual(left, before, "purge leaves nothing behind");
  assert.equal(tryRun("dpkg", [`--root=${root}`, "-s", spec.name], { env }).status, 1);
}

test("the example project (through the config loader) installs, runs, verifies, keeps a modified conffile, and purges clean", async (t) => {
  if (!needTool(t, "dpkg", "busybox", "chroot")) return;
  const { spec, options } = await exampleFromConfig<DebOptions>("deb");
  await lifeCycle(spec, "example", true, options);
});

const REPO = new URL("../../../../", import.meta.url).pathname;

test("the README's quick start: `packyard build -p deb` in a copy of fixtures/example gives the golden bytes, and that file installs, runs and purges clean", (t) => {
  if (!needTool(t, "dpkg", "busybox", "chroot")) return;
  const project = exampleProject(join(work, "cli-example"));
  const out = join(work, "cli-out");
  const built = JSON.parse(
    run(
      process.execPath,
      [join(REPO, "packages/cli/bin/packyard.js"), "build", "-p", "deb", "-t", out, "--json"],
      {
        cwd: project,
        env: { ...env, NO_COLOR: "1", SOURCE_DATE_EPOCH: String(EXAMPLE_DATE) },
      },
    ),
  ) as { path: string }[];
  // the package, and the checksum file the example's config asks for
  const debs = built.map((a) => a.path).filter((p) => p.endsWith(".deb"));
  assert.equal(debs.length, 1, JSON.stringify(built));
  const deb = debs[0]!;
  const [sha, name] = readFileSync(join(REPO, "fixtures/deb/example.sha256"), "utf8").trim().split(/\s+/);
  assert.equal(relative(out, deb), name, "the file name the golden records");
  assert.equal(createHash("sha256").update(readFileSync(deb)).digest("hex"), sha, "the golden sha256");

  const root = scratchRoot("cli-example");
  const before = walk(root).filter((p) => !p.startsWith("var/lib/dpkg"));
  dpkg(root, "-i", deb);
  assert.equal(dpkg(root, "--verify", "hello-packyard"), "", "dpkg --verify is clean after install");
  assert.match(dpkg(root, "-s", "hello-packyard"), /^Status: install ok installed$/m);
  const hello = run("chroot", [root, "/bin/sh", "/usr/bin/hello-packyard", "deb"], { env });
  assert.equal(hello, "Hello from packyard, deb!\n");
  dpkg(root, "-P", "hello-packyard");
  assert.deepEqual(
    walk(root).filter((p) => !p.startsWith("var/lib/dpkg")),
    before,
    "purge leaves nothing behind",
  );
});

test("20 seeded generated specs go through the same life cycle, dpkg running each maintainer script with its arguments", async (t) => {
  if (!needTool(t, "dpkg", "busybox")) return;
  const specs = fc.sample(arbDebSpec, { numRuns: 20, seed: 7 });
  // each spec's own scripts are replaced by logging ones that the busybox shell in the root can run
  for (const [i, spec] of specs.entries()) await lifeCycle(spec, `gen${i}`, false, {}, true);
});

/** Runs dpkg --compare-versions for each pair in one shell; returns -1/0/1 per pair. */
function dpkgCompare(pairs: [string, string][]): number[] {
  const script =
    'while IFS=" " read -r a b; do if dpkg --compare-versions "$a" lt "$b"; then echo -1; elif dpkg --compare-versions "$a" eq "$b"; then echo 0; else echo 1; fi; done';
  const out = run("sh", ["-c", script], { input: pairs.map(([a, b]) => `${a} ${b}`).join("\n") + "\n", env });
  return out.trim().split("\n").map(Number);
}

const arbDebVersionString = fc
  .tuple(
    fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }),
    fc.array(
      fc.oneof(
        fc.stringMatching(/^0{0,2}[0-9]{1,3}$/),
        fc.stringMatching(/^[a-zA-Z]{1,3}$/),
        fc.constantFrom(".", "~", "+", "~~", ".0"),
      ),
      { minLength: 1, maxLength: 6 },
    ),
    fc.option(
      fc.array(fc.oneof(fc.stringMatching(/^0?[0-9]{1,2}$/), fc.constantFrom("a", "~", "+", ".", "b1")), {
        minLength: 1,
        maxLength: 3,
      }),
      { nil: undefined },
    ),
  )
  .map(
    ([epoch, up, rev]) =>
      `${epoch !== undefined ? `${epoch}:` : ""}1${up.join("")}${rev ? `-${rev.join("")}` : ""}`,
  );

test("compareDebVersions agrees with dpkg --compare-versions on thousands of generated pairs", (t) => {
  if (!needTool(t, "dpkg")) return;
  const base = fc.sample(arbDebVersionString, { numRuns: 1500, seed: 99 });
  const pairs: [string, string][] = base.map((a, i) => {
    const b = base[(i * 7 + 3) % base.length]!;
    // every third pair is equal-but-differently-spelled (leading zeros, explicit zero epoch)
    return i % 3 === 0
      ? [
          a,
          a
            .replace(/(^|[^0-9])([1-9])/, (_m, pre: string, digit: string) => `${pre}0${digit}`)
            .replace(/^(?![0-9]+:)/, "0:"),
        ]
      : [a, b];
  });
  const want = dpkgCompare(pairs);
  for (const [i, [a, b]] of pairs.entries())
    assert.equal(Math.sign(compareDebVersions(a, b)), want[i], `${a} vs ${b}`);
  assert.ok(want.includes(0) && want.includes(-1) && want.includes(1));
});

test("translated semver versions keep their order in dpkg", (t) => {
  if (!needTool(t, "dpkg")) return;
  const vs = fc.sample(arbSemverVersion, { numRuns: 1500, seed: 5 });
  const pairs: [string, string][] = [];
  const expected: number[] = [];
  for (let i = 0; i + 1 < vs.length; i += 1) {
    const a = vs[i]!;
    const b = vs[(i * 13 + 1) % vs.length]!;
    const c = compareSemver(a, b);
    if (c === 0) continue;
    pairs.push([debVersion({ ...a, release: "1" }), debVersion({ ...b, release: "1" })]);
    expected.push(Math.sign(c));
  }
  assert.ok(pairs.length > 1000);
  assert.deepEqual(dpkgCompare(pairs), expected);
});

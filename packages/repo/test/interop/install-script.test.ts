/**
 * install.sh under real shells: shellcheck, then every behaviour under dash, busybox sh and bash --posix.
 * Detection runs `--dry-run` under a fake root (PACKYARD_INSTALL_ROOT) holding the os-release files of
 * test/fixtures/os-release (Debian's from base-files, the others written from published values, see the
 * README there); the expected target of each is written here by hand and cross-checked with
 * `matchTarget` of catalogue/os-release.ts, which also judges a set of odd os-release files.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type TestContext, test } from "node:test";
import type { InstallDocument, InstallStep, InstallTarget } from "@packyard/repo";
import { hasTool, needTool, tryRun } from "@packyard/testkit/tools";
import { CATALOGUE } from "../../src/catalogue/catalogue.ts";
import { matchTarget } from "../../src/catalogue/os-release.ts";
import type { CatalogueTarget } from "../../src/catalogue/target.ts";
import { installScript } from "../../src/install/script.ts";
import { shellQuote } from "../../src/install/shell.ts";
import { HOSTILE, sampleInstallDocument } from "@packyard/testkit/install-document";

const FIXTURES = new URL("../fixtures/os-release/", import.meta.url).pathname;

const SHELLS = [
  { name: "dash", tool: "dash", argv: ["dash"] },
  { name: "busybox sh", tool: "busybox", argv: ["busybox", "sh"] },
  { name: "bash --posix", tool: "bash", argv: ["bash", "--posix"] },
] as const;
type Shell = (typeof SHELLS)[number];

const work = mkdtempSync(join(tmpdir(), "packyard-install-sh-"));
process.on("exit", () => rmSync(work, { recursive: true, force: true }));

// ---- Documents ------------------------------------------------------------------------------------

function say(title: string, command: string): InstallStep {
  return { title, command, sudo: `sudo sh -c ${shellQuote(command)}` };
}

/** An install target for a catalogue target, whose one step prints its id. */
function served(target: CatalogueTarget): InstallTarget {
  return {
    id: target.id,
    name: target.name,
    family: target.family,
    manager: target.install.manager,
    ...(target.deprecated === undefined ? {} : { deprecated: target.deprecated }),
    architectures: [...target.architectures],
    packages: ["hello"],
    package: "hello",
    osRelease: target.osRelease,
    root: "x",
    steps: [say("Say which target", `echo ${target.id}`)],
  };
}

/** Alpine 3.19, which the catalogue no longer has, as a repository could still serve it. */
const ALPINE_319: CatalogueTarget = {
  ...(CATALOGUE.find((t) => t.id === "alpine-3.20") as Extract<CatalogueTarget, { family: "alpine" }>),
  id: "alpine-3.19",
  name: "Alpine Linux 3.19",
  layout: { branch: "v3.19" },
  osRelease: { ids: ["alpine"], versionId: { series: "3.19" } },
};

function documentFor(targets: readonly CatalogueTarget[]): InstallDocument {
  return { ...sampleInstallDocument(), targets: targets.map(served) };
}

function pick(...ids: string[]): CatalogueTarget[] {
  return ids.map((id) => {
    const t = id === ALPINE_319.id ? ALPINE_319 : CATALOGUE.find((c) => c.id === id);
    assert.ok(t, id);
    return t;
  });
}

const scripts = new Map<string, string>();
/** install.sh of `doc` written to a file (once per distinct text). */
function scriptFile(doc: InstallDocument): string {
  const text = installScript(doc);
  let path = scripts.get(text);
  if (path === undefined) {
    path = join(work, `install-${scripts.size}.sh`);
    writeFileSync(path, text);
    scripts.set(text, path);
  }
  return path;
}

// ---- Running ------------------------------------------------------------------------------------

interface Run {
  status: number;
  stdout: string;
  stderr: string;
}

/** The environment without the tests' own PACKYARD_ knobs, plus `env`. */
function environment(env: Record<string, string>): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("PACKYARD_INSTALL_")) out[k] = v;
  return { ...out, ...env };
}

const resolved = new Map<string, string>();
/** The shell's command line with its program as an absolute path (some tests run with a bare PATH). */
function argv(shell: Shell): string[] {
  let path = resolved.get(shell.tool);
  if (path === undefined) {
    path = tryRun("sh", ["-c", `command -v ${shell.tool}`]).stdout.trim();
    resolved.set(shell.tool, path);
  }
  return [path, ...shell.argv.slice(1)];
}

function run(shell: Shell, script: string, args: string[], env: Record<string, string> = {}): Run {
  const [program, ...rest] = argv(shell);
  return tryRun(program!, [...rest, script, ...args], { env: environment(env) });
}

/**
 * Runs install.sh sourced by a wrapper that first defines `prelude` (shell functions standing in for `id`,
 * `sudo`, `doas`: busybox sh runs its own `id` applet before anything on PATH, so stubs must be functions).
 */
function runWrapped(
  shell: Shell,
  script: string,
  args: string[],
  prelude: string,
  env: Record<string, string> = {},
): Run {
  const wrapper = join(work, `wrapper-${Math.random().toString(36).slice(2)}.sh`);
  writeFileSync(wrapper, `${prelude}\nset -- ${args.map(shellQuote).join(" ")}\n. ${shellQuote(script)}\n`);
  const [program, ...rest] = argv(shell);
  return tryRun(program!, [...rest, wrapper], { env: environment(env) });
}

/** Like {@link run}, asynchronously: the detection matrix runs a few shells at a time. */
function runAsync(shell: Shell, script: string, args: string[], env: Record<string, string>): Promise<Run> {
  const [program, ...rest] = argv(shell);
  return new Promise((resolve, reject) => {
    const child = spawn(program!, [...rest, script, ...args], {
      env: environment(env),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ status: code ?? -1, stdout, stderr }));
  });
}

/** `f` over `items`, `limit` at a time, results in order. */
async function pool<T, R>(items: readonly T[], limit: number, f: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await f(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

function chosen(r: Run): string | undefined {
  return /^Target: +(\S+) \(/m.exec(r.stdout)?.[1];
}

// ---- Fake roots -----------------------------------------------------------------------------------

const FIXTURE_NAMES = readdirSync(FIXTURES)
  .filter((n) => n !== "README.md")
  .sort();

/** A fake root holding fixture `name` as the distribution ships it (Debian: usr/lib + etc symlink). */
function fakeRoot(name: string, options: { usrOnly?: boolean; apkArch?: string } = {}): string {
  const root = join(work, `root-${name}${options.usrOnly === true ? "-usr" : ""}-${options.apkArch ?? ""}`);
  if (existsSync(root)) return root;
  const text = readFileSync(join(FIXTURES, name));
  mkdirSync(join(root, "etc"), { recursive: true });
  if (name.startsWith("debian-") || options.usrOnly === true) {
    mkdirSync(join(root, "usr/lib"), { recursive: true });
    writeFileSync(join(root, "usr/lib/os-release"), text);
    if (options.usrOnly !== true) symlinkSync("../usr/lib/os-release", join(root, "etc/os-release"));
  } else writeFileSync(join(root, "etc/os-release"), text);
  if (options.apkArch !== undefined) {
    mkdirSync(join(root, "etc/apk"));
    writeFileSync(join(root, "etc/apk/arch"), `${options.apkArch}\n`);
  }
  return root;
}

/** A fake root whose /etc/os-release is `text`. */
function rootWith(text: string): string {
  const root = mkdtempSync(join(work, "root-"));
  mkdirSync(join(root, "etc"));
  writeFileSync(join(root, "etc/os-release"), text);
  return root;
}

function needShell(t: TestContext, shell: Shell): boolean {
  return needTool(t, shell.tool);
}

// ---- The detection matrix, by hand ----------------------------------------------------------------

/** With every catalogue target served. */
const ALL_SERVED: Record<string, string | undefined> = {
  "debian-11": "debian-11",
  "debian-12": "debian-12",
  "debian-13": "debian-13",
  "ubuntu-20.04": "ubuntu-20.04",
  "ubuntu-22.04": "ubuntu-22.04",
  "ubuntu-24.04": "ubuntu-24.04",
  // Derivatives: by UBUNTU_CODENAME, not by their own VERSION_ID.
  "linuxmint-22": "ubuntu-24.04",
  "pop-22.04": "ubuntu-22.04",
  // The catalogue starts at Fedora 41.
  "fedora-40": undefined,
  "fedora-41": "fedora-41",
  "rhel-8.10": "el-8",
  "rhel-9.4": "el-9",
  "rocky-8.10": "el-8",
  "rocky-9.4": "el-9",
  "almalinux-8.10": "el-8",
  "almalinux-9.4": "el-9",
  "centos-stream-9": "el-9",
  "amzn-2023": "amazonlinux-2023",
  "opensuse-leap-15.6": "opensuse-15.6",
  "opensuse-tumbleweed": "opensuse-tumbleweed",
  arch: "arch",
  manjaro: "arch",
  endeavouros: "arch",
  // The catalogue starts at Alpine 3.20.
  "alpine-3.19": undefined,
  "alpine-3.20": "alpine-3.20",
  "nixos-24.05": undefined,
  gentoo: undefined,
};

/** Subsets: the fixtures listed get that target, every other fixture is refused. */
const CASES: { label: string; served: CatalogueTarget[]; expected: Record<string, string> }[] = [
  { label: "every catalogue target", served: [...CATALOGUE], expected: {} },
  // Only Debian 12: Ubuntu, Mint and Debian 13 are refused (listing debian-12).
  { label: "debian-12 only", served: pick("debian-12"), expected: { "debian-12": "debian-12" } },
  {
    label: "debian-12 and deb-any",
    served: pick("debian-12", "deb-any"),
    expected: {
      "debian-12": "debian-12",
      "debian-11": "deb-any",
      "debian-13": "deb-any",
      "ubuntu-20.04": "deb-any",
      "ubuntu-22.04": "deb-any",
      "ubuntu-24.04": "deb-any",
      "linuxmint-22": "deb-any",
      "pop-22.04": "deb-any",
    },
  },
  {
    label: "el-9 and arch",
    served: pick("el-9", "arch"),
    expected: {
      "rhel-9.4": "el-9",
      "rocky-9.4": "el-9",
      "almalinux-9.4": "el-9",
      "centos-stream-9": "el-9",
      arch: "arch",
      manjaro: "arch",
      endeavouros: "arch",
    },
  },
  {
    label: "alpine 3.19 (served by this repository) and 3.20",
    served: pick("alpine-3.19", "alpine-3.20"),
    expected: { "alpine-3.19": "alpine-3.19", "alpine-3.20": "alpine-3.20" },
  },
];

function expectedFor(c: (typeof CASES)[number], fixture: string): string | undefined {
  if (c.label === "every catalogue target") return ALL_SERVED[fixture];
  return c.expected[fixture];
}

test("the hand-written expectations agree with matchTarget, and cover every fixture", () => {
  assert.deepEqual(Object.keys(ALL_SERVED).sort(), FIXTURE_NAMES);
  for (const c of CASES)
    for (const fixture of FIXTURE_NAMES) {
      const text = readFileSync(join(FIXTURES, fixture), "utf8");
      assert.equal(matchTarget(c.served, text)?.id, expectedFor(c, fixture), `${c.label}: ${fixture}`);
    }
});

test("install.sh is shellcheck clean (sh dialect) for plain, rotating, hostile and catalogue documents", (t) => {
  if (!needTool(t, "shellcheck")) return;
  const files = [
    scriptFile(sampleInstallDocument({ hostile: true, rotation: true })),
    scriptFile(hostileDocument(join(work, "never"))),
    scriptFile(documentFor(CATALOGUE)),
  ];
  const r = tryRun("shellcheck", ["-s", "sh", "-S", "style", ...files]);
  assert.equal(r.status, 0, r.stdout + r.stderr);
});

for (const shell of SHELLS) {
  test(`${shell.name}: detection picks the target of each distribution or refuses with the list`, async (t) => {
    if (!needShell(t, shell)) return;
    const runs = CASES.flatMap((c) =>
      FIXTURE_NAMES.map((fixture) => ({ c, fixture, script: scriptFile(documentFor(c.served)) })),
    );
    const results = await pool(runs, 4, ({ script, fixture }) =>
      runAsync(shell, script, ["--dry-run"], {
        PACKYARD_INSTALL_ROOT: fakeRoot(fixture),
        PACKYARD_INSTALL_ARCH: "x86_64",
      }),
    );
    runs.forEach(({ c, fixture }, i) => {
      const r = results[i]!;
      const want = expectedFor(c, fixture);
      const where = `${c.label}, ${fixture}: ${r.stderr}`;
      if (want !== undefined) {
        assert.equal(r.status, 0, where);
        assert.equal(chosen(r), want, where);
        assert.match(
          r.stdout,
          new RegExp(`^# 1/1 Say which target\\necho ${want.replaceAll(".", "\\.")}$`, "m"),
        );
      } else {
        assert.equal(r.status, 1, where);
        assert.equal(r.stdout, "", where);
        assert.match(r.stderr, /does not serve this system/, where);
        for (const s of c.served) assert.ok(r.stderr.includes(`  ${s.id.padEnd(22)} ${s.name}\n`), where);
        assert.match(r.stderr, /--distro ID/, where);
      }
    });
  });

  test(`${shell.name}: os-release is read as os-release(5) says, like parseOsRelease and matchTarget`, async (t) => {
    if (!needShell(t, shell)) return;
    const serve = [...CATALOGUE, ALPINE_319];
    const script = scriptFile(documentFor(serve));
    const texts = [
      'ID="Debian"\nVERSION_ID="12"\n', // values are compared in lowercase
      "ID=debian\r\nVERSION_ID=12\r\n", // CRLF
      "  ID=ubuntu  \n\tVERSION_ID='22.04'\n", // white space around lines, single quotes
      "ID=debian\nVERSION_CODENAME=book\\worm\n", // unquoted: a backslash escapes any character
      'ID=debian\nVERSION_CODENAME="book\\worm"\n', // double quotes: only \" \\ \$ \` are escapes
      'ID="deb\\"ian"\nVERSION_ID=12\n',
      'ID="debian\\\\"\nVERSION_ID=12\n',
      "ID=fedora\nID=debian\nVERSION_ID=12\n", // the last assignment wins
      "#ID=debian\nID = debian\nexport ID=debian\nID=rocky\nVERSION_ID=9.\n", // comments, no assignments
      "ID=rocky\nVERSION_ID=9.4.1\n",
      "ID=rocky\nVERSION_ID=9..4\n",
      'ID=\nID_LIKE="rhel\tcentos"\nPLATFORM_ID=platform:el9\n', // ID defaults to linux; PLATFORM_ID
      'ID=elementary\nID_LIKE="ubuntu debian"\nVERSION_ID=7.1\nUBUNTU_CODENAME=jammy\n',
      "ID=devuan\nID_LIKE=debian\nVERSION_ID=5\nVERSION_CODENAME=daedalus\n",
      "ID=raspbian\nID_LIKE=debian\nVERSION_ID=12\nDEBIAN_CODENAME=bookworm\n",
      "ID=alpine\nVERSION_ID=3.21.0_alpha20240606\n",
      "ID=alpine\nVERSION_ID=3.19\n",
      "ID=cachyos\nID_LIKE=arch\nBUILD_ID=rolling\n",
      'ID=opensuse-aeon\nID_LIKE="opensuse-tumbleweed opensuse suse"\n',
      'ID="sles"\nVERSION_ID="15.6"\n',
      'ID="sles"\nVERSION_ID="15.6"\nID="\n', // a lone quote is a value of one character
      "ID=ubuntu\nVERSION_ID=26.04\nVERSION_CODENAME=resolute\n",
      "",
    ];
    const results = await pool(texts, 4, (text) =>
      runAsync(shell, script, ["--dry-run"], {
        PACKYARD_INSTALL_ROOT: rootWith(text),
        PACKYARD_INSTALL_ARCH: "x86_64",
      }),
    );
    for (const [i, text] of texts.entries()) {
      const r = results[i]!;
      const want = matchTarget(serve, text)?.id;
      assert.equal(r.status, want === undefined ? 1 : 0, `${JSON.stringify(text)}: ${r.stderr}`);
      assert.equal(chosen(r), want, JSON.stringify(text));
    }
  });

  test(`${shell.name}: /etc/os-release first, /usr/lib/os-release second, neither refused`, (t) => {
    if (!needShell(t, shell)) return;
    const script = scriptFile(documentFor(CATALOGUE));
    const env = { PACKYARD_INSTALL_ARCH: "x86_64" };
    const usr = run(shell, script, ["--dry-run"], {
      ...env,
      PACKYARD_INSTALL_ROOT: fakeRoot("ubuntu-22.04", { usrOnly: true }),
    });
    assert.equal(chosen(usr), "ubuntu-22.04", usr.stderr);
    const both = fakeRoot("rocky-9.4", { usrOnly: true });
    writeFileSync(join(both, "etc/os-release"), readFileSync(join(FIXTURES, "arch")));
    assert.equal(chosen(run(shell, script, ["--dry-run"], { ...env, PACKYARD_INSTALL_ROOT: both })), "arch");
    const empty = mkdtempSync(join(work, "empty-"));
    const none = run(shell, script, ["--dry-run"], { ...env, PACKYARD_INSTALL_ROOT: empty });
    assert.equal(none.status, 1);
    assert.match(none.stderr, /found neither .*\/etc\/os-release nor .*\/usr\/lib\/os-release/);
    assert.match(none.stderr, /^ {2}debian-12 +Debian 12 \(bookworm\)$/m);
  });

  test(`${shell.name}: the architecture in each family's names, refused when not served`, (t) => {
    if (!needShell(t, shell)) return;
    const script = scriptFile(documentFor(CATALOGUE));
    const arch = (root: string, machine?: string): Run =>
      run(shell, script, ["--dry-run"], {
        PACKYARD_INSTALL_ROOT: root,
        ...(machine === undefined ? {} : { PACKYARD_INSTALL_ARCH: machine }),
      });
    const shown = (r: Run): string | undefined => /^Architecture: (\S+)$/m.exec(r.stdout)?.[1];
    assert.equal(shown(arch(fakeRoot("debian-12"), "aarch64")), "arm64");
    assert.equal(shown(arch(fakeRoot("ubuntu-24.04"), "ppc64le")), "ppc64el");
    assert.equal(shown(arch(fakeRoot("debian-12"), "i686")), "i386");
    assert.equal(shown(arch(fakeRoot("rocky-9.4"), "aarch64")), "aarch64");
    assert.equal(shown(arch(fakeRoot("arch"), "x86_64")), "x86_64");
    assert.equal(shown(arch(fakeRoot("alpine-3.20"), "i686")), "x86");
    // Alpine's own file wins over the machine name.
    assert.equal(shown(arch(fakeRoot("alpine-3.20", { apkArch: "armv7" }), "x86_64")), "armv7");
    if (hasTool("dpkg")) {
      const dpkg = tryRun("dpkg", ["--print-architecture"]).stdout.trim();
      assert.equal(shown(arch(fakeRoot("debian-12"))), dpkg, "dpkg is asked when no machine is given");
    }
    const refusals: [string, string, string, string][] = [
      ["debian-12", "mips", "amd64 arm64 armel armhf i386 mips64el mipsel ppc64el s390x", "mips"],
      ["rocky-9.4", "armv7l", "x86_64 aarch64 ppc64le s390x", "armhfp"],
      ["arch", "armv7l", "x86_64 aarch64", "armv7h"],
      ["amzn-2023", "s390x", "x86_64 aarch64", "s390x"],
    ];
    for (const [fixture, machine, list, name] of refusals) {
      const r = arch(fakeRoot(fixture), machine);
      assert.equal(r.status, 1, fixture);
      assert.equal(r.stdout, "");
      assert.ok(
        r.stderr.includes(`is served for these architectures: ${list}; this machine is ${name}.`),
        `${fixture}: ${r.stderr}`,
      );
    }
  });

  test(`${shell.name}: options: --distro, --help, unknown options`, (t) => {
    if (!needShell(t, shell)) return;
    const script = scriptFile(documentFor(CATALOGUE));
    const env = { PACKYARD_INSTALL_ROOT: fakeRoot("ubuntu-24.04"), PACKYARD_INSTALL_ARCH: "x86_64" };
    assert.equal(chosen(run(shell, script, ["--dry-run", "--distro", "debian-12"], env)), "debian-12");
    assert.equal(chosen(run(shell, script, ["--distro=el-9", "--dry-run"], env)), "el-9");
    // --distro skips detection entirely: it works on a system with no os-release.
    const bare = { ...env, PACKYARD_INSTALL_ROOT: mkdtempSync(join(work, "bare-")) };
    assert.equal(chosen(run(shell, script, ["--dry-run", "--distro", "arch"], bare)), "arch");
    const unknown = run(shell, script, ["--dry-run", "--distro", "debian-99"], env);
    assert.equal(unknown.status, 1);
    assert.match(unknown.stderr, /--distro debian-99: not a target this repository serves/);
    for (const target of CATALOGUE)
      assert.ok(unknown.stderr.includes(`  ${target.id.padEnd(22)} ${target.name}\n`));
    const help = run(shell, script, ["--help"], env);
    assert.equal(help.status, 0);
    assert.match(help.stdout, /^Usage: sh install\.sh/);
    assert.match(help.stdout, /PACKYARD_INSTALL_ROOT=DIR/);
    assert.match(help.stdout, /For testing only/);
    assert.equal(run(shell, script, ["-h"], env).stdout, help.stdout);
    for (const args of [["--bogus"], ["extra"], ["--distro"], ["-yx"]]) {
      const r = run(shell, script, args, env);
      assert.equal(r.status, 2, args.join(" "));
      assert.equal(r.stdout, "");
      assert.match(r.stderr, /^install\.sh: .*\nUsage: sh install\.sh/, args.join(" "));
    }
  });

  test(`${shell.name}: runs each step as root, directly, through sudo or doas, and stops at the first failure`, (t) => {
    if (!needShell(t, shell)) return;
    const dir = mkdtempSync(join(work, "run-"));
    const log = join(dir, "log");
    const stdin = join(dir, "stdin");
    const doc = sampleInstallDocument();
    doc.targets = [
      {
        ...doc.targets[0]!,
        steps: [
          say("First", `printf '%s\\n' one >> ${shellQuote(log)}`),
          say("Reads stdin", `cat > ${shellQuote(stdin)}; printf '%s\\n' two >> ${shellQuote(log)}`),
          say("Third", `printf '%s\\n' three >> ${shellQuote(log)}`),
        ],
      },
    ];
    const script = scriptFile(doc);
    const env = { PACKYARD_INSTALL_ROOT: fakeRoot("debian-12"), PACKYARD_INSTALL_ARCH: "x86_64" };
    const read = (): string => (existsSync(log) ? readFileSync(log, "utf8") : "");
    const reset = (): void => rmSync(log, { force: true });
    const stub = (name: string, uid: number) =>
      `id() { echo ${uid}; }\n${name}() { printf '%s\\n' "${name} $*" >> ${shellQuote(join(dir, "via"))}; "$@"; }`;

    // As root: the steps run directly.
    let r = runWrapped(shell, script, ["-y"], "id() { echo 0; }", env);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(read(), "one\ntwo\nthree\n");
    assert.match(r.stdout, /^==> 1\/3 First$/m);
    assert.match(r.stdout, /^Done: Hello is set up for Debian 12 \(bookworm\)\.$/m);
    assert.equal(readFileSync(stdin, "utf8"), "", "steps read /dev/null, not the script's stdin");
    // Not root: through sudo, else doas; neither: refused before anything runs. PATH holds only what
    // the steps need, so no real sudo is found.
    const bin = join(dir, "bin");
    mkdirSync(bin);
    for (const tool of ["sh", "tr", "cat"]) {
      const found = tryRun("sh", ["-c", `command -v ${tool}`]).stdout.trim();
      symlinkSync(found, join(bin, tool));
    }
    for (const runner of ["sudo", "doas"]) {
      reset();
      rmSync(join(dir, "via"), { force: true });
      r = runWrapped(shell, script, ["--yes"], stub(runner, 1000), { ...env, PATH: bin });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(read(), "one\ntwo\nthree\n");
      const via = readFileSync(join(dir, "via"), "utf8").split("\n");
      assert.equal(via.length, 4);
      assert.ok(via[0]!.startsWith(`${runner} sh -c printf`), via[0]);
    }
    reset();
    r = runWrapped(shell, script, ["-y"], "id() { echo 1000; }", { ...env, PATH: bin });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /the steps must run as root: run this script as root, or install sudo/);
    assert.equal(read(), "");
    // A failing step stops the run and is named.
    const failing = sampleInstallDocument();
    failing.targets = [
      {
        ...doc.targets[0]!,
        steps: [doc.targets[0]!.steps[0]!, say("Break", "exit 7"), doc.targets[0]!.steps[2]!],
      },
    ];
    r = runWrapped(shell, scriptFile(failing), ["-y"], "id() { echo 0; }", env);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /step 2\/3 failed with exit status 7: Break\. The steps after it were not run\./);
    assert.equal(read(), "one\n");
  });

  test(`${shell.name}: piped into the shell (curl ... | sh -s -- -y), the steps cannot eat the script`, (t) => {
    if (!needShell(t, shell)) return;
    const dir = mkdtempSync(join(work, "pipe-"));
    const log = join(dir, "log");
    const doc = sampleInstallDocument();
    doc.targets = [
      {
        ...doc.targets[0]!,
        steps: [
          say("Swallow stdin", `cat > /dev/null; printf '%s\\n' one >> ${shellQuote(log)}`),
          say("Second", `printf '%s\\n' two >> ${shellQuote(log)}`),
        ],
      },
    ];
    const text = readFileSync(scriptFile(doc), "utf8");
    // `id` is replaced by prepending a function to the piped text (busybox prefers its own applet).
    const [program, ...rest] = argv(shell);
    const r = tryRun(program!, [...rest, "-s", "--", "-y"], {
      input: `id() { echo 0; }\n${text}`,
      env: environment({ PACKYARD_INSTALL_ROOT: fakeRoot("debian-12"), PACKYARD_INSTALL_ARCH: "x86_64" }),
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(readFileSync(log, "utf8"), "one\ntwo\n");
    assert.match(r.stdout, /^Done: /m);
  });

  test(`${shell.name}: asks on /dev/tty unless -y; no terminal and no -y is refused`, (t) => {
    if (!needShell(t, shell)) return;
    const dir = mkdtempSync(join(work, "tty-"));
    const log = join(dir, "log");
    const doc = sampleInstallDocument();
    doc.targets = [{ ...doc.targets[0]!, steps: [say("Write", `printf '%s\\n' ran >> ${shellQuote(log)}`)] }];
    const script = scriptFile(doc);
    const env = { PACKYARD_INSTALL_ROOT: fakeRoot("debian-12"), PACKYARD_INSTALL_ARCH: "x86_64" };
    const notty = runWrapped(shell, script, [], "id() { echo 0; }", env);
    assert.equal(notty.status, 1);
    assert.match(notty.stderr, /no terminal to ask for confirmation on \(\/dev\/tty\); run again with -y/);
    assert.ok(!existsSync(log));
    if (!needTool(t, "script")) return;
    const wrapper = join(dir, "wrapper.sh");
    writeFileSync(wrapper, `id() { echo 0; }\nset --\n. ${shellQuote(script)}\n`);
    const command = [...argv(shell), wrapper].map(shellQuote).join(" ");
    // `script` gives the shell a terminal and types our input into it; stdin stays the pipe.
    const answer = (input: string): Run =>
      tryRun("script", ["-qec", command, "/dev/null"], { input, env: environment(env) });
    const no = answer("n\n");
    assert.equal(no.status, 1, no.stdout);
    assert.match(no.stdout, /Proceed\? \[y\/N\]/);
    assert.match(no.stdout, /not confirmed; nothing was changed/);
    assert.ok(!existsSync(log));
    const yes = answer("y\n");
    assert.equal(yes.status, 0, yes.stdout);
    assert.equal(readFileSync(log, "utf8"), "ran\n");
  });

  test(`${shell.name}: hostile values are printed literally and never run`, (t) => {
    if (!needShell(t, shell)) return;
    const dir = mkdtempSync(join(work, "hostile-"));
    const marks = (): string[] => [
      ...readdirSync(dir),
      ...["/tmp/pwned", "/tmp/pwned2"].filter((p) => existsSync(p)),
    ];
    assert.deepEqual(marks(), [], "no marker before the test");
    const doc = hostileDocument(dir);
    const script = scriptFile(doc);
    const target = doc.targets[0]!;
    const env = { PACKYARD_INSTALL_ROOT: fakeRoot("debian-12"), PACKYARD_INSTALL_ARCH: "x86_64" };
    const dry = run(shell, script, ["--dry-run", "--distro", target.id], env);
    assert.equal(dry.status, 0, dry.stderr);
    assert.ok(dry.stdout.includes(`Repository:   ${doc.name}\n`));
    assert.ok(dry.stdout.includes(`Target:       ${target.id} (${target.name})\n`));
    assert.ok(dry.stdout.includes(`Note:         ${target.deprecated}\n`));
    assert.ok(dry.stdout.includes(`\n# 1/1 ${target.steps[0]!.title}\n${target.steps[0]!.command}\n`));
    const distro = run(shell, script, ["--dry-run", "--distro", HOSTILE], env);
    assert.equal(distro.status, 1);
    assert.ok(distro.stderr.includes(`--distro ${HOSTILE}: not a target`), distro.stderr);
    assert.ok(distro.stderr.includes(`  ${target.id.padEnd(22)} ${target.name}\n`));
    const help = run(shell, script, ["--help"], env);
    assert.ok(help.stdout.includes(`package repository of ${doc.name} to this system`));
    // A hostile os-release: lines that would run if the file were sourced.
    const m = (n: number): string => shellQuote(join(dir, `os${n}`));
    const osRelease = [
      `$(touch ${m(1)})`,
      `\`touch ${m(2)}\``,
      `ID="$(touch ${m(3)})"`,
      `VERSION_ID=\`touch ${m(4)}\``,
      `PRETTY_NAME='$(touch ${m(5)}) ; touch ${m(6)}'`,
      `ID_LIKE="debian; touch ${m(7)}" *`,
      `touch ${m(8)}`,
      "",
    ].join("\n");
    const refused = run(shell, script, ["--dry-run"], { ...env, PACKYARD_INSTALL_ROOT: rootWith(osRelease) });
    assert.equal(refused.status, 1);
    assert.ok(
      refused.stderr.includes(
        `this system: $(touch ${m(5)}) ; touch ${m(6)} (ID=$(touch ${m(3)}), VERSION_ID=\`touch ${m(4)}\`, from `,
      ),
      refused.stderr,
    );
    assert.deepEqual(marks(), []);
  });
}

/** Every value a repository supplies made hostile, with marker files in `dir`. */
function hostileDocument(dir: string): InstallDocument {
  const evil = `${HOSTILE} $(touch ${dir}/m1) \`touch ${dir}/m2\` '; touch ${dir}/m3; ' "; touch ${dir}/m4; " \\`;
  const doc = sampleInstallDocument({ hostile: true });
  const first = doc.targets[0]!;
  doc.targets = [
    {
      ...first,
      id: `debian-12${evil}`.replaceAll(" ", "_").replaceAll("\n", "_"),
      name: evil,
      deprecated: evil,
      steps: [say(evil, `printf '%s\\n' ${shellQuote(evil)}`)],
    },
    ...doc.targets.slice(1),
  ];
  return doc;
}

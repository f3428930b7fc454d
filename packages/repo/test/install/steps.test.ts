/**
 * install/steps: the exact commands per family (expected strings written by hand from repos.md §2.11,
 * §3.10, §4.6 and §5.6, not copied from the output), key rotation, deprecated targets, and hostile values.
 *
 * Quoting is proved structurally: `shellWords` below is a small tokenizer for the subset of POSIX sh the
 * steps use (single quotes, `&&`, `||`, `|`, `>`/`>>`/`2>&1` redirections, one quoted here-document). It
 * refuses anything the shell would expand or treat specially outside single quotes (`$`, backticks,
 * double quotes, backslashes, globs, `;`, `&`, `<`, parentheses, `#`), so a command it accepts runs only
 * the words it returns, and a hostile value that comes back as one intact word stayed inert.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { CATALOGUE, type CatalogueTarget, catalogueTarget } from "../../src/catalogue/index.ts";
import { isRepoError } from "../../src/errors.ts";
import { targetSteps } from "../../src/install/steps.ts";
import type { InstallStep, StepContext } from "../../src/install/types.ts";

// ---- a tokenizer for the shell subset the steps use ---------------------------------------------------

interface Parsed {
  /** Words as the shell passes them; operators and redirections as `«op»`. */
  tokens: string[];
  /** The here-document, when the command has one. */
  heredoc?: { delimiter: string; body: string };
}

const OPERATORS = ["2>&1", "&&", "||", ">>", "<<", "|", ">"];
/** Characters that are special to sh outside quotes, or that the steps never need there. */
const SPECIAL = new Set([...'$`"\\;&<>()|*?[]{}~#!\t']);

function shellWords(command: string): Parsed {
  const newline = command.indexOf("\n");
  const first = newline === -1 ? command : command.slice(0, newline);
  const rest = newline === -1 ? undefined : command.slice(newline + 1);
  const tokens: string[] = [];
  const quoted: boolean[] = [];
  let i = 0;
  while (i < first.length) {
    if (first[i] === " ") {
      i++;
      continue;
    }
    const op = OPERATORS.find((o) => first.startsWith(o, i));
    if (op !== undefined) {
      tokens.push(`«${op}»`);
      quoted.push(false);
      i += op.length;
      continue;
    }
    let word = "";
    let wasQuoted = false;
    while (i < first.length && first[i] !== " ") {
      const c = first[i]!;
      if (c === "'") {
        const end = first.indexOf("'", i + 1);
        if (end === -1) throw new Error(`unterminated single quote in ${JSON.stringify(first)}`);
        word += first.slice(i + 1, end);
        wasQuoted = true;
        i = end + 1;
      } else if (c === "\\" && first[i + 1] === "'") {
        // shellQuote writes a quote inside a quoted value as '\'' (close, escaped quote, reopen).
        word += "'";
        i += 2;
      } else if (OPERATORS.some((o) => first.startsWith(o, i)) && c !== "2") {
        break;
      } else if (SPECIAL.has(c)) {
        throw new Error(`unquoted ${JSON.stringify(c)} at ${i} in ${JSON.stringify(first)}`);
      } else {
        word += c;
        i++;
      }
    }
    tokens.push(word);
    quoted.push(wasQuoted);
  }
  const at = tokens.indexOf("«<<»");
  if (at === -1) {
    assert.equal(rest, undefined, `a second line without a here-document: ${JSON.stringify(command)}`);
    return { tokens };
  }
  const delimiter = tokens[at + 1];
  assert.ok(delimiter !== undefined && quoted[at + 1], `the here-document delimiter is quoted in ${first}`);
  assert.ok(rest !== undefined, "a here-document has a body");
  const lines = rest.split("\n");
  assert.equal(lines.at(-1), delimiter, "the delimiter ends the command");
  const bodyLines = lines.slice(0, -1);
  assert.ok(!bodyLines.includes(delimiter), "no body line ends the here-document early");
  return { tokens, heredoc: { delimiter, body: bodyLines.map((l) => `${l}\n`).join("") } };
}

test("shellWords: accepts quoted values, refuses what the shell would expand", () => {
  assert.deepEqual(shellWords(`curl -fsSLo /x 'a b$(c)' && chmod 0644 /x`).tokens, [
    "curl",
    "-fsSLo",
    "/x",
    "a b$(c)",
    "«&&»",
    "chmod",
    "0644",
    "/x",
  ]);
  assert.deepEqual(shellWords(`'it'\\''s'`).tokens, ["it's"]);
  for (const bad of ["echo $(x)", "echo `x`", 'echo "x"', "echo a;b", "echo a & b", "echo *", "cat < f"])
    assert.throws(() => shellWords(bad), /unquoted/, bad);
  assert.throws(() => shellWords("cat > f <<EOF\nx\nEOF"), /quoted/);
  assert.throws(() => shellWords("cat > f <<'EOF'\nEOF\nx\nEOF"), /ends the command|early/);
});

// ---- contexts -----------------------------------------------------------------------------------------

const BASE = "https://pkg.example.com/repo";
const FPR_OLD = "3F1A0B2C4D5E6F708192A3B4C5D6E7F801234567";
const FPR_NEW = "9B8A7C6D5E4F30211203F4E5D6C7B8A976543210";

function ctxFor(id: string, extra: Partial<StepContext> = {}): StepContext {
  const target = catalogueTarget(id);
  const base = extra.baseUrl ?? BASE;
  const common: StepContext = {
    target,
    baseUrl: base,
    root: "",
    architectures: ["amd64", "arm64"],
    package: "hello",
    name: "hello",
    openpgp: {
      name: "hello",
      fingerprints: [FPR_OLD],
      asc: `${base}/keys/hello.asc`,
      gpg: `${base}/keys/hello.gpg`,
    },
    apk: {
      name: "hello-5f3a1b2c.rsa.pub",
      url: `${base}/keys/hello-5f3a1b2c.rsa.pub`,
      sha256: "ab".repeat(32),
    },
  };
  switch (target.family) {
    case "deb":
      common.root = `deb/dists/${target.layout.suite}`;
      common.suite = target.layout.suite;
      common.component = target.layout.component;
      break;
    case "rpm":
      common.root = `rpm/${target.layout.path}`;
      common.architectures = ["x86_64", "aarch64"];
      common.repoName = "hello";
      break;
    case "archlinux":
      common.root = "archlinux/hello/os";
      common.architectures = ["x86_64"];
      common.pacmanRepo = "hello";
      break;
    case "alpine":
      common.root = `alpine/${target.layout.branch}/main`;
      common.architectures = ["x86_64", "aarch64"];
      common.branch = target.layout.branch;
      common.alpineRepo = "main";
      break;
  }
  return { ...common, ...extra };
}

function commands(steps: InstallStep[]): string[] {
  return steps.map((s) => s.command);
}

function rejects(fn: () => unknown, code: string, field?: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(isRepoError(e), String(e));
    assert.equal(e.code, code);
    if (field !== undefined) assert.equal(e.data.field, field);
    return true;
  });
}

// ---- APT ----------------------------------------------------------------------------------------------

test("APT (debian-12): keyrings folder, key 0644, deb822 sources with Signed-By, update, install", () => {
  const steps = targetSteps(ctxFor("debian-12"));
  const sources =
    "Types: deb\n" +
    "URIs: https://pkg.example.com/repo/deb\n" +
    "Suites: bookworm\n" +
    "Components: main\n" +
    // Debian 12 runs on nine architectures and two are served: the field narrows apt's fetches.
    "Architectures: amd64 arm64\n" +
    "Signed-By: /etc/apt/keyrings/hello.asc\n";
  assert.deepEqual(commands(steps), [
    "install -d -m 0755 /etc/apt/keyrings",
    "curl -fsSLo /etc/apt/keyrings/hello.asc https://pkg.example.com/repo/keys/hello.asc && chmod 0644 /etc/apt/keyrings/hello.asc",
    `cat > /etc/apt/sources.list.d/hello.sources <<'EOF'\n${sources}EOF`,
    "apt-get update",
    "apt-get install -y hello",
  ]);
  assert.deepEqual(
    steps.map((s) => s.sudo),
    [
      "sudo install -d -m 0755 /etc/apt/keyrings",
      "sudo curl -fsSLo /etc/apt/keyrings/hello.asc https://pkg.example.com/repo/keys/hello.asc && sudo chmod 0644 /etc/apt/keyrings/hello.asc",
      `sudo tee /etc/apt/sources.list.d/hello.sources > /dev/null <<'EOF'\n${sources}EOF`,
      "sudo apt-get update",
      "sudo apt-get install -y hello",
    ],
  );
  assert.deepEqual(steps[2]!.file, {
    path: "/etc/apt/sources.list.d/hello.sources",
    mode: "0644",
    contents: sources,
  });
  assert.equal(steps[1]!.url, "https://pkg.example.com/repo/keys/hello.asc");
  for (const s of steps) assert.ok(s.title.length > 0);
});

test("APT: every served architecture of the release leaves Architectures out; several components are listed", () => {
  const ubuntu = catalogueTarget("ubuntu-24.04");
  const steps = targetSteps(
    ctxFor("ubuntu-24.04", { architectures: [...ubuntu.architectures], component: "main contrib" }),
  );
  assert.equal(
    steps[2]!.file!.contents,
    "Types: deb\nURIs: https://pkg.example.com/repo/deb\nSuites: noble\nComponents: main contrib\n" +
      "Signed-By: /etc/apt/keyrings/hello.asc\n",
  );
});

test("APT on a deprecated release without /etc/apt/keyrings (debian-11) creates the folder first", () => {
  const target = catalogueTarget("debian-11");
  assert.ok(target.family === "deb" && !target.install.keyringsDir && target.deprecated !== undefined);
  const steps = targetSteps(ctxFor("debian-11"));
  assert.equal(steps[0]!.command, "install -d -m 0755 /etc/apt/keyrings");
  assert.match(steps[2]!.file!.contents, /^Suites: bullseye$/m);
});

test("APT: the sources file name is checked (sources.list.d takes [A-Za-z0-9_.-] only)", () => {
  for (const name of ["a'b", "$(touch x)", "../x", ".hidden", "a b", "-x", "", "a/b", "x`y`"])
    rejects(() => targetSteps(ctxFor("debian-12", { name })), "INVALID_SETTING", "name");
  assert.equal(targetSteps(ctxFor("debian-12", { name: "my_vendor-1.2" })).length, 5);
});

// ---- dnf / yum ----------------------------------------------------------------------------------------

test("dnf 4 (el-9) with a published .repo: rpm --import, curl into yum.repos.d, dnf install", () => {
  const steps = targetSteps(ctxFor("el-9", { repoFile: `${BASE}/rpm/el/9/hello.repo` }));
  assert.deepEqual(commands(steps), [
    "rpm --import https://pkg.example.com/repo/keys/RPM-GPG-KEY-hello",
    "curl -fsSLo /etc/yum.repos.d/hello.repo https://pkg.example.com/repo/rpm/el/9/hello.repo",
    "dnf install -y hello",
  ]);
  assert.deepEqual(
    steps.map((s) => s.sudo),
    commands(steps).map((c) => `sudo ${c}`),
  );
  assert.equal(steps[1]!.url, "https://pkg.example.com/repo/rpm/el/9/hello.repo");
});

test("dnf 5 (fedora-43) with a published .repo: config-manager addrepo --from-repofile", () => {
  const target = catalogueTarget("fedora-43");
  assert.ok(target.family === "rpm" && target.install.dnf === 5);
  const steps = targetSteps(ctxFor("fedora-43", { repoFile: `${BASE}/rpm/fedora/43/hello.repo` }));
  assert.deepEqual(commands(steps), [
    "rpm --import https://pkg.example.com/repo/keys/RPM-GPG-KEY-hello",
    "dnf config-manager addrepo --overwrite --from-repofile=https://pkg.example.com/repo/rpm/fedora/43/hello.repo",
    "dnf install -y hello",
  ]);
});

test("dnf without a published .repo (amazonlinux-2023): the file is written, never with $releasever", () => {
  const steps = targetSteps(ctxFor("amazonlinux-2023"));
  const repo =
    "[hello]\n" +
    "name=hello (amazonlinux-2023)\n" +
    "baseurl=https://pkg.example.com/repo/rpm/amazonlinux/2023/$basearch/\n" +
    "enabled=1\n" +
    "type=rpm-md\n" +
    "gpgcheck=1\n" +
    "repo_gpgcheck=1\n" +
    "gpgkey=https://pkg.example.com/repo/keys/RPM-GPG-KEY-hello\n" +
    "metadata_expire=3600\n";
  assert.deepEqual(commands(steps), [
    "rpm --import https://pkg.example.com/repo/keys/RPM-GPG-KEY-hello",
    `cat > /etc/yum.repos.d/hello.repo <<'EOF'\n${repo}EOF`,
    "dnf install -y hello",
  ]);
  assert.equal(steps[1]!.sudo, `sudo tee /etc/yum.repos.d/hello.repo > /dev/null <<'EOF'\n${repo}EOF`);
  assert.deepEqual(steps[1]!.file, { path: "/etc/yum.repos.d/hello.repo", mode: "0644", contents: repo });
  for (const t of CATALOGUE.filter((t) => t.family === "rpm")) {
    for (const s of targetSteps(ctxFor(t.id))) assert.doesNotMatch(s.command, /releasever/, t.id);
  }
});

test("yum: the install command is yum's", () => {
  const el8 = catalogueTarget("el-8");
  assert.ok(el8.family === "rpm");
  const yumTarget = { ...el8, install: { ...el8.install, manager: "yum" as const } } as CatalogueTarget;
  const steps = targetSteps({
    ...ctxFor("el-8", { repoFile: `${BASE}/rpm/el/8/hello.repo` }),
    target: yumTarget,
  });
  assert.deepEqual(commands(steps).slice(1), [
    "curl -fsSLo /etc/yum.repos.d/hello.repo https://pkg.example.com/repo/rpm/el/8/hello.repo",
    "yum install -y hello",
  ]);
});

// ---- zypper -------------------------------------------------------------------------------------------

test("zypper (opensuse-15.6): rpm --import, guarded addrepo with a quoted $basearch, refresh, install", () => {
  const steps = targetSteps(ctxFor("opensuse-15.6"));
  assert.deepEqual(commands(steps), [
    "rpm --import https://pkg.example.com/repo/keys/RPM-GPG-KEY-hello",
    "zypper lr hello >/dev/null 2>&1 || zypper --non-interactive addrepo --refresh 'https://pkg.example.com/repo/rpm/opensuse/15.6/$basearch/' hello",
    "zypper --non-interactive refresh hello",
    "zypper --non-interactive install hello",
  ]);
  assert.equal(
    steps[1]!.sudo,
    "zypper lr hello >/dev/null 2>&1 || sudo zypper --non-interactive addrepo --refresh 'https://pkg.example.com/repo/rpm/opensuse/15.6/$basearch/' hello",
  );
  // The shell passes $basearch through for libzypp to expand.
  assert.ok(shellWords(steps[1]!.command).tokens.includes(`${BASE}/rpm/opensuse/15.6/$basearch/`));
});

// ---- pacman -------------------------------------------------------------------------------------------

test("pacman (arch): key through pacman-key, lsign by full fingerprint, guarded section, -Syu", () => {
  const steps = targetSteps(ctxFor("arch"));
  const section =
    "\n[hello]\nSigLevel = Required DatabaseRequired\nServer = https://pkg.example.com/repo/archlinux/$repo/os/$arch\n";
  assert.deepEqual(commands(steps), [
    "curl -fsSL https://pkg.example.com/repo/keys/hello.asc | pacman-key --add -",
    `pacman-key --lsign-key ${FPR_OLD}`,
    `grep -qxF '[hello]' /etc/pacman.conf || cat >> /etc/pacman.conf <<'EOF'\n${section}EOF`,
    "pacman -Syu --noconfirm hello",
  ]);
  assert.deepEqual(
    steps.map((s) => s.sudo),
    [
      "curl -fsSL https://pkg.example.com/repo/keys/hello.asc | sudo pacman-key --add -",
      `sudo pacman-key --lsign-key ${FPR_OLD}`,
      `grep -qxF '[hello]' /etc/pacman.conf || sudo tee -a /etc/pacman.conf > /dev/null <<'EOF'\n${section}EOF`,
      "sudo pacman -Syu --noconfirm hello",
    ],
  );
  assert.equal(shellWords(steps[2]!.command).heredoc?.body, section);
});

test("pacman during a key rotation: both fingerprints are locally signed", () => {
  const ctx = ctxFor("arch");
  const steps = targetSteps({ ...ctx, openpgp: { ...ctx.openpgp!, fingerprints: [FPR_OLD, FPR_NEW] } });
  assert.equal(steps[1]!.command, `pacman-key --lsign-key ${FPR_OLD} ${FPR_NEW}`);
  assert.match(steps[1]!.title, /rotation/);
});

test("fingerprints: one or two, 40 or 64 uppercase hex digits", () => {
  const ctx = ctxFor("arch");
  for (const fingerprints of [
    [],
    [FPR_OLD, FPR_NEW, FPR_OLD],
    [FPR_OLD.toLowerCase()],
    ["0x1234"],
    [`${FPR_OLD} `],
  ])
    rejects(
      () => targetSteps({ ...ctx, openpgp: { ...ctx.openpgp!, fingerprints } }),
      "INVALID_SETTING",
      "openpgp.fingerprints",
    );
});

// ---- Alpine -------------------------------------------------------------------------------------------

test("Alpine (alpine-3.22): wget the key under its signature name, guarded repositories line, update, add", () => {
  const steps = targetSteps(ctxFor("alpine-3.22"));
  assert.deepEqual(commands(steps), [
    "wget -qO /etc/apk/keys/hello-5f3a1b2c.rsa.pub https://pkg.example.com/repo/keys/hello-5f3a1b2c.rsa.pub",
    "grep -qxF https://pkg.example.com/repo/alpine/v3.22/main /etc/apk/repositories || printf '%s\\n' https://pkg.example.com/repo/alpine/v3.22/main >> /etc/apk/repositories",
    "apk update",
    "apk add hello",
  ]);
  assert.equal(
    steps[1]!.sudo,
    "grep -qxF https://pkg.example.com/repo/alpine/v3.22/main /etc/apk/repositories || printf '%s\\n' https://pkg.example.com/repo/alpine/v3.22/main | sudo tee -a /etc/apk/repositories > /dev/null",
  );
  rejects(
    () => targetSteps({ ...ctxFor("alpine-3.22"), apk: { ...ctxFor("alpine-3.22").apk!, name: "../x.pub" } }),
    "INVALID_SETTING",
    "apk.name",
  );
});

// ---- every target: keys, policy, hostile values -------------------------------------------------------

test("a missing key is MISSING_KEY naming the target", () => {
  for (const t of CATALOGUE) {
    const { openpgp, apk, ...rest } = ctxFor(t.id);
    assert.ok(openpgp !== undefined && apk !== undefined);
    const without = t.family === "alpine" ? { ...rest, openpgp } : { ...rest, apk };
    assert.throws(
      () => targetSteps(without),
      (e: unknown) => isRepoError(e) && e.code === "MISSING_KEY" && e.message.includes(t.id),
      t.id,
    );
  }
});

test("no target ever turns signature checks off or trusts keys globally", () => {
  const forbidden =
    /apt-key|trusted=yes|TrustAll|gpgcheck=0|--nogpgcheck|--no-gpg-checks|allow-untrusted|Never/;
  for (const t of CATALOGUE) {
    for (const repoFile of [undefined, `${BASE}/x.repo`]) {
      const steps = targetSteps(ctxFor(t.id, repoFile === undefined ? {} : { repoFile }));
      for (const s of steps) {
        assert.doesNotMatch(s.command, forbidden, t.id);
        assert.doesNotMatch(s.sudo, forbidden, t.id);
        // Root's commands never say sudo; the sudo form says it at least once.
        assert.doesNotMatch(s.command, /\bsudo\b/, t.id);
        assert.match(s.sudo, /\bsudo\b/, t.id);
      }
    }
  }
});

/** A URL with every character the shell or a here-document could act on, but none a URL cannot hold. */
const HOSTILE_URL = "https://evil.example/a'b$(touch${IFS}/tmp/pwned)`id`<c>&d;e|f*g\\h\"i/EOF";
const HOSTILE_PACKAGE = "x$(touch${IFS}/tmp/p)`id`'<&>";

test("hostile URLs and package names stay one literal word or literal here-document text", () => {
  for (const t of CATALOGUE) {
    for (const repoFile of [undefined, `${HOSTILE_URL}/hello.repo`]) {
      const ctx = ctxFor(t.id, {
        baseUrl: HOSTILE_URL,
        package: HOSTILE_PACKAGE,
        ...(repoFile === undefined ? {} : { repoFile }),
      });
      const steps = targetSteps(ctx);
      let urls = 0;
      for (const s of steps) {
        for (const text of [s.command, s.sudo]) {
          const parsed = shellWords(text); // throws on anything unquoted the shell would act on
          const words = parsed.tokens;
          const body = parsed.heredoc?.body ?? "";
          // Whatever of the hostile URL the step carries, it carries whole: in one word or in the file.
          if (text.includes("evil.example")) {
            assert.ok(
              words.some((w) => w.includes(HOSTILE_URL)) || body.includes(HOSTILE_URL),
              `${t.id}: ${text}`,
            );
            urls++;
          }
          if (s.title.startsWith("Install")) assert.ok(words.includes(HOSTILE_PACKAGE), `${t.id}: ${text}`);
        }
        if (s.file !== undefined) assert.equal(shellWords(s.command).heredoc?.body, s.file.contents);
      }
      assert.ok(urls >= 2, `${t.id}: the key and the repository come from the base URL`);
    }
  }
});

test("values that would break a client's file are refused: whitespace, newlines, '#', options", () => {
  const bad: [Partial<StepContext>, string][] = [
    [{ baseUrl: "https://a.example/x y" }, "baseUrl"],
    [{ baseUrl: "https://a.example/x\n[evil]" }, "baseUrl"],
    [{ baseUrl: "https://a.example/x#frag" }, "baseUrl"],
    [{ baseUrl: "-o/etc/passwd" }, "baseUrl"],
    [{ baseUrl: "/srv/repo" }, "baseUrl"],
    [{ package: "-y" }, "package"],
    [{ package: "a b" }, "package"],
    [{ package: "" }, "package"],
  ];
  for (const t of ["debian-12", "el-9", "opensuse-15.6", "arch", "alpine-3.22"]) {
    for (const [extra, field] of bad) rejects(() => targetSteps(ctxFor(t, extra)), "INVALID_SETTING", field);
  }
  rejects(() => targetSteps(ctxFor("debian-12", { suite: "bookworm\nX: y" })), "INVALID_SETTING", "suite");
  rejects(() => targetSteps(ctxFor("debian-12", { component: "main\tx" })), "INVALID_SETTING", "component");
  rejects(() => targetSteps(ctxFor("arch", { pacmanRepo: "x]\n[y" })), "INVALID_SETTING", "pacmanRepo");
  rejects(() => targetSteps(ctxFor("el-9", { repoName: "a]b" })), "INVALID_SETTING", "repoName");
  rejects(
    () => targetSteps(ctxFor("alpine-3.22", { alpineRepo: "main extra" })),
    "INVALID_SETTING",
    "alpineRepo",
  );
  rejects(
    () => targetSteps(ctxFor("el-9", { repoFile: "https://x/a b.repo" })),
    "INVALID_SETTING",
    "repoFile",
  );
});

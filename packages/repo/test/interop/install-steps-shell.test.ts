/**
 * install/steps under real shells (dash and busybox sh): every target's commands, root and sudo forms,
 * built from a base URL and package name full of shell metacharacters, run with the package tools replaced
 * by stubs that log their arguments and `/etc/` moved into a scratch folder. The hostile `$(touch …)`
 * must create nothing, the tools must receive the values intact, and the files the steps write must
 * hold them literally.
 */
import assert from "node:assert/strict";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { needTool, tryRun } from "@packyard/testkit/tools";
import { CATALOGUE, type CatalogueTarget } from "../../src/catalogue/index.ts";
import { targetSteps } from "../../src/install/steps.ts";
import type { StepContext } from "../../src/install/types.ts";

const FPR = "3F1A0B2C4D5E6F708192A3B4C5D6E7F801234567";

function context(target: CatalogueTarget, base: string, pkg: string): StepContext {
  return {
    target,
    baseUrl: base,
    root: "",
    architectures: [...target.architectures].slice(0, 1),
    package: pkg,
    name: "hello",
    openpgp: {
      name: "hello",
      fingerprints: [FPR],
      asc: `${base}/keys/hello.asc`,
      gpg: `${base}/keys/hello.gpg`,
    },
    apk: { name: "hello-1.rsa.pub", url: `${base}/keys/hello-1.rsa.pub`, sha256: "ab".repeat(32) },
    repoName: "hello",
    pacmanRepo: "hello",
    alpineRepo: "main",
  };
}

for (const shell of [
  ["dash", "dash"],
  ["busybox", "busybox", "sh"],
] as const) {
  test(`steps run under ${shell[0]}: hostile values stay inert and reach the tools intact`, (t) => {
    if (!needTool(t, shell[1])) return;
    const dir = mkdtempSync(join(tmpdir(), "packyard-steps-"));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    // The package tools become shell functions that log their name and arguments, one per line (no
    // value can hold a newline); functions, because busybox sh runs its own applets (wget, rpm, chmod)
    // before anything on PATH. apt-get and pacman-key are no valid function names for dash: they are
    // stub files on PATH (busybox has no such applets). curl and wget create the file they are given;
    // `zypper lr` finds no repository, so the guarded addrepo runs.
    const bin = join(dir, "bin");
    mkdirSync(bin);
    const log = join(dir, "log");
    const record = 'printf \'%s\\n\' "== $0" "$@" >> "$STEP_LOG"';
    for (const tool of ["apt-get", "pacman-key"]) {
      writeFileSync(join(bin, tool), `#!/bin/sh\n${record}\ncat > /dev/null\n`);
      chmodSync(join(bin, tool), 0o755);
    }
    const fn = (name: string, body = "") =>
      `${name}() { printf '%s\\n' "== ${name}" "$@" >> "$STEP_LOG"; ${body}:; }\n`;
    const createOutput =
      'prev=; for a in "$@"; do case "$prev" in -fsSLo|-qO) : > "$a";; esac; prev=$a; done; ';
    const prelude =
      "set -e\n" +
      fn("curl", createOutput) +
      fn("wget", createOutput) +
      ["chmod", "install", "rpm", "dnf", "yum", "pacman", "apk"].map((n) => fn(n)).join("") +
      fn("zypper", '[ "$1" = lr ] && return 6; ') +
      'sudo() { printf \'%s\\n\' "== sudo" >> "$STEP_LOG"; "$@"; }\n';
    const pwned = join(dir, "pwned");
    const base = `https://evil.example/a'b$(touch${"${IFS}"}${pwned})\`touch${"${IFS}"}${pwned}\`<c>&d;e|f*g\\h"i`;
    const pkg = `x$(touch${"${IFS}"}${pwned})'\`id\`<&>`;
    for (const target of CATALOGUE) {
      // A published .repo changes only the rpm targets' steps.
      for (const repoFile of target.family === "rpm" ? [undefined, `${base}/hello.repo`] : [undefined]) {
        const ctx = context(target, base, pkg);
        const steps = targetSteps(repoFile === undefined ? ctx : { ...ctx, repoFile });
        for (const form of ["command", "sudo"] as const) {
          const etc = join(dir, "etc", `${target.id}-${form}-${repoFile === undefined ? "file" : "url"}`);
          for (const d of ["apt/keyrings", "apt/sources.list.d", "yum.repos.d", "apk/keys"])
            mkdirSync(join(etc, d), { recursive: true });
          writeFileSync(log, "");
          const script = prelude + steps.map((step) => step[form].replaceAll("/etc/", `${etc}/`)).join("\n");
          const sh = (args: string[]) =>
            tryRun(shell[1], [...shell.slice(2), ...args], {
              env: { PATH: `${bin}:/usr/bin:/bin`, STEP_LOG: log },
            });
          assert.equal(sh(["-n", "-c", script]).status, 0, `${shell[0]} -n: ${script}`);
          const r = sh(["-c", script]);
          assert.equal(r.status, 0, `${target.id} ${form}: ${script}\n${r.stderr}`);
          for (const step of steps) {
            if (step.file !== undefined)
              assert.equal(
                readFileSync(step.file.path.replace("/etc/", `${etc}/`), "utf8"),
                step.file.contents.replaceAll("/etc/", `${etc}/`),
              );
          }
          assert.ok(!existsSync(pwned), `${target.id} ${form}: a command substitution ran`);
          const args = readFileSync(log, "utf8").split("\n");
          // The package reaches the installing tool as one argument, byte for byte.
          assert.ok(args.includes(pkg), `${target.id} ${form}: ${JSON.stringify(args)}`);
          // The key's URL reaches the downloading tool (or rpm) whole.
          const keyUrl =
            target.family === "alpine"
              ? `${base}/keys/hello-1.rsa.pub`
              : target.family === "rpm"
                ? `${base}/keys/RPM-GPG-KEY-hello`
                : `${base}/keys/hello.asc`;
          assert.ok(args.includes(keyUrl), `${target.id} ${form}: ${JSON.stringify(args)}`);
          if (target.family === "archlinux") {
            const conf = readFileSync(join(etc, "pacman.conf"), "utf8");
            assert.ok(conf.includes(`Server = ${base}/archlinux/$repo/os/$arch\n`));
            assert.ok(args.includes(FPR));
          }
          if (target.family === "alpine") {
            const repos = readFileSync(join(etc, "apk/repositories"), "utf8");
            assert.equal(repos, `${base}/alpine/${target.layout.branch}/main\n`);
          }
          if (target.family === "rpm" && target.install.manager === "zypper")
            assert.ok(args.includes(`${base}/rpm/${target.layout.path}/$basearch/`));
        }
      }
    }
    // Running the guarded steps a second time adds nothing (pacman.conf, apk repositories).
    for (const target of CATALOGUE.filter((x) => x.family === "archlinux" || x.family === "alpine")) {
      const etc = join(dir, "etc", `${target.id}-command-file`);
      const file = join(etc, target.family === "alpine" ? "apk/repositories" : "pacman.conf");
      const before = readFileSync(file, "utf8");
      const script =
        prelude +
        targetSteps(context(target, base, pkg))
          .map((step) => step.command.replaceAll("/etc/", `${etc}/`))
          .join("\n");
      const r = tryRun(shell[1], [...shell.slice(2), "-c", script], {
        env: { PATH: `${bin}:/usr/bin:/bin`, STEP_LOG: log },
      });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(readFileSync(file, "utf8"), before, `${target.id}: the second run changed ${file}`);
    }
  });
}

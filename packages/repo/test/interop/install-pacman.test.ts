/**
 * The pacman install instructions, run by pacman 6 against the example published over HTTP on
 * 127.0.0.1: install.json's `arch` commands (the key piped into `pacman-key --add -`, `--lsign-key` of
 * the full fingerprint, the `[section]` appended to pacman.conf, `pacman -Syu`) run on the host with only
 * the root paths rewritten: pacman-key and pacman use the scratch system's keyring
 * (`<root>/etc/pacman.d/gnupg`), pacman.conf is `<root>/etc/pacman.conf`, and pacman installs into
 * `<root>` with its cache there. The scratch system is what a fresh Arch install has before the steps: an
 * initialised keyring (without a key server, so nothing is fetched), a pacman.conf with Arch's default
 * `[options]` and no repositories, and a shell (static busybox) for the package's install scriptlet.
 */
import assert from "node:assert/strict";
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { shellQuote } from "@packyard/repo";
import { runAsync } from "@packyard/testkit/rpms";
import { needRoot, needTool, run, tryRun } from "@packyard/testkit/tools";
import {
  clientEnv,
  EXAMPLE,
  HELLO_OUTPUT,
  type InstallRepo,
  publishExample,
  rewriteCommand,
  runSteps,
  stepOutput,
} from "./install-repo.ts";

let shared: Promise<InstallRepo> | undefined;
after(async () => {
  if (shared !== undefined) await (await shared).dispose();
});

/** Arch's stock pacman.conf `[options]` (pacman 6), without its repositories. */
const PACMAN_CONF = `[options]
HoldPkg = pacman glibc
Architecture = auto
CheckSpace
SigLevel = Required DatabaseOptional
LocalFileSigLevel = Optional
`;

test("pacman: the arch steps with only the root paths rewritten install the example, whose binary runs", async (t) => {
  if (!needTool(t, "pacman", "pacman-key", "curl", "busybox", "chroot")) return;
  if (!needRoot(t, "pacman installs into a scratch root and chroots for the install scriptlet")) return;
  const start = performance.now();
  shared ??= publishExample(["archlinux"]);
  const repo = await shared;
  const target = repo.target("arch");
  assert.equal(target.manager, "pacman");

  const dir = mkdtempSync(join(tmpdir(), "packyard-install-pacman-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const root = join(dir, "root");
  for (const d of ["etc/pacman.d", "var/lib/pacman", "var/cache/pacman/pkg", "usr/bin", "tmp"])
    mkdirSync(join(root, d), { recursive: true });
  copyFileSync("/bin/busybox", join(root, "usr/bin/busybox"));
  symlinkSync("busybox", join(root, "usr/bin/sh"));
  symlinkSync("usr/bin", join(root, "bin"));
  writeFileSync(join(root, "etc/pacman.conf"), PACMAN_CONF);
  const gpgdir = join(root, "etc/pacman.d/gnupg");
  run("pacman-key", ["--gpgdir", gpgdir, "--init"]);
  t.after(() => void tryRun("gpgconf", ["--homedir", gpgdir, "--kill", "all"]));
  const gpgConf = join(gpgdir, "gpg.conf");
  writeFileSync(
    gpgConf,
    readFileSync(gpgConf, "utf8")
      .split("\n")
      .filter((l) => !l.startsWith("keyserver"))
      .join("\n"),
  );

  const r = shellQuote(root);
  const g = shellQuote(gpgdir);
  const pacman = `pacman --root ${r} --config ${r}/etc/pacman.conf --gpgdir ${g} --cachedir ${r}/var/cache/pacman/pkg`;
  await runSteps(t, target.steps, (command) => {
    let out = rewriteCommand(command, "pacman-key", `pacman-key --gpgdir ${g}`);
    out = rewriteCommand(out, "pacman", pacman);
    return out.replaceAll(" /etc/pacman.conf", ` ${r}/etc/pacman.conf`);
  });

  // the database signature was asked for (SigLevel = Required DatabaseRequired) and found
  const db = `/archlinux/${EXAMPLE}/os/x86_64/${EXAMPLE}.db.sig`;
  assert.ok(
    repo.server.log.some((l) => l.path === db && l.status === 200),
    `GET ${db} in ${repo.server.log.map((l) => l.path).join(", ")}`,
  );
  const q = await runAsync("sh", ["-c", `${pacman} -Q ${EXAMPLE}`], clientEnv());
  // fixtures/example/packyard.yml: version 1.0.0, release 1
  assert.equal(q.stdout, `${EXAMPLE} 1.0.0-1\n`, stepOutput("pacman -Q", "", q));
  const check = await runAsync("sh", ["-c", `${pacman} -Qkk ${EXAMPLE}`], clientEnv());
  assert.equal(check.code, 0, stepOutput("pacman -Qkk", "", check));
  const hello = await runAsync("chroot", [root, "/bin/sh", "/usr/bin/hello"], clientEnv());
  assert.equal(hello.stdout, HELLO_OUTPUT, stepOutput("hello", "", hello));
  // twice: every step can run again without harm (the section is not appended a second time)
  await runSteps(t, target.steps, (command) => {
    let out = rewriteCommand(command, "pacman-key", `pacman-key --gpgdir ${g}`);
    out = rewriteCommand(out, "pacman", pacman);
    return out.replaceAll(" /etc/pacman.conf", ` ${r}/etc/pacman.conf`);
  });
  const conf = readFileSync(join(root, "etc/pacman.conf"), "utf8");
  assert.equal(conf.split(`[${EXAMPLE}]`).length, 2, conf);
  t.diagnostic(`case: ${Math.round(performance.now() - start)} ms`);
});

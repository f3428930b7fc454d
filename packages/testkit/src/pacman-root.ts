/**
 * A scratch pacman installation for interop tests: its own root, database, cache and config
 * (SigLevel = Required, LocalFileSigLevel = Required), a shared scratch keyring, and a static busybox as
 * /bin/sh in the root because pacman runs .INSTALL functions chrooted (`/bin/sh -c`).
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run, tryRun } from "./tools.ts";

/** A keyring made with pacman-key, holding and locally signing the given armored public key. */
export function makeKeyring(dir: string, publicKeyArmored: string, fingerprint: string): string {
  const gpgdir = join(dir, "gnupg");
  mkdirSync(gpgdir, { recursive: true });
  run("pacman-key", ["--gpgdir", gpgdir, "--init"]);
  // hermetic: no keyserver, so an unknown key fails at once instead of being fetched
  const conf = join(gpgdir, "gpg.conf");
  writeFileSync(
    conf,
    readFileSync(conf, "utf8")
      .split("\n")
      .filter((l) => !l.startsWith("keyserver"))
      .join("\n"),
  );
  const keyFile = join(dir, "trusted.asc");
  writeFileSync(keyFile, publicKeyArmored);
  run("pacman-key", ["--gpgdir", gpgdir, "--add", keyFile]);
  run("pacman-key", ["--gpgdir", gpgdir, "--lsign-key", fingerprint]);
  return gpgdir;
}

export interface PacmanRoot {
  root: string;
  /** The options every pacman run in this root takes (config, root, dbpath, cachedir, gpgdir, --noconfirm). */
  args: readonly string[];
  /** Runs pacman against this root; returns status and output (never throws). */
  pacman(args: string[]): { status: number; stdout: string; stderr: string };
}

/** A fresh root with its pacman.conf for `architecture` (`any` packages use x86_64). */
export function makeRoot(gpgdir: string, architecture = "x86_64"): PacmanRoot {
  const root = mkdtempSync(join(tmpdir(), "packyard-pacman-"));
  for (const d of ["var/lib/pacman", "var/cache/pacman", "usr/bin", "tmp"])
    mkdirSync(join(root, d), { recursive: true });
  copyFileSync("/bin/busybox", join(root, "usr/bin/busybox"));
  symlinkSync("busybox", join(root, "usr/bin/sh"));
  symlinkSync("usr/bin", join(root, "bin"));
  const conf = join(root, "pacman.conf");
  writeFileSync(
    conf,
    `[options]\nArchitecture = ${architecture === "any" ? "x86_64" : architecture}\nSigLevel = Required\nLocalFileSigLevel = Required\n`,
  );
  const base = [
    "--config",
    conf,
    "--root",
    root,
    "--dbpath",
    join(root, "var/lib/pacman"),
    "--cachedir",
    join(root, "var/cache/pacman"),
    "--gpgdir",
    gpgdir,
    "--noconfirm",
  ];
  return { root, args: base, pacman: (args) => tryRun("pacman", [...base, ...args]) };
}

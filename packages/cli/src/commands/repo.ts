/**
 * `packyard repo ls|rm|prune|refresh|copy --to …`: looks after a repository `packyard publish` made —
 * lists it, removes packages, deletes files whose grace period is over, re-signs it before Valid-Until
 * runs out, and promotes packages from one suite to another without reading them again.
 */
import type { Command, CommandIo, Flags } from "../command.ts";
import { parseSelector } from "../package-selector.ts";
import { findPublishSetup, type PublishSetup } from "../publish-config.ts";
import { loadApkSigner, loadRepoSigners, missingApkKey } from "../publish-keys.ts";
import {
  KEY_HELP,
  KEY_OPTIONS,
  LOCK_HELP,
  LOCK_OPTIONS,
  RUN_OPTIONS,
  SUITE_HELP,
  SUITE_OPTIONS,
  TARGET_HELP,
  TARGET_OPTIONS,
} from "../publish-options.ts";
import { type Family, finishPublish, openRepository, withProgress } from "../publish-run.ts";
import { durationFlag, listFlag, type RepoSettings, repoSettings, stringFlag } from "../publish-settings.ts";
import type { OpenPGPSigner, RSASigner } from "../formats.ts";
import {
  copyPackages,
  type PackageSelector,
  type PublishProgress,
  publish,
  pruneRepository,
  readRepository,
  refreshRepository,
  type RootState,
} from "../repo.ts";
import { UsageError } from "../usage-error.ts";

const SUBCOMMANDS = ["ls", "rm", "prune", "refresh", "copy"] as const;
type Subcommand = (typeof SUBCOMMANDS)[number];

const TARGET = ["config", "to", "endpoint", "region", "path-style"];
const KEYS = ["key", "key-name", "passphrase-env"];
const APK_KEY = ["apk-key", "apk-key-name"];
const LOCK = ["lock-timeout", "no-lock"];
const SUITE = Object.keys(SUITE_OPTIONS);
const OUTPUT = ["json", "quiet"];

/** The flags each subcommand takes (parseArgs accepts the union; the others are refused by name). */
const ALLOWED: Readonly<Record<Subcommand, readonly string[]>> = {
  ls: [...TARGET, "suite", "json"],
  rm: [
    ...TARGET,
    ...KEYS,
    ...APK_KEY,
    ...LOCK,
    ...SUITE,
    ...OUTPUT,
    "grace",
    "after-publish",
    "rpm-target",
    "apk-target",
    "family",
  ],
  prune: [...TARGET, ...LOCK, ...OUTPUT, "grace"],
  refresh: [
    ...TARGET,
    ...KEYS,
    ...APK_KEY,
    ...LOCK,
    ...OUTPUT,
    "suite",
    "valid-for",
    "grace",
    "after-publish",
  ],
  copy: [...TARGET, ...KEYS, ...LOCK, ...SUITE, ...OUTPUT, "from-suite", "replace", "grace", "after-publish"],
};

/** Positionals after the subcommand: package selectors for rm (at least one) and copy (none: all). */
const POSITIONALS: Readonly<Record<Subcommand, { min: number; max: number }>> = {
  ls: { min: 0, max: 0 },
  rm: { min: 1, max: Number.POSITIVE_INFINITY },
  prune: { min: 0, max: 0 },
  refresh: { min: 0, max: 0 },
  copy: { min: 0, max: Number.POSITIVE_INFINITY },
};

function checkFlags(sub: Subcommand, flags: Flags): void {
  for (const [name, value] of Object.entries(flags)) {
    if (value === undefined || name === "help" || name === "debug") continue;
    if (!ALLOWED[sub].includes(name)) {
      throw new UsageError(`--${name} does not apply to packyard repo ${sub}`, "repo");
    }
  }
}

/** One root as `repo ls --json` prints it. */
export interface ListedRoot {
  root: string;
  family: string;
  generation: number;
  date: string;
  suite?: string;
  codename?: string;
  components?: string[];
  architectures?: string[];
  validFor?: number;
  /** RPM-MD and Alpine: the catalogue target (`el-9`, `alpine-3.22`). */
  target?: string;
  /** pacman: the repository (database) name; Alpine: the repository folder (`main`). */
  repo?: string;
  packages: {
    name: string;
    version: string;
    arch: string;
    component?: string;
    key: string;
    size: number;
    sha256: string;
  }[];
}

/** The listing of one root: its settings and packages, without the engine's bookkeeping. */
export function listedRoot(state: RootState): ListedRoot {
  const apt = state.apt;
  return {
    root: state.root,
    family: state.family,
    generation: state.generation,
    date: state.date,
    ...(apt !== undefined
      ? {
          suite: apt.suite,
          codename: apt.codename,
          components: apt.components,
          architectures: apt.architectures,
          ...(apt.validFor !== undefined ? { validFor: apt.validFor } : {}),
        }
      : {}),
    ...(state.rpm !== undefined ? { target: state.rpm.target, architectures: [state.rpm.arch] } : {}),
    ...(state.archlinux !== undefined
      ? { repo: state.archlinux.repo, architectures: [state.archlinux.arch] }
      : {}),
    ...(state.alpine !== undefined
      ? { target: state.alpine.target, repo: state.alpine.repo, architectures: [state.alpine.arch] }
      : {}),
    packages: state.packages.map((p) => ({
      name: p.name,
      version: p.version,
      arch: p.arch,
      ...(p.component !== undefined ? { component: p.component } : {}),
      key: p.key,
      size: p.size,
      sha256: p.digests.sha256,
    })),
  };
}

/** `repo ls` for people: a header per root, a row per package. */
export function listingText(roots: readonly ListedRoot[]): string {
  const lines: string[] = [];
  for (const r of roots) {
    const about = [
      ...(r.suite !== undefined ? [`suite ${r.suite}`] : []),
      ...(r.target !== undefined ? [`target ${r.target}`] : []),
      ...(r.repo !== undefined ? [`repository ${r.repo}`] : []),
      ...(r.codename !== undefined && r.codename !== r.suite ? [`codename ${r.codename}`] : []),
      ...(r.components !== undefined ? [`components ${r.components.join(" ")}`] : []),
      ...(r.architectures !== undefined ? [`architectures ${r.architectures.join(" ")}`] : []),
      `${r.packages.length} package${r.packages.length === 1 ? "" : "s"}`,
      `updated ${r.date}`,
    ];
    lines.push(`${r.root}: ${about.join(", ")}`);
    const width = (f: (p: ListedRoot["packages"][number]) => string) =>
      Math.max(0, ...r.packages.map((p) => f(p).length));
    const wc = width((p) => p.component ?? "");
    const wn = width((p) => p.name);
    const wv = width((p) => p.version);
    for (const p of r.packages) {
      const cells = [
        ...(wc > 0 ? [(p.component ?? "").padEnd(wc)] : []),
        p.name.padEnd(wn),
        p.version.padEnd(wv),
        p.arch,
      ];
      lines.push(`  ${cells.join("  ")}`);
    }
  }
  return lines.length > 0 ? `${lines.join("\n")}\n` : "";
}

/** The keys of a repository operation: the OpenPGP signers and, when given, the Alpine key. */
interface OperationKeys {
  signers: OpenPGPSigner[];
  apkSigner?: RSASigner;
}

/**
 * Loads the keys `sub` needs. The OpenPGP key is required unless the operation touches Alpine roots only
 * (`openpgp: false`); the Alpine key is loaded when given (a root left midway may need it) and required
 * when Alpine roots are touched (`alpine: "required"`); `alpine: "never"` leaves it alone.
 */
async function keysFor(
  settings: RepoSettings,
  setup: PublishSetup,
  io: CommandIo,
  sub: Subcommand,
  need: { openpgp: boolean; alpine: "never" | "optional" | "required" },
): Promise<OperationKeys> {
  const command = `repo ${sub}`;
  const passphraseEnv = settings.passphraseEnv !== undefined ? { passphraseEnv: settings.passphraseEnv } : {};
  const signers =
    need.openpgp || settings.keys.length > 0
      ? await loadRepoSigners(settings.keys, { cwd: io.cwd, env: io.env, command, ...passphraseEnv })
      : [];
  if (need.alpine === "never") return { signers };
  if (settings.apkKey === undefined) {
    if (need.alpine === "required") throw missingApkKey(command, "this removal touches Alpine roots");
    return { signers };
  }
  const keyName = settings.apkKeyName ?? setup.apkKeyName;
  const apkSigner = await loadApkSigner(settings.apkKey, {
    cwd: io.cwd,
    env: io.env,
    ...passphraseEnv,
    ...(keyName !== undefined ? { keyName } : {}),
    ...(setup.maintainer !== undefined ? { maintainer: setup.maintainer } : {}),
  });
  return { signers, apkSigner };
}

/** The grace period, key name, Alpine key and progress callback, when there are any. */
function engineOptions(
  settings: RepoSettings,
  keys: OperationKeys,
  onProgress: ((p: PublishProgress) => void) | undefined,
): {
  graceMs?: number;
  keyName?: string;
  apkSigner?: RSASigner;
  onProgress?: (p: PublishProgress) => void;
} {
  return {
    ...(settings.graceMs !== undefined ? { graceMs: settings.graceMs } : {}),
    ...(settings.keyName !== undefined ? { keyName: settings.keyName } : {}),
    ...(keys.apkSigner !== undefined ? { apkSigner: keys.apkSigner } : {}),
    ...(onProgress !== undefined ? { onProgress } : {}),
  };
}

const FAMILIES: readonly Family[] = ["deb", "rpm", "archlinux", "alpine"];

/** `--family`, checked. */
function familyFlag(flags: Flags): Family | undefined {
  const text = stringFlag(flags, "family");
  if (text === undefined) return undefined;
  const family = FAMILIES.find((f) => f === text);
  if (family === undefined) {
    throw new UsageError(`--family: expected one of ${FAMILIES.join(", ")}, found '${text}'`, "repo");
  }
  return family;
}

/**
 * The packages `repo rm` and `repo copy` name, and the families they touch. `--rpm-target` and
 * `--apk-target` narrow them to those targets' roots, `--family` to one family's roots; without either they
 * apply to the APT suite.
 */
export function selectors(
  positionals: readonly string[],
  flags: Flags,
): { select: PackageSelector[]; families: Family[] } {
  const component = stringFlag(flags, "component");
  const family = familyFlag(flags);
  const rpmTargets = listFlag(flags, "rpm-target");
  const apkTargets = listFlag(flags, "apk-target");
  const parsed = positionals.map((p) => parseSelector(p, "repo", component));
  const targeted = [
    ...rpmTargets.map((target) => ({ target, family: "rpm" as const, flag: "--rpm-target" })),
    ...apkTargets.map((target) => ({ target, family: "alpine" as const, flag: "--apk-target" })),
  ];
  for (const t of targeted) {
    if (family !== undefined && family !== t.family)
      throw new UsageError(`${t.flag} names ${t.family} roots, but --family is ${family}`, "repo");
  }
  const notApt =
    targeted[0]?.flag ?? (family !== undefined && family !== "deb" ? `--family ${family}` : undefined);
  if (component !== undefined && notApt !== undefined)
    throw new UsageError(`--component names an APT component; ${notApt} takes none`, "repo");
  if (targeted.length > 0) {
    return {
      // With a target the family is the target's (the engine knows it from its catalogue).
      select: targeted.flatMap((t) => parsed.map((s) => ({ ...s, target: t.target }))),
      families: FAMILIES.filter((f) => targeted.some((t) => t.family === f)),
    };
  }
  if (family !== undefined) return { select: parsed.map((s) => ({ ...s, family })), families: [family] };
  return { select: parsed, families: ["deb"] };
}

export const repoCommand: Command = {
  name: "repo",
  summary: "list a published repository, remove, promote or prune packages, re-sign it",
  help: `Usage: packyard repo <ls|rm|prune|refresh|copy> --to <folder | s3://bucket/prefix> [-f packyard.yml] [--endpoint URL] [--region R] [--path-style] [--key KEY] [--key-name NAME] [--apk-key KEY] [--apk-key-name NAME] [--passphrase-env VAR] [--from-suite S] [--rpm-target ID] [--apk-target ID] [--family F] [--suite S] [--codename C] [--component C] [--origin O] [--label L] [--arch A] [--xz] [--contents] [--sha512] [--valid-for D] [--change-identity] [--replace] [--grace D] [--lock-timeout D] [--no-lock] [--after-publish CMD] [--json] [-q] [NAME[=VERSION][/ARCH]...]

  ls                          the suites and roots (RPM-MD, pacman, Alpine), their architectures and
                              packages with their versions
  rm NAME[=VERSION][/ARCH]... remove packages from a suite (--suite, default stable), or with
                              --rpm-target ID or --apk-target ID from that target's roots, or with
                              --family F from every root of that family, and re-sign
  prune                       delete files no index names any more once their grace period is over
  refresh                     re-sign the top files with a new Date (run it before Valid-Until passes;
                              every suite, or --suite; --valid-for changes Valid-Until too)
  copy [NAME[=VERSION][/ARCH]...] --from-suite S
                              promote packages (default: all) from suite S to --suite without reading
                              them again (the pool is shared)

The target and keys come from the publish: block of packyard.yml as for packyard publish; flags override it.

Options:
${TARGET_HELP}
${KEY_HELP}
      --from-suite S      copy: the suite to take packages from
      --rpm-target ID     rm: remove from this RPM-MD target (el-9, ...) instead of the APT suite
      --apk-target ID     rm: remove from this Alpine target (alpine-3.22, ...) instead of the APT suite
                          (needs --apk-key; --key only when other roots are touched too)
      --family F          rm: remove from every root of family F: deb (the suite), rpm, archlinux or
                          alpine
${SUITE_HELP}
      --replace           copy: overwrite a package of the target suite with the same name/version/arch
      --grace D           how long unreferenced files stay before deletion (default 2d)
${LOCK_HELP}
      --after-publish CMD rm, copy, refresh: run CMD after the change, as packyard publish does
      --json              print the listing, or the result, as JSON on stdout
  -q, --quiet             no progress and no summary on stderr
      --debug             stack traces on errors
  -h, --help              show this help

Examples:
  packyard repo ls --to public/repo
  packyard repo rm --to public/repo --suite testing hello=1.0.0-1 hello-doc/all
  packyard repo rm --to public/repo --rpm-target el-9 hello=1.0.0-1
  packyard repo rm --to public/repo --family archlinux --key repo.secret.asc hello
  packyard repo rm --to public/repo --apk-target alpine-3.22 --apk-key apk.rsa hello=1.0.0-r1
  packyard repo copy --to s3://apt/repo --from-suite testing --suite stable hello --key repo.secret.asc
  packyard repo refresh --to s3://apt/repo --key repo.secret.asc
  packyard repo prune --to public/repo --grace 1d
`,
  options: {
    ...TARGET_OPTIONS,
    ...KEY_OPTIONS,
    ...SUITE_OPTIONS,
    "from-suite": { type: "string" },
    "rpm-target": { type: "string", multiple: true },
    "apk-target": { type: "string", multiple: true },
    family: { type: "string" },
    replace: { type: "boolean" },
    grace: { type: "string" },
    ...LOCK_OPTIONS,
    ...RUN_OPTIONS,
  },
  positionals: { min: 1, max: Number.POSITIVE_INFINITY, name: `subcommand (${SUBCOMMANDS.join(", ")})` },
  async run(flags, positionals, io) {
    const [name, ...rest] = positionals;
    const sub = SUBCOMMANDS.find((s) => s === name);
    if (sub === undefined) {
      throw new UsageError(
        `unknown subcommand '${name}' (expected one of: ${SUBCOMMANDS.join(", ")})`,
        "repo",
      );
    }
    checkFlags(sub, flags);
    const { min, max } = POSITIONALS[sub];
    if (rest.length < min) throw new UsageError(`repo ${sub}: missing NAME[=VERSION][/ARCH]`, "repo");
    if (rest.length > max) throw new UsageError(`repo ${sub}: unexpected argument '${rest[max]}'`, "repo");
    const setup = await findPublishSetup(flags, io);
    const settings = repoSettings(flags, setup.publish, "repo", setup.projectName);
    const json = flags.json === true;
    const quiet = flags.quiet === true;
    const { storage, locking } = openRepository(settings, io);
    switch (sub) {
      case "ls": {
        const suite = stringFlag(flags, "suite");
        const roots = (await readRepository(storage))
          .map(listedRoot)
          .filter((r) => suite === undefined || r.suite === suite);
        if (json) io.out(`${JSON.stringify(roots, null, 2)}\n`);
        else if (roots.length === 0)
          io.err(
            `${settings.target.to}: no ${suite !== undefined ? `suite ${suite}` : "suites"} published here\n`,
          );
        else io.out(listingText(roots));
        return 0;
      }
      case "prune": {
        const result = await pruneRepository(storage, {
          ...locking,
          ...(settings.graceMs !== undefined ? { graceMs: settings.graceMs } : {}),
        });
        if (json) io.out(`${JSON.stringify(result, null, 2)}\n`);
        else if (!quiet)
          io.err(
            `pruned ${settings.target.to}: ${result.deleted.length} file${result.deleted.length === 1 ? "" : "s"} deleted\n`,
          );
        return 0;
      }
      case "refresh": {
        const keys = await keysFor(settings, setup, io, sub, { openpgp: true, alpine: "optional" });
        // Only a suite given here narrows the refresh: publish.suite names where publishes go, and
        // Valid-Until must be renewed on every suite.
        const suite = stringFlag(flags, "suite");
        const validFor = durationFlag(flags, "valid-for", "repo");
        const result = await withProgress(io, quiet, (onProgress) =>
          refreshRepository(storage, {
            signers: keys.signers,
            ...locking,
            ...engineOptions(settings, keys, onProgress),
            ...(suite !== undefined ? { suite } : {}),
            ...(validFor !== undefined ? { validFor } : {}),
          }),
        );
        return finishPublish(result, settings, io, { json, quiet, verb: "re-signed" });
      }
      case "rm": {
        const { select: remove, families } = selectors(rest, flags);
        const keys = await keysFor(settings, setup, io, sub, {
          openpgp: families.some((f) => f !== "alpine"),
          alpine: families.includes("alpine") ? "required" : "optional",
        });
        const result = await withProgress(io, quiet, (onProgress) =>
          publish(storage, {
            remove,
            signers: keys.signers,
            // The suite's settings only when the suite is addressed, so no other removal makes it.
            ...(families.includes("deb") ? { apt: settings.apt } : {}),
            ...locking,
            ...engineOptions(settings, keys, onProgress),
          }),
        );
        return finishPublish(result, settings, io, { json, quiet, verb: "removed from" });
      }
      case "copy": {
        const fromSuite = stringFlag(flags, "from-suite");
        if (fromSuite === undefined) throw new UsageError("repo copy: missing --from-suite", "repo");
        const target = settings.apt.suite ?? "stable";
        if (fromSuite === target) {
          throw new UsageError(`repo copy: --from-suite and --suite are both '${target}'`, "repo");
        }
        const { select } = selectors(rest, flags);
        const keys = await keysFor(settings, setup, io, sub, { openpgp: true, alpine: "never" });
        const result = await withProgress(io, quiet, (onProgress) =>
          copyPackages(storage, {
            fromSuite,
            apt: settings.apt,
            signers: keys.signers,
            replace: settings.replace,
            ...locking,
            ...engineOptions(settings, keys, onProgress),
            ...(select.length > 0 ? { select } : {}),
          }),
        );
        return finishPublish(result, settings, io, { json, quiet, verb: `copied from ${fromSuite} to` });
      }
    }
  },
};

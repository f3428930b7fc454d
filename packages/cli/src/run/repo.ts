/** `packyard repo`'s work (commands/repo.ts describes the command). */
import type { CommandIo, Flags, RunCommand } from "../command.ts";
import { listedRoot, listingText, SUBCOMMANDS, type Subcommand, selectors } from "../commands/repo.ts";
import type { OpenPGPSigner, RSASigner } from "../formats.ts";
import { findPublishSetup, type PublishSetup } from "../publish-config.ts";
import { loadApkSigner, loadRepoSigners, missingApkKey } from "../publish-keys.ts";
import { SUITE_OPTIONS } from "../publish-options.ts";
import { installOptions } from "../install-run.ts";
import { finishPublish, openRepository, withProgress } from "../publish-run.ts";
import { durationFlag, type RepoSettings, repoSettings, stringFlag } from "../publish-settings.ts";
import {
  copyPackages,
  installDocument,
  installText,
  type PublishProgress,
  publish,
  pruneRepository,
  readRepository,
  refreshRepository,
  siteOptions,
  updateInstallFiles,
} from "../repo.ts";
import { UsageError } from "../usage-error.ts";

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
  instructions: [...TARGET, "key-name", "base-url", "distro", "json"],
};

/** Positionals after the subcommand: package selectors for rm (at least one) and copy (none: all). */
const POSITIONALS: Readonly<Record<Subcommand, { min: number; max: number }>> = {
  ls: { min: 0, max: 0 },
  rm: { min: 1, max: Number.POSITIVE_INFINITY },
  prune: { min: 0, max: 0 },
  refresh: { min: 0, max: 0 },
  copy: { min: 0, max: Number.POSITIVE_INFINITY },
  instructions: { min: 0, max: 0 },
};

function checkFlags(sub: Subcommand, flags: Flags): void {
  for (const [name, value] of Object.entries(flags)) {
    if (value === undefined || name === "help" || name === "debug") continue;
    if (!ALLOWED[sub].includes(name)) {
      throw new UsageError(`--${name} does not apply to packyard repo ${sub}`, "repo");
    }
  }
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

export const run: RunCommand = async (flags, positionals, io) => {
  const [name, ...rest] = positionals;
  const sub = SUBCOMMANDS.find((s) => s === name);
  if (sub === undefined) {
    throw new UsageError(`unknown subcommand '${name}' (expected one of: ${SUBCOMMANDS.join(", ")})`, "repo");
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
    case "instructions": {
      const install = installOptions(settings, setup, io);
      // A public URL given here is written into the install files (under the lock) and remembered.
      if (stringFlag(flags, "base-url") !== undefined)
        await updateInstallFiles(storage, { ...locking, install });
      const doc = await installDocument(storage, await siteOptions(storage, install));
      const distro = stringFlag(flags, "distro");
      if (json) {
        const shown =
          distro === undefined ? doc : { ...doc, targets: doc.targets.filter((t) => t.id === distro) };
        if (distro !== undefined && shown.targets.length === 0) installText(doc, { target: distro });
        io.out(`${JSON.stringify(shown, null, 2)}\n`);
      } else io.out(installText(doc, distro !== undefined ? { target: distro } : {}));
      return 0;
    }
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
          install: installOptions(settings, setup, io),
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
          install: installOptions(settings, setup, io),
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
          install: installOptions(settings, setup, io),
          ...(select.length > 0 ? { select } : {}),
        }),
      );
      return finishPublish(result, settings, io, { json, quiet, verb: `copied from ${fromSuite} to` });
    }
  }
};

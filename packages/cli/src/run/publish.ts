/** `packyard publish`'s work (commands/publish.ts describes the command). */
import type { RunCommand } from "../command.ts";
import { warnIgnoredFlags } from "../commands/publish.ts";
import { installOptions, printInstructions } from "../install-run.ts";
import { DEFAULT_MANIFEST } from "../library-names.ts";
import { findPublishSetup } from "../publish-config.ts";
import { gatherInputs, PUBLISHED_FORMATS, WHAT_PUBLISH_WRITES } from "../publish-inputs.ts";
import { loadApkSigner, loadRepoSigners, missingApkKey, missingKey } from "../publish-keys.ts";
import { familiesOf, finishPublish, openRepository, publishRequest, withProgress } from "../publish-run.ts";
import { repoSettings } from "../publish-settings.ts";
import { installDocument, publish, RepoError, siteOptions } from "../repo.ts";

export const run: RunCommand = async (flags, positionals, io) => {
  const setup = await findPublishSetup(flags, io);
  const settings = repoSettings(flags, setup.publish, "publish", setup.projectName);
  const quiet = flags.quiet === true;
  const passphraseEnv = settings.passphraseEnv !== undefined ? { passphraseEnv: settings.passphraseEnv } : {};
  // The keys given are loaded before any package is read, so a wrong key fails first; which keys are
  // required depends on the packages.
  const signers =
    settings.keys.length > 0
      ? await loadRepoSigners(settings.keys, {
          cwd: io.cwd,
          env: io.env,
          command: "publish",
          ...passphraseEnv,
        })
      : [];
  const apkKeyName = settings.apkKeyName ?? setup.apkKeyName;
  const apkSigner =
    settings.apkKey !== undefined
      ? await loadApkSigner(settings.apkKey, {
          cwd: io.cwd,
          env: io.env,
          ...passphraseEnv,
          ...(apkKeyName !== undefined ? { keyName: apkKeyName } : {}),
          ...(setup.maintainer !== undefined ? { maintainer: setup.maintainer } : {}),
        })
      : undefined;
  const gathered = await gatherInputs(positionals, { cwd: io.cwd, signers });
  if (!quiet) for (const note of gathered.notes) io.err(`${note}\n`);
  if (gathered.inputs.length === 0) {
    throw new RepoError(
      "UNSUPPORTED_PACKAGE",
      `nothing to publish: ${positionals.length > 0 ? "the files hold" : `${DEFAULT_MANIFEST} lists`} no package (${WHAT_PUBLISH_WRITES})`,
      { expected: PUBLISHED_FORMATS.join(", ") },
    );
  }
  const families = familiesOf(gathered.inputs);
  // APT, RPM-MD, pacman and the downloads' SHA256SUMS are signed with OpenPGP; a publish of apks alone
  // needs no OpenPGP key.
  if (signers.length === 0 && gathered.inputs.some((i) => i.info.format !== "apk"))
    throw missingKey("publish");
  if (apkSigner === undefined && families.includes("alpine")) {
    const apks = gathered.inputs.filter((i) => i.info.format === "apk").map((i) => i.name ?? i.info.name);
    throw missingApkKey("publish", `this publish has .apk packages (${apks.join(", ")})`);
  }
  const { storage, locking } = openRepository(settings, io);
  const request = publishRequest(settings, gathered.inputs);
  warnIgnoredFlags(flags, families, io);
  const install = installOptions(settings, setup, io);
  const result = await withProgress(io, quiet, (onProgress) =>
    publish(storage, {
      ...request,
      signers,
      ...(apkSigner !== undefined ? { apkSigner } : {}),
      ...locking,
      install,
      ...(onProgress !== undefined ? { onProgress } : {}),
    }),
  );
  const json = flags.json === true;
  const code = await finishPublish(result, settings, io, { json, quiet, verb: "published to" });
  if (!json && !quiet) {
    const doc = await installDocument(storage, await siteOptions(storage, install));
    const downloads = gathered.inputs.some((i) => i.info.format === "macos" || i.info.format === "tarball");
    printInstructions(doc, downloads ? [...families, "downloads"] : families, io, { json, quiet });
  }
  return code;
};

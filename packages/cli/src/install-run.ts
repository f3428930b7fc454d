/**
 * What `packyard publish` and `packyard repo instructions` tell users of the repository: the install
 * settings handed to the engine (which writes install.json, install.sh, index.html and badge.svg), and the
 * instructions printed after a publish. Without a public URL the instructions name the storage location and
 * say a public URL is needed.
 */
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { CommandIo } from "./command.ts";
import type { PublishSetup } from "./publish-config.ts";
import type { RepoSettings } from "./publish-settings.ts";
import type { InstallDocument, InstallOptions } from "./repo.ts";
import { installText } from "./repo.ts";

/** Where the repository is, as a URL, for instructions when no public URL is known. */
export function storageLocation(to: string, cwd: string): string {
  return /^s3:\/\//i.test(to) ? to : pathToFileURL(resolve(cwd, to)).href;
}

/** The install settings of a publish or `repo instructions`: the remembered ones fill what is not given. */
export function installOptions(settings: RepoSettings, setup: PublishSetup, io: CommandIo): InstallOptions {
  return {
    ...(settings.baseUrl !== undefined ? { baseUrl: settings.baseUrl } : {}),
    location: storageLocation(settings.target.to, io.cwd),
    ...(setup.projectName !== undefined ? { name: setup.projectName, package: setup.projectName } : {}),
    ...(setup.description !== undefined ? { description: setup.description } : {}),
    ...(settings.keyName !== undefined ? { keyName: settings.keyName } : {}),
  };
}

/**
 * The instructions printed after a publish: the install page and one-liner, then per family the newest
 * supported target's steps (`repo instructions --distro ID` prints any other).
 */
export function publishedInstructions(doc: InstallDocument, families: readonly string[]): string {
  const parts: string[] = [];
  if (!doc.public)
    parts.push(
      `These instructions use the storage location ${doc.baseUrl}: give --base-url (or publish.base_url) with the public URL the repository is served from, so users can follow them.\n`,
    );
  else parts.push(`Install page: ${doc.page}\nOne line: ${doc.script.command}\n`);
  for (const family of families) {
    const served = doc.targets.filter((t) => t.family === family);
    const shown = [...served].reverse().find((t) => t.deprecated === undefined) ?? served.at(-1);
    if (shown === undefined) continue;
    const others = served.filter((t) => t !== shown).map((t) => t.id);
    parts.push(
      installText(doc, { target: shown.id }) +
        (others.length > 0
          ? `(also served: ${others.join(", ")}; packyard repo instructions --distro ID)\n`
          : ""),
    );
  }
  return parts.join("\n");
}

/** Prints the instructions for what a publish touched (stdout), unless JSON or quiet output was asked. */
export function printInstructions(
  doc: InstallDocument | undefined,
  families: readonly string[],
  io: CommandIo,
  opts: { json: boolean; quiet: boolean },
): void {
  if (doc === undefined || opts.json || opts.quiet) return;
  io.out(`\n${publishedInstructions(doc, families)}`);
}

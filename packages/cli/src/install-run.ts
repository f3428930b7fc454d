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
  // pathToFileURL leaves ' and a few others as they are; instructions quote URLs, but keep them plain.
  const url = /^s3:\/\//i.test(to) ? to : pathToFileURL(resolve(cwd, to)).href;
  return url.replace(/['"`\\<> ]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0")}`);
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
 * The instructions printed after a publish: the install page, then for each family published the newest
 * supported target's steps (`repo instructions --distro ID` prints any other) and the downloads.
 */
export function publishedInstructions(doc: InstallDocument, families: readonly string[]): string {
  const shown: string[] = [];
  const others: string[] = [];
  for (const family of families) {
    const served = doc.targets.filter((t) => t.family === family);
    const pick = [...served].reverse().find((t) => t.deprecated === undefined) ?? served.at(-1);
    if (pick === undefined) continue;
    shown.push(pick.id);
    others.push(...served.filter((t) => t !== pick).map((t) => t.id));
  }
  const lines: string[] = [];
  if (doc.public) lines.push(`Install page: ${doc.page}`, "");
  const text = installText(doc, { targets: shown, downloads: families.includes("downloads") });
  const more =
    others.length > 0
      ? `\nAlso served: ${others.join(", ")} (packyard repo instructions --to … --distro ID)\n`
      : "";
  return `${lines.join("\n")}${text}${more}`;
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

/**
 * Verifies a whole repository: every APT suite found under `deb/dists/` (other families join as their
 * indexes are written). What the crash tests run after each injected failure.
 */
import type { Storage } from "../storage/storage.ts";
import { type VerifyOptions, type VerifyProblem, verifyAptSuite } from "./apt.ts";

const DISTS = "deb/dists/";
/** The top files that mark a suite folder; Release.gpg too, so a suite whose InRelease was lost is still found. */
const TOP = /\/(InRelease|Release\.gpg)$/;

/** The APT suites of a repository: the folders under `deb/dists/` holding an InRelease or Release.gpg, sorted. */
export async function listAptSuites(storage: Storage): Promise<string[]> {
  const suites = new Set<string>();
  let cursor: string | undefined;
  do {
    const page = await storage.list(DISTS, cursor === undefined ? {} : { cursor });
    for (const { key } of page.objects) {
      const m = TOP.exec(key);
      if (m === null || key.includes("/by-hash/")) continue;
      suites.add(key.slice(DISTS.length, m.index));
    }
    cursor = page.cursor;
  } while (cursor !== undefined);
  return [...suites].sort();
}

/**
 * Verifies every APT suite of the repository (see `verifyAptSuite`); the problems of all suites, `[]`
 * when the repository is healthy.
 */
export async function verifyRepository(
  storage: Storage,
  options: VerifyOptions = {},
): Promise<VerifyProblem[]> {
  const problems: VerifyProblem[] = [];
  for (const suite of await listAptSuites(storage))
    problems.push(...(await verifyAptSuite(storage, suite, options)));
  return problems;
}

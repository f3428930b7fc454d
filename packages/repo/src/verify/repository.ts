/**
 * Verifies a whole repository: every APT suite found under `deb/dists/` and every RPM-MD root found under
 * `rpm/` (other families join as their indexes are written). What the crash tests run after each injected
 * failure.
 */
import type { Storage } from "../storage/storage.ts";
import { type VerifyOptions, type VerifyProblem, verifyAptSuite } from "./apt.ts";
import { verifyRpmRoots } from "./rpm.ts";

const DISTS = "deb/dists/";
/** The top files that mark a suite folder; Release.gpg too, so a suite whose InRelease was lost is still found. */
const TOP = /\/(InRelease|Release\.gpg)$/;
const RPM = "rpm/";
/** The files that mark an RPM-MD root; the .asc too, so a root whose repomd.xml was lost is still found. */
const REPOMD = /(^|\/)repodata\/repomd\.xml(\.asc)?$/;

/** Every key under `prefix`, page by page. */
async function* keysUnder(storage: Storage, prefix: string): AsyncGenerator<string> {
  let cursor: string | undefined;
  do {
    const page = await storage.list(prefix, cursor === undefined ? {} : { cursor });
    for (const { key } of page.objects) yield key;
    cursor = page.cursor;
  } while (cursor !== undefined);
}

/** The APT suites of a repository: the folders under `deb/dists/` holding an InRelease or Release.gpg, sorted. */
export async function listAptSuites(storage: Storage): Promise<string[]> {
  const suites = new Set<string>();
  for await (const key of keysUnder(storage, DISTS)) {
    const m = TOP.exec(key);
    if (m === null || key.includes("/by-hash/")) continue;
    suites.add(key.slice(DISTS.length, m.index));
  }
  return [...suites].sort();
}

/**
 * The RPM-MD roots of a repository: the folders under `rpm/` holding `repodata/repomd.xml` or
 * `repodata/repomd.xml.asc`, as keys without a trailing slash (`rpm/el/9/x86_64`), sorted.
 *
 * @example await listRpmRoots(storage); // ["rpm/el/9/aarch64", "rpm/el/9/x86_64"]
 */
export async function listRpmRoots(storage: Storage): Promise<string[]> {
  const roots = new Set<string>();
  for await (const key of keysUnder(storage, RPM)) {
    const m = REPOMD.exec(key.slice(RPM.length));
    if (m === null) continue;
    // `rpm/repodata/repomd.xml` makes `rpm` itself a root.
    roots.add(`${RPM}${key.slice(RPM.length, RPM.length + m.index)}`.replace(/\/$/, ""));
  }
  return [...roots].sort();
}

/**
 * Verifies every APT suite (see `verifyAptSuite`) and every RPM-MD root (see `verifyRpmRoot`; a package
 * several roots name is read once) of the repository; the problems of all, `[]` when the repository is
 * healthy.
 */
export async function verifyRepository(
  storage: Storage,
  options: VerifyOptions = {},
): Promise<VerifyProblem[]> {
  const problems: VerifyProblem[] = [];
  for (const suite of await listAptSuites(storage))
    problems.push(...(await verifyAptSuite(storage, suite, options)));
  problems.push(...(await verifyRpmRoots(storage, await listRpmRoots(storage), options)));
  return problems;
}

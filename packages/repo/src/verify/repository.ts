/**
 * Verifies a whole repository: every APT suite found under `deb/dists/`, every RPM-MD root found under
 * `rpm/`, every pacman root under `archlinux/` and every Alpine folder under `alpine/`. What the crash
 * tests run after each injected failure.
 */
import type { Storage } from "../storage/storage.ts";
import { verifyAlpineRoot } from "./alpine.ts";
import { type VerifyOptions, type VerifyProblem, verifyAptSuite } from "./apt.ts";
import { verifyPacmanRoot } from "./pacman.ts";
import { verifyRpmRoots } from "./rpm.ts";

const DISTS = "deb/dists/";
/** The top files that mark a suite folder; Release.gpg too, so a suite whose InRelease was lost is still found. */
const TOP = /\/(InRelease|Release\.gpg)$/;
const RPM = "rpm/";
/** The files that mark an RPM-MD root; the .asc too, so a root whose repomd.xml was lost is still found. */
const REPOMD = /(^|\/)repodata\/repomd\.xml(\.asc)?$/;
const PACMAN = "archlinux/";
/** The files that mark a pacman root (`<repo>.db` or its signature, so a root whose .db was lost is found). */
const PACMAN_DB = /^(archlinux\/([^/]+)\/os\/[^/]+)\/\2\.db(\.sig)?$/;
const ALPINE = "alpine/";
const APKINDEX = "/APKINDEX.tar.gz";

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
 * The pacman roots of a repository: the folders `archlinux/<repo>/os/<arch>` holding `<repo>.db` or
 * `<repo>.db.sig`, sorted.
 *
 * @example await listPacmanRoots(storage); // ["archlinux/tools/os/aarch64", "archlinux/tools/os/x86_64"]
 */
export async function listPacmanRoots(storage: Storage): Promise<string[]> {
  const roots = new Set<string>();
  for await (const key of keysUnder(storage, PACMAN)) {
    const m = PACMAN_DB.exec(key);
    if (m !== null) roots.add(m[1]!);
  }
  return [...roots].sort();
}

/**
 * The Alpine folders of a repository: the folders under `alpine/` holding `APKINDEX.tar.gz`, sorted.
 *
 * @example await listAlpineRoots(storage); // ["alpine/v3.20/main/aarch64", "alpine/v3.20/main/x86_64"]
 */
export async function listAlpineRoots(storage: Storage): Promise<string[]> {
  const roots = new Set<string>();
  for await (const key of keysUnder(storage, ALPINE))
    if (key.endsWith(APKINDEX)) roots.add(key.slice(0, -APKINDEX.length));
  return [...roots].sort();
}

/**
 * Verifies every APT suite (see `verifyAptSuite`), every RPM-MD root (see `verifyRpmRoot`; a package
 * several roots name is read once), every pacman root (see `verifyPacmanRoot`) and every Alpine folder
 * (see `verifyAlpineRoot`) of the repository; the problems of all, `[]` when the repository is healthy.
 */
export async function verifyRepository(
  storage: Storage,
  options: VerifyOptions = {},
): Promise<VerifyProblem[]> {
  const problems: VerifyProblem[] = [];
  for (const suite of await listAptSuites(storage))
    problems.push(...(await verifyAptSuite(storage, suite, options)));
  problems.push(...(await verifyRpmRoots(storage, await listRpmRoots(storage), options)));
  for (const root of await listPacmanRoots(storage))
    problems.push(...(await verifyPacmanRoot(storage, root, options)));
  for (const root of await listAlpineRoots(storage))
    problems.push(...(await verifyAlpineRoot(storage, root, options)));
  return problems;
}

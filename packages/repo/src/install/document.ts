/**
 * The install document (`install.json`) of a repository, built from what the repository holds: the root
 * states (which targets, architectures and packages it serves), the public key files, and the downloads. It
 * reads no package file, so printing instructions is cheap and needs no key.
 *
 * APT: a catalogue release with a suite of its own (`bookworm`) reads it; every other Debian and Ubuntu
 * release reads the `deb-any` suite (`stable`) when the repository has one, so a repository published to
 * `stable` serves `debian-12` as well as unknown Debian derivatives. Suites the catalogue does not name are
 * not offered (users of such a suite are told by the publisher).
 */
import { createHash } from "node:crypto";
import { formatById } from "@packyard/formats";
import { CATALOGUE } from "../catalogue/catalogue.ts";
import type { CatalogueTarget } from "../catalogue/target.ts";
import { RepoError } from "../errors.ts";
import { readDownloads } from "../publish/downloads.ts";
import { apkPublicKeyKey, publicKeyKeys, rpmRepoFileKey } from "../publish/layout.ts";
import { readRepository } from "../publish/operations.ts";
import { type PackageRecord, type RootState, recordSummary } from "../publish/state.ts";
import { readObject } from "../storage/read.ts";
import type { Storage } from "../storage/storage.ts";
import { certificateFingerprints } from "./keys.ts";
import { shellQuote } from "./shell.ts";
import { targetSteps } from "./steps.ts";
import {
  type ApkKeyInfo,
  INSTALL_SCHEMA,
  type InstallDocument,
  type InstallTarget,
  type LatestPackage,
  type OpenPGPKeyInfo,
  type PrivateAccess,
  READ_TOKEN_PLACEHOLDER,
  type StepContext,
} from "./types.ts";

/** What {@link installDocument} is told besides what the repository holds. */
export interface InstallOptions {
  /**
   * The public URL users fetch the repository root from (`https://example.com/repo`). Without it the
   * document uses `location` and says it is not public.
   */
  baseUrl?: string;
  /** The storage location shown when there is no public URL (`file:///srv/repo`, `s3://bucket/prefix`). */
  location?: string;
  /** Display name (default: the key name). */
  name?: string;
  description?: string;
  /**
   * The OpenPGP key files' name (`keys/<name>.asc`), also the name of the files users keep
   * (`/etc/apt/keyrings/<name>.asc`, `<name>.sources`). Default: the one `keys/*.gpg` the repository holds.
   */
  keyName?: string;
  /** The package the install step installs (default: the target's only package, else the first by name). */
  package?: string;
  /**
   * A private repository, served only with a read token over HTTP basic auth: the steps then include the
   * credential step, with the token as {@link READ_TOKEN_PLACEHOLDER} (never a real token: these files
   * are published). The key files under `keys/` must stay readable without a token.
   */
  private?: { username: string };
}

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

function trimUrl(url: string, field: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new RepoError(
      "INVALID_SETTING",
      `${field}: expected an absolute URL, found ${JSON.stringify(url)}`,
      {
        field,
        found: url,
      },
    );
  }
  if (parsed.username !== "" || parsed.password !== "")
    throw new RepoError(
      "INVALID_SETTING",
      `${field}: expected a URL without user:password@ (install instructions are public), found one with credentials`,
      { field },
    );
  if (/[\s"'<>\\`]/.test(url))
    throw new RepoError(
      "INVALID_SETTING",
      `${field}: expected a URL without spaces, quotes, backslashes or angle brackets, found ${JSON.stringify(url)}`,
      { field, found: url },
    );
  return url.replace(/\/+$/, "");
}

/**
 * Refuses install options whose URL users could not be given (checked before an operation takes the lock,
 * so a bad URL fails before anything is written).
 */
export function checkInstallOptions(options: InstallOptions | undefined): void {
  if (options?.baseUrl !== undefined) trimUrl(options.baseUrl, "baseUrl");
  if (options?.location !== undefined) trimUrl(options.location, "location");
  if (options?.private !== undefined) privateAccess(options.private);
}

/** A basic-auth user name that sits unescaped in a URL, an apt auth file and an ini line. */
const USERNAME_RE = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$/;

function privateAccess(given: { username: string }): PrivateAccess {
  const username = (given as { username?: unknown } | null)?.username;
  if (typeof username !== "string" || !USERNAME_RE.test(username))
    throw new RepoError(
      "INVALID_SETTING",
      `private.username: expected 1-64 letters, digits, '.', '_', '+' or '-' (it is written into URLs and credential files), found ${JSON.stringify(username)}`,
      { field: "private.username", found: String(username) },
    );
  return { username, token: READ_TOKEN_PLACEHOLDER };
}

/** The OpenPGP key name: the one given, else the only `keys/<name>.gpg` held. */
async function openpgpKeyName(storage: Storage, given: string | undefined): Promise<string | undefined> {
  if (given !== undefined) {
    if (!NAME_RE.test(given))
      throw new RepoError(
        "INVALID_SETTING",
        `keyName: expected letters, digits, . _ -, found ${JSON.stringify(given)}`,
        {
          field: "keyName",
          found: given,
        },
      );
    return given;
  }
  const names: string[] = [];
  for await (const page of listAll(storage, "keys/"))
    for (const key of page) if (key.endsWith(".gpg")) names.push(key.slice("keys/".length, -".gpg".length));
  if (names.length <= 1) return names[0];
  throw new RepoError(
    "INVALID_SETTING",
    `keyName: the repository holds several OpenPGP key files (${names.sort().join(", ")}); name the one users should trust`,
    { field: "keyName", expected: names },
  );
}

async function* listAll(storage: Storage, prefix: string): AsyncGenerator<string[]> {
  let cursor: string | undefined;
  do {
    const page = await storage.list(prefix, cursor === undefined ? {} : { cursor });
    yield page.objects.map((o) => o.key);
    cursor = page.cursor;
  } while (cursor !== undefined);
}

/** A package's one-line summary from what its index records, if it has one. */
function summaryOf(p: PackageRecord): string | undefined {
  return recordSummary(p) || undefined;
}

const FORMAT_OF = { deb: "deb", rpm: "rpm", archlinux: "archlinux", alpine: "apk" } as const;

/** The newest version of each package name per family. */
function latestPackages(states: readonly RootState[]): LatestPackage[] {
  const newest = new Map<string, LatestPackage>();
  for (const s of states) {
    const compare = formatById(FORMAT_OF[s.family]).compareVersions.bind(formatById(FORMAT_OF[s.family]));
    for (const p of s.packages) {
      const id = `${s.family}\0${p.name}`;
      const held = newest.get(id);
      if (held !== undefined && compare(held.version, p.version) >= 0) continue;
      const summary = summaryOf(p);
      newest.set(id, { family: s.family, name: p.name, version: p.version, ...(summary ? { summary } : {}) });
    }
  }
  const order = ["deb", "rpm", "archlinux", "alpine"];
  return [...newest.values()].sort(
    (a, b) =>
      order.indexOf(a.family) - order.indexOf(b.family) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
  );
}

/** Served architectures: the root's, kept to those the target's clients run, in the target's order. */
function servedArches(target: CatalogueTarget, arches: Iterable<string>): string[] {
  const held = new Set(arches);
  return target.architectures.filter((a) => held.has(a));
}

function names(packages: Iterable<PackageRecord>): string[] {
  return [...new Set([...packages].map((p) => p.name))].sort();
}

function chosenPackage(served: readonly string[], wanted: string | undefined): string {
  if (wanted !== undefined && served.includes(wanted)) return wanted;
  return served[0]!;
}

interface Served {
  target: CatalogueTarget;
  root: string;
  architectures: string[];
  packages: string[];
  extra: Partial<StepContext>;
}

/** Every catalogue target the repository serves, in catalogue order. */
function servedTargets(states: readonly RootState[], baseUrl: string): Served[] {
  const out: Served[] = [];
  const suites = new Map(states.filter((s) => s.apt !== undefined).map((s) => [s.apt!.suite, s]));
  const anySuite = CATALOGUE.find((t) => t.id === "deb-any")?.layout as { suite: string } | undefined;
  for (const target of CATALOGUE) {
    if (target.family === "deb") {
      const state = suites.get(target.layout.suite) ?? (anySuite ? suites.get(anySuite.suite) : undefined);
      if (state === undefined || state.packages.length === 0) continue;
      const architectures = servedArches(target, state.apt!.architectures);
      if (architectures.length === 0) continue;
      const components = state.apt!.components.filter((c) => state.packages.some((p) => p.component === c));
      out.push({
        target,
        root: `deb/dists/${state.apt!.suite}`,
        architectures,
        packages: names(state.packages),
        extra: {
          suite: state.apt!.suite,
          component: (components.length > 0 ? components : state.apt!.components).join(" "),
        },
      });
    } else if (target.family === "rpm") {
      const roots = states.filter((s) => s.rpm?.target === target.id && s.packages.length > 0);
      if (roots.length === 0) continue;
      const rpm = roots[0]!.rpm!;
      const architectures = servedArches(
        target,
        roots.map((s) => s.rpm!.arch),
      );
      if (architectures.length === 0) continue;
      out.push({
        target,
        root: `rpm/${target.layout.path}`,
        architectures,
        packages: names(roots.flatMap((s) => s.packages)),
        extra: {
          repoName: rpm.name,
          ...(rpm.baseUrl !== undefined && rpm.baseUrl.replace(/\/+$/, "") === baseUrl
            ? { repoFile: `${baseUrl}/${rpmRepoFileKey(rpm.path, rpm.name)}` }
            : {}),
        },
      });
    } else if (target.family === "archlinux") {
      const roots = states.filter((s) => s.archlinux?.target === target.id && s.packages.length > 0);
      if (roots.length === 0) continue;
      // One pacman repository per target: the first by name when a publisher keeps several.
      const repo = roots.map((s) => s.archlinux!.repo).sort()[0]!;
      const mine = roots.filter((s) => s.archlinux!.repo === repo);
      const architectures = servedArches(
        target,
        mine.map((s) => s.archlinux!.arch),
      );
      if (architectures.length === 0) continue;
      out.push({
        target,
        root: `archlinux/${repo}/os`,
        architectures,
        packages: names(mine.flatMap((s) => s.packages)),
        extra: { pacmanRepo: repo },
      });
    } else {
      const roots = states.filter((s) => s.alpine?.target === target.id && s.packages.length > 0);
      if (roots.length === 0) continue;
      const repo = roots.map((s) => s.alpine!.repo).sort()[0]!;
      const mine = roots.filter((s) => s.alpine!.repo === repo);
      const architectures = servedArches(
        target,
        mine.map((s) => s.alpine!.arch),
      );
      if (architectures.length === 0) continue;
      out.push({
        target,
        root: `alpine/${target.layout.branch}/${repo}`,
        architectures,
        packages: names(mine.flatMap((s) => s.packages)),
        extra: { branch: target.layout.branch, alpineRepo: repo },
      });
    }
  }
  return out;
}

/**
 * The install document of the repository in `storage`. `states` are the repository's root states when
 * the caller already holds them as the repository now is (the publish engine, right after its commit);
 * otherwise they are read.
 *
 * @example
 * const doc = await installDocument(folderStorage("public"), { baseUrl: "https://example.com/repo" });
 * doc.targets.find((t) => t.id === "debian-12")?.steps.map((s) => s.sudo)
 */
export async function installDocument(
  storage: Storage,
  options: InstallOptions = {},
  states?: readonly RootState[],
): Promise<InstallDocument> {
  const isPublic = options.baseUrl !== undefined;
  if (!isPublic && options.location === undefined)
    throw new RepoError(
      "INVALID_SETTING",
      "baseUrl: expected the public URL users fetch the repository from (or, for a private preview, the storage location), found neither",
      { field: "baseUrl" },
    );
  const baseUrl = isPublic ? trimUrl(options.baseUrl!, "baseUrl") : trimUrl(options.location!, "location");
  const access = options.private === undefined ? undefined : privateAccess(options.private);
  states ??= await readRepository(storage);
  const keyName = await openpgpKeyName(storage, options.keyName);
  let openpgp: OpenPGPKeyInfo | undefined;
  if (keyName !== undefined) {
    const keys = publicKeyKeys(keyName);
    const bytes = await readObject(storage, keys.gpg);
    if (bytes !== undefined)
      openpgp = {
        name: keyName,
        fingerprints: certificateFingerprints(bytes, keys.gpg),
        asc: `${baseUrl}/${keys.asc}`,
        gpg: `${baseUrl}/${keys.gpg}`,
      };
  }
  const apkKeyInfo = async (name: string): Promise<ApkKeyInfo | undefined> => {
    const key = apkPublicKeyKey(name);
    const bytes = await readObject(storage, key);
    if (bytes === undefined) return undefined;
    return { name, url: `${baseUrl}/${key}`, sha256: createHash("sha256").update(bytes).digest("hex") };
  };
  const apkSettings = states.find((s) => s.alpine?.keyName !== undefined)?.alpine;
  const apk = apkSettings === undefined ? undefined : await apkKeyInfo(apkSettings.keyName!);
  // While keys rotate the roots record the other keys too: users install every one.
  const apkRotation: ApkKeyInfo[] = [];
  if (apk !== undefined)
    for (const other of apkSettings?.rotationKeys ?? []) {
      const info = await apkKeyInfo(other.keyName);
      if (info !== undefined) apkRotation.push(info);
    }
  // The files users keep (/etc/apt/keyrings/<name>.asc, <name>.sources) are named after the project, so two
  // vendors' files never collide; the key file stem when the name is not a file name.
  const fileName = [options.name, keyName].find((n) => n !== undefined && NAME_RE.test(n)) ?? "repository";
  const targets: InstallTarget[] = servedTargets(states, baseUrl).map((s) => {
    const pkg = chosenPackage(s.packages, options.package);
    const ctx: StepContext = {
      target: s.target,
      baseUrl,
      root: s.root,
      architectures: s.architectures,
      package: pkg,
      name: fileName,
      ...(openpgp !== undefined ? { openpgp } : {}),
      ...(apk !== undefined ? { apk } : {}),
      ...(apkRotation.length > 0 ? { apkRotation } : {}),
      ...(access !== undefined ? { private: access } : {}),
      ...s.extra,
    };
    return {
      id: s.target.id,
      name: s.target.name,
      family: s.target.family,
      manager: s.target.install.manager,
      ...(s.target.deprecated !== undefined ? { deprecated: s.target.deprecated } : {}),
      architectures: s.architectures,
      packages: s.packages,
      package: pkg,
      osRelease: s.target.osRelease,
      root: s.root,
      steps: targetSteps(ctx),
    };
  });
  const downloads = await readDownloads(storage, baseUrl);
  const latest = latestPackages(states);
  for (const d of downloads) {
    if (!latest.some((l) => l.family === "download" && l.name === d.name))
      latest.push({ family: "download", name: d.name, version: d.version });
  }
  const updated = states.reduce((max, s) => (s.date > max ? s.date : max), "1970-01-01T00:00:00.000Z");
  const script = `${baseUrl}/install.sh`;
  return {
    schema: INSTALL_SCHEMA,
    name: options.name ?? keyName ?? "repository",
    ...(options.description !== undefined ? { description: options.description } : {}),
    baseUrl,
    public: isPublic,
    ...(access !== undefined ? { private: access } : {}),
    updated,
    keys: {
      ...(openpgp !== undefined ? { openpgp } : {}),
      ...(apk !== undefined ? { apk } : {}),
      ...(apkRotation.length > 0 ? { apkRotation } : {}),
    },
    latest,
    targets,
    downloads,
    script: { url: script, command: `curl -fsSL ${shellQuote(script)} | sh` },
    page: `${baseUrl}/index.html`,
    json: `${baseUrl}/install.json`,
    badge: `${baseUrl}/badge.svg`,
  };
}

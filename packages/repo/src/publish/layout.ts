/**
 * Where the engine keeps its own objects under `.packyard/`, and the keys of each root's top file. Index
 * builders own the keys of what clients read (`deb/dists/...`, `deb/pool/...`).
 */
import type { Family } from "./state.ts";

/** The folder of engine objects at the repository root. */
export const ENGINE_PREFIX = ".packyard/";

/** The pointer naming a root's current state. */
export function pointerKey(root: string): string {
  return `${ENGINE_PREFIX}roots/${root}.json`;
}

/** The folder of a root's immutable states (`<generation>.<top sha256>.<state sha256>.json`). */
export function statesPrefix(root: string): string {
  return `${ENGINE_PREFIX}states/${root}/`;
}

/**
 * The content-addressed key of a chunk of a root's package records (a state of schema
 * `packyard-state/2` lists its chunks; unchanged chunks are shared by the states that follow):
 * `.packyard/chunks/deb/stable/<sha256 of the chunk>.json`. Not under `states/`, whose folders are roots.
 */
export function chunkKey(root: string, sha256: string): string {
  return `${chunksPrefix(root)}${sha256}.json`;
}

/** The folder of a root's record chunks. */
export function chunksPrefix(root: string): string {
  return `${ENGINE_PREFIX}chunks/${root}/`;
}

const GENERATION_DIGITS = 10;

/**
 * The content-addressed key of a state, findable by its generation and by the top file's hash it
 * records: `.packyard/states/deb/stable/0000000007.<InRelease sha256>.<state sha256>.json`.
 */
export function stateKey(root: string, generation: number, topSha256: string, stateSha256: string): string {
  return `${statesPrefix(root)}${String(generation).padStart(GENERATION_DIGITS, "0")}.${topSha256}.${stateSha256}.json`;
}

/** The generation and top-file hash a state key names, or undefined for another kind of key. */
export function parseStateKey(root: string, key: string): { generation: number; top: string } | undefined {
  const prefix = statesPrefix(root);
  if (!key.startsWith(prefix)) return undefined;
  const m = /^(\d+)\.([0-9a-f]{64})\.[0-9a-f]{64}\.json$/.exec(key.slice(prefix.length));
  return m === null ? undefined : { generation: Number(m[1]), top: m[2]! };
}

/** The prefix under which the storage lock's generations live. */
export const LOCK_PREFIX = `${ENGINE_PREFIX}lock/`;

/** The root id of an APT suite. */
export function aptRoot(suite: string): string {
  return `deb/${suite}`;
}

/** The family of a root id (`deb/stable` → `deb`). */
export function familyOf(root: string): Family {
  return root.slice(0, root.indexOf("/")) as Family;
}

/** The key of an APT suite's top file, the one a crash recovery compares. */
export function aptTopKey(suite: string): string {
  return `deb/dists/${suite}/InRelease`;
}

/** The top file of any root (the one its state records the hash of). */
export function topKeyOf(root: string): string {
  const family = familyOf(root);
  if (family === "deb") return aptTopKey(root.slice("deb/".length));
  if (family === "rpm") return rpmTopKeys(root).repomd;
  if (family === "archlinux") return pacmanTopKeys(root).db;
  if (family === "alpine") return alpineIndexKey(root);
  throw new Error(`no top file defined yet for the ${family} family (root ${root})`);
}

/** The root id of an RPM-MD directory: `rpm/<target path>/<basearch>` (`rpm/el/9/x86_64`). */
export function rpmRoot(path: string, arch: string): string {
  return `rpm/${path}/${arch}`;
}

/** The keys of an RPM-MD root's top files, in write order: repomd.xml, its signature, its key. */
export function rpmTopKeys(root: string): { repomd: string; asc: string; key: string } {
  const dir = `${root}/repodata`;
  return { repomd: `${dir}/repomd.xml`, asc: `${dir}/repomd.xml.asc`, key: `${dir}/repomd.xml.key` };
}

/** The `.repo` file of an RPM-MD target, beside its architecture folders: `rpm/el/9/<name>.repo`. */
export function rpmRepoFileKey(path: string, name: string): string {
  return `rpm/${path}/${name}.repo`;
}

/**
 * The `location href` of a pool file as seen from an RPM-MD root: `../` up to `rpm/`, then the pool path
 * (dnf resolves it against any baseurl, zypper against http(s) ones: a zypper `dir:`/`file:` medium
 * cannot reach above its root).
 */
export function rpmHref(root: string, key: string): string {
  const depth = root.split("/").length - 1;
  return `${"../".repeat(depth)}${key.slice("rpm/".length)}`;
}

/** The public key for rpm users (`gpgkey=`, `rpm --import`): `keys/RPM-GPG-KEY-<name>`. */
export function rpmPublicKeyKey(name: string): string {
  return `keys/RPM-GPG-KEY-${name}`;
}

/** The keys of an APT suite's three top files, in write order. */
export function aptTopKeys(suite: string): { inRelease: string; release: string; releaseGpg: string } {
  const dir = `deb/dists/${suite}`;
  return { inRelease: `${dir}/InRelease`, release: `${dir}/Release`, releaseGpg: `${dir}/Release.gpg` };
}

/** Public keys handed to users: `keys/<name>.asc` (armored) and `keys/<name>.gpg` (binary, not a keybox). */
export function publicKeyKeys(name: string): { asc: string; gpg: string } {
  return { asc: `keys/${name}.asc`, gpg: `keys/${name}.gpg` };
}

/** The root id of a pacman repository's architecture: `archlinux/<repo>/os/<arch>` (Arch's mirror layout). */
export function pacmanRoot(repo: string, arch: string): string {
  return `archlinux/${repo}/os/${arch}`;
}

/** The repository (database) name of a pacman root id. */
export function pacmanRepoOf(root: string): string {
  return root.split("/")[1]!;
}

/**
 * A pacman root's database files. `db` (what pacman fetches) and its `.sig` are the top files; the
 * `.db.tar.gz` names repo-add makes are real copies (object stores have no symlinks), as are the files
 * database's.
 */
export function pacmanTopKeys(root: string): {
  db: string;
  dbSig: string;
  dbTarGz: string;
  dbTarGzSig: string;
  files: string;
  filesSig: string;
  filesTarGz: string;
  filesTarGzSig: string;
} {
  const base = `${root}/${pacmanRepoOf(root)}`;
  return {
    db: `${base}.db`,
    dbSig: `${base}.db.sig`,
    dbTarGz: `${base}.db.tar.gz`,
    dbTarGzSig: `${base}.db.tar.gz.sig`,
    files: `${base}.files`,
    filesSig: `${base}.files.sig`,
    filesTarGz: `${base}.files.tar.gz`,
    filesTarGzSig: `${base}.files.tar.gz.sig`,
  };
}

/** The root id of an Alpine repository's architecture: `alpine/<branch>/<repo>/<arch>`. */
export function alpineRoot(branch: string, repo: string, arch: string): string {
  return `alpine/${branch}/${repo}/${arch}`;
}

/** An Alpine root's signed index, its only top file. */
export function alpineIndexKey(root: string): string {
  return `${root}/APKINDEX.tar.gz`;
}

/** The Alpine public key, under exactly the name the index signature names (`keys/<keyname>.rsa.pub`). */
export function apkPublicKeyKey(keyName: string): string {
  return `keys/${keyName}`;
}

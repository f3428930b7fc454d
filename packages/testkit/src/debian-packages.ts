/**
 * Real Debian packages for differential tests of repository indexes: a fixed list of small bookworm
 * packages (architectures amd64 and all; epochs, `+` and `~` versions; Multi-Arch, Pre-Depends, Provides,
 * Breaks, Replaces...), downloaded once with the host's `apt-get download` into a cache folder reused while
 * complete, each with Debian's own Packages stanza for that exact version, read from the host's apt lists.
 * Needs the host's lists (`apt-get update`) and, the first time, the network; callers check the tools
 * first with `needTool` (apt-get, apt-cache). Run this file to fill the cache ahead of the tests:
 * `node --conditions=@packyard/source packages/testkit/src/debian-packages.ts`.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * The packages, by name: small (about 4 MB in all), long-lived in Debian, chosen for variety: `all` and
 * amd64, epochs (fortune-mod 1:, zlib1g 1:, xxd 2:), `~` (libargon2-1 0~2017..., libjs-autosize
 * 4.0.4~dfsg1+~4.0.0-2, bind9utils 1:...~deb12u1), `+` and binNMU `+bN` versions, Multi-Arch same/foreign,
 * Pre-Depends, Provides, Breaks/Replaces, Built-Using. The versions are whatever the host's lists offer.
 */
export const DEBIAN_PACKAGE_NAMES: readonly string[] = [
  "hello",
  "sl",
  "cowsay",
  "fortune-mod",
  "fortunes-min",
  "tree",
  "pv",
  "netcat-openbsd",
  "sensible-utils",
  "netbase",
  "media-types",
  "mime-support",
  "lsb-release",
  "distro-info-data",
  "libfile-which-perl",
  "libtry-tiny-perl",
  "libmodule-runtime-perl",
  "libclass-accessor-perl",
  "libtext-charwidth-perl",
  "libtext-wrapi18n-perl",
  "acpid",
  "6tunnel",
  "libargon2-1",
  "argon2",
  "libjs-autosize",
  "bind9utils",
  "dnsutils",
  "adequate",
  "figlet",
  "bc",
  "ncal",
  "libpopt0",
  "libbsd0",
  "libmd0",
  "libffi8",
  "libexpat1",
  "zlib1g",
  "liblz4-1",
  "libacl1",
  "libattr1",
  "libcap2",
  "libcap-ng0",
  "libuuid1",
  "libxxhash0",
  "libgpg-error0",
  "libassuan0",
  "libnpth0",
  "libsemanage-common",
  "libaudit-common",
  "debianutils",
  "libdebconfclient0",
  "init-system-helpers",
  "readline-common",
  "libtext-iconv-perl",
  "libtimedate-perl",
  "libio-string-perl",
  "libsub-name-perl",
  "python3-six",
  "abx",
  "asciijump",
  "cl-agnostic-lizard",
  "xxd",
  "file",
  "jq",
  "libjq1",
  "time",
  "rename",
  "moreutils",
];

/** One downloaded Debian package and what Debian's archive says about it. */
export interface DebianPackage {
  name: string;
  version: string;
  arch: string;
  /** The .deb in the cache folder. */
  path: string;
  /** Debian's stanza for this exact name/version/arch, as in the host's Packages list (ends with "\n"). */
  stanza: string;
  /** That stanza's fields in order; continuation lines joined with "\n" without their leading space. */
  fields: Map<string, string>;
}

/** Options of {@link debianPackages}. */
export interface DebianPackagesOptions {
  /** Default: `<os tmpdir>/packyard-debian-packages`. */
  cacheDir?: string;
  /** Default: {@link DEBIAN_PACKAGE_NAMES}. */
  names?: readonly string[];
  /** Fewer found in the host's lists is an error (default 50). */
  atLeast?: number;
}

/**
 * The packages (host candidates of `names`), downloading into the cache only those missing or whose bytes
 * differ from Debian's stanza (size, SHA256). Throws with apt's output when the lists lack too many names
 * or a download fails.
 */
export function debianPackages(options: DebianPackagesOptions = {}): DebianPackage[] {
  const cacheDir = options.cacheDir ?? join(tmpdir(), "packyard-debian-packages");
  const names = options.names ?? DEBIAN_PACKAGE_NAMES;
  const atLeast = options.atLeast ?? Math.min(50, names.length);
  mkdirSync(cacheDir, { recursive: true });
  const candidates = hostCandidates(names);
  const wanted = new Set([...candidates].map(([name, version]) => `${name} ${version}`));
  const found = new Map<string, { stanza: string; fields: Map<string, string> }>();
  for (const list of hostPackagesLists()) {
    for (const stanza of stanzaTexts(aptHelper(["cat-file", list]))) {
      const fields = stanzaFields(stanza);
      const key = `${fields.get("Package")} ${fields.get("Version")}`;
      // the host is amd64: its lists hold amd64 and all; one stanza per name/version is enough
      if (wanted.has(key) && !found.has(key)) found.set(key, { stanza, fields });
    }
  }
  if (found.size < atLeast) {
    const missing = [...wanted].filter((k) => !found.has(k));
    throw new Error(
      `debianPackages: expected at least ${atLeast} of ${names.length} packages in the host's apt lists, found ${found.size} (missing: ${missing.join(", ")}); run apt-get update`,
    );
  }
  const out: DebianPackage[] = [];
  const toFetch: string[] = [];
  for (const { stanza, fields } of found.values()) {
    const name = fields.get("Package") ?? "";
    const version = fields.get("Version") ?? "";
    const arch = fields.get("Architecture") ?? "";
    // apt-get download's file name: the version's ':' is URL-encoded
    const path = join(cacheDir, `${name}_${version.replace(/:/g, "%3a")}_${arch}.deb`);
    out.push({ name, version, arch, path, stanza, fields });
    if (!matches(path, fields)) toFetch.push(`${name}=${version}`);
  }
  if (toFetch.length > 0) {
    chmodSync(cacheDir, 0o755);
    // host apt, not a judge: download as root so that the cache folder's owner does not matter
    const r = spawnSync("apt-get", ["download", "-q", "-oAPT::Sandbox::User=root", ...toFetch], {
      cwd: cacheDir,
      env: { ...process.env, LC_ALL: "C" },
      encoding: "utf8",
    });
    if (r.status !== 0)
      throw new Error(`debianPackages: apt-get download exited ${r.status}\n${r.stderr}\n${r.stdout}`);
    for (const p of out) {
      if (!matches(p.path, p.fields))
        throw new Error(`debianPackages: ${p.path} does not match Debian's Size/SHA256 after download`);
    }
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * Splits a deb822 file (Packages, Release without signature) into its stanzas as written, each ending
 * with one "\n"; blank-line runs separate stanzas.
 */
export function stanzaTexts(text: string): string[] {
  return text
    .split(/\n(?:[ \t]*\n)+/)
    .map((s) => s.replace(/^\n+/, ""))
    .filter((s) => s.trim() !== "")
    .map((s) => (s.endsWith("\n") ? s : `${s}\n`));
}

/** The fields of one stanza in order; continuation lines joined with "\n", each without its first space. */
export function stanzaFields(stanza: string): Map<string, string> {
  const out = new Map<string, string>();
  let current: string | undefined;
  for (const line of stanza.split("\n")) {
    if (line === "") continue;
    if ((line.startsWith(" ") || line.startsWith("\t")) && current !== undefined) {
      out.set(current, `${out.get(current)}\n${line.slice(1)}`);
      continue;
    }
    const colon = line.indexOf(":");
    current = line.slice(0, colon);
    out.set(current, line.slice(colon + 1).trim());
  }
  return out;
}

/** name -> candidate version for the host (apt-cache policy), names without a candidate left out. */
function hostCandidates(names: readonly string[]): Map<string, string> {
  const r = spawnSync("apt-cache", ["policy", ...names], {
    env: { ...process.env, LC_ALL: "C" },
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`debianPackages: apt-cache policy exited ${r.status}\n${r.stderr}`);
  const out = new Map<string, string>();
  for (const block of r.stdout.split(/^(?=\S)/m)) {
    const name = /^(\S+):\n/.exec(block)?.[1];
    const candidate = /^ {2}Candidate: (\S+)$/m.exec(block)?.[1];
    if (name !== undefined && candidate !== undefined && candidate !== "(none)") out.set(name, candidate);
  }
  return out;
}

/** The host's Packages list files (any compression). */
function hostPackagesLists(): string[] {
  const r = spawnSync("apt-get", ["indextargets", "--format", "$(FILENAME)", "Created-By: Packages"], {
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`debianPackages: apt-get indextargets exited ${r.status}\n${r.stderr}`);
  return r.stdout.split("\n").filter((f) => f !== "" && existsSync(f));
}

/** apt's own decompressor (lists may be lz4, zstd, gz...), so no codec is needed here. */
function aptHelper(args: string[]): string {
  const r = spawnSync("/usr/lib/apt/apt-helper", args, { encoding: "utf8", maxBuffer: 1024 * 1024 * 1024 });
  if (r.status !== 0)
    throw new Error(`debianPackages: apt-helper ${args.join(" ")} exited ${r.status}\n${r.stderr}`);
  return r.stdout;
}

function matches(path: string, fields: Map<string, string>): boolean {
  if (!existsSync(path) || statSync(path).size !== Number(fields.get("Size"))) return false;
  return createHash("sha256").update(readFileSync(path)).digest("hex") === fields.get("SHA256");
}

if (import.meta.main) {
  const got = debianPackages();
  process.stdout.write(`${got.length} packages in ${join(tmpdir(), "packyard-debian-packages")}\n`);
}

/**
 * Reading `/etc/os-release` and finding the catalogue target a host is. The file is shell-style
 * `KEY=value` lines (os-release(5)); a host is identified by its own `ID` or `PLATFORM_ID`, or as a
 * derivative through `ID_LIKE`, and its release by `VERSION_ID`, codename or `PLATFORM_ID`.
 */
import type { CatalogueTarget, OsReleaseMatch, VersionMatch } from "./target.ts";

const ASSIGNMENT = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/;

function unquote(value: string): string {
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"'))
    return value.slice(1, -1).replace(/\\(["\\$`])/g, "$1");
  if (value.length >= 2 && value.startsWith("'") && value.endsWith("'")) return value.slice(1, -1);
  return value.replace(/\\(.)/g, "$1");
}

/**
 * The variables of an os-release file. Comments, blank lines and lines that are not assignments are
 * skipped, as os-release(5) asks; double-quoted values lose their quotes and `\"`, `\\`, `\$`, `` \` ``
 * escapes, single-quoted ones their quotes.
 *
 * @example parseOsRelease('ID=debian\nVERSION_ID="12"\n') // { ID: "debian", VERSION_ID: "12" }
 */
export function parseOsRelease(text: string): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const m = ASSIGNMENT.exec(line);
    if (m !== null) out[m[1]!] = unquote(m[2]!.trim());
  }
  return out;
}

/** The parts of an os-release that identify a host, normalised to lowercase. */
interface HostRelease {
  id: string;
  idLike: readonly string[];
  versionId: string | undefined;
  codenames: readonly string[];
  platformId: string | undefined;
}

function hostRelease(fields: Readonly<Record<string, string>>): HostRelease {
  const value = (key: string): string | undefined => {
    const v = Object.hasOwn(fields, key) ? fields[key]?.trim().toLowerCase() : undefined;
    return v === "" ? undefined : v;
  };
  return {
    // os-release(5): ID defaults to "linux" when absent.
    id: value("ID") ?? "linux",
    idLike: (value("ID_LIKE") ?? "").split(/\s+/).filter((w) => w !== ""),
    versionId: value("VERSION_ID"),
    // Derivatives name the release they follow in UBUNTU_CODENAME (Mint, elementary) or DEBIAN_CODENAME (LMDE).
    codenames: ["VERSION_CODENAME", "UBUNTU_CODENAME", "DEBIAN_CODENAME"]
      .map(value)
      .filter((v): v is string => v !== undefined),
    platformId: value("PLATFORM_ID"),
  };
}

/** True when VERSION_ID `found` satisfies the rule (see {@link VersionMatch}). */
export function versionMatches(rule: VersionMatch, found: string): boolean {
  if ("exact" in rule) return found === rule.exact;
  if ("series" in rule)
    return (
      found === rule.series ||
      (found.startsWith(`${rule.series}.`) && /^(\.[0-9]+)+$/.test(found.slice(rule.series.length)))
    );
  return found.includes(rule.contains);
}

function isRolling(m: OsReleaseMatch): boolean {
  return m.versionId === undefined && m.codename === undefined && m.platformId === undefined;
}

/**
 * How well a target fits a host: 3 its own release, 2 a derivative's release, 1 its own rolling or
 * catch-all target, 0 a derivative's; undefined when it does not fit.
 */
function fit(target: CatalogueTarget, host: HostRelease): number | undefined {
  const m = target.osRelease;
  const byPlatform = m.platformId !== undefined && m.platformId === host.platformId;
  const own = m.ids.includes(host.id) || byPlatform;
  const derivative = !own && (m.idLike ?? []).some((like) => host.id === like || host.idLike.includes(like));
  if (!own && !derivative) return undefined;
  if (isRolling(m)) return own ? 1 : 0;
  const byCodename = m.codename !== undefined && host.codenames.includes(m.codename);
  const byVersion =
    m.versionId !== undefined && host.versionId !== undefined && versionMatches(m.versionId, host.versionId);
  // A derivative's VERSION_ID is its own numbering (Linux Mint 22 follows Ubuntu 24.04): where the target
  // has a codename, only the codename says which release a derivative follows.
  const release = byPlatform || byCodename || (byVersion && (own || m.codename === undefined));
  if (!release) return undefined;
  return own ? 3 : 2;
}

/**
 * The target a host is, from its `/etc/os-release` (the file's text or its parsed variables): the
 * target of its own release first, then the release a derivative follows, then a rolling or catch-all
 * target (`deb-any` for a Debian or Ubuntu release the catalogue has no entry for). Among equals the
 * earlier catalogue entry wins. Undefined when nothing fits.
 *
 * @example matchTarget(CATALOGUE, 'ID="rocky"\nVERSION_ID="9.4"\n')?.id // "el-9"
 */
export function matchTarget(
  catalogue: readonly CatalogueTarget[],
  osRelease: Readonly<Record<string, string>> | string,
): CatalogueTarget | undefined {
  const host = hostRelease(typeof osRelease === "string" ? parseOsRelease(osRelease) : osRelease);
  let best: CatalogueTarget | undefined;
  let bestFit = -1;
  for (const target of catalogue) {
    const f = fit(target, host);
    if (f !== undefined && f > bestFit) {
      best = target;
      bestFit = f;
    }
  }
  return best;
}

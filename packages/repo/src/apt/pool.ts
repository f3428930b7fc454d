/**
 * Where a .deb lives in the pool: `deb/pool/<component>/<prefix>/<name>/<name>_<version>_<arch>.deb`, the
 * Debian layout (repos.md §2.1), with every part escaped so that keys hold only `[A-Za-z0-9._-]` and `_`
 * escapes. Versions like `1.0+git~rc1` or `1:2.0` break on S3 and some clients when `+`, `~` or `:` appear
 * raw in a path (repos.md §7, pitfall 14), so they never do.
 */
import { RepoError } from "../errors.ts";
import { isAptArchitecture } from "./settings.ts";

const SAFE = /^[A-Za-z0-9.-]$/;

/**
 * UTF-8 bytes of a code point. Written out rather than TextEncoder, which turns every lone surrogate
 * into U+FFFD and would make two different (malformed) strings escape alike; here they stay distinct.
 */
function utf8Bytes(cp: number): number[] {
  if (cp < 0x80) return [cp];
  if (cp < 0x800) return [0xc0 | (cp >> 6), 0x80 | (cp & 0x3f)];
  if (cp < 0x10000) return [0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f)];
  return [0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 0x3f), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f)];
}

/**
 * Escapes one key segment: each character outside `[A-Za-z0-9.-]` — `_` included, so the escape stays
 * unambiguous — becomes `_` plus two lowercase hex digits per UTF-8 byte. A segment of dots only (`.`,
 * `..`) is escaped whole, since stores refuse those segments. Injective: distinct inputs give distinct
 * outputs.
 * @example escapeKeySegment("1:2.0+git~1") // "1_3a2.0_2bgit_7e1"
 */
export function escapeKeySegment(s: string): string {
  if (/^\.+$/.test(s)) return "_2e".repeat(s.length);
  let out = "";
  for (const ch of s) {
    if (SAFE.test(ch)) {
      out += ch;
      continue;
    }
    for (const byte of utf8Bytes(ch.codePointAt(0) ?? 0)) out += `_${byte.toString(16).padStart(2, "0")}`;
  }
  return out;
}

/** The pool folder letter(s) of a package name: its first character, or `libX` for names starting with `lib`. */
export function poolPrefix(name: string): string {
  const chars = Array.from(name);
  return name.startsWith("lib") && chars.length > 3 ? chars.slice(0, 4).join("") : (chars[0] ?? "");
}

/**
 * The pool key of a .deb, relative to the repository root. The name is its own folder and the
 * architecture holds no `_` (a dpkg architecture name, checked here), so the key stays injective over
 * (component, name, version, arch) although the file name joins escaped parts with `_`.
 * @example debPoolKey("main", "libfoo", "1:2.0", "amd64") // "deb/pool/main/libf/libfoo/libfoo_1_3a2.0_amd64.deb"
 * @throws RepoError INVALID_SETTING for an empty component, name or version, or an invalid architecture.
 */
export function debPoolKey(component: string, name: string, version: string, arch: string): string {
  for (const [field, value] of [
    ["component", component],
    ["name", name],
    ["version", version],
  ] as const) {
    if (value === "")
      throw new RepoError("INVALID_SETTING", `pool key: expected a non-empty ${field}, found ""`, {
        field,
        found: value,
      });
  }
  if (!isAptArchitecture(arch))
    throw new RepoError(
      "INVALID_SETTING",
      `pool key of ${name} ${version}: expected a dpkg architecture name ([a-z0-9-]), found ${JSON.stringify(arch)}`,
      { field: "arch", found: arch },
    );
  const n = escapeKeySegment(name);
  const file = `${n}_${escapeKeySegment(version)}_${arch}.deb`;
  return `deb/pool/${escapeKeySegment(component)}/${escapeKeySegment(poolPrefix(name))}/${n}/${file}`;
}

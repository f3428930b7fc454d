/**
 * `$VAR` / `${VAR}` expansion with the semantics of Go's `os.Expand`, which nfpm applies to selected
 * fields: an unset variable expands to the empty string, `${}` and an unclosed `${` are dropped, and a
 * `$` not followed by a name is kept.
 */

const SPECIAL = new Set([
  "*",
  "#",
  "$",
  "@",
  "!",
  "?",
  "-",
  "0",
  "1",
  "2",
  "3",
  "4",
  "5",
  "6",
  "7",
  "8",
  "9",
]);

/**
 * Expands `$VAR` and `${VAR}` in `text` from `env` (missing variables become empty), as Go's os.Expand.
 * @example expandEnv("v${SEMVER}", { SEMVER: "1.0.0" }) // "v1.0.0"
 */
export function expandEnv(text: string, env: Record<string, string | undefined>): string {
  if (!text.includes("$")) return text;
  let out = "";
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c !== "$" || i + 1 >= text.length) {
      out += c;
      i++;
      continue;
    }
    const { name, width } = shellName(text.slice(i + 1));
    if (name === "" && width > 0) {
      // invalid syntax such as `${}` or an unclosed `${`: Go drops it
    } else if (name === "") {
      out += "$";
    } else {
      out += env[name] ?? "";
    }
    i += 1 + width;
  }
  return out;
}

function shellName(s: string): { name: string; width: number } {
  if (s[0] === "{") {
    if (s.length > 2 && SPECIAL.has(s[1]!) && s[2] === "}") return { name: s[1]!, width: 3 };
    const close = s.indexOf("}", 1);
    if (close === 1) return { name: "", width: 2 };
    if (close < 0) return { name: "", width: 1 };
    return { name: s.slice(1, close), width: close + 1 };
  }
  if (SPECIAL.has(s[0]!)) return { name: s[0]!, width: 1 };
  const m = /^[A-Za-z0-9_]*/.exec(s)!;
  return { name: m[0], width: m[0].length };
}

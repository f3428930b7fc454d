/**
 * Typed readers over the ConfigNode tree. Each takes the field path used in messages
 * (`contents[2].file_info.mode`) and throws a SpecError naming it. Format blocks, which receive the
 * block as plain objects, use the readers of plain.ts instead.
 */
import { SpecError } from "../errors.ts";
import type { KeyDef } from "./keys.ts";
import type { ConfigNode, MapNode, ScalarNode } from "./tree.ts";

function describe(node: ConfigNode): string {
  if (node.kind === "map") return "a mapping";
  if (node.kind === "seq") return "a list";
  return node.value === null ? "nothing" : `"${node.text}"`;
}

/** A SpecError INVALID_FIELD: `field` expected `what`, found the node (with its line). */
export function invalid(node: ConfigNode, field: string, what: string): SpecError {
  return new SpecError(
    "INVALID_FIELD",
    `${field}: expected ${what}, found ${describe(node)} (line ${node.pos.line})`,
    { field, expected: what, found: node.kind === "scalar" ? node.text : node.kind, line: node.pos.line },
  );
}

/** True for an absent value written as `key:` or `key: null`. */
export function isNull(node: ConfigNode | undefined): boolean {
  return node === undefined || (node.kind === "scalar" && node.value === null && !node.quoted);
}

/** The node as a mapping (a null value counts as an empty one). */
export function readMap(node: ConfigNode, field: string): MapNode {
  if (isNull(node)) return { kind: "map", entries: new Map(), pos: node.pos };
  if (node.kind !== "map") throw invalid(node, field, "a mapping");
  return node;
}

/** Rejects keys that `table` marks unsupported (UNSUPPORTED_KEY) or does not list (UNKNOWN_KEY). */
export function checkKeys(
  map: MapNode,
  table: Readonly<Record<string, KeyDef | string>>,
  field: string,
  extra: readonly string[] = [],
): void {
  for (const [key, value] of map.entries) {
    const path = field === "" ? key : `${field}.${key}`;
    const def = Object.hasOwn(table, key) ? table[key] : undefined;
    if (def !== undefined && typeof def === "object" && def.unsupported) {
      throw new SpecError("UNSUPPORTED_KEY", `${path}: ${def.unsupported}`, {
        field: path,
        line: value.pos.line,
      });
    }
    if (def === undefined && !extra.includes(key)) {
      const known = [
        ...Object.keys(table).filter(
          (k) => typeof table[k] !== "object" || !(table[k] as KeyDef).unsupported,
        ),
        ...extra,
      ];
      const line = map.keyPos?.get(key)?.line ?? value.pos.line;
      throw new SpecError(
        "UNKNOWN_KEY",
        `${path}: unknown key; expected one of ${known.join(", ")}${didYouMean(key, known)} (line ${line})`,
        { field: path, line, expected: known },
      );
    }
  }
}

/**
 * `; did you mean \`compression\`?` when exactly one of `known` is within two edits of `key` (a letter
 * added, dropped, changed, or two letters swapped), else "": a guess among several would mislead. A short
 * key allows fewer edits (one per three letters), so `a` does not become `apk`.
 */
export function didYouMean(key: string, known: readonly string[]): string {
  const most = Math.min(2, Math.floor(key.length / 3));
  const close = [...new Set(known)].filter(
    (k) => k !== key && editDistance(key.toLowerCase(), k.toLowerCase()) <= most,
  );
  return close.length === 1 ? `; did you mean \`${close[0]}\`?` : "";
}

/** Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps. */
function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 3;
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

function scalar(node: ConfigNode, field: string, what: string): ScalarNode {
  if (node.kind !== "scalar") throw invalid(node, field, what);
  return node;
}

/** A string scalar, as written (numbers keep their text: `1.10` stays "1.10"). */
export function readString(node: ConfigNode, field: string): string {
  return scalar(node, field, "a string").text;
}

/** A list of strings. */
export function readStrings(node: ConfigNode, field: string): string[] {
  if (isNull(node)) return [];
  if (node.kind !== "seq") throw invalid(node, field, "a list of strings");
  return node.items.map((item, i) => readString(item, `${field}[${i}]`));
}

/** true/false (also yes/no/on/off, as YAML 1.1 readers accept). */
export function readBool(node: ConfigNode, field: string): boolean {
  const t = scalar(node, field, "true or false").text.toLowerCase();
  if (["true", "yes", "on"].includes(t)) return true;
  if (["false", "no", "off"].includes(t)) return false;
  throw invalid(node, field, "true or false");
}

/** An integer read as Go's YAML decoder does: `0644` and `0o644` are octal, `0x1ff` hex, else decimal. */
export function readOctal(node: ConfigNode, field: string): number {
  const t = scalar(node, field, "an octal number such as 0o644").text.trim().replaceAll("_", "");
  let n = Number.NaN;
  if (/^0o?[0-7]+$/i.test(t)) n = Number.parseInt(t.replace(/^0o?/i, "") || "0", 8);
  else if (/^0x[0-9a-f]+$/i.test(t)) n = Number.parseInt(t.slice(2), 16);
  else if (/^(0|[1-9][0-9]*)$/.test(t)) n = Number.parseInt(t, 10);
  if (!Number.isSafeInteger(n)) throw invalid(node, field, "an octal number such as 0o644");
  return n;
}

/** An RFC 3339 time (or integer seconds since the epoch), returned as seconds since the epoch. */
export function readTime(node: ConfigNode, field: string): number {
  const t = scalar(node, field, "an RFC 3339 time such as 2009-11-10T23:00:00Z").text.trim();
  if (/^\d+$/.test(t)) return Number.parseInt(t, 10);
  const m =
    /^(\d{4}-\d{2}-\d{2})(?:[Tt ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)\s*([Zz]|[+-]\d{2}:?\d{2})?)?$/.exec(t);
  // A time without a zone is UTC, never the build machine's local time.
  const zone = (m?.[3] ?? "Z").replace(/^([+-]\d{2})(\d{2})$/, "$1:$2");
  const ms = m ? Date.parse(`${m[1]}T${m[2] ?? "00:00:00"}${zone}`) : Number.NaN;
  if (!Number.isFinite(ms) || ms < 0)
    throw invalid(node, field, "an RFC 3339 time such as 2009-11-10T23:00:00Z");
  return Math.floor(ms / 1000);
}

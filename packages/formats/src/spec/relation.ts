import { SpecError } from "../errors.ts";
import type { Relation, RelationGroup, RelationOp } from "./types.ts";

const OPS: readonly string[] = ["<=", ">=", "<<", ">>", "=", "==", "<", ">"];
const OP_MAP: Record<string, RelationOp> = {
  "<=": "<=",
  ">=": ">=",
  "<<": "<",
  ">>": ">",
  "=": "=",
  "==": "=",
  "<": "<",
  ">": ">",
};
// Package names across formats: deb/rpm/arch/apk names plus rpm's capability forms such as
// `/bin/sh`, `perl(Foo::Bar)`, `libc.so.6()(64bit)` and apk's `so:libc.musl-x86_64.so.1`.
const NAME = /^[^\s|,()<>=]+(?:\([^\s]*\))*(?:\([^\s]*\))?$/;

/**
 * Parses one nfpm-style relation string into an OR-group. Accepts `foo`, `foo (>= 1.2)`, `foo >= 1.2`,
 * `foo>=1.2`, `foo:any`, Debian's `<<`/`>>`, and alternatives `a | b (>= 2)`.
 * @example parseRelation("a (>= 1) | b") // [{ name: "a", op: ">=", version: "1" }, { name: "b" }]
 */
export function parseRelation(input: string, field = "depends"): RelationGroup {
  const alternatives = input.split("|").map((s) => s.trim());
  if (alternatives.some((s) => s === "")) {
    throw invalid(input, field, "an empty alternative");
  }
  return alternatives.map((alt) => parseOne(alt, input, field));
}

function parseOne(text: string, whole: string, field: string): Relation {
  let name = text;
  let rest = "";
  // `name (op version)` — but keep rpm capabilities such as perl(Foo) or libc.so.6()(64bit) intact.
  const paren = /^(\S+?)\s*\(\s*(<=|>=|<<|>>|==|=|<|>)\s*([^)\s]+)\s*\)$/.exec(text);
  if (paren) {
    name = paren[1]!;
    rest = `${paren[2]} ${paren[3]}`;
  } else {
    const idx = firstOp(text);
    if (idx >= 0) {
      name = text.slice(0, idx).trim();
      rest = text.slice(idx).trim();
    }
  }
  const rel: Relation = { name };
  const colon = /^([^:()]+):([a-z0-9-]+)$/.exec(name);
  if (colon && !name.startsWith("so:") && !name.startsWith("cmd:") && !name.startsWith("pc:")) {
    rel.name = colon[1]!;
    rel.archQualifier = colon[2]!;
  }
  if (!NAME.test(rel.name)) throw invalid(whole, field, `a package name, found "${rel.name}"`);
  if (rest !== "") {
    const op = OPS.find((o) => rest.startsWith(o));
    const version = op === undefined ? "" : rest.slice(op.length).trim();
    if (op === undefined || version === "" || /\s/.test(version)) {
      throw invalid(whole, field, `"<op> <version>" after the name, found "${rest}"`);
    }
    rel.op = OP_MAP[op]!;
    rel.version = version;
  }
  return rel;
}

function firstOp(text: string): number {
  const m = /\s*(<=|>=|<<|>>|==|=|<|>)/.exec(text);
  return m ? m.index : -1;
}

function invalid(input: string, field: string, what: string): SpecError {
  return new SpecError("INVALID_RELATION", `${field}: cannot parse relation "${input}": expected ${what}`, {
    field,
    found: input,
  });
}

/** Renders an OR-group in Debian syntax (`a (>= 1) | b`); other formats render their own. */
export function formatRelationDeb(group: RelationGroup): string {
  return group
    .map((r) => {
      const name = r.archQualifier ? `${r.name}:${r.archQualifier}` : r.name;
      if (!r.op) return name;
      const op = r.op === "<" ? "<<" : r.op === ">" ? ">>" : r.op;
      return `${name} (${op} ${r.version})`;
    })
    .join(" | ");
}

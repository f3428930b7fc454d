import { SpecError } from "../errors.ts";
import type { Relation, RelationGroup, RelationKind, RelationOp } from "./types.ts";

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
 * `foo>=1.2`, `foo:any`, Debian's `<<`/`>>`, and alternatives `a | b (>= 2)`. A string starting with `(` is
 * an rpm rich (boolean) dependency such as `(bash >= 4.4 or fish)`: kept verbatim, as nfpm passes it, as
 * the one relation of its group ({@link isRichRelation}); rpm checks its grammar when writing, and the other
 * formats refuse it.
 * @example parseRelation("a (>= 1) | b") // [{ name: "a", op: ">=", version: "1" }, { name: "b" }]
 * @example parseRelation("(a if b)") // [{ name: "(a if b)" }]
 */
export function parseRelation(input: string, field = "depends"): RelationGroup {
  if (input.trim().startsWith("(")) {
    const rich: Relation = { name: input.trim() };
    assertRichRelation([rich], field);
    return [rich];
  }
  const alternatives = input.split("|").map((s) => s.trim());
  if (alternatives.some((s) => s === "")) {
    throw invalid(input, field, "an empty alternative");
  }
  return alternatives.map((alt) => parseOne(alt, input, field));
}

/** Debian's architecture qualifiers (`any`, `native`) and architecture names, as after `name:` in a relation. */
const DEB_QUALIFIER =
  /^(any|native|all|amd64|arm64|armhf|armel|i386|ppc64el|ppc64|s390x|riscv64|loong64|mips64el|mipsel|powerpc|hppa|sparc64|alpha|ia64|m68k|sh4|x32)$/;

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
  // apk's provider names (`so:libc.so.6`, `cmd:sh`, `pc:zlib`) are names, not Debian's `name:arch`; but a
  // package that is itself called so, cmd or pc keeps its qualifier (`pc:any`, `cmd:native`, `so:amd64`).
  const apkProvider = /^(so|cmd|pc):/.test(name) && !DEB_QUALIFIER.test(colon?.[2] ?? "");
  if (colon && !apkProvider) {
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

/**
 * True when `r` is an rpm rich (boolean) dependency: its name is a whole parenthesised expression such as
 * `(bash >= 4.4 or fish)` or `(a if b)` (rpm's own test, lib/rpmds.c rpmdsIsRich). Plain names never start
 * with `(`.
 */
export function isRichRelation(r: Relation): boolean {
  return r.name.startsWith("(");
}

/**
 * Checks the shape every format can check on a rich dependency: alone in its group, no op, version or arch
 * qualifier of its own, one line, and the parenthesis that opens it closes it at the very end (rpm's
 * grammar, with its operators, is checked by the rpm writer). Throws SpecError INVALID_RELATION naming `field`.
 */
export function assertRichRelation(group: RelationGroup, field: string): void {
  const r = group.find(isRichRelation);
  if (r === undefined) return;
  const found = r.name;
  if (group.length !== 1)
    throw invalid(
      found,
      field,
      'a rich dependency alone, not as one of several alternatives (use "or" inside it)',
    );
  if (r.op !== undefined || r.version !== undefined || r.archQualifier !== undefined)
    throw invalid(
      found,
      field,
      "the versions inside a rich dependency, not an op, version or arch qualifier beside it",
    );
  if (/[\r\n]/.test(found)) throw invalid(found, field, "a rich dependency on one line");
  let depth = 0;
  for (let i = 0; i < found.length; i++) {
    if (found[i] === "(") depth++;
    else if (found[i] === ")" && --depth === 0 && i !== found.length - 1)
      throw invalid(
        found,
        field,
        `nothing after the ")" that closes the rich dependency, found "${found.slice(i + 1)}"`,
      );
  }
  if (depth !== 0)
    throw invalid(found, field, `a rich dependency whose parentheses balance (${depth} left open)`);
}

/** nfpm's config keys for the relation kinds it has (others live in format blocks, e.g. deb.breaks). */
const NFPM_KEY: Partial<Record<RelationKind, string>> = {
  depends: "depends",
  recommends: "recommends",
  suggests: "suggests",
  conflicts: "conflicts",
  replaces: "replaces",
  provides: "provides",
};

/**
 * Throws SpecError INVALID_RELATION when `r` is an rpm rich dependency, for a format (`deb`, `archlinux`,
 * `apk`) that has no boolean dependencies. The message names the field, the expression and where nfpm
 * configs keep rpm-only relations; `hint` adds the format's nearest form, if any.
 */
export function refuseRichRelation(
  r: Relation,
  kind: RelationKind,
  field: string,
  format: string,
  hint = "",
): void {
  if (!isRichRelation(r)) return;
  const key = NFPM_KEY[kind];
  throw new SpecError(
    "INVALID_RELATION",
    `${field}: found the rpm rich (boolean) dependency "${r.name}"; only rpm supports rich dependencies, ${format} has no equivalent (in a config, list it under ${key === undefined ? "overrides.rpm" : `overrides.rpm.${key}`}${hint === "" ? "" : `; ${hint}`})`,
    { field, found: r.name, expected: `a ${format} relation` },
  );
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

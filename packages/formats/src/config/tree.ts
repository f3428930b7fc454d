/**
 * The YAML document as a small tree that keeps, for every scalar, its source text (Go's yaml decoder
 * reads `version: 1.10` into a string field as "1.10", and `mode: 0644` as octal) and its line/column
 * for error messages.
 */
import { isAlias, isMap, isScalar, isSeq, LineCounter, type Node, parseDocument, type Document } from "yaml";
import { SpecError } from "../errors.ts";

export interface Position {
  line: number;
  col: number;
}
export interface ScalarNode {
  kind: "scalar";
  /** The text as written for plain scalars, the decoded string for quoted ones; `""` for null. */
  text: string;
  /** The YAML 1.2 core-schema value (number, boolean, null, string). */
  value: unknown;
  quoted: boolean;
  pos: Position;
}
export interface MapNode {
  kind: "map";
  entries: Map<string, ConfigNode>;
  pos: Position;
}
export interface SeqNode {
  kind: "seq";
  items: ConfigNode[];
  pos: Position;
}
export type ConfigNode = ScalarNode | MapNode | SeqNode;

/** Parses YAML text into a ConfigNode tree; a syntax error is a SpecError CONFIG_SYNTAX with line/column. */
export function parseYamlTree(text: string, path = "packyard.yml"): ConfigNode {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const err = doc.errors[0];
  if (err) {
    const lp = lc.linePos(err.pos[0]);
    throw new SpecError(
      "CONFIG_SYNTAX",
      `${path}:${lp.line}:${lp.col}: invalid YAML: ${err.message.split("\n")[0]}`,
      { path, line: lp.line, col: lp.col, found: err.code },
    );
  }
  const convert = (node: unknown, depth: number): ConfigNode => {
    if (depth > 64) throw syntax(path, { line: 1, col: 1 }, "nesting deeper than 64 levels");
    const n = isAlias(node) ? (node.resolve(doc as Document) as Node | undefined) : (node as Node | null);
    const pos = position(lc, n);
    if (n == null) return { kind: "scalar", text: "", value: null, quoted: false, pos };
    if (isMap(n)) {
      const entries = new Map<string, ConfigNode>();
      for (const pair of n.items) {
        const k = isScalar(pair.key) ? pair.key.value : pair.key;
        if (typeof k !== "string" && typeof k !== "number" && typeof k !== "boolean") {
          throw syntax(path, position(lc, pair.key as Node), "mapping keys must be plain strings");
        }
        entries.set(
          String(isScalar(pair.key) && pair.key.source !== undefined ? pair.key.source : k),
          convert(pair.value, depth + 1),
        );
      }
      return { kind: "map", entries, pos };
    }
    if (isSeq(n)) return { kind: "seq", items: n.items.map((i) => convert(i, depth + 1)), pos };
    if (isScalar(n)) {
      const quoted =
        n.type === "QUOTE_DOUBLE" ||
        n.type === "QUOTE_SINGLE" ||
        n.type === "BLOCK_LITERAL" ||
        n.type === "BLOCK_FOLDED";
      const text = n.value === null ? "" : quoted || n.source === undefined ? String(n.value) : n.source;
      return { kind: "scalar", text, value: n.value, quoted, pos };
    }
    throw syntax(path, pos, "unsupported YAML node");
  };
  return convert(doc.contents, 0);
}

function position(lc: LineCounter, n: Node | null | undefined): Position {
  const off = n?.range?.[0] ?? 0;
  const lp = lc.linePos(off);
  return { line: lp.line, col: lp.col };
}

function syntax(path: string, pos: Position, what: string): SpecError {
  return new SpecError("CONFIG_SYNTAX", `${path}:${pos.line}:${pos.col}: ${what}`, { path, ...pos });
}

/** Converts a node to plain JSON-like data (what format blocks receive), mapping scalars through `str`. */
export function toPlain(node: ConfigNode, str: (s: string) => string): unknown {
  if (node.kind === "map") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of node.entries) out[k] = toPlain(v, str);
    return out;
  }
  if (node.kind === "seq") return node.items.map((i) => toPlain(i, str));
  return typeof node.value === "string" ? str(node.value) : node.value;
}

/**
 * The YAML document as a small tree that keeps, for every scalar, its source text (Go's yaml decoder
 * reads `version: 1.10` into a string field as "1.10", and `mode: 0644` as octal) and its line/column
 * for error messages.
 */
import {
  type Document,
  type ErrorCode,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseDocument,
} from "yaml";
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
  /** Where each key is written (a parsed document has it; a map made up in code may not). */
  keyPos?: Map<string, Position>;
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
      `${path}:${lp.line}:${lp.col}: invalid YAML: ${yamlProblem(err.code, err.message.split("\n")[0]!)}`,
      { path, line: lp.line, col: lp.col, yamlError: err.code },
    );
  }
  const convert = (node: unknown, depth: number): ConfigNode => {
    if (depth > 64) throw syntax(path, { line: 1, col: 1 }, "nesting deeper than 64 levels");
    const n = isAlias(node) ? (node.resolve(doc as Document) as Node | undefined) : (node as Node | null);
    const pos = position(lc, n);
    if (n == null) return { kind: "scalar", text: "", value: null, quoted: false, pos };
    if (isMap(n)) {
      const entries = new Map<string, ConfigNode>();
      const keyPos = new Map<string, Position>();
      for (const pair of n.items) {
        const k = isScalar(pair.key) ? pair.key.value : pair.key;
        if (typeof k !== "string" && typeof k !== "number" && typeof k !== "boolean") {
          throw syntax(path, position(lc, pair.key as Node), "mapping keys must be plain strings");
        }
        const key = String(isScalar(pair.key) && pair.key.source !== undefined ? pair.key.source : k);
        entries.set(key, convert(pair.value, depth + 1));
        keyPos.set(key, position(lc, pair.key as Node));
      }
      return { kind: "map", entries, pos, keyPos };
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

/**
 * What a yaml parse error means, in words for someone editing a config: the yaml library's codes
 * (`BAD_INDENT`, `BLOCK_AS_IMPLICIT_KEY`, ...) and some of its messages are parser vocabulary. The
 * library's own message is kept where it names the culprit (an escape, a tag, a character).
 */
function yamlProblem(code: ErrorCode, message: string): string {
  switch (code) {
    case "BAD_INDENT":
      if (message.startsWith("Flow sequence"))
        return "a [ list is not closed with ] (or a line in it is not indented)";
      if (message.startsWith("Flow map"))
        return "a { map is not closed with } (or a line in it is not indented)";
      if (message.startsWith("All sequence items"))
        return "the items of a list do not start at the same column: line up their dashes";
      return "wrong indentation: this line is indented more or less than the lines it belongs with";
    case "TAB_AS_INDENT":
      return "a tab is used for indentation; YAML indents with spaces only";
    case "BLOCK_AS_IMPLICIT_KEY":
      return message.startsWith("Nested mappings")
        ? "a second `key:` on one line; put it on its own line, or quote the value if it holds `: `"
        : "a list cannot be a key; is a `:` misplaced?";
    case "DUPLICATE_KEY":
      return "this key appears twice in the same mapping";
    case "MULTILINE_IMPLICIT_KEY":
      return "a key runs over several lines: a `:` or a closing quote is probably missing above";
    case "MISSING_CHAR":
      if (message.includes('closing "quote')) return 'a "quoted value is not closed with "';
      if (message.includes("closing 'quote")) return "a 'quoted value is not closed with '";
      if (message.startsWith("Missing , "))
        return "the items of a [ ] or { } are not separated by commas (or it is not closed)";
      if (message.startsWith("Missing space after :")) return "a space is missing after `:`";
      if (message.startsWith("Implicit map keys need to be followed"))
        return "a key without a value: expected `key: value`";
      if (message.startsWith("Comments must be separated")) return "a # comment needs a space before it";
      if (message.startsWith("Sequence item without")) return "a list item without its `- `";
      return lowerFirst(message);
    case "BAD_SCALAR_START": {
      const c = /start with (.+)$/.exec(message)?.[1];
      return `a value cannot start with ${c ?? "this character"} unless it is quoted`;
    }
    case "BAD_DQ_ESCAPE":
      return `${lowerFirst(message)} in a "double-quoted" value (use 'single quotes' for backslashes)`;
    case "TAG_RESOLVE_FAILED":
    case "BAD_COLLECTION_TYPE":
      return `unknown or misplaced !tag (${lowerFirst(message)})`;
    case "ALIAS_PROPS":
    case "BAD_ALIAS":
    case "MULTIPLE_ANCHORS":
    case "BAD_PROP_ORDER":
    case "MULTIPLE_TAGS":
      return `a malformed &anchor, *alias or !tag (${lowerFirst(message)})`;
    case "MULTIPLE_DOCS":
      return "more than one YAML document (a second `---`); a config is one document";
    case "BAD_DIRECTIVE":
      return `a % directive line that is not valid (${lowerFirst(message)})`;
    case "KEY_OVER_1024_CHARS":
      return "a key longer than 1024 characters";
    case "RESOURCE_EXHAUSTION":
      return "aliases expand to too much data";
    case "BLOCK_IN_FLOW":
      return "a block value (`|`, `>` or a `- ` list) inside [ ] or { }";
    case "NON_STRING_KEY":
      return "keys must be plain strings";
    case "UNEXPECTED_TOKEN":
      return `unexpected text here (${lowerFirst(message)})`;
    default:
      return lowerFirst(message);
  }
}

function lowerFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}

function position(lc: LineCounter, n: Node | null | undefined): Position {
  const off = n?.range?.[0] ?? 0;
  const lp = lc.linePos(off);
  return { line: lp.line, col: lp.col };
}

function syntax(path: string, pos: Position, what: string): SpecError {
  return new SpecError("CONFIG_SYNTAX", `${path}:${pos.line}:${pos.col}: ${what}`, { path, ...pos });
}

/**
 * Where the keys of the plain objects {@link toPlain} made were written, so that a format block, which
 * sees only plain objects, can still name the line of a key it rejects ({@link keyLine}).
 */
const plainKeyPositions = new WeakMap<object, ReadonlyMap<string, Position>>();

/** The line `key` of `object` was written on, when `object` came from {@link toPlain} of a parsed config. */
export function keyLine(object: object, key: string): number | undefined {
  return plainKeyPositions.get(object)?.get(key)?.line;
}

/** Converts a node to plain JSON-like data (what format blocks receive), mapping scalars through `str`. */
export function toPlain(node: ConfigNode, str: (s: string) => string): unknown {
  if (node.kind === "map") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of node.entries) out[k] = toPlain(v, str);
    if (node.keyPos !== undefined) plainKeyPositions.set(out, node.keyPos);
    return out;
  }
  if (node.kind === "seq") return node.items.map((i) => toPlain(i, str));
  return typeof node.value === "string" ? str(node.value) : node.value;
}

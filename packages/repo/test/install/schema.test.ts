/**
 * install.schema.json is the documented contract of install.json: sample documents (plain, hostile, during
 * a key rotation) pass it, documents with a wrong, missing or extra field fail it, every field is
 * described, and the schema's objects have exactly the fields (and required fields) of the TypeScript
 * types, read from types.ts itself with the TypeScript parser, so a field added to the types but not to
 * the schema fails here. The checker is written here (no ajv) and refuses keywords it does not implement,
 * so the schema cannot rely on one it would silently ignore.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import ts from "typescript";
import { sampleInstallDocument } from "@packyard/testkit/install-document";

type Schema = Record<string, unknown>;

const repoDir = new URL("../../", import.meta.url);
const schema = JSON.parse(readFileSync(new URL("install.schema.json", repoDir), "utf8")) as Schema;
const defs = schema.$defs as Record<string, Schema>;

const ANNOTATIONS = new Set(["$schema", "$id", "$defs", "title", "description", "examples"]);
const CHECKED = new Set([
  "$ref",
  "const",
  "enum",
  "type",
  "minLength",
  "pattern",
  "minimum",
  "minItems",
  "maxItems",
  "items",
  "required",
  "properties",
  "additionalProperties",
  "oneOf",
]);

function typeOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value;
}

/** The problems of `value` against `s`, each with its JSON path. */
function check(value: unknown, s: Schema, path = "$"): string[] {
  const errors: string[] = [];
  for (const key of Object.keys(s))
    if (!ANNOTATIONS.has(key) && !CHECKED.has(key))
      throw new Error(`${path}: schema keyword ${key} is not checked`);
  if (typeof s.$ref === "string") {
    const m = /^#\/\$defs\/(\w+)$/.exec(s.$ref);
    const target = m === null ? undefined : defs[m[1]!];
    if (target === undefined) throw new Error(`${path}: unresolvable $ref ${s.$ref}`);
    errors.push(...check(value, target, path));
  }
  if ("const" in s && value !== s.const) errors.push(`${path}: expected ${JSON.stringify(s.const)}`);
  if (Array.isArray(s.enum) && !s.enum.includes(value))
    errors.push(`${path}: not one of ${s.enum.join(", ")}`);
  if (typeof s.type === "string") {
    const actual = typeOf(value);
    if (actual !== s.type && !(s.type === "number" && actual === "integer")) {
      errors.push(`${path}: expected ${s.type}, found ${actual}`);
      return errors;
    }
  }
  if (typeof value === "string") {
    if (typeof s.minLength === "number" && [...value].length < s.minLength) errors.push(`${path}: too short`);
    if (typeof s.pattern === "string" && !new RegExp(s.pattern, "u").test(value))
      errors.push(`${path}: ${JSON.stringify(value)} does not match ${s.pattern}`);
  }
  if (typeof value === "number" && typeof s.minimum === "number" && value < s.minimum)
    errors.push(`${path}: below ${s.minimum}`);
  if (Array.isArray(value)) {
    if (typeof s.minItems === "number" && value.length < s.minItems)
      errors.push(`${path}: fewer than ${s.minItems} items`);
    if (typeof s.maxItems === "number" && value.length > s.maxItems)
      errors.push(`${path}: more than ${s.maxItems} items`);
    if (s.items !== undefined)
      for (const [i, v] of value.entries()) errors.push(...check(v, s.items as Schema, `${path}[${i}]`));
  }
  if (typeOf(value) === "object") {
    const object = value as Record<string, unknown>;
    const properties = (s.properties ?? {}) as Record<string, Schema>;
    for (const key of (s.required ?? []) as string[])
      if (!(key in object)) errors.push(`${path}: missing required ${key}`);
    for (const [key, v] of Object.entries(object)) {
      if (key in properties) errors.push(...check(v, properties[key]!, `${path}.${key}`));
      else if (s.additionalProperties === false) errors.push(`${path}: unexpected field ${key}`);
    }
  }
  if (Array.isArray(s.oneOf)) {
    const passing = (s.oneOf as Schema[]).filter((option) => check(value, option, path).length === 0).length;
    if (passing !== 1) errors.push(`${path}: matches ${passing} of the oneOf choices, expected exactly 1`);
  }
  return errors;
}

const documents = {
  plain: sampleInstallDocument(),
  hostile: sampleInstallDocument({ hostile: true }),
  rotation: sampleInstallDocument({ rotation: true }),
  "not public": { ...sampleInstallDocument({ base: "file:///srv/repo" }), public: false },
};

test("the sample documents (plain, hostile, rotating, not public) satisfy the schema", () => {
  for (const [name, doc] of Object.entries(documents))
    assert.deepEqual(check(JSON.parse(JSON.stringify(doc)), schema), [], name);
});

test("the checker catches a wrong schema id, a missing, an extra and a badly typed field, a bad enum and pattern", () => {
  // biome-ignore lint/suspicious/noExplicitAny: the cases reach into a JSON copy to break it
  type Json = Record<string, any>;
  const doc = () => JSON.parse(JSON.stringify(sampleInstallDocument())) as Json;
  const cases: [string, (d: Json) => void, RegExp][] = [
    ["schema id", (d) => (d.schema = "packyard-install/2"), /^\$\.schema: expected "packyard-install\/1"/],
    ["missing name", (d) => delete d.name, /^\$: missing required name/],
    ["extra root field", (d) => (d.extra = 1), /^\$: unexpected field extra/],
    [
      "extra step field",
      (d) => (d.targets[0].steps[0].shell = "bash"),
      /^\$\.targets\[0\]\.steps\[0\]: unexpected field shell/,
    ],
    ["public as a string", (d) => (d.public = "yes"), /^\$\.public: expected boolean, found string/],
    ["unknown family", (d) => (d.targets[0].family = "nix"), /^\$\.targets\[0\]\.family: not one of/],
    [
      "short fingerprint",
      (d) => (d.keys.openpgp.fingerprints = ["0123"]),
      /fingerprints\[0\]: "0123" does not match/,
    ],
    [
      "three fingerprints",
      (d) => d.keys.openpgp.fingerprints.push("A".repeat(40), "B".repeat(40)),
      /more than 2 items/,
    ],
    [
      "uppercase sha256",
      (d) => (d.downloads[0].files[0].sha256 = "AB".repeat(32)),
      /files\[0\]\.sha256: .* does not match/,
    ],
    ["fractional size", (d) => (d.downloads[0].files[0].size = 1.5), /size: expected integer, found number/],
    [
      "two version matches",
      (d) => (d.targets[0].osRelease.versionId = { exact: "12", series: "12" }),
      /matches 0 of the oneOf/,
    ],
    ["local time", (d) => (d.updated = "2024-01-01T00:00:00+02:00"), /^\$\.updated: .* does not match/],
    ["trailing slash", (d) => (d.baseUrl = "https://example.com/repo/"), /^\$\.baseUrl: .* does not match/],
  ];
  for (const [name, mutate, expected] of cases) {
    const d = doc();
    mutate(d);
    const errors = check(d, schema);
    assert.ok(
      errors.some((e) => expected.test(e)),
      `${name}: expected an error matching ${expected}, found ${JSON.stringify(errors)}`,
    );
  }
});

/** Every object schema, with where it is. */
function objectSchemas(s: Schema, path: string, out: [string, Schema][] = []): [string, Schema][] {
  if (s.properties !== undefined) out.push([path, s]);
  for (const [key, sub] of Object.entries((s.properties ?? {}) as Record<string, Schema>))
    objectSchemas(sub, `${path}.${key}`, out);
  if (s.items !== undefined) objectSchemas(s.items as Schema, `${path}[]`, out);
  for (const [i, option] of ((s.oneOf ?? []) as Schema[]).entries())
    objectSchemas(option, `${path}|${i}`, out);
  return out;
}

test("every field of the schema is described, and every object refuses fields it does not list", () => {
  const all = [
    ...objectSchemas(schema, "$"),
    ...Object.entries(defs).flatMap(([n, d]) => objectSchemas(d, n)),
  ];
  assert.ok(all.length >= 15, `found only ${all.length} object schemas`);
  for (const [path, s] of all) {
    assert.equal(s.additionalProperties, false, `${path}: additionalProperties`);
    for (const [key, sub] of Object.entries(s.properties as Record<string, Schema>))
      assert.ok(
        typeof sub.description === "string" && sub.description.length > 10,
        `${path}.${key}: description`,
      );
    for (const key of (s.required ?? []) as string[])
      assert.ok(key in (s.properties as object), `${path}: ${key}`);
  }
});

// --- the schema against the TypeScript types ------------------------------------------------------------

/** Interfaces (and type aliases) of the source files, by name. */
function declarations(...files: URL[]): Map<string, ts.TypeNode | ts.InterfaceDeclaration> {
  const found = new Map<string, ts.TypeNode | ts.InterfaceDeclaration>();
  for (const file of files) {
    const source = ts.createSourceFile(
      file.pathname,
      readFileSync(file, "utf8"),
      ts.ScriptTarget.Latest,
      true,
    );
    for (const statement of source.statements) {
      if (ts.isInterfaceDeclaration(statement)) found.set(statement.name.text, statement);
      else if (ts.isTypeAliasDeclaration(statement)) found.set(statement.name.text, statement.type);
    }
  }
  return found;
}

const types = declarations(
  new URL("src/install/types.ts", repoDir),
  new URL("src/catalogue/target.ts", repoDir),
  new URL("src/publish/state.ts", repoDir),
);

/** Resolves a `$ref` to its definition's name and schema. */
function deref(s: Schema): [string | undefined, Schema] {
  if (typeof s.$ref !== "string") return [undefined, s];
  const name = s.$ref.replace("#/$defs/", "");
  return [name, defs[name]!];
}

/** Compares the members of an interface or type literal with an object schema, recursing into their types. */
function compareMembers(
  members: readonly ts.TypeElement[],
  s: Schema,
  path: string,
  problems: string[],
): void {
  const properties = (s.properties ?? {}) as Record<string, Schema>;
  const required = new Set((s.required ?? []) as string[]);
  const names = new Set<string>();
  for (const member of members) {
    if (!ts.isPropertySignature(member) || member.type === undefined) continue;
    const name = member.name.getText();
    names.add(name);
    const sub = properties[name];
    if (sub === undefined) {
      problems.push(`${path}.${name}: in the types, not in the schema`);
      continue;
    }
    const optional = member.questionToken !== undefined;
    if (optional === required.has(name))
      problems.push(`${path}.${name}: ${optional ? "optional" : "required"} in the types, not in the schema`);
    compareType(member.type, sub, `${path}.${name}`, problems);
  }
  for (const name of Object.keys(properties))
    if (!names.has(name)) problems.push(`${path}.${name}: in the schema, not in the types`);
}

/** The strings of a union of string literals (through type aliases), or undefined for any other type. */
function literals(type: ts.TypeNode): string[] | undefined {
  if (ts.isLiteralTypeNode(type) && ts.isStringLiteral(type.literal)) return [type.literal.text];
  if (ts.isUnionTypeNode(type)) {
    const parts = type.types.map(literals);
    return parts.every((p) => p !== undefined) ? parts.flat() : undefined;
  }
  if (ts.isTypeReferenceNode(type)) {
    const declared = types.get(type.typeName.getText());
    return declared === undefined || ts.isInterfaceDeclaration(declared) ? undefined : literals(declared);
  }
  return undefined;
}

/**
 * Compares a type with a schema where the type is a string-literal union (with the schema's enum), an
 * object, an array of one, or a named interface or union of objects (with the `$defs` entry of that name).
 */
function compareType(type: ts.TypeNode, s: Schema, path: string, problems: string[]): void {
  const strings = literals(type);
  if (strings !== undefined) {
    const values = (deref(s)[1].enum ?? []) as string[];
    if (strings.sort().join() !== [...values].sort().join())
      problems.push(`${path}: ${strings.join("|")} in the types, enum ${values.join("|")} in the schema`);
    return;
  }
  if (ts.isTypeOperatorNode(type)) {
    compareType(type.type, s, path, problems); // readonly T[]
    return;
  }
  if (ts.isArrayTypeNode(type)) {
    if (s.type !== "array") problems.push(`${path}: an array in the types, ${String(s.type)} in the schema`);
    else compareType(type.elementType, s.items as Schema, `${path}[]`, problems);
    return;
  }
  if (ts.isTypeLiteralNode(type)) {
    compareMembers(type.members, deref(s)[1], path, problems);
    return;
  }
  if (ts.isTypeReferenceNode(type)) {
    const name = type.typeName.getText();
    const declared = types.get(name);
    if (declared === undefined)
      throw new Error(`${path}: type ${name} is declared in none of the files read`);
    const [ref, target] = deref(s);
    if (ref !== name)
      problems.push(`${path}: ${name} in the types, ${ref ?? "an inline schema"} in the schema`);
    if (ts.isInterfaceDeclaration(declared)) compareMembers(declared.members, target, name, problems);
    else if (ts.isUnionTypeNode(declared)) {
      const options = (target.oneOf ?? []) as Schema[];
      if (options.length !== declared.types.length)
        problems.push(`${name}: ${declared.types.length} union members, ${options.length} oneOf choices`);
      for (const [i, t] of declared.types.entries())
        if (options[i] !== undefined) compareType(t, options[i]!, `${name}|${i}`, problems);
    }
  }
}

test("the schema's objects have exactly the fields of types.ts, optional where the types say so", () => {
  const root = types.get("InstallDocument");
  assert.ok(root !== undefined && ts.isInterfaceDeclaration(root));
  const problems: string[] = [];
  compareMembers(root.members, schema, "InstallDocument", problems);
  assert.deepEqual(problems, []);
  // the comparison itself can fail: a schema missing a field and a schema with a stray one
  const copy = structuredClone(schema);
  delete (copy.properties as Record<string, Schema>).badge;
  (copy.properties as Record<string, Schema>).stray = { description: "not in the types", type: "string" };
  const found: string[] = [];
  compareMembers(root.members, copy, "InstallDocument", found);
  assert.deepEqual(found.sort(), [
    "InstallDocument.badge: in the types, not in the schema",
    "InstallDocument.stray: in the schema, not in the types",
  ]);
});

test("every definition the types reach is compared (none left unchecked)", () => {
  const reached = new Set<string>();
  const walk = (s: Schema) => {
    const [ref, target] = deref(s);
    if (ref !== undefined) {
      if (reached.has(ref)) return;
      reached.add(ref);
    }
    for (const sub of Object.values((target.properties ?? {}) as Record<string, Schema>)) walk(sub);
    if (target.items !== undefined) walk(target.items as Schema);
    for (const option of (target.oneOf ?? []) as Schema[]) walk(option);
  };
  walk(schema);
  assert.deepEqual([...reached].sort(), Object.keys(defs).sort(), "every $defs entry is used");
  for (const name of reached)
    assert.ok(
      types.has(name),
      `${name}: a $defs entry named after no type in types.ts, target.ts or state.ts`,
    );
});

/**
 * PackageInfo as the artifacts table's `info` (jsonb) holds it, and back, faithfully. Plain JSON loses or
 * refuses what a reader can put in a PackageInfo:
 *
 * - `Uint8Array` (Arch's `raw.signature`) would become an object of indexes: stored as `{"$bytes": base64}`;
 * - PostgreSQL's jsonb refuses the NUL character (`\u0000`) and unpaired surrogates in strings, which a
 *   package's text (script bodies, descriptions) may hold: such strings are stored as
 *   `{"$utf16": base64 of their UTF-16LE code units}`;
 * - numbers that are not finite, and -0, become `null` and 0: stored as `{"$number": "NaN" | "Infinity" |
 *   "-Infinity" | "-0"}`;
 * - `bigint` and `Date` (not in PackageInfo today, encoded so a later field does not silently change type):
 *   `{"$bigint": "123"}`, `{"$date": ISO text}`;
 * - an object whose own keys start with `$` or hold NUL/unpaired surrogates would be read back as one of
 *   the above, or refused: stored as `{"$object": [[key, value], ...]}` (keys encoded as strings are).
 *
 * Properties whose value is `undefined` are left out (absent, as `exactOptionalPropertyTypes` reads them).
 * jsonb does not keep object key order; nothing that reads a PackageInfo depends on it (indexes name their
 * fields), and arrays keep their order. Anything else (functions, Maps, class instances) is refused when
 * stored, so an upload fails loudly rather than storing a PackageInfo that publishes differently.
 */
import type { PackageInfo } from "@packyard/formats";
import { ServerError } from "../errors.ts";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** An unpaired UTF-16 surrogate (no `u` flag: the pattern looks at code units). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** A string jsonb stores as it is: no NUL, no unpaired surrogate. */
function storable(s: string): boolean {
  return !s.includes("\0") && !LONE_SURROGATE.test(s);
}

function utf16Base64(s: string): string {
  const bytes = new Uint8Array(s.length * 2);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < s.length; i++) view.setUint16(i * 2, s.charCodeAt(i), true);
  return Buffer.from(bytes).toString("base64");
}

function fromUtf16Base64(b64: string): string {
  const bytes = Buffer.from(b64, "base64");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const codes: number[] = [];
  for (let i = 0; i + 1 < bytes.length; i += 2) codes.push(view.getUint16(i, true));
  let out = "";
  // In slices: String.fromCharCode takes its arguments on the stack.
  for (let i = 0; i < codes.length; i += 8192) out += String.fromCharCode(...codes.slice(i, i + 8192));
  return out;
}

function encodeValue(value: unknown, path: string): Json {
  if (value === null || typeof value === "boolean") return value;
  if (typeof value === "string") return storable(value) ? value : { $utf16: utf16Base64(value) };
  if (typeof value === "number") {
    if (Number.isFinite(value) && !Object.is(value, -0)) return value;
    return { $number: Object.is(value, -0) ? "-0" : String(value) };
  }
  if (typeof value === "bigint") return { $bigint: value.toString() };
  if (value instanceof Uint8Array) return { $bytes: Buffer.from(value).toString("base64") };
  if (value instanceof Date) return { $date: value.toISOString() };
  if (Array.isArray(value))
    return value.map((v, i) => (v === undefined ? null : encodeValue(v, `${path}[${i}]`)));
  if (typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    const plain = entries.every(([k]) => !k.startsWith("$") && storable(k));
    if (plain) {
      const out: { [key: string]: Json } = {};
      for (const [k, v] of entries) out[k] = encodeValue(v, `${path}.${k}`);
      return out;
    }
    return { $object: entries.map(([k, v]) => [encodeValue(k, path), encodeValue(v, `${path}.${k}`)]) };
  }
  throw new ServerError(
    "INTERNAL",
    `Expected PackageInfo to hold plain data, found ${typeof value === "object" ? (value.constructor?.name ?? "an object") : typeof value} at ${path}`,
    { field: path },
  );
}

function decodeValue(value: Json): unknown {
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map(decodeValue);
  const keys = Object.keys(value);
  if (keys.length === 1) {
    const tag = keys[0]!;
    const inner = value[tag]!;
    switch (tag) {
      case "$utf16":
        return fromUtf16Base64(inner as string);
      case "$number":
        return inner === "-0" ? -0 : Number(inner);
      case "$bigint":
        return BigInt(inner as string);
      case "$bytes":
        return new Uint8Array(Buffer.from(inner as string, "base64"));
      case "$date":
        return new Date(inner as string);
      case "$object": {
        const out: Record<string, unknown> = {};
        for (const [k, v] of inner as [Json, Json][]) out[decodeValue(k) as string] = decodeValue(v);
        return out;
      }
    }
  }
  const out: Record<string, unknown> = {};
  for (const k of keys) out[k] = decodeValue(value[k]!);
  return out;
}

/** The JSON text to store a PackageInfo as (`$n::jsonb`). */
export function encodeInfo(info: PackageInfo): string {
  return JSON.stringify(encodeValue(info, "info"));
}

/** The PackageInfo a stored `info` value (as the database adapters parse jsonb) stands for. */
export function decodeInfo(stored: unknown): PackageInfo {
  if (typeof stored === "string") return decodeValue(JSON.parse(stored) as Json) as PackageInfo;
  return decodeValue(stored as Json) as PackageInfo;
}

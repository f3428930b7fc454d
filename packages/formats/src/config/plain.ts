/**
 * Readers over a format block's plain value (the YAML already turned into objects, arrays and scalars, as
 * `ConfigBlock.parse` receives it). Each takes the field path used in messages (`apk.signature.key_file`)
 * and throws a SpecError `<field>: <message>` with `data: { field, found }`. The ConfigNode-tree readers
 * of the common keys are in fields.ts.
 */
import { SpecError } from "../errors.ts";
import { didYouMean } from "./fields.ts";
import { keyLine } from "./tree.ts";

/** The SpecError codes a block parser throws. */
export type ConfigErrorCode = "INVALID_FIELD" | "UNKNOWN_KEY" | "UNSUPPORTED_KEY" | "UNSUPPORTED_FEATURE";

/** A SpecError `field: message` whose data names the field and the value found. */
export function configError(
  code: ConfigErrorCode,
  field: string,
  message: string,
  found?: unknown,
): SpecError {
  return new SpecError(code, `${field}: ${message}`, { field, found });
}

/** The value as a plain mapping; anything else (null, a list, a scalar) is INVALID_FIELD. */
export function plainMap(raw: unknown, field: string): Record<string, unknown> {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw))
    throw configError("INVALID_FIELD", field, "expected a mapping", raw);
  return raw as Record<string, unknown>;
}

/** A non-empty string, trimmed; anything else (numbers included) is INVALID_FIELD. */
export function plainString(raw: unknown, field: string): string {
  if (typeof raw !== "string" || raw.trim() === "")
    throw configError("INVALID_FIELD", field, "expected a non-empty string", raw);
  return raw.trim();
}

/** A YAML boolean; anything else (the string "true" included) is INVALID_FIELD. */
export function plainBool(raw: unknown, field: string): boolean {
  if (typeof raw !== "boolean") throw configError("INVALID_FIELD", field, "expected true or false", raw);
  return raw;
}

/** What `onlyKeys` knows beyond the allowed keys. */
export interface OnlyKeysOptions {
  /** Keys recognised but not implemented, with what to do instead: UNSUPPORTED_KEY with that text. */
  unsupported?: Readonly<Record<string, string>>;
  /** The list in the UNKNOWN_KEY message; default `one of <allowed, comma-separated>`. */
  expected?: string;
}

/**
 * Rejects, in key order, a key of `o` that `unsupported` names (UNSUPPORTED_KEY) or that `allowed` does
 * not list (UNKNOWN_KEY `<field>.<key>: unknown key; expected ...`).
 */
export function onlyKeys(
  o: Record<string, unknown>,
  allowed: readonly string[],
  field: string,
  options: OnlyKeysOptions = {},
): void {
  const unsupported = options.unsupported ?? {};
  for (const k of Object.keys(o)) {
    if (Object.hasOwn(unsupported, k))
      throw configError("UNSUPPORTED_KEY", `${field}.${k}`, String(unsupported[k]), k);
    if (!allowed.includes(k)) {
      const expected = options.expected ?? `one of ${allowed.join(", ")}`;
      const line = keyLine(o, k);
      const at = line !== undefined ? ` (line ${line})` : "";
      throw configError(
        "UNKNOWN_KEY",
        `${field}.${k}`,
        `unknown key; expected ${expected}${didYouMean(k, allowed)}${at}`,
        k,
      );
    }
  }
}

/** Joins a relative path onto the config folder (POSIX or Windows absolute paths pass); no file access. */
export function configPath(baseDir: string, p: string): string {
  if (p.startsWith("/") || /^[A-Za-z]:[\\/]/.test(p) || p.startsWith("\\\\")) return p;
  return `${baseDir.replace(/[\\/]+$/, "")}/${p}`;
}

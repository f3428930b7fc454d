/**
 * A format's block in packyard.yml. Each format declares its keys once here; the loader uses the same
 * definition to parse, to reject unknown keys by name, and to generate the JSON schema.
 */

/** A JSON-schema fragment (draft 2020-12) describing the block, for editor completion. */
export type JsonSchema = { [key: string]: unknown };

export interface ConfigContext {
  /** Field path prefix for error messages, e.g. `deb` or `overrides.rpm.deb`. */
  field: string;
  /** Directory of the config file: relative key/script paths resolve against it. */
  baseDir: string;
}

export interface ConfigBlock<O> {
  /** Top-level key in packyard.yml, e.g. `deb`. */
  key: string;
  schema: JsonSchema;
  /** Parses the raw YAML value (already `${VAR}`-expanded) into options; throws SpecError naming bad keys. */
  parse(raw: unknown, ctx: ConfigContext): O;
}

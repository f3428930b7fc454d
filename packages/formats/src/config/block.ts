/**
 * A format's block in packyard.yml. Each format declares its keys once here; the loader uses the same
 * definition to parse, to reject unknown keys by name, and to generate the JSON schema.
 */
import type { PackageSpec, ScriptKind } from "../spec/types.ts";

/** A JSON-schema fragment (draft 2020-12) describing the block, for editor completion. */
export type JsonSchema = { [key: string]: unknown };

export interface ConfigContext {
  /** Field path prefix for error messages, e.g. `deb` or `overrides.rpm.deb`. */
  field: string;
  /** Directory of the config file: relative key/script paths resolve against it. */
  baseDir: string;
}

/** What a block's async `resolve` step may use: reading files named in the block. */
export interface BlockResolveContext extends ConfigContext {
  /** Reads a file (path relative to baseDir) as UTF-8; a missing file is a SpecError MISSING_SOURCE naming `field`. */
  readText(path: string, field: string): Promise<string>;
  /** Reads a file (path relative to baseDir) as bytes; a missing file is a SpecError MISSING_SOURCE naming `field`. */
  readBytes(path: string, field: string): Promise<Uint8Array>;
}

/**
 * The signing material a block's options name, for the build to load before anything is written: an
 * nfpm `signature:` key file (OpenPGP or PEM RSA; its passphrase comes from the environment), or X.509
 * material the block already read (macOS `signing:`).
 */
export type SigningMaterial =
  | { kind: "key-file"; keyFile: string; keyId?: string; keyName?: string }
  | { kind: "x509"; p12?: Uint8Array; certificatePem?: string; keyPem?: string; passphrase?: string };

/** What the config loader and the schema need of a format: its id and its block (a PackageFormat is one). */
export interface ConfigurableFormat {
  id: string;
  // biome-ignore lint/suspicious/noExplicitAny: every format's block, whatever its options type.
  config: ConfigBlock<any>;
}

export interface ConfigBlock<O> {
  /** Top-level key in packyard.yml, e.g. `deb`. */
  key: string;
  schema: JsonSchema;
  /**
   * Parses the raw YAML value (already `${VAR}`-expanded; `overrides.<packager>.<key>` merged over the
   * top-level block) into options; throws SpecError naming bad keys. Called with `undefined` when the
   * config has no block, so defaults live here.
   */
  parse(raw: unknown, ctx: ConfigContext): O;
  /**
   * Script files the block names that nfpm treats as package scripts (rpm pretrans/posttrans/verify,
   * apk/archlinux preupgrade/postupgrade): paths as written, relative to baseDir. The loader reads them
   * into `spec.scripts`, over the common `scripts:` of the same kind.
   */
  scripts?(options: O): Partial<Record<ScriptKind, string>>;
  /** An async step with file access (signing key files, debconf templates), run by `resolve`. */
  resolve?(options: O, ctx: BlockResolveContext): Promise<O>;
  /** The signing key these options name, if any (typed per block; the build loads it into a Signer). */
  signing?(options: O): SigningMaterial | undefined;
  /** Moves block settings that belong in the shared spec into it (e.g. deb `breaks`, `predepends`). */
  applyToSpec?(spec: PackageSpec, options: O): PackageSpec;
}

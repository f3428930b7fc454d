/**
 * The CLI's one seam onto @packyard/formats. Pieces that have landed are imported statically; pieces still
 * being written elsewhere (config loader, key generation and loading, file sources) are looked up at run
 * time in the package's index, typed here with the names agreed for them, so the CLI compiles and runs
 * before they exist and reports a clear error when a command needs one that is missing.
 */
import { SpecError } from "../../formats/src/errors.ts";
import type { PackageSpec, ByteSource } from "../../formats/src/spec/types.ts";
import type { Signer, OpenPGPSigner, RSASigner } from "../../formats/src/sign/signer.ts";

export { FORMATS, formatById } from "../../formats/src/registry.ts";
export { SpecError, FormatError, SignError, IOError, isPackyardError } from "../../formats/src/errors.ts";
export type { PackyardErrorAny } from "../../formats/src/errors.ts";
export { passphraseEnvNames, resolvePassphrase } from "../../formats/src/sign/passphrase.ts";
export type { PackageFormat, Warning } from "../../formats/src/format.ts";
export type { PackageInfo } from "../../formats/src/info/types.ts";
export type { PackageSpec, ByteSource, Signer, OpenPGPSigner, RSASigner };

/** A loaded packyard.yml: per-format resolution applies `overrides` and the format's block. */
export interface LoadedConfig {
  resolve(formatId: string, opts: { date: number }): { spec: PackageSpec; options: unknown };
}

export interface LoadConfigInput {
  text: string;
  path: string;
  baseDir: string;
  env: Readonly<Record<string, string | undefined>>;
  // biome-ignore lint/suspicious/noExplicitAny: formats carry their own option types.
  formats: readonly import("../../formats/src/format.ts").PackageFormat<any>[];
}

export interface KeygenFile {
  name: string;
  contents: string | Uint8Array;
  mode: number;
}

export interface KeygenResult {
  files: KeygenFile[];
  fingerprint: string;
}

/** The names the CLI needs from pieces of @packyard/formats that land in parallel with it. */
interface PendingApi {
  loadConfig(input: LoadConfigInput): LoadedConfig | Promise<LoadedConfig>;
  initConfigText(): string;
  keygen(input: {
    type: "openpgp" | "rsa";
    name: string;
    email: string;
    passphrase?: string;
  }): Promise<KeygenResult> | KeygenResult;
  loadOpenPGPSigner(
    key: string | Uint8Array,
    opts: { passphrase?: string; keyId?: string },
  ): Promise<OpenPGPSigner>;
  loadRSASigner(pem: string, opts: { keyName?: string }): Promise<RSASigner> | RSASigner;
  fileSource(path: string): ByteSource | Promise<ByteSource>;
  writeFileAtomic(path: string, chunks: AsyncIterable<Uint8Array>, mode?: number): Promise<unknown>;
}

let pending: Promise<Partial<PendingApi>> | undefined;

/** One function of the pending API, or a SpecError saying this packyard build lacks it. */
export async function api<K extends keyof PendingApi>(name: K): Promise<PendingApi[K]> {
  pending ??= import("@packyard/formats" as string).then(
    (m) => m as Partial<PendingApi>,
    () => ({}),
  );
  const fn = (await pending)[name];
  if (typeof fn !== "function") {
    throw new SpecError(
      "UNSUPPORTED_FEATURE",
      `this build of @packyard/formats does not provide ${name}() yet`,
    );
  }
  return fn as PendingApi[K];
}

/**
 * The `macos:` block of packyard.yml (packyard's own: nfpm has no macOS packager). Paths are resolved
 * against the config folder and read by `resolve`; the passphrase is never in the file (the CLI reads it
 * from the environment).
 */
import type { BlockResolveContext, ConfigBlock, ConfigContext, JsonSchema } from "../config/block.ts";
import { configError, configPath, onlyKeys, plainBool, plainMap, plainString } from "../config/plain.ts";
import { checkIdentifier } from "./identifier.ts";
import type { MacosOptions, MacosResource } from "./options.ts";
import { x509Signing } from "../config/signing.ts";

const RESOURCE_KINDS = ["welcome", "readme", "license", "background"] as const;
const KEYS = [
  "identifier",
  "install_location",
  "min_os_version",
  "title",
  "component_only",
  "auth",
  "postinstall_action",
  "resources",
  "scripts",
  "signature",
] as const;

const path = (description: string): JsonSchema => ({ type: "string", description });

const SCHEMA: JsonSchema = {
  type: "object",
  description: "macOS flat package (.pkg) options.",
  additionalProperties: false,
  properties: {
    identifier: {
      type: "string",
      description: "Reverse-DNS package identifier; default from homepage and name.",
    },
    install_location: { type: "string", description: "Where the payload is installed (default /)." },
    min_os_version: {
      type: "string",
      pattern: "^[0-9]+(\\.[0-9]+){0,2}$",
      description: "Lowest macOS version, e.g. 10.13.",
    },
    title: { type: "string", description: "Installer window title; default the package name." },
    component_only: {
      type: "boolean",
      description: "Write a component package (pkgbuild) instead of a product archive (productbuild).",
    },
    auth: { enum: ["root", "none"], description: "PackageInfo auth (default root)." },
    postinstall_action: {
      enum: ["none", "logout", "restart", "shutdown"],
      description: "What Installer asks for after installing.",
    },
    resources: {
      type: "object",
      additionalProperties: false,
      properties: Object.fromEntries(
        RESOURCE_KINDS.map((k) => [k, path(`File shown as the ${k} (rtf, html, txt; png for background).`)]),
      ),
    },
    scripts: {
      type: "object",
      additionalProperties: false,
      properties: {
        helpers: {
          type: "array",
          items: { type: "string" },
          description: "Files added to the Scripts archive next to preinstall/postinstall.",
        },
      },
    },
    signature: {
      type: "object",
      additionalProperties: false,
      properties: {
        p12_file: path("Developer ID Installer certificate and key as .p12 (Keychain export)."),
        certificate_file: path("PEM certificate chain, leaf first (with key_file)."),
        key_file: path("PEM RSA private key (with certificate_file)."),
      },
    },
  },
};

function fileName(p: string): string {
  return p.split(/[\\/]/).pop() ?? p;
}

/** Parses the `macos:` block; unknown keys throw SpecError UNKNOWN_KEY naming the key. */
export function parseMacosConfig(raw: unknown, ctx: ConfigContext): MacosOptions {
  if (raw === undefined || raw === null) return {};
  const f = ctx.field;
  const o = plainMap(raw, f);
  onlyKeys(o, KEYS, f);
  const out: MacosOptions = {};
  if (o.identifier !== undefined)
    out.identifier = checkIdentifier(plainString(o.identifier, `${f}.identifier`), `${f}.identifier`);
  if (o.install_location !== undefined)
    out.installLocation = plainString(o.install_location, `${f}.install_location`);
  if (o.min_os_version !== undefined) {
    const v =
      typeof o.min_os_version === "number"
        ? String(o.min_os_version)
        : plainString(o.min_os_version, `${f}.min_os_version`);
    if (!/^[0-9]+(\.[0-9]+){0,2}$/.test(v))
      throw configError("INVALID_FIELD", `${f}.min_os_version`, "expected a version such as 10.13 or 11", v);
    out.minOsVersion = v;
  }
  if (o.title !== undefined) out.title = plainString(o.title, `${f}.title`);
  if (o.component_only !== undefined) out.componentOnly = plainBool(o.component_only, `${f}.component_only`);
  if (o.auth !== undefined) {
    if (o.auth !== "root" && o.auth !== "none")
      throw configError("INVALID_FIELD", `${f}.auth`, "expected root or none", o.auth);
    out.auth = o.auth;
  }
  if (o.postinstall_action !== undefined) {
    const a = o.postinstall_action;
    if (a !== "none" && a !== "logout" && a !== "restart" && a !== "shutdown")
      throw configError(
        "INVALID_FIELD",
        `${f}.postinstall_action`,
        "expected none, logout, restart or shutdown",
        a,
      );
    out.postinstallAction = a;
  }
  if (o.resources !== undefined && o.resources !== null) {
    const r = plainMap(o.resources, `${f}.resources`);
    onlyKeys(r, RESOURCE_KINDS, `${f}.resources`);
    const files: NonNullable<MacosOptions["resourceFiles"]> = {};
    for (const k of RESOURCE_KINDS)
      if (r[k] !== undefined) files[k] = configPath(ctx.baseDir, plainString(r[k], `${f}.resources.${k}`));
    out.resourceFiles = files;
  }
  if (o.scripts !== undefined && o.scripts !== null) {
    const s = plainMap(o.scripts, `${f}.scripts`);
    onlyKeys(s, ["helpers"], `${f}.scripts`);
    if (s.helpers !== undefined) {
      if (!Array.isArray(s.helpers))
        throw configError("INVALID_FIELD", `${f}.scripts.helpers`, "expected a list of paths", s.helpers);
      out.scriptHelperFiles = s.helpers.map((h, i) =>
        configPath(ctx.baseDir, plainString(h, `${f}.scripts.helpers[${i}]`)),
      );
    }
  }
  if (o.signature !== undefined && o.signature !== null) {
    const s = plainMap(o.signature, `${f}.signature`);
    onlyKeys(s, ["p12_file", "certificate_file", "key_file"], `${f}.signature`);
    const sig: NonNullable<MacosOptions["signing"]> = {};
    if (s.p12_file !== undefined)
      sig.p12File = configPath(ctx.baseDir, plainString(s.p12_file, `${f}.signature.p12_file`));
    if (s.certificate_file !== undefined)
      sig.certificateFile = configPath(
        ctx.baseDir,
        plainString(s.certificate_file, `${f}.signature.certificate_file`),
      );
    if (s.key_file !== undefined)
      sig.keyFile = configPath(ctx.baseDir, plainString(s.key_file, `${f}.signature.key_file`));
    if (sig.p12File !== undefined && (sig.certificateFile !== undefined || sig.keyFile !== undefined))
      throw configError(
        "INVALID_FIELD",
        `${f}.signature`,
        "give either p12_file or certificate_file + key_file, not both",
        Object.keys(s),
      );
    if (sig.p12File === undefined && (sig.certificateFile === undefined) !== (sig.keyFile === undefined))
      throw configError(
        "INVALID_FIELD",
        `${f}.signature`,
        "certificate_file and key_file go together",
        Object.keys(s),
      );
    out.signing = sig;
  }
  return out;
}

/** Reads the files the block names: resources, script helpers, the .p12 or PEM certificate and key. */
export async function resolveMacosConfig(
  options: MacosOptions,
  ctx: BlockResolveContext,
): Promise<MacosOptions> {
  const out: MacosOptions = { ...options };
  const f = ctx.field;
  if (options.resourceFiles) {
    const res: NonNullable<MacosOptions["resources"]> = {};
    for (const k of RESOURCE_KINDS) {
      const p = options.resourceFiles[k];
      if (p !== undefined)
        res[k] = {
          name: fileName(p),
          content: await ctx.readBytes(p, `${f}.resources.${k}`),
        } satisfies MacosResource;
    }
    out.resources = res;
  }
  if (options.scriptHelperFiles) {
    out.scriptHelpers = [];
    for (const [i, p] of options.scriptHelperFiles.entries())
      out.scriptHelpers.push({
        name: fileName(p),
        content: await ctx.readBytes(p, `${f}.scripts.helpers[${i}]`),
      });
  }
  if (options.signing) {
    const s = { ...options.signing };
    if (s.p12File !== undefined) s.p12 = await ctx.readBytes(s.p12File, `${f}.signature.p12_file`);
    if (s.certificateFile !== undefined)
      s.certificatePem = await ctx.readText(s.certificateFile, `${f}.signature.certificate_file`);
    if (s.keyFile !== undefined) s.keyPem = await ctx.readText(s.keyFile, `${f}.signature.key_file`);
    out.signing = s;
  }
  return out;
}

/** The `macos:` block: parse, resolve (file reads) and JSON schema. */
export const macosConfig: ConfigBlock<MacosOptions> = {
  key: "macos",
  schema: SCHEMA,
  parse: parseMacosConfig,
  signing: (o) => x509Signing(o.signing),
  resolve: resolveMacosConfig,
};

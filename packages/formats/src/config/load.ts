/**
 * Loads packyard.yml / nfpm.yaml: YAML with line/column errors, nfpm's `$VAR` expansion on the keys
 * nfpm expands, every key checked against the key table (unknown keys and rejected nfpm keys fail by
 * name), format blocks parsed by their formats. `resolve(format)` then applies `overrides.<packager>`,
 * `packager:` filters, globbing and file reads, and returns the PackageSpec and the format's options.
 */
import { SpecError } from "../errors.ts";
import { parseArch } from "../spec/arch.ts";
import { parseRelation } from "../spec/relation.ts";
import type { PackageSpec, RelationKind, Relations, ScriptKind, Scripts, Version } from "../spec/types.ts";
import { validateSpec } from "../spec/validate.ts";
import { parseVersion } from "../spec/version.ts";
import type { BlockResolveContext, ConfigurableFormat } from "./block.ts";
import { parseChangelog } from "./changelog.ts";
import { type ContentItem, parseContents, resolveContents } from "./contents.ts";
import { expandEnv } from "./expand.ts";
import {
  checkKeys,
  invalid,
  isNull,
  readBool,
  readMap,
  readOctal,
  readString,
  readStrings,
  readTime,
} from "./fields.ts";
import type { ConfigHost } from "../source/host.ts";
import { BUILD_BLOCKS, FOREIGN_PACKAGERS, KNOWN_BLOCKS, type KeyDef, SCRIPT_KEYS, TOP_KEYS } from "./keys.ts";
import { nodeConfigHost } from "../source/node-config-host.ts";
import { resolvePath } from "./posix-path.ts";
import { type PublishConfig, parsePublishConfig } from "./publish.ts";
import { type ConfigNode, type MapNode, parseYamlTree, toPlain } from "./tree.ts";

type AnyFormat = ConfigurableFormat;

export interface LoadConfigInput {
  text: string;
  /** The config file's name, for messages. */
  path?: string;
  /** Directory that relative `src`, script and changelog paths resolve against (absolute). */
  baseDir: string;
  /** Variables for `$VAR` expansion (the CLI passes process.env). */
  env: Record<string, string | undefined>;
  /** The formats whose blocks are parsed (usually FORMATS). */
  formats: readonly AnyFormat[];
  /** File access; defaults to the local file system. */
  host?: ConfigHost;
  /**
   * The package version, instead of the config's top-level `version:` (a build server writes the version a
   * build asks for from the one stored packyard.yml). Parsed as that field would be.
   */
  version?: string;
}

export interface ResolvedPackage {
  spec: PackageSpec;
  /** The format's options parsed by its block (`deb:` merged with `overrides.deb.deb:`). */
  options: unknown;
}

export interface LoadedConfig {
  /** The config as plain data, as written (no expansion); blocks of formats not registered live here. */
  readonly raw: Record<string, unknown>;
  /** Settings that were read but apply to packagers packyard does not build (`overrides.ipk`, `ipk:`). */
  readonly notes: readonly string[];
  /**
   * A top-level block as plain data with `$VAR` expanded (as formats receive theirs), or undefined when
   * absent; for build-wide blocks such as `checksum:` that the caller parses.
   */
  block(key: string): unknown;
  /** The `publish:` block, parsed (absent when the config has none): what `packyard publish` defaults to. */
  readonly publish?: PublishConfig;
  /** The spec and options for one format, e.g. `resolve("deb", { date })`; `date` is the default build date. */
  resolve(formatId: string, opts: { date: number }): Promise<ResolvedPackage>;
}

const RELATION_KEYS = ["depends", "recommends", "suggests", "conflicts", "replaces", "provides"] as const;

/** The keys of one layer: the top level, or one `overrides.<packager>`. */
interface Layer {
  field: string;
  strings: Map<string, string>;
  relations: Map<string, { items: string[]; field: string }>;
  umask?: number;
  contents?: ContentItem[];
  scripts: Map<string, { path: string; field: string }>;
  blocks: Map<string, ConfigNode>;
}

/** Parses and checks a config; throws SpecError (CONFIG_SYNTAX, UNKNOWN_KEY, UNSUPPORTED_KEY, INVALID_FIELD, ...). */
export function loadConfig(input: LoadConfigInput): LoadedConfig {
  const path = input.path ?? "packyard.yml";
  const env = input.env;
  const host = input.host ?? nodeConfigHost;
  const tree = parseYamlTree(input.text, path);
  const root = readMap(tree, "(top level)");
  const formatKeys = input.formats.flatMap((f) => [f.config.key]);
  const blockKeys = [...new Set([...formatKeys, ...KNOWN_BLOCKS, ...FOREIGN_PACKAGERS])];
  checkKeys(root, TOP_KEYS, "", blockKeys);
  const notes: string[] = [];

  const top = readLayer(root, "", env, blockKeys, false);
  if (input.version !== undefined) top.strings.set("version", input.version);
  const bools = new Map<string, boolean>();
  const times = new Map<string, number>();
  for (const [k, node] of root.entries) {
    const def = TOP_KEYS[k];
    if (isNull(node) || !def) continue;
    if (def.type === "bool") bools.set(k, readBool(node, k));
    if (def.type === "time") times.set(k, readTime(node, k));
  }
  for (const k of ["name", "version"]) {
    if (!top.strings.get(k)) {
      throw new SpecError("MISSING_FIELD", `${k}: required, found nothing in ${path}`, { field: k, path });
    }
  }
  const schema = top.strings.get("version_schema");
  if (schema !== undefined && schema !== "semver" && schema !== "none") {
    throw new SpecError("INVALID_FIELD", `version_schema: expected semver or none, found "${schema}"`, {
      field: "version_schema",
      found: schema,
    });
  }
  const platform = top.strings.get("platform") || "linux";
  if (platform !== "linux" && platform !== "darwin") {
    throw new SpecError("INVALID_FIELD", `platform: expected linux or darwin, found "${platform}"`, {
      field: "platform",
      found: platform,
    });
  }

  const overrides = new Map<string, Layer>();
  const ovNode = root.entries.get("overrides");
  if (ovNode !== undefined) {
    const known = [
      ...new Set([
        ...input.formats.flatMap((f) => [f.id, f.config.key]),
        ...KNOWN_BLOCKS,
        ...FOREIGN_PACKAGERS,
      ]),
    ].filter((k) => !BUILD_BLOCKS.includes(k));
    // `checksum:` and other build-wide blocks cannot vary per packager.
    const overrideBlocks = blockKeys.filter((k) => !BUILD_BLOCKS.includes(k));
    for (const [packager, node] of readMap(ovNode, "overrides").entries) {
      const field = `overrides.${packager}`;
      if (!known.includes(packager)) {
        throw new SpecError(
          "UNKNOWN_KEY",
          `${field}: unknown packager; expected one of ${known.join(", ")}`,
          {
            field,
            expected: known,
          },
        );
      }
      overrides.set(packager, readLayer(readMap(node, field), field, env, overrideBlocks, true));
      if (FOREIGN_PACKAGERS.includes(packager))
        notes.push(`${field}: packyard does not build ${packager}; ignored`);
    }
  }
  for (const key of top.blocks.keys()) {
    if (FOREIGN_PACKAGERS.includes(key)) notes.push(`${key}: packyard does not build ${key}; ignored`);
  }

  const expandAll = (s: string) => expandEnv(s, env);
  const blockFormats = new Map(input.formats.map((f) => [f.config.key, f]));
  // Validate every block of a registered format now, so a typo fails before any build starts.
  const blockRaw = (layer: Layer, key: string) => {
    const n = layer.blocks.get(key);
    return n === undefined ? undefined : toPlain(n, expandAll);
  };
  for (const layer of [top, ...overrides.values()]) {
    for (const key of layer.blocks.keys()) {
      const format = blockFormats.get(key);
      const field = layer.field === "" ? key : `${layer.field}.${key}`;
      format?.config.parse(blockRaw(layer, key), { field, baseDir: input.baseDir });
    }
  }

  // Parsed here, not by the publisher, so a typo in it fails `packyard build` too, before anything is written.
  const publishRaw = blockRaw(top, "publish");
  const publish =
    publishRaw === undefined
      ? undefined
      : parsePublishConfig(publishRaw, { field: "publish", baseDir: input.baseDir });

  const readText = async (p: string, field: string): Promise<string> =>
    new TextDecoder().decode(await readSource(host, input.baseDir, p, field));

  return {
    raw: toPlain(root, (s) => s) as Record<string, unknown>,
    notes,
    ...(publish !== undefined ? { publish } : {}),
    block: (key) => blockRaw(top, key),
    async resolve(formatId, opts) {
      const format = input.formats.find((f) => f.id === formatId);
      if (!format) {
        throw new SpecError(
          "UNKNOWN_FORMAT",
          `no format "${formatId}" is available; this build knows ${input.formats.map((f) => f.id).join(", ") || "none"}`,
          { field: "format", found: formatId },
        );
      }
      const names = [format.id, format.config.key];
      const ov = names.map((n) => overrides.get(n)).find((l) => l !== undefined);
      const pick = <T>(get: (l: Layer) => T | undefined): T | undefined =>
        ov && get(ov) !== undefined ? get(ov) : get(top);

      // Format options: the top-level block with overrides.<packager>.<key> merged over it.
      const key = format.config.key;
      const field = ov?.blocks.has(key) ? `${ov.field}.${key}` : key;
      const merged = mergeRaw(blockRaw(top, key), ov ? blockRaw(ov, key) : undefined);
      const ctx: BlockResolveContext = {
        field,
        baseDir: input.baseDir,
        readText,
        readBytes: (p, f) => readSource(host, input.baseDir, p, f),
      };
      let options: unknown = format.config.parse(merged, { field, baseDir: input.baseDir });
      if (format.config.resolve) options = await format.config.resolve(options, ctx);

      const version = buildVersion(top, ov, schema === "none" ? "none" : "semver");
      const archText = top.strings.get("arch");
      let arch: PackageSpec["arch"];
      if (archText) arch = parseArch(archText, "arch");
      else {
        const blockArch = (merged as { arch?: unknown } | undefined)?.arch;
        if (typeof blockArch !== "string" || blockArch === "") {
          throw new SpecError("MISSING_FIELD", `arch: required (or ${key}.arch), found nothing in ${path}`, {
            field: "arch",
          });
        }
        arch = parseArch(blockArch, `${key}.arch`);
      }
      if (platform === "darwin" && format.id !== "macos") {
        throw new SpecError(
          "INVALID_FIELD",
          `platform: darwin is only valid for the macos format, not ${format.id}`,
          {
            field: "platform",
            found: platform,
          },
        );
      }

      const relations: Relations = {};
      for (const k of RELATION_KEYS) {
        const list = ov?.relations.get(k)?.items.length ? ov.relations.get(k) : top.relations.get(k);
        if (!list || list.items.length === 0) continue;
        relations[k as RelationKind] = list.items.map((s, i) => parseRelation(s, `${list.field}[${i}]`));
      }

      const scripts: Scripts = {};
      const scriptPaths = new Map(top.scripts);
      for (const [k, v] of ov?.scripts ?? []) scriptPaths.set(k, v);
      for (const [k, p] of Object.entries(format.config.scripts?.(options) ?? {})) {
        if (p) scriptPaths.set(k, { path: p, field: `${key}.scripts.${k}` });
      }
      for (const [k, v] of scriptPaths) scripts[k as ScriptKind] = { body: await readText(v.path, v.field) };

      const changelogPath = top.strings.get("changelog");
      const changelog = changelogPath
        ? parseChangelog(await readText(changelogPath, "changelog"), changelogPath, "changelog")
        : [];

      const entries = await resolveContents(
        pick((l) => (l.contents?.length ? l.contents : undefined)) ?? [],
        {
          packagers: names,
          rpm: format.id === "rpm",
          umask: pick((l) => l.umask) ?? 0o002,
          disableGlobbing: bools.get("disable_globbing") ?? false,
          baseDir: input.baseDir,
          host,
        },
      );

      const spec: PackageSpec = {
        name: top.strings.get("name")!,
        version,
        arch,
        date: times.get("mtime") ?? opts.date,
        relations,
        entries,
        scripts,
        changelog,
      };
      for (const k of [
        "maintainer",
        "description",
        "license",
        "homepage",
        "vendor",
        "section",
        "priority",
      ] as const) {
        const v = top.strings.get(k);
        if (v !== undefined && v !== "") spec[k] = v;
      }
      let out = validateSpec(spec);
      if (format.config.applyToSpec) out = format.config.applyToSpec(out, options);
      return { spec: out, options };
    },
  };
}

function readLayer(
  map: MapNode,
  field: string,
  env: Record<string, string | undefined>,
  blockKeys: readonly string[],
  override: boolean,
): Layer {
  const at = (k: string) => (field === "" ? k : `${field}.${k}`);
  if (override) {
    const table: Record<string, KeyDef> = {};
    for (const [k, d] of Object.entries(TOP_KEYS)) if (d.overridable) table[k] = d;
    checkKeys(map, table, field, blockKeys);
  }
  const layer: Layer = {
    field,
    strings: new Map(),
    relations: new Map(),
    scripts: new Map(),
    blocks: new Map(),
  };
  for (const [k, node] of map.entries) {
    const def = TOP_KEYS[k];
    if (def === undefined) {
      if (!isNull(node)) {
        if (node.kind !== "map") throw invalid(node, at(k), `a mapping of ${k} settings`);
        layer.blocks.set(k, node);
      }
      continue;
    }
    if (isNull(node)) continue;
    switch (def.type) {
      case "string": {
        const s = readString(node, at(k));
        layer.strings.set(k, def.expand ? expandEnv(s, env) : s);
        break;
      }
      case "strings": {
        let items = readStrings(node, at(k));
        // nfpm: expanded items are trimmed and empty ones dropped (so `${OPTIONAL_DEP}` can vanish).
        if (def.expand) items = items.map((s) => expandEnv(s, env).trim()).filter((s) => s !== "");
        layer.relations.set(k, { items, field: at(k) });
        break;
      }
      case "octal":
        layer.umask = readOctal(node, at(k));
        if (layer.umask > 0o777) throw invalid(node, at(k), "a umask between 0 and 0o777");
        break;
      case "contents":
        layer.contents = parseContents(node, at(k), env);
        break;
      case "scripts": {
        const m = readMap(node, at(k));
        checkKeys(m, SCRIPT_KEYS, at(k));
        for (const [s, p] of m.entries) {
          if (!isNull(p))
            layer.scripts.set(s, { path: readString(p, `${at(k)}.${s}`), field: `${at(k)}.${s}` });
        }
        break;
      }
      default:
        break; // bool/time/overrides are read by loadConfig
    }
  }
  if (layer.strings.has("epoch") && !/^\d+$/.test(layer.strings.get("epoch")!)) {
    const f = at("epoch");
    throw new SpecError(
      "INVALID_FIELD",
      `${f}: expected a non-negative integer, found "${layer.strings.get("epoch")}"`,
      {
        field: f,
        found: layer.strings.get("epoch"),
      },
    );
  }
  return layer;
}

function buildVersion(top: Layer, ov: Layer | undefined, schema: "semver" | "none"): Version {
  const get = (k: string) => {
    const v = ov?.strings.get(k) || top.strings.get(k);
    return v === undefined || v === "" ? undefined : v;
  };
  const v = parseVersion(top.strings.get("version")!, { schema, field: "version" });
  const prerelease = get("prerelease");
  const metadata = get("version_metadata");
  const release = get("release");
  const epoch = get("epoch");
  if (prerelease !== undefined) v.prerelease = prerelease;
  if (metadata !== undefined) v.metadata = metadata;
  if (release !== undefined) v.release = release;
  if (epoch !== undefined) v.epoch = Number.parseInt(epoch, 10);
  return v;
}

/** Deep-merges plain YAML data: mappings key by key, anything else replaced by the override. */
function mergeRaw(base: unknown, over: unknown): unknown {
  if (over === undefined) return base;
  const isObj = (x: unknown): x is Record<string, unknown> =>
    typeof x === "object" && x !== null && !Array.isArray(x);
  if (!isObj(base) || !isObj(over)) return over;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = mergeRaw(base[k], v);
  return out;
}

async function readSource(host: ConfigHost, baseDir: string, p: string, field: string): Promise<Uint8Array> {
  const abs = resolvePath(baseDir, p);
  const st = await host.stat(abs);
  if (st === undefined || st.type !== "file") {
    throw new SpecError(
      "MISSING_SOURCE",
      `${field}: ${p} ${st === undefined ? "does not exist" : "is not a file"} (looked for ${abs})`,
      { field, path: abs },
    );
  }
  return host.readFile(abs);
}

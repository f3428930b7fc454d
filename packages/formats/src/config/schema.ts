/**
 * The JSON schema of packyard.yml (draft 2020-12), generated from the same key table the loader checks
 * against and from each format's block schema, for editor completion.
 */
import type { ConfigBlock, ConfigurableFormat, JsonSchema } from "./block.ts";
import {
  BUILD_BLOCKS,
  CONTENT_KEYS,
  FILE_INFO_KEYS,
  FOREIGN_PACKAGERS,
  KNOWN_BLOCKS,
  type KeyDef,
  SCRIPT_KEYS,
  TOP_KEYS,
} from "./keys.ts";
import { publishConfig } from "./publish.ts";

function keySchema(def: KeyDef): JsonSchema {
  const s: JsonSchema = { description: def.description };
  switch (def.type) {
    case "string":
      s.type = "string";
      break;
    case "strings":
      s.type = "array";
      s.items = { type: "string" };
      break;
    case "bool":
      s.type = "boolean";
      break;
    case "octal":
      s.type = ["integer", "string"];
      break;
    case "time":
      s.type = ["string", "integer"];
      break;
    case "contents":
      s.$ref = "#/$defs/contents";
      break;
    case "scripts":
      s.$ref = "#/$defs/scripts";
      break;
    case "file_info":
      s.$ref = "#/$defs/file_info";
      break;
    case "overrides":
      s.type = "object";
      s.additionalProperties = { $ref: "#/$defs/overridables" };
      break;
  }
  if (def.enum) s.enum = [...def.enum];
  if (def.examples) s.examples = [...def.examples];
  return s;
}

function properties(
  table: Readonly<Record<string, KeyDef>>,
  filter: (d: KeyDef) => boolean = () => true,
): JsonSchema {
  const out: JsonSchema = {};
  for (const [k, d] of Object.entries(table)) if (!d.unsupported && filter(d)) out[k] = keySchema(d);
  return out;
}

/**
 * The packyard.yml JSON schema for the given formats' blocks and the build-wide blocks (`build:`, `checksum:`), which
 * the build parses itself rather than a format: pass `BUILD_CONFIG_BLOCKS` (build/settings.ts) for packyard's full schema (the
 * `publish:` block, which the loader parses, is always included).
 */
export function configJsonSchema(
  formats: readonly ConfigurableFormat[],
  // biome-ignore lint/suspicious/noExplicitAny: blocks of every options type.
  buildBlocks: readonly ConfigBlock<any>[] = [],
): JsonSchema {
  const blocks: JsonSchema = {};
  const byKey = new Map(formats.map((f) => [f.config.key, f.config.schema]));
  // The publish block lives with the config loader, which parses it: its schema is always known.
  byKey.set(publishConfig.key, publishConfig.schema);
  for (const b of buildBlocks) byKey.set(b.key, b.schema);
  for (const key of [...new Set([...KNOWN_BLOCKS, ...byKey.keys()])].sort()) {
    blocks[key] = byKey.get(key) ?? { type: "object", description: `${key} settings` };
  }
  const packagerBlocks: JsonSchema = {};
  for (const [k, v] of Object.entries(blocks)) if (!BUILD_BLOCKS.includes(k)) packagerBlocks[k] = v;
  for (const key of FOREIGN_PACKAGERS) {
    blocks[key] = { type: "object", description: `nfpm's ${key} settings: accepted, not used by packyard` };
  }
  const scripts: JsonSchema = {};
  for (const [k, d] of Object.entries(SCRIPT_KEYS)) scripts[k] = { type: "string", description: d };
  return {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    $id: "https://packyard.dev/packyard.schema.json",
    title: "packyard.yml",
    description: "Package description for packyard (nfpm-compatible)",
    type: "object",
    required: ["name", "version"],
    additionalProperties: false,
    properties: { ...properties(TOP_KEYS), ...blocks },
    $defs: {
      contents: {
        type: "array",
        items: {
          type: "object",
          required: ["dst"],
          additionalProperties: false,
          properties: properties(CONTENT_KEYS),
        },
      },
      file_info: { type: "object", additionalProperties: false, properties: properties(FILE_INFO_KEYS) },
      scripts: { type: "object", additionalProperties: false, properties: scripts },
      overridables: {
        type: "object",
        additionalProperties: false,
        properties: { ...properties(TOP_KEYS, (d) => d.overridable === true), ...packagerBlocks },
      },
    },
  };
}

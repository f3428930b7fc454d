/** JSON schemas of the repository routes: settings as the API takes and shows them, publish requests and results. */

const NAME = { type: "string", pattern: "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$" } as const;
/** An APT suite: one or two name segments (`stable`, `bookworm/updates`). */
const SUITE = {
  type: "string",
  maxLength: 100,
  pattern: "^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)?$",
} as const;
/** A Release field value: printable ASCII on one line (Origin, Label). */
const FIELD_TEXT = { type: "string", pattern: "^[!-~][ -~]{0,99}$" } as const;
const ARCH = { type: "string", pattern: "^[a-z0-9][a-z0-9_-]{0,31}$" } as const;
const ARCHES = { type: "array", items: ARCH, minItems: 1, maxItems: 32, uniqueItems: true } as const;
const TARGET = { type: "string", pattern: "^[a-z0-9][a-z0-9._-]{0,63}$" } as const;
const TARGETS = { type: "array", items: TARGET, minItems: 1, maxItems: 64, uniqueItems: true } as const;

const APT = {
  type: "object",
  additionalProperties: false,
  required: ["suite"],
  properties: {
    suite: SUITE,
    codename: NAME,
    components: { type: "array", items: NAME, minItems: 1, maxItems: 32, uniqueItems: true },
    architectures: ARCHES,
    origin: FIELD_TEXT,
    label: FIELD_TEXT,
  },
} as const;

const RPM = {
  type: "object",
  additionalProperties: false,
  required: ["targets"],
  properties: { targets: TARGETS, architectures: ARCHES },
} as const;

const ARCHLINUX = {
  type: "object",
  additionalProperties: false,
  properties: { repo: NAME, architectures: ARCHES },
} as const;

const ALPINE = {
  type: "object",
  additionalProperties: false,
  required: ["targets"],
  properties: { targets: TARGETS, repo: NAME, architectures: ARCHES },
} as const;

const KEEP = { type: "integer", minimum: 1, maximum: 10_000 } as const;

/** The body of `PUT …/repository`: the whole settings (a family left out is not configured). */
export const SETTINGS_BODY = {
  type: "object",
  additionalProperties: false,
  properties: {
    private: { type: "boolean" },
    keep: KEEP,
    apt: APT,
    rpm: RPM,
    archlinux: ARCHLINUX,
    alpine: ALPINE,
  },
} as const;

const COUNTS = {
  type: ["object", "null"],
  required: ["at", "added", "removed", "unchanged", "roots"],
  properties: {
    at: { type: "string", format: "date-time" },
    added: { type: "integer" },
    removed: { type: "integer" },
    unchanged: { type: "integer" },
    roots: { type: "array", items: { type: "string" } },
  },
} as const;

const NULLABLE_DATE = { type: ["string", "null"], format: "date-time" } as const;

/** A repository as the API shows it. */
export const REPOSITORY = {
  type: "object",
  required: ["name", "private", "settings", "url", "createdAt", "updatedAt", "lastPublish"],
  properties: {
    name: { type: "string" },
    private: { type: "boolean" },
    settings: {
      type: "object",
      properties: { keep: KEEP, apt: APT, rpm: RPM, archlinux: ARCHLINUX, alpine: ALPINE },
    },
    /** Where users fetch it from (null when the server knows no public URL). */
    url: { type: ["string", "null"] },
    /** Null until the first PUT or publish made the row. */
    createdAt: NULLABLE_DATE,
    updatedAt: NULLABLE_DATE,
    lastPublish: COUNTS,
  },
} as const;

/** A package as a selector names it (removals) and as a publish result lists it. */
const SELECTOR_PROPERTIES = {
  name: { type: "string", minLength: 1, maxLength: 256 },
  version: { type: "string", minLength: 1, maxLength: 256 },
  arch: { type: "string", minLength: 1, maxLength: 64 },
  component: NAME,
  target: TARGET,
  family: { type: "string", enum: ["deb", "rpm", "archlinux", "alpine"] },
} as const;

/** The body of `POST …/repository/publish`. */
export const PUBLISH_BODY = {
  type: "object",
  additionalProperties: false,
  properties: {
    add: {
      type: "array",
      maxItems: 1000,
      items: {
        type: "object",
        additionalProperties: false,
        required: ["package", "version"],
        properties: {
          package: { type: "string", minLength: 1, maxLength: 128 },
          version: { type: "string", minLength: 1, maxLength: 128 },
        },
      },
    },
    remove: {
      type: "array",
      maxItems: 1000,
      items: {
        type: "object",
        additionalProperties: false,
        required: ["name"],
        properties: SELECTOR_PROPERTIES,
      },
    },
    keep: KEEP,
  },
} as const;

const RESULT_PACKAGE = {
  type: "object",
  properties: { ...SELECTOR_PROPERTIES, root: { type: "string" } },
} as const;

/** What a publish answers. */
export const PUBLISH_RESULT = {
  type: "object",
  required: ["added", "unchanged", "removed", "roots", "changedKeys", "warnings"],
  properties: {
    added: { type: "array", items: RESULT_PACKAGE },
    unchanged: { type: "array", items: RESULT_PACKAGE },
    removed: { type: "array", items: RESULT_PACKAGE },
    roots: { type: "array", items: { type: "string" } },
    changedKeys: { type: "array", items: { type: "string" } },
    warnings: {
      type: "array",
      items: {
        type: "object",
        required: ["code", "message", "root"],
        properties: { code: { type: "string" }, message: { type: "string" }, root: { type: "string" } },
      },
    },
    downloads: {
      type: "object",
      properties: {
        added: { type: "array", items: { type: "object", additionalProperties: { type: "string" } } },
        unchanged: { type: "array", items: { type: "object", additionalProperties: { type: "string" } } },
      },
    },
  },
} as const;

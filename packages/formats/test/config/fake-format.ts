// A stand-in PackageFormat whose config block accepts `arch`, `scripts` (any ScriptKind → path) and
// `flag`, so loader tests do not depend on the real formats landing in parallel.
import { SpecError } from "../../src/errors.ts";
import type { PackageFormat } from "../../src/format.ts";
import type { FormatId } from "../../src/info/types.ts";
import type { ScriptKind } from "../../src/spec/types.ts";

export interface FakeOptions {
  arch?: string;
  flag?: string;
  scripts?: Partial<Record<ScriptKind, string>>;
  field: string;
}

export function fakeFormat(id: FormatId, key: string = id): PackageFormat<FakeOptions> {
  return {
    id,
    fileName: (spec) => `${spec.name}.${id}`,
    validate: () => {},
    async *write() {},
    read: () => Promise.reject(new Error("not implemented")),
    compareVersions: (a, b) => (a < b ? -1 : a > b ? 1 : 0),
    newest: (packages) => packages[0],
    sniff: () => false,
    config: {
      key,
      schema: { type: "object", properties: { arch: { type: "string" }, flag: { type: "string" } } },
      parse(raw, ctx) {
        const o: FakeOptions = { field: ctx.field };
        if (raw === undefined) return o;
        if (typeof raw !== "object" || raw === null)
          throw new SpecError("INVALID_FIELD", `${ctx.field}: mapping`, { field: ctx.field });
        for (const [k, v] of Object.entries(raw)) {
          if (k === "arch" || k === "flag") o[k] = String(v);
          else if (k === "scripts") o.scripts = v as NonNullable<FakeOptions["scripts"]>;
          else if (k === "prefixes") continue;
          else
            throw new SpecError("UNKNOWN_KEY", `${ctx.field}.${k}: unknown key`, {
              field: `${ctx.field}.${k}`,
            });
        }
        return o;
      },
      scripts: (o) => o.scripts ?? {},
    },
  };
}

export const FAKE_FORMATS = [
  fakeFormat("deb"),
  fakeFormat("rpm"),
  fakeFormat("apk"),
  fakeFormat("archlinux"),
];

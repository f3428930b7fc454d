/**
 * The spec checks as they were before issue 18 made them cheap per entry (commit ab2499c), kept
 * unchanged as the oracle of validate-oracle.test.ts: the fast paths must give the same results, the
 * same errors (class, code, message, data) and the same order for every input. Test code only.
 */
import { SpecError } from "../../src/errors.ts";
import { assertRichRelation, isRichRelation } from "../../src/spec/relation.ts";
import { ARCHES, type Entry, type PackageSpec, RELATION_KINDS, SCRIPT_KINDS } from "../../src/spec/types.ts";
import { compareBytes } from "../../src/spec/order.ts";

export function oldNormalizeDestination(input: string, field = "path"): string {
  if (input.includes("\0")) {
    throw new SpecError("INVALID_PATH", `${field}: a path must not contain NUL bytes`, {
      field,
      found: input,
    });
  }
  const parts: string[] = [];
  for (const seg of input.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") {
      throw new SpecError(
        "INVALID_PATH",
        `${field}: expected a path inside the package, found ".." in "${input}"`,
        {
          field,
          found: input,
        },
      );
    }
    parts.push(seg);
  }
  if (parts.length === 0) {
    throw new SpecError(
      "INVALID_PATH",
      `${field}: expected a file path, found "${input}" (the root itself)`,
      {
        field,
        found: input,
      },
    );
  }
  return `/${parts.join("/")}`;
}

export function oldParentDirs(path: string): string[] {
  const parts = path.split("/").filter(Boolean);
  const out: string[] = [];
  for (let i = 1; i < parts.length; i++) out.push(`/${parts.slice(0, i).join("/")}`);
  return out;
}

export function oldValidateSpec(spec: PackageSpec): PackageSpec {
  if (typeof spec.name !== "string" || spec.name.trim() === "") {
    throw new SpecError("MISSING_FIELD", "name: expected a package name, found nothing", { field: "name" });
  }
  if (!spec.version || typeof spec.version.upstream !== "string" || spec.version.upstream === "") {
    throw new SpecError("MISSING_FIELD", "version: expected a version, found nothing", { field: "version" });
  }
  if (
    spec.version.epoch !== undefined &&
    !(Number.isInteger(spec.version.epoch) && spec.version.epoch >= 0)
  ) {
    throw new SpecError(
      "INVALID_VERSION",
      `version.epoch: expected a non-negative integer, found ${spec.version.epoch}`,
      {
        field: "version.epoch",
        found: spec.version.epoch,
      },
    );
  }
  if (!(ARCHES as readonly string[]).includes(spec.arch)) {
    throw new SpecError("INVALID_ARCH", `arch: expected one of ${ARCHES.join(", ")}, found "${spec.arch}"`, {
      field: "arch",
      found: spec.arch,
    });
  }
  if (!Number.isInteger(spec.date) || spec.date < 0) {
    throw new SpecError("INVALID_FIELD", `date: expected seconds since the epoch, found ${spec.date}`, {
      field: "date",
      found: spec.date,
    });
  }
  for (const key of [
    "name",
    "maintainer",
    "summary",
    "license",
    "homepage",
    "vendor",
    "section",
    "priority",
  ] as const) {
    const v = spec[key];
    if (v !== undefined && /[\r\n]/.test(v)) {
      throw new SpecError("INVALID_FIELD", `${key}: expected a single line, found a line break`, {
        field: key,
        found: v,
      });
    }
  }
  for (const kind of Object.keys(spec.relations)) {
    if (!(RELATION_KINDS as readonly string[]).includes(kind)) {
      throw new SpecError(
        "UNKNOWN_KEY",
        `relations.${kind}: unknown relation kind; expected one of ${RELATION_KINDS.join(", ")}`,
        {
          field: `relations.${kind}`,
        },
      );
    }
    spec.relations[kind as keyof PackageSpec["relations"]]?.forEach((group, i) => {
      if (group.length === 0) {
        throw new SpecError(
          "INVALID_RELATION",
          `relations.${kind}[${i}]: expected at least one package, found none`,
          {
            field: `relations.${kind}[${i}]`,
          },
        );
      }
      group.forEach((r, j) => {
        if (isRichRelation(r)) {
          assertRichRelation(group, `relations.${kind}[${i}]`);
          return;
        }
        if (!r.name || /[\s,|]/.test(r.name) || (r.op === undefined) !== (r.version === undefined)) {
          throw new SpecError(
            "INVALID_RELATION",
            `relations.${kind}[${i}][${j}]: expected a name without spaces and op with version together`,
            {
              field: `relations.${kind}[${i}][${j}]`,
              found: r,
            },
          );
        }
      });
    });
  }
  for (const kind of Object.keys(spec.scripts)) {
    if (!(SCRIPT_KINDS as readonly string[]).includes(kind)) {
      throw new SpecError(
        "UNKNOWN_KEY",
        `scripts.${kind}: unknown script; expected one of ${SCRIPT_KINDS.join(", ")}`,
        {
          field: `scripts.${kind}`,
        },
      );
    }
  }

  const entries = spec.entries.map((e, i) => oldCheckEntry(e, `entries[${i}]`));
  entries.sort((a, b) => compareBytes(a.path, b.path));
  for (let i = 1; i < entries.length; i++) {
    if (entries[i]!.path === entries[i - 1]!.path) {
      throw new SpecError("DUPLICATE_PATH", `entries: "${entries[i]!.path}" is listed twice`, {
        field: "entries",
        path: entries[i]!.path,
      });
    }
  }
  const byPath = new Map(entries.map((e) => [e.path, e]));
  for (const e of entries) {
    if (e.type === "hardlink") {
      const t = byPath.get(e.target);
      if (t?.type !== "file") {
        throw new SpecError(
          "INVALID_PATH",
          `hardlink ${e.path}: expected its target ${e.target} to be a file of this package`,
          {
            field: "entries",
            path: e.path,
            found: t?.type ?? "missing",
          },
        );
      }
    }
  }
  return { ...spec, entries };
}

function oldCheckEntry(e: Entry, field: string): Entry {
  const path = oldNormalizeDestination(e.path, `${field}.path`);
  if (!Number.isInteger(e.mode) || e.mode < 0 || e.mode > 0o7777) {
    throw new SpecError("INVALID_MODE", `${field}.mode: expected permission bits 0..07777, found ${e.mode}`, {
      field: `${field}.mode`,
      path,
      found: e.mode,
    });
  }
  for (const who of ["owner", "group"] as const) {
    const p = e[who];
    if (!p || !p.name || /[\s:]/.test(p.name) || !Number.isInteger(p.id) || p.id < 0 || p.id > 0xffffffff) {
      throw new SpecError("INVALID_FIELD", `${field}.${who}: expected { name, id } with a non-negative id`, {
        field: `${field}.${who}`,
        path,
        found: p,
      });
    }
  }
  if (e.mtime !== undefined && (!Number.isInteger(e.mtime) || e.mtime < 0)) {
    throw new SpecError(
      "INVALID_FIELD",
      `${field}.mtime: expected seconds since the epoch, found ${e.mtime}`,
      {
        field: `${field}.mtime`,
        path,
      },
    );
  }
  if (e.type === "symlink" && (e.target === "" || e.target.includes("\0"))) {
    throw new SpecError("INVALID_PATH", `${field}.target: expected a link target, found "${e.target}"`, {
      field: `${field}.target`,
      path,
    });
  }
  if (e.type === "hardlink")
    return { ...e, path, target: oldNormalizeDestination(e.target, `${field}.target`) };
  if (e.type === "file" && (!Number.isSafeInteger(e.content.size) || e.content.size < 0)) {
    throw new SpecError(
      "INVALID_FIELD",
      `${field}.content.size: expected a byte count, found ${e.content.size}`,
      {
        field: `${field}.content`,
        path,
      },
    );
  }
  return { ...e, path };
}

/**
 * The `control` file of a binary package: fields in the order dpkg-gencontrol writes them
 * (Dpkg::Control::FieldsCore), relations rendered from the structured model, Description folded.
 */
import { SpecError } from "../errors.ts";
import { formatRelationDeb } from "../spec/relation.ts";
import type { PackageSpec, RelationGroup, RelationKind } from "../spec/types.ts";
import { foldDescription, isFieldName, singleLineField } from "../text/deb822.ts";
import type { DebOptions } from "./options.ts";

/** Relation fields in dpkg-gencontrol's order, with the spec's relation kind each comes from. */
export const DEB_RELATION_FIELDS: readonly (readonly [string, RelationKind])[] = [
  ["Pre-Depends", "preDepends"],
  ["Depends", "depends"],
  ["Recommends", "recommends"],
  ["Suggests", "suggests"],
  ["Enhances", "enhances"],
  ["Conflicts", "conflicts"],
  ["Breaks", "breaks"],
  ["Replaces", "replaces"],
  ["Provides", "provides"],
];

/** Fields packyard writes itself; `fields` may not set them. */
export const DEB_OWN_FIELDS: readonly string[] = [
  "Package",
  "Version",
  "Architecture",
  "Architecture-Variant",
  "Maintainer",
  "Installed-Size",
  ...DEB_RELATION_FIELDS.map(([f]) => f),
  "Section",
  "Priority",
  "Multi-Arch",
  "Homepage",
  "Description",
];

/** Used when the spec names no maintainer (as nfpm does); lintian flags it, so the writer warns. */
export const UNSET_MAINTAINER = "Unset Maintainer <unset@localhost>";

/** The spec's relations of one kind plus the deb options' additions (`breaks`, `preDepends`). */
export function debRelations(spec: PackageSpec, options: DebOptions, kind: RelationKind): RelationGroup[] {
  const base = spec.relations[kind] ?? [];
  if (kind === "breaks") return [...base, ...(options.breaks ?? [])];
  if (kind === "preDepends") return [...base, ...(options.preDepends ?? [])];
  return base;
}

/** Synopsis and extended description as written in the Description field. */
export function debDescription(spec: PackageSpec): { synopsis: string; extended: string } {
  const text = (spec.description ?? "").replace(/\r\n?/g, "\n").trim();
  const [firstLine = "", ...restLines] = text.split("\n");
  if (spec.summary !== undefined && spec.summary.trim() !== "") {
    const extended = text === spec.summary.trim() ? "" : text;
    return { synopsis: spec.summary.trim(), extended };
  }
  if (firstLine.trim() !== "") return { synopsis: firstLine.trim(), extended: restLines.join("\n") };
  return { synopsis: spec.name, extended: "" };
}

/** Inputs of {@link renderControl} computed by the writer. */
export interface ControlInputs {
  version: string;
  arch: string;
  installedSizeKiB: number;
}

/**
 * Renders the control stanza. Single-line fields reject line breaks (SpecError INVALID_FIELD).
 * @example renderControl(spec, {}, { version: "1.0-1", arch: "amd64", installedSizeKiB: 12 })
 */
export function renderControl(spec: PackageSpec, options: DebOptions, inputs: ControlInputs): string {
  let out = "";
  const add = (name: string, value: string | undefined, field: string) => {
    if (value !== undefined && value.trim() !== "") out += singleLineField(name, value, field);
  };
  add("Package", spec.name, "name");
  add("Version", inputs.version, "version");
  add("Architecture", inputs.arch, "arch");
  add("Architecture-Variant", options.archVariant, "deb.arch_variant");
  add("Maintainer", spec.maintainer ?? UNSET_MAINTAINER, "maintainer");
  add("Installed-Size", String(inputs.installedSizeKiB), "entries");
  for (const [name, kind] of DEB_RELATION_FIELDS) {
    const groups = debRelations(spec, options, kind);
    if (groups.length > 0) add(name, groups.map(formatRelationDeb).join(", "), `relations.${kind}`);
  }
  add("Section", spec.section, "section");
  add("Priority", spec.priority ?? "optional", "priority");
  add("Multi-Arch", options.multiArch, "deb.multi_arch");
  add("Homepage", spec.homepage, "homepage");
  for (const name of Object.keys(options.fields ?? {}).sort()) {
    add(name, options.fields![name], `deb.fields.${name}`);
  }
  const { synopsis, extended } = debDescription(spec);
  if (/[\r\n]/.test(synopsis)) {
    throw new SpecError(
      "INVALID_FIELD",
      "summary: the Description synopsis must be a single line, found a line break",
      {
        field: "summary",
      },
    );
  }
  return out + foldDescription(synopsis, extended);
}

/** Throws SpecError when a `deb.fields` name is not a valid field name or collides with a field packyard writes. */
export function assertExtraFields(fields: Record<string, string> | undefined): void {
  const own = new Set(DEB_OWN_FIELDS.map((f) => f.toLowerCase()));
  for (const [name, value] of Object.entries(fields ?? {})) {
    const field = `deb.fields.${name}`;
    if (!isFieldName(name)) {
      throw new SpecError(
        "INVALID_FIELD",
        `${field}: "${name}" is not a control field name (printable ASCII, no ':' or space)`,
        { field, found: name },
      );
    }
    if (own.has(name.toLowerCase())) {
      throw new SpecError(
        "INVALID_FIELD",
        `${field}: ${name} is written by packyard from the spec; set it there instead`,
        { field, found: name },
      );
    }
    if (typeof value !== "string" || /[\r\n]/.test(value)) {
      throw new SpecError("INVALID_FIELD", `${field}: expected a single-line string value`, {
        field,
        found: value,
      });
    }
  }
}

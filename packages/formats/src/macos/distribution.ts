/**
 * Distribution XML of a product archive (Apple's Distribution XML reference, productbuild(1)): written and
 * read.
 */
import { FormatError } from "../errors.ts";
import { escapeXml, parseXml, xmlChild, xmlChildren, xmlTag } from "../text/xml.ts";

export interface DistributionXml {
  title: string;
  hostArchitectures: string[];
  minOsVersion?: string;
  /** Resource elements (`welcome`, `readme`, `license`, `background`) → file name under Resources/. */
  resources: { kind: "welcome" | "readme" | "license" | "background"; file: string }[];
  packages: { identifier: string; version: string; installKBytes: number; componentName: string }[];
  product?: { id: string; version: string };
}

/** Renders Distribution: one choice per component, each pkg-ref pointing at `#<name>.pkg` in the same xar. */
export function renderDistribution(d: DistributionXml): string {
  const l: string[] = [];
  l.push(`    <title>${escapeXml(d.title)}</title>`);
  for (const r of d.resources) {
    const extra = r.kind === "background" ? { alignment: "bottomleft", scaling: "none" } : {};
    l.push(`    ${xmlTag(r.kind, { file: r.file, ...extra })}`);
  }
  l.push(
    `    ${xmlTag("options", { customize: "never", "require-scripts": "false", hostArchitectures: d.hostArchitectures.join(",") })}`,
  );
  l.push(`    ${xmlTag("domains", { enable_localSystem: "true" })}`);
  if (d.minOsVersion !== undefined) {
    l.push(
      `    <allowed-os-versions>\n        ${xmlTag("os-version", { min: d.minOsVersion })}\n    </allowed-os-versions>`,
    );
  }
  l.push(
    `    <choices-outline>\n        <line choice="default">\n${d.packages.map((p) => `            ${xmlTag("line", { choice: p.identifier })}\n`).join("")}        </line>\n    </choices-outline>`,
  );
  l.push(`    ${xmlTag("choice", { id: "default" })}`);
  for (const p of d.packages) {
    l.push(
      `    ${xmlTag("choice", { id: p.identifier, visible: "false" }, xmlTag("pkg-ref", { id: p.identifier }))}`,
    );
  }
  for (const p of d.packages) {
    l.push(
      `    ${xmlTag("pkg-ref", { id: p.identifier, version: p.version, onConclusion: "none", installKBytes: p.installKBytes }, `#${escapeXml(p.componentName)}`)}`,
    );
  }
  if (d.product) l.push(`    ${xmlTag("product", { id: d.product.id, version: d.product.version })}`);
  return `<?xml version="1.0" encoding="utf-8"?>\n<installer-gui-script minSpecVersion="2">\n${l.join("\n")}\n</installer-gui-script>\n`;
}

/** The component a `<pkg-ref>` names (`#hello.pkg`, `file:hello%20world.pkg`), its %-escapes decoded. */
function componentName(text: string): string {
  const ref = text.replace(/^file:/, "").replace(/^#/, "");
  try {
    return decodeURIComponent(ref);
  } catch (cause) {
    throw new FormatError(
      "INVALID_VALUE",
      `Distribution: <pkg-ref> ${JSON.stringify(text)} is not a package reference: expected %-escapes of UTF-8 bytes (%20), found a malformed one`,
      { path: "Distribution", field: "pkg-ref", expected: "a URL reference such as #hello.pkg", found: text },
      { cause },
    );
  }
}

/** Parses Distribution: title, host architectures, allowed OS, resources and the `#name.pkg` references. */
export function parseDistribution(xml: string): DistributionXml {
  const root = parseXml(xml, "Distribution");
  if (root.name !== "installer-gui-script")
    throw new FormatError(
      "BAD_HEADER",
      `Distribution: expected <installer-gui-script>, found <${root.name}>`,
      { path: "Distribution" },
    );
  const opts = xmlChild(root, "options");
  const os =
    xmlChild(root, "allowed-os-versions") ??
    xmlChild(xmlChild(root, "volume-check") ?? root, "allowed-os-versions");
  const d: DistributionXml = {
    title: xmlChild(root, "title")?.text.trim() ?? "",
    hostArchitectures: (opts?.attrs.hostArchitectures ?? "")
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean),
    resources: [],
    packages: [],
  };
  const min = os ? xmlChild(os, "os-version")?.attrs.min : undefined;
  if (min) d.minOsVersion = min;
  for (const kind of ["welcome", "readme", "license", "background"] as const) {
    const el = xmlChild(root, kind);
    if (el?.attrs.file) d.resources.push({ kind, file: el.attrs.file });
  }
  for (const ref of xmlChildren(root, "pkg-ref")) {
    const text = ref.text.trim();
    if (!text) continue;
    const name = componentName(text);
    d.packages.push({
      identifier: ref.attrs.id ?? "",
      version: ref.attrs.version ?? "",
      installKBytes: Number(ref.attrs.installKBytes ?? 0) || 0,
      componentName: name,
    });
  }
  const product = xmlChild(root, "product");
  if (product?.attrs.id) d.product = { id: product.attrs.id, version: product.attrs.version ?? "" };
  return d;
}

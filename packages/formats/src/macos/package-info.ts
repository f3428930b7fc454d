/**
 * PackageInfo XML of a component package (apple-flat-package src/package_info.rs, pkgbuild(1)): written and
 * read.
 */
import { FormatError } from "../errors.ts";
import { escapeXml, parseXml, xmlChild, xmlTag } from "../text/xml.ts";

export interface PackageInfoXml {
  identifier: string;
  version: string;
  installLocation: string;
  auth: string;
  numberOfFiles: number;
  installKBytes: number;
  /** Script kinds named under `<scripts>`, with their file names in the Scripts archive. */
  scripts: { kind: string; file: string }[];
  postinstallAction?: string;
  minimumSystemVersion?: string;
}

/** Renders PackageInfo: format-version 2, no relocation, scripts named relative to the Scripts root. */
export function renderPackageInfo(p: PackageInfoXml): string {
  const attrs: Record<string, string | number | undefined> = {
    "format-version": 2,
    identifier: p.identifier,
    version: p.version,
    "install-location": p.installLocation,
    auth: p.auth,
    "overwrite-permissions": "false",
    relocatable: "false",
    "postinstall-action": p.postinstallAction,
    minimumSystemVersion: p.minimumSystemVersion,
    "generator-version": "packyard",
  };
  let inner = `\n    ${xmlTag("payload", { numberOfFiles: p.numberOfFiles, installKBytes: p.installKBytes })}\n`;
  if (p.scripts.length > 0) {
    inner += `    <scripts>\n${p.scripts.map((s) => `        <${s.kind} file="${escapeXml(s.file)}"/>\n`).join("")}    </scripts>\n`;
  }
  return `<?xml version="1.0" encoding="utf-8"?>\n${xmlTag("pkg-info", attrs, inner)}\n`;
}

/** Parses PackageInfo. @throws FormatError BAD_HEADER when the root is not `<pkg-info>` or identifier/version are missing. */
export function parsePackageInfo(xml: string, where = "PackageInfo"): PackageInfoXml {
  const root = parseXml(xml, where);
  if (root.name !== "pkg-info")
    throw new FormatError("BAD_HEADER", `${where}: expected <pkg-info>, found <${root.name}>`, {
      path: where,
    });
  const a = root.attrs;
  for (const k of ["identifier", "version"] as const) {
    if (!a[k])
      throw new FormatError("BAD_HEADER", `${where}: <pkg-info> has no ${k}`, { path: where, field: k });
  }
  const payload = xmlChild(root, "payload");
  const num = (s: string | undefined): number => (s !== undefined && /^\d+$/.test(s) ? Number(s) : 0);
  const scripts = (xmlChild(root, "scripts")?.children ?? []).map((c) => ({
    kind: c.name,
    file: c.attrs.file ?? "",
  }));
  const out: PackageInfoXml = {
    identifier: a.identifier!,
    version: a.version!,
    installLocation: a["install-location"] ?? "/",
    auth: a.auth ?? "none",
    numberOfFiles: num(payload?.attrs.numberOfFiles),
    installKBytes: num(payload?.attrs.installKBytes),
    scripts,
  };
  if (a["postinstall-action"]) out.postinstallAction = a["postinstall-action"];
  if (a.minimumSystemVersion) out.minimumSystemVersion = a.minimumSystemVersion;
  return out;
}

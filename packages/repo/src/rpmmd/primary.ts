/**
 * primary.xml: one `<package type="rpm">` per rpm with what dnf needs to resolve dependencies, laid out
 * as createrepo_c writes it (src/xml_dump_primary.c, src/xml_file.c; repos.md §3.3): the same elements
 * and attributes in the same order, two-space indentation, libxml2's escaping (./xml.ts).
 */
import type { RpmDepEntry, RpmDepLists } from "../publish/state.ts";
import { itemDocument } from "../utf8.ts";
import type { RpmMdPackage } from "./types.ts";
import { XML_DECLARATION, xmlAttr, xmlInteger, xmlText } from "./xml.ts";

/**
 * createrepo_c's primary-file rule (src/misc.h `cr_is_primary`): paths under `/etc/`, any path holding
 * `bin/` anywhere (`/usr/sbin/x`, `/opt/bin/x`, `/usr/binary/`... yum has always matched it loosely),
 * and `/usr/lib/sendmail`. These files are listed in primary.xml, and a package's requirement on one of
 * its own primary files is left out.
 * @example isPrimaryFile("/opt/tool/sbin/x") // true
 */
export function isPrimaryFile(path: string): boolean {
  return path.startsWith("/etc/") || path === "/usr/lib/sendmail" || path.includes("bin/");
}

/** Dependency lists in the order primary.xml has them (not the order createrepo_c reads them). */
const DEP_ELEMENTS: readonly (readonly [keyof RpmDepLists, string])[] = [
  ["provides", "rpm:provides"],
  ["requires", "rpm:requires"],
  ["conflicts", "rpm:conflicts"],
  ["obsoletes", "rpm:obsoletes"],
  ["suggests", "rpm:suggests"],
  ["enhances", "rpm:enhances"],
  ["recommends", "rpm:recommends"],
  ["supplements", "rpm:supplements"],
];

function entryXml(e: RpmDepEntry, requires: boolean, where: string): string {
  let out = `      <rpm:entry name="${xmlAttr(e.name, where)}"`;
  // epoch, ver and rel only go with a comparison (createrepo_c skips each when empty).
  if (e.flags !== undefined) {
    out += ` flags="${e.flags}"`;
    if (e.epoch) out += ` epoch="${xmlAttr(e.epoch, where)}"`;
    if (e.ver) out += ` ver="${xmlAttr(e.ver, where)}"`;
    if (e.rel) out += ` rel="${xmlAttr(e.rel, where)}"`;
  }
  if (requires && e.pre) out += ` pre="1"`;
  return `${out}/>\n`;
}

function depsXml(deps: RpmDepLists, where: string): string {
  let out = "";
  for (const [kind, element] of DEP_ELEMENTS) {
    const list = deps[kind];
    if (list.length === 0) continue;
    // An entry without a name is skipped, but its list element is still written (and may end up empty).
    const entries = list
      .filter((e) => e.name !== "")
      .map((e) => entryXml(e, kind === "requires", `${where} ${kind}`))
      .join("");
    out += entries === "" ? `    <${element}/>\n` : `    <${element}>\n${entries}    </${element}>\n`;
  }
  return out;
}

/** One `<package>` of primary.xml, ending with a newline. */
export function primaryPackageXml(pkg: RpmMdPackage): string {
  const i = pkg.info;
  const at = `primary.xml ${i.name}`;
  const t = (s: string, field: string) => xmlText(s, `${at} ${field}`);
  const a = (s: string, field: string) => xmlAttr(s, `${at} ${field}`);
  const n = (v: number, field: string) => xmlInteger(v, `${at} ${field}`);
  let out = `<package type="rpm">\n`;
  out += `  <name>${t(i.name, "name")}</name>\n`;
  out += `  <arch>${t(i.arch, "arch")}</arch>\n`;
  out += `  <version epoch="${a(i.epoch, "epoch")}" ver="${a(i.ver, "ver")}" rel="${a(i.rel, "rel")}"/>\n`;
  out += `  <checksum type="sha256" pkgid="YES">${t(pkg.pkgid, "pkgid")}</checksum>\n`;
  out += `  <summary>${t(i.summary, "summary")}</summary>\n`;
  out += `  <description>${t(i.description, "description")}</description>\n`;
  out += `  <packager>${t(i.packager, "packager")}</packager>\n`;
  out += `  <url>${t(i.url, "url")}</url>\n`;
  out += `  <time file="${n(pkg.fileTime, "time file")}" build="${n(i.buildTime, "time build")}"/>\n`;
  out += `  <size package="${n(pkg.size, "size package")}" installed="${n(i.installedSize, "size installed")}" archive="${n(i.archiveSize, "size archive")}"/>\n`;
  out += `  <location href="${a(pkg.href, "location href")}"/>\n`;
  out += `  <format>\n`;
  out += `    <rpm:license>${t(i.license, "license")}</rpm:license>\n`;
  out += `    <rpm:vendor>${t(i.vendor, "vendor")}</rpm:vendor>\n`;
  out += `    <rpm:group>${t(i.group, "group")}</rpm:group>\n`;
  out += `    <rpm:buildhost>${t(i.buildhost, "buildhost")}</rpm:buildhost>\n`;
  out += `    <rpm:sourcerpm>${t(i.sourcerpm, "sourcerpm")}</rpm:sourcerpm>\n`;
  out += `    <rpm:header-range start="${n(i.headerRange.start, "header-range start")}" end="${n(i.headerRange.end, "header-range end")}"/>\n`;
  out += depsXml(i.deps, at);
  for (const f of i.files) {
    if (!isPrimaryFile(f.path)) continue;
    const type = f.type === undefined ? "" : ` type="${f.type}"`;
    out += `    <file${type}>${t(f.path, "file")}</file>\n`;
  }
  out += `  </format>\n`;
  out += `</package>\n`;
  return out;
}

/**
 * The primary.xml document of `pkgs`, in their order (createrepo_c sorts by file name; the caller
 * chooses). Ends without a newline after `</metadata>`, as createrepo_c's does.
 * @example primaryXml([]) // '<?xml ...?>\n<metadata ... packages="0">\n</metadata>'
 */
export function primaryXml(pkgs: readonly RpmMdPackage[]): string {
  return PRIMARY_DOCUMENT.text(pkgs);
}

/** {@link primaryXml} as UTF-8, built package by package. */
export function primaryXmlBytes(pkgs: readonly RpmMdPackage[]): Uint8Array {
  return PRIMARY_DOCUMENT.bytes(pkgs);
}

/** The document's opening, one package's part and closing (what buildRpmMetadata compresses piece by piece). */
export const PRIMARY_DOCUMENT = itemDocument(
  (count) =>
    `${XML_DECLARATION}<metadata xmlns="http://linux.duke.edu/metadata/common" xmlns:rpm="http://linux.duke.edu/metadata/rpm" packages="${count}">\n`,
  primaryPackageXml,
  "</metadata>",
);

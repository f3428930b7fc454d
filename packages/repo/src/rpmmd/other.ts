/**
 * other.xml: the changelog of every package, keyed by pkgid, as createrepo_c writes it
 * (src/xml_dump_other.c; repos.md §3.4): `<package pkgid= name= arch=>`, `<version>`, then one
 * `<changelog author= date=>text</changelog>` per kept entry, in the order {@link rpmIndexInfo} left
 * them (oldest of the kept first).
 */
import { packageHead } from "./filelists.ts";
import { itemDocument } from "../utf8.ts";
import type { RpmMdPackage } from "./types.ts";
import { XML_DECLARATION, xmlAttr, xmlInteger, xmlText } from "./xml.ts";

/** One `<package>` of other.xml, ending with a newline. */
export function otherPackageXml(pkg: RpmMdPackage): string {
  const where = `other.xml ${pkg.info.name} changelog`;
  let out = packageHead(pkg, "other.xml");
  for (const c of pkg.info.changelog) {
    out += `  <changelog author="${xmlAttr(c.author, `${where} author`)}" date="${xmlInteger(c.date, `${where} date`)}">${xmlText(c.text, where)}</changelog>\n`;
  }
  return `${out}</package>\n`;
}

/**
 * The other.xml document of `pkgs`, in their order; no newline after `</otherdata>`.
 * @example otherXml([]) // '<?xml ...?>\n<otherdata ... packages="0">\n</otherdata>'
 */
export function otherXml(pkgs: readonly RpmMdPackage[]): string {
  return OTHER_DOCUMENT.text(pkgs);
}

/** {@link otherXml} as UTF-8, built package by package. */
export function otherXmlBytes(pkgs: readonly RpmMdPackage[]): Uint8Array {
  return OTHER_DOCUMENT.bytes(pkgs);
}

/** The document's opening, one package's part and closing (what buildRpmMetadata compresses piece by piece). */
export const OTHER_DOCUMENT = itemDocument(
  (count) =>
    `${XML_DECLARATION}<otherdata xmlns="http://linux.duke.edu/metadata/other" packages="${count}">\n`,
  otherPackageXml,
  "</otherdata>",
);

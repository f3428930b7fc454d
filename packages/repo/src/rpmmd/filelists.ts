/**
 * filelists.xml: every path of every package, keyed by pkgid, as createrepo_c writes it
 * (src/xml_dump_filelists.c; repos.md §3.4): `<package pkgid= name= arch=>`, `<version>`, then one
 * `<file>` per path in header order, directories typed `dir` and ghosts `ghost`.
 */
import { itemDocument } from "../utf8.ts";
import type { RpmMdPackage } from "./types.ts";
import { XML_DECLARATION, xmlAttr, xmlText } from "./xml.ts";

/** The `<package pkgid= name= arch=>` line and `<version>` element filelists and other share. */
export function packageHead(pkg: RpmMdPackage, where: string): string {
  const i = pkg.info;
  const a = (s: string, field: string) => xmlAttr(s, `${where} ${i.name} ${field}`);
  return (
    `<package pkgid="${a(pkg.pkgid, "pkgid")}" name="${a(i.name, "name")}" arch="${a(i.arch, "arch")}">\n` +
    `  <version epoch="${a(i.epoch, "epoch")}" ver="${a(i.ver, "ver")}" rel="${a(i.rel, "rel")}"/>\n`
  );
}

/** One `<package>` of filelists.xml, ending with a newline. */
export function filelistsPackageXml(pkg: RpmMdPackage): string {
  let out = packageHead(pkg, "filelists.xml");
  const where = `filelists.xml ${pkg.info.name} file`;
  for (const f of pkg.info.files) {
    const type = f.type === undefined ? "" : ` type="${f.type}"`;
    out += `  <file${type}>${xmlText(f.path, where)}</file>\n`;
  }
  return `${out}</package>\n`;
}

/**
 * The filelists.xml document of `pkgs`, in their order; no newline after `</filelists>`.
 * @example filelistsXml([]) // '<?xml ...?>\n<filelists ... packages="0">\n</filelists>'
 */
export function filelistsXml(pkgs: readonly RpmMdPackage[]): string {
  return FILELISTS_DOCUMENT.text(pkgs);
}

/** {@link filelistsXml} as UTF-8, built package by package. */
export function filelistsXmlBytes(pkgs: readonly RpmMdPackage[]): Uint8Array {
  return FILELISTS_DOCUMENT.bytes(pkgs);
}

/** The document's opening, one package's part and closing (what buildRpmMetadata compresses piece by piece). */
export const FILELISTS_DOCUMENT = itemDocument(
  (count) =>
    `${XML_DECLARATION}<filelists xmlns="http://linux.duke.edu/metadata/filelists" packages="${count}">\n`,
  filelistsPackageXml,
  "</filelists>",
);

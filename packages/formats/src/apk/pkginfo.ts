/**
 * `.PKGINFO` (apk-package(5); abuild prepare_metafiles, apk-tools src/package.c read_info_line): `key =
 * value` lines, repeated keys for lists, `#` comments — the grammar of text/kv.ts, shared with Arch. Written
 * in abuild's key order, with `datahash` last (it is computed from the data member, which comes first).
 */
import { decodeKeyValues, encodeKeyValues, type KeyValue } from "../text/kv.ts";

/** The fields packyard writes, in order. Lists are written one line per item. */
export interface PkginfoFields {
  pkgname: string;
  pkgver: string;
  pkgdesc?: string;
  url?: string;
  builddate: number;
  packager?: string;
  /** Installed size in bytes; 0 marks a virtual package that installs nothing. */
  size: number;
  arch: string;
  origin?: string;
  commit?: string;
  maintainer?: string;
  license?: string;
  depend: string[];
  provides: string[];
  replaces: string[];
  installIf: string[];
  triggers: string[];
  providerPriority?: number;
  replacesPriority?: number;
  /** SHA-256 hex of the compressed data member. */
  datahash: string;
}

/**
 * Encodes `.PKGINFO` text, with pkgdesc and url always (empty when unset), as abuild writes them. Values
 * are single lines (the writer validated them).
 */
export function encodePkginfo(f: PkginfoFields): string {
  const pairs: KeyValue[] = [];
  const put = (key: string, v: string | number | undefined) => {
    if (v !== undefined && v !== "") pairs.push({ key, value: String(v) });
  };
  put("pkgname", f.pkgname);
  put("pkgver", f.pkgver);
  // abuild writes both even when the APKBUILD leaves them empty (prepare_metafiles: "pkgdesc = $pkgdesc").
  pairs.push({ key: "pkgdesc", value: f.pkgdesc ?? "" }, { key: "url", value: f.url ?? "" });
  put("builddate", f.builddate);
  put("packager", f.packager);
  put("size", f.size);
  put("arch", f.arch);
  put("origin", f.origin);
  put("commit", f.commit);
  put("maintainer", f.maintainer);
  put("license", f.license);
  for (const d of f.depend) put("depend", d);
  for (const p of f.provides) put("provides", p);
  for (const r of f.replaces) put("replaces", r);
  // install_if and triggers are one space-separated line each (abuild prepare_metafiles).
  if (f.installIf.length > 0) put("install_if", f.installIf.join(" "));
  if (f.triggers.length > 0) put("triggers", f.triggers.join(" "));
  put("provider_priority", f.providerPriority);
  put("replaces_priority", f.replacesPriority);
  put("datahash", f.datahash);
  return encodeKeyValues([], pairs);
}

/** A parsed `.PKGINFO`: every value per key, in file order. */
export type Pkginfo = Map<string, string[]>;

/** Keys abuild writes even when unset; their empty value means "not set". */
const EMPTY_MEANS_UNSET: ReadonlySet<string> = new Set(["pkgdesc", "url"]);

/**
 * Decodes `.PKGINFO` text. Blank lines and `#` comments are skipped; every other line must be `key = value`.
 * An empty pkgdesc or url is left out, as unset.
 * @throws FormatError BAD_HEADER naming the line.
 */
export function decodePkginfo(text: string): Pkginfo {
  const out: Pkginfo = new Map();
  for (const { key, value } of decodeKeyValues(text, ".PKGINFO")) {
    if (value === "" && EMPTY_MEANS_UNSET.has(key)) continue;
    const list = out.get(key);
    if (list === undefined) out.set(key, [value]);
    else list.push(value);
  }
  return out;
}

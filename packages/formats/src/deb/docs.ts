/**
 * The two documentation files lintian requires of every binary package, generated deterministically
 * when the spec ships none: `/usr/share/doc/<name>/copyright` and `changelog.Debian.gz`.
 */
import { compressBytes } from "../compress/compress.ts";
import { parseVersion } from "../spec/version.ts";
import type { PackageSpec } from "../spec/types.ts";
import { UNSET_MAINTAINER } from "./control.ts";
import { debVersion } from "./version.ts";

/** SPDX identifiers whose text Debian ships in /usr/share/common-licenses (lintian wants a pointer there). */
const COMMON_LICENSES: Record<string, string> = {
  "Apache-2.0": "Apache-2.0",
  "Artistic-1.0": "Artistic",
  "Artistic-1.0-Perl": "Artistic",
  "CC0-1.0": "CC0-1.0",
  "GFDL-1.2": "GFDL-1.2",
  "GFDL-1.2-only": "GFDL-1.2",
  "GFDL-1.2-or-later": "GFDL-1.2",
  "GFDL-1.3": "GFDL-1.3",
  "GFDL-1.3-only": "GFDL-1.3",
  "GFDL-1.3-or-later": "GFDL-1.3",
  "GPL-1.0": "GPL-1",
  "GPL-1.0-only": "GPL-1",
  "GPL-1.0-or-later": "GPL-1",
  "GPL-2.0": "GPL-2",
  "GPL-2.0-only": "GPL-2",
  "GPL-2.0-or-later": "GPL-2",
  "GPL-3.0": "GPL-3",
  "GPL-3.0-only": "GPL-3",
  "GPL-3.0-or-later": "GPL-3",
  "LGPL-2.0": "LGPL-2",
  "LGPL-2.0-only": "LGPL-2",
  "LGPL-2.0-or-later": "LGPL-2",
  "LGPL-2.1": "LGPL-2.1",
  "LGPL-2.1-only": "LGPL-2.1",
  "LGPL-2.1-or-later": "LGPL-2.1",
  "LGPL-3.0": "LGPL-3",
  "LGPL-3.0-only": "LGPL-3",
  "LGPL-3.0-or-later": "LGPL-3",
  "MPL-1.1": "MPL-1.1",
  "MPL-2.0": "MPL-2.0",
};

/** Documentation directory of a package. */
export function docDir(name: string): string {
  return `/usr/share/doc/${name}`;
}

/** Text of the generated `copyright` file (DEP-5 machine-readable format, one `Files: *` paragraph). */
export function renderCopyright(spec: PackageSpec): string {
  const holder = spec.vendor ?? spec.maintainer ?? `the ${spec.name} authors`;
  const license = spec.license?.trim() || "unknown";
  let out = "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n";
  out += `Upstream-Name: ${spec.name}\n`;
  if (spec.maintainer) out += `Upstream-Contact: ${spec.maintainer}\n`;
  if (spec.homepage) out += `Source: ${spec.homepage}\n`;
  // lintian's copyright-without-copyright-notice wants a year next to "Copyright".
  const year = new Date(spec.date * 1000).getUTCFullYear();
  out += `\nFiles: *\nCopyright: ${year} ${holder}\nLicense: ${license}\n`;
  const common = COMMON_LICENSES[license];
  if (common !== undefined) {
    out += ` On Debian systems, the complete text of this license can be found in\n /usr/share/common-licenses/${common}.\n`;
  } else {
    out += ` The license text is distributed with the upstream sources of ${spec.name}.\n`;
  }
  return out;
}

/** RFC 2822 date in UTC as debian/changelog wants it: `Thu, 01 Jan 1970 00:00:00 +0000`. */
function changelogDate(seconds: number): string {
  return new Date(seconds * 1000).toUTCString().replace("GMT", "+0000");
}

/**
 * Text of `changelog.Debian`: the spec's changelog entries (newest first), or one entry for this version.
 * Entry versions are translated like the package version, with its epoch and release when they have none.
 */
export function renderChangelog(spec: PackageSpec, packageVersion: string): string {
  const maintainer = spec.maintainer ?? UNSET_MAINTAINER;
  const entries =
    spec.changelog.length > 0
      ? spec.changelog
      : [{ version: "", date: spec.date, author: maintainer, changes: [`Release ${packageVersion}.`] }];
  let out = "";
  for (const e of entries) {
    let version = packageVersion;
    if (e.version !== "") {
      const v = parseVersion(e.version, { field: "changelog.version" });
      if (v.epoch === undefined && spec.version.epoch !== undefined) v.epoch = spec.version.epoch;
      if (v.release === undefined && spec.version.release !== undefined) v.release = spec.version.release;
      version = debVersion(v);
    }
    out += `${spec.name} (${version}) unstable; urgency=medium\n\n`;
    for (const change of e.changes) {
      const [first = "", ...rest] = change.replace(/\r\n?/g, "\n").split("\n");
      out += `  * ${first.trimEnd()}\n`;
      for (const line of rest) out += line.trim() === "" ? "\n" : `    ${line.trim()}\n`;
    }
    out += `\n -- ${e.author}  ${changelogDate(e.date)}\n\n`;
  }
  return out.replace(/\n+$/, "\n");
}

/** gzip -9n of the changelog: no timestamp, maximum compression (lintian checks both). */
export function compressChangelog(text: string): Promise<Uint8Array> {
  return compressBytes(new TextEncoder().encode(text), { algo: "gzip", level: 9 });
}

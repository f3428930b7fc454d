/**
 * Relations as the package's own format writes them, for `inspect`'s summary: Debian
 * `python3 (<< 3.12)` and `python3:any`, rpm `python3 < 3.12` and `(a or b)`, Arch and apk `python3<3.12`.
 * (PackageInfo keeps one neutral model; only the text differs.)
 */
import type { PackageInfo } from "./formats.ts";

type Relation = NonNullable<PackageInfo["relations"]["depends"]>[number][number];
type Group = Relation[];

/** dpkg spells strict comparisons `<<` and `>>`; its `<` and `>` are deprecated and mean `<=`/`>=`. */
const DEB_OPS: Record<string, string> = { "<": "<<", "<=": "<=", "=": "=", ">=": ">=", ">": ">>" };

function deb(r: Relation): string {
  const name = r.archQualifier !== undefined ? `${r.name}:${r.archQualifier}` : r.name;
  return r.op !== undefined ? `${name} (${DEB_OPS[r.op] ?? r.op} ${r.version ?? ""})` : name;
}

function rpm(r: Relation): string {
  return r.op !== undefined ? `${r.name} ${r.op} ${r.version ?? ""}` : r.name;
}

/** Arch (`depends = glibc>=2.30`) and apk (`depend = so:libc>=1`): no spaces around the operator. */
function packed(r: Relation): string {
  const text = r.op !== undefined ? `${r.name}${r.op}${r.version ?? ""}` : r.name;
  // Arch optdepends carry a reason: `python: for the scripts`.
  return r.description !== undefined ? `${text}: ${r.description}` : text;
}

/** One relation group (alternatives) in `format`'s syntax. */
export function relationText(format: PackageInfo["format"], group: Group): string {
  switch (format) {
    case "deb":
      return group.map(deb).join(" | ");
    case "rpm":
      // A rich dependency keeps its own text; alternatives are rpm's `(a or b)`.
      if (group.length === 1) return rpm(group[0]!);
      return `(${group.map(rpm).join(" or ")})`;
    case "archlinux":
    case "apk":
      return group.map(packed).join(" | ");
    default:
      return group.map(rpm).join(" | ");
  }
}

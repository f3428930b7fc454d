/**
 * POSIX path arithmetic for source paths (the loader never imports node:path). Paths use `/`.
 */

/** Resolves `p` against `base` (absolute), collapsing `.` and `..`. */
export function resolvePath(base: string, p: string): string {
  const joined = p.startsWith("/") ? p : `${base}/${p}`;
  const out: string[] = [];
  for (const seg of joined.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") out.pop();
    else out.push(seg);
  }
  return `/${out.join("/")}`;
}

/** The parent directory of an absolute path (`/` for `/a`). */
export function dirname(p: string): string {
  const i = p.replace(/\/+$/, "").lastIndexOf("/");
  return i <= 0 ? "/" : p.slice(0, i);
}

/** The last segment of a path. */
export function basename(p: string): string {
  const t = p.replace(/\/+$/, "");
  return t.slice(t.lastIndexOf("/") + 1);
}

/** `p` relative to the directory `from` when inside it, else undefined. */
export function relativeTo(from: string, p: string): string | undefined {
  const f = from.replace(/\/+$/, "");
  if (p === f) return "";
  if (f === "") return p.replace(/^\/+/, "");
  return p.startsWith(`${f}/`) ? p.slice(f.length + 1) : undefined;
}

import { SpecError } from "../errors.ts";

/**
 * Normalises a destination path: makes it absolute, collapses `//` and `.` segments, drops a trailing
 * `/`. A `..` segment is rejected: a package must never write outside its root.
 * @example normalizeDestination("usr//bin/./foo/") // "/usr/bin/foo"
 */
export function normalizeDestination(input: string, field = "path"): string {
  if (input.includes("\0")) {
    throw new SpecError("INVALID_PATH", `${field}: a path must not contain NUL bytes`, {
      field,
      found: input,
    });
  }
  const parts: string[] = [];
  for (const seg of input.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") {
      throw new SpecError(
        "INVALID_PATH",
        `${field}: expected a path inside the package, found ".." in "${input}"`,
        {
          field,
          found: input,
        },
      );
    }
    parts.push(seg);
  }
  if (parts.length === 0) {
    throw new SpecError(
      "INVALID_PATH",
      `${field}: expected a file path, found "${input}" (the root itself)`,
      {
        field,
        found: input,
      },
    );
  }
  return `/${parts.join("/")}`;
}

/** Every ancestor directory of an absolute path, outermost first (`/a/b/c` → `/a`, `/a/b`). */
export function parentDirs(path: string): string[] {
  const parts = path.split("/").filter(Boolean);
  const out: string[] = [];
  for (let i = 1; i < parts.length; i++) out.push(`/${parts.slice(0, i).join("/")}`);
  return out;
}

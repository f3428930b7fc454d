/** `NAME[=VERSION][/ARCH]` on the command line, as `packyard repo rm` and `repo copy` take packages. */
import type { PackageSelector } from "./repo.ts";
import { UsageError } from "./usage-error.ts";

/**
 * The selector `text` names, with `component` when given. A Debian version never holds `/`, so the arch is
 * what follows the last one.
 * @example parseSelector("hello=1.0-1/amd64") // { name: "hello", version: "1.0-1", arch: "amd64" }
 */
export function parseSelector(text: string, command: string, component?: string): PackageSelector {
  const slash = text.lastIndexOf("/");
  const arch = slash >= 0 ? text.slice(slash + 1) : undefined;
  const rest = slash >= 0 ? text.slice(0, slash) : text;
  const eq = rest.indexOf("=");
  const name = eq >= 0 ? rest.slice(0, eq) : rest;
  const version = eq >= 0 ? rest.slice(eq + 1) : undefined;
  if (name === "" || version === "" || arch === "" || /\s/.test(text)) {
    throw new UsageError(
      `'${text}': expected a package as NAME, NAME=VERSION, NAME/ARCH or NAME=VERSION/ARCH (hello=1.0.0-1/amd64)`,
      command,
    );
  }
  return {
    name,
    ...(version !== undefined ? { version } : {}),
    ...(arch !== undefined ? { arch } : {}),
    ...(component !== undefined ? { component } : {}),
  };
}

/** `hello=1.0.0-1/amd64` for a selector (the fields it has). */
export function selectorText(s: PackageSelector): string {
  return `${s.name}${s.version !== undefined ? `=${s.version}` : ""}${s.arch !== undefined ? `/${s.arch}` : ""}`;
}

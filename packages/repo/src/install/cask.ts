/**
 * The Homebrew cask for a macOS `.pkg` download (Homebrew's Cask Cookbook: `version`, `sha256`, `url`,
 * `name`, `desc`, `homepage`, `pkg`, and the `uninstall pkgutil:` an installer package must have). A cask
 * is Ruby that `brew` evaluates, so every value is a single-quoted Ruby literal: inside `'…'` only `\\` and
 * `\'` mean anything, so `#{…}`, `$(…)` and backticks in a name, description or URL stay text.
 */
import { RepoError } from "../errors.ts";

/** What a cask says: its token, the release and where its .pkg is. */
export interface CaskInput {
  /** The cask token (see {@link caskToken}); also the file name `<token>.rb` a tap keeps it under. */
  token: string;
  /** Display name (`name` stanza). */
  name: string;
  version: string;
  /** SHA-256 of the downloaded .pkg, lowercase hex. */
  sha256: string;
  /** Absolute URL of the .pkg. */
  url: string;
  homepage?: string;
  /** One-line description (`desc` stanza). */
  description?: string;
  /** The .pkg's file name, as the download is staged (`pkg` stanza). */
  pkgFile: string;
  /** The package identifiers pkgutil records on install (`uninstall pkgutil:`); at least one. */
  pkgIdentifiers: string[];
}

/**
 * A value as a single-quoted Ruby string literal: `\` and `'` escaped, nothing interpolated. Control
 * characters are refused (RepoError INVALID_SETTING naming `field`): a cask line holds one line of text.
 *
 * @example rubyString("it's #{x}") // "'it\\'s #{x}'"
 */
export function rubyString(value: string, field: string): string {
  const control = /[\u0000-\u001f\u007f]/.exec(value);
  if (control !== null) {
    throw new RepoError(
      "INVALID_SETTING",
      `cask ${field}: expected one line of text, found the control character U+${control[0].charCodeAt(0).toString(16).padStart(4, "0").toUpperCase()} in ${JSON.stringify(value)}`,
      { field, found: value },
    );
  }
  return `'${value.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}'`;
}

/**
 * The Homebrew cask token for a name (Homebrew's token rules: lowercase, `+` spelled `-plus-`, anything
 * but `a-z`, `0-9`, `-` and `@` becomes `-`, no leading, trailing or doubled `-`). Throws RepoError
 * INVALID_SETTING when nothing is left.
 *
 * @example caskToken("Hello_App+") // "hello-app-plus"
 */
export function caskToken(name: string): string {
  const token = name
    .toLowerCase()
    .replaceAll("+", "-plus-")
    .replace(/[^a-z0-9@-]+/g, "-")
    .replace(/-+/g, "-")
    .replace(/^-|-$/g, "");
  if (token === "" || token === "@") {
    throw new RepoError(
      "INVALID_SETTING",
      `cask token of ${JSON.stringify(name)}: expected a name with letters or digits, found none`,
      { field: "name", found: name },
    );
  }
  return token;
}

/**
 * The text of `Casks/<token>.rb` for a .pkg download. The token is checked against Homebrew's rules, the
 * digest must be 64 hex digits and at least one package identifier is needed (RepoError INVALID_SETTING).
 *
 * @example homebrewCask({ token: "hello", name: "Hello", version: "1.0.0", sha256, url, pkgFile: "hello-1.0.0.pkg", pkgIdentifiers: ["com.example.hello"] })
 */
export function homebrewCask(c: CaskInput): string {
  if (!/^[a-z0-9@]+(?:-[a-z0-9@]+)*$/.test(c.token)) {
    throw new RepoError(
      "INVALID_SETTING",
      `cask token: expected lowercase letters, digits, @ and single inner hyphens, found ${JSON.stringify(c.token)}`,
      { field: "token", found: c.token },
    );
  }
  if (!/^[0-9a-f]{64}$/.test(c.sha256)) {
    throw new RepoError(
      "INVALID_SETTING",
      `cask sha256: expected 64 lowercase hex digits, found ${JSON.stringify(c.sha256)}`,
      {
        field: "sha256",
        found: c.sha256,
      },
    );
  }
  if (c.pkgIdentifiers.length === 0) {
    throw new RepoError(
      "INVALID_SETTING",
      `cask ${c.token}: expected the package identifier(s) of ${c.pkgFile} for \`uninstall pkgutil:\`, found none`,
      { field: "pkgIdentifiers", path: c.pkgFile },
    );
  }
  const ids = c.pkgIdentifiers.map((id, i) => rubyString(id, `pkgIdentifiers[${i}]`));
  const lines = [
    `cask ${rubyString(c.token, "token")} do`,
    `  version ${rubyString(c.version, "version")}`,
    `  sha256 ${rubyString(c.sha256, "sha256")}`,
    "",
    `  url ${rubyString(c.url, "url")}`,
    `  name ${rubyString(c.name, "name")}`,
  ];
  if (c.description !== undefined && c.description !== "")
    lines.push(`  desc ${rubyString(c.description, "description")}`);
  if (c.homepage !== undefined && c.homepage !== "")
    lines.push(`  homepage ${rubyString(c.homepage, "homepage")}`);
  lines.push(
    "",
    `  pkg ${rubyString(c.pkgFile, "pkgFile")}`,
    "",
    `  uninstall pkgutil: ${ids.length === 1 ? ids[0] : `[${ids.join(", ")}]`}`,
    "end",
    "",
  );
  return lines.join("\n");
}

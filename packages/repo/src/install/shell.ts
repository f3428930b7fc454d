/**
 * Quoting for the POSIX shell text install instructions and install.sh carry: every value that comes from
 * a repository (names, URLs, descriptions) is quoted so that `$(…)`, backticks, quotes and globs stay
 * inert, and here-documents use a quoted delimiter no line of their body equals.
 */

/** Characters that need no quoting in a shell word. */
const PLAIN = /^[A-Za-z0-9_@%+=:,./-]+$/;

/**
 * `value` as one shell word: unchanged when it holds only safe characters, else single-quoted with each
 * `'` written `'\''`.
 *
 * @example shellQuote("https://example.com/deb") // https://example.com/deb
 * @example shellQuote("it's $(x)") // 'it'\''s $(x)'
 */
export function shellQuote(value: string): string {
  if (value !== "" && PLAIN.test(value)) return value;
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/**
 * A delimiter for a quoted here-document (`<<'EOF'`) that no line of `body` equals: `EOF`, else `EOF_1`, ...
 */
export function heredocDelimiter(body: string): string {
  const lines = new Set(body.split("\n"));
  let delimiter = "EOF";
  for (let n = 1; lines.has(delimiter); n++) delimiter = `EOF_${n}`;
  return delimiter;
}

/**
 * A command that writes `contents` to `path` as root: `cat > path <<'EOF'` (or `>>` when appending), and
 * the same for a user with sudo (`sudo tee [-a] path > /dev/null <<'EOF'`). `contents` must end with a
 * newline (a here-document always does).
 */
export function writeFileCommands(
  path: string,
  contents: string,
  append = false,
): { command: string; sudo: string } {
  const body = contents.endsWith("\n") ? contents : `${contents}\n`;
  const delimiter = heredocDelimiter(body);
  const doc = `<<'${delimiter}'\n${body}${delimiter}`;
  const target = shellQuote(path);
  return {
    command: `cat ${append ? ">>" : ">"} ${target} ${doc}`,
    sudo: `sudo tee ${append ? "-a " : ""}${target} > /dev/null ${doc}`,
  };
}

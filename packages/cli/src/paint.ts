/** The CLI's one colour: the red `error:` label on stderr, when colour is on (see main.ts). */

/** ANSI red/bold, or nothing when colour is off (NO_COLOR, or not a terminal). */
export function paint(color: boolean, code: string, text: string): string {
  return color ? `\x1b[${code}m${text}\x1b[0m` : text;
}

/** `error:`, in bold red when colour is on. */
export function errorLabel(color: boolean): string {
  return paint(color, "1;31", "error:");
}

/**
 * Maintainer scripts (apk-package(5); apk-tools src/package.c apk_script_types): control-member files run by
 * apk, chrooted, with cwd "/". Arguments: pre/post-install `<new>`; pre/post-upgrade `<new> <old>`;
 * pre/post-deinstall `<old>`; trigger: the matched directories.
 */
import type { Script, ScriptKind } from "../spec/types.ts";

/** packyard script kind → control file name, in the order they are written. */
export const APK_SCRIPT_FILES: ReadonlyArray<readonly [ScriptKind, string]> = [
  ["preinstall", ".pre-install"],
  ["postinstall", ".post-install"],
  ["preupgrade", ".pre-upgrade"],
  ["postupgrade", ".post-upgrade"],
  ["preremove", ".pre-deinstall"],
  ["postremove", ".post-deinstall"],
  ["trigger", ".trigger"],
];

/** Script kinds apk has no slot for (rpm's transaction and verify scripts). */
export const APK_UNSUPPORTED_SCRIPTS: readonly ScriptKind[] = ["pretrans", "posttrans", "verify"];

/** The file's text: the body as given when it starts with `#!`, else `#!<interpreter or /bin/sh>` and the body. */
export function renderScript(s: Script): string {
  if (s.body.startsWith("#!")) return s.body;
  const body = s.body.endsWith("\n") || s.body === "" ? s.body : `${s.body}\n`;
  return `#!${s.interpreter ?? "/bin/sh"}\n${body}`;
}

/** Splits a script file back into interpreter (from its `#!` line) and body. */
export function parseScript(text: string): Script {
  if (!text.startsWith("#!")) return { body: text };
  const nl = text.indexOf("\n");
  const first = (nl < 0 ? text : text.slice(0, nl)).slice(2).trim();
  return { interpreter: first, body: nl < 0 ? "" : text.slice(nl + 1) };
}

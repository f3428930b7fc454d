/**
 * Scriptlets: which spec script goes to which rpm slot, and how its interpreter is chosen (`/bin/sh` by
 * default, the script's `interpreter`, or its `#!` line).
 */
import type { Script, ScriptKind } from "../spec/types.ts";
import { SENSE } from "./sense.ts";
import { TAG } from "./tags.ts";

/** One rpm scriptlet slot: body tag, interpreter tag, and the sense flag of its interpreter requirement. */
export interface ScriptSlot {
  kind: ScriptKind;
  /** `%pre`, `%post`, ... as rpm prints them. */
  label: string;
  body: number;
  prog: number;
  sense: number;
}

/** Slots in rpm's order of execution on install/erase. */
export const SCRIPT_SLOTS: readonly ScriptSlot[] = [
  { kind: "pretrans", label: "pretrans", body: TAG.PRETRANS, prog: TAG.PRETRANSPROG, sense: SENSE.PRETRANS },
  { kind: "preinstall", label: "pre", body: TAG.PREIN, prog: TAG.PREINPROG, sense: SENSE.SCRIPT_PRE },
  { kind: "postinstall", label: "post", body: TAG.POSTIN, prog: TAG.POSTINPROG, sense: SENSE.SCRIPT_POST },
  { kind: "preremove", label: "preun", body: TAG.PREUN, prog: TAG.PREUNPROG, sense: SENSE.SCRIPT_PREUN },
  { kind: "postremove", label: "postun", body: TAG.POSTUN, prog: TAG.POSTUNPROG, sense: SENSE.SCRIPT_POSTUN },
  {
    kind: "posttrans",
    label: "posttrans",
    body: TAG.POSTTRANS,
    prog: TAG.POSTTRANSPROG,
    sense: SENSE.POSTTRANS,
  },
  {
    kind: "verify",
    label: "verifyscript",
    body: TAG.VERIFYSCRIPT,
    prog: TAG.VERIFYSCRIPTPROG,
    sense: SENSE.SCRIPT_VERIFY,
  },
];

/** Script kinds rpm has no slot for (other formats' upgrade hooks, triggers). */
export const UNMAPPED_SCRIPT_KINDS: readonly ScriptKind[] = ["preupgrade", "postupgrade", "trigger"];

/** The interpreter argv of a script: `interpreter` split on spaces, else its `#!` line, else `/bin/sh`. */
export function scriptInterpreter(s: Script): string[] {
  if (s.interpreter !== undefined && s.interpreter.trim() !== "") return s.interpreter.trim().split(/\s+/);
  const m = /^#!\s*([^\n]+)/.exec(s.body);
  if (m) return m[1]!.trim().split(/\s+/);
  return ["/bin/sh"];
}

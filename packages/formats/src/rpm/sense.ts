/** Dependency sense flags (include/rpm/rpmds.h `rpmsenseFlags_e`). */
import type { RpmPhase } from "../info/types.ts";
import type { RelationOp } from "../spec/types.ts";

export const SENSE = {
  ANY: 0,
  LESS: 2,
  GREATER: 4,
  EQUAL: 8,
  POSTTRANS: 1 << 5,
  PREREQ: 1 << 6,
  PRETRANS: 1 << 7,
  INTERP: 1 << 8,
  SCRIPT_PRE: 1 << 9,
  SCRIPT_POST: 1 << 10,
  SCRIPT_PREUN: 1 << 11,
  SCRIPT_POSTUN: 1 << 12,
  SCRIPT_VERIFY: 1 << 13,
  RPMLIB: 1 << 24,
  CONFIG: 1 << 28,
} as const;

/** Flags of a comparison operator. */
export function senseOf(op: RelationOp | undefined): number {
  switch (op) {
    case "<":
      return SENSE.LESS;
    case "<=":
      return SENSE.LESS | SENSE.EQUAL;
    case "=":
      return SENSE.EQUAL;
    case ">=":
      return SENSE.GREATER | SENSE.EQUAL;
    case ">":
      return SENSE.GREATER;
    default:
      return SENSE.ANY;
  }
}

/** The operator of a flags word, or undefined when unversioned. */
export function opOf(flags: number): RelationOp | undefined {
  const f = flags & (SENSE.LESS | SENSE.GREATER | SENSE.EQUAL);
  switch (f) {
    case SENSE.LESS:
      return "<";
    case SENSE.LESS | SENSE.EQUAL:
      return "<=";
    case SENSE.EQUAL:
      return "=";
    case SENSE.GREATER | SENSE.EQUAL:
      return ">=";
    case SENSE.GREATER:
      return ">";
    default:
      return undefined;
  }
}

/**
 * Phase bits and their names, in RpmPhase's order (scriptlets in install/erase order, then the
 * transaction ones, verify, interp). PREREQ, RPMLIB, CONFIG, MISSINGOK are not phases.
 */
const PHASE_SENSE: readonly (readonly [RpmPhase, number])[] = [
  ["pre", SENSE.SCRIPT_PRE],
  ["post", SENSE.SCRIPT_POST],
  ["preun", SENSE.SCRIPT_PREUN],
  ["postun", SENSE.SCRIPT_POSTUN],
  ["pretrans", SENSE.PRETRANS],
  ["posttrans", SENSE.POSTTRANS],
  ["verify", SENSE.SCRIPT_VERIFY],
  ["interp", SENSE.INTERP],
];

/**
 * The scriptlet phases named by a flags word (`Requires(pre,postun)` has SCRIPT_PRE|SCRIPT_POSTUN).
 * @example phasesOf(0x1800) // ["preun", "postun"]
 */
export function phasesOf(flags: number): RpmPhase[] {
  return PHASE_SENSE.filter(([, bit]) => flags & bit).map(([phase]) => phase);
}

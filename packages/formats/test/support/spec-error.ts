/** A call's verdict as one comparable string, for tests that list many inputs and what each one earns. */
import { SpecError } from "../../src/errors.ts";

/** "ok" when `f` returns; `<code> <field>` when it throws a SpecError; anything else it throws is rethrown. */
export function specErrorOf(f: () => unknown): string {
  try {
    f();
    return "ok";
  } catch (e) {
    if (e instanceof SpecError) return `${e.code} ${String(e.data.field)}`;
    throw e;
  }
}

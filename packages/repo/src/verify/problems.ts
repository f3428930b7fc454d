/** The problems a verifier reports: each (key, problem) once, in the order found. */

/** One thing a client would trip on: the storage key concerned and what is wrong with it. */
export interface VerifyProblem {
  key: string;
  problem: string;
}

/** Collects problems once each, in the order found. */
export class Problems {
  readonly list: VerifyProblem[] = [];
  readonly #seen = new Set<string>();
  add(key: string, problem: string): void {
    const id = `${key}\n${problem}`;
    if (this.#seen.has(id)) return;
    this.#seen.add(id);
    this.list.push({ key, problem });
  }
}

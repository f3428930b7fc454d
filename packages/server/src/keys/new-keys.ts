/**
 * A new project's keys, or a rotation's: made by the app's KeyGenerator, then checked like an upload. RSA-4096
 * generation takes seconds of CPU, so at most {@link MAX_KEY_GENERATIONS} generations run at once in the
 * process (project creations and rotations share the bound); the others wait their turn.
 */
import type { AppDeps } from "../app/deps.ts";
import { type KeyGenerator, projectKeyUser, realKeyGenerator } from "./generate.ts";
import { type CheckedKey, checkKey, type KeyPurpose } from "./project-keys.ts";

/** Key generations that may run at once in the process. */
export const MAX_KEY_GENERATIONS = 2;

/** A counting semaphore: {@link Slots.run} waits for a free slot, first come first served. */
class Slots {
  #free: number;
  readonly #waiting: (() => void)[] = [];

  constructor(size: number) {
    this.#free = size;
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.#free > 0) this.#free--;
    else await new Promise<void>((resolve) => this.#waiting.push(resolve));
    try {
      return await work();
    } finally {
      // The slot passes straight to the next waiter, or is freed.
      const next = this.#waiting.shift();
      if (next !== undefined) next();
      else this.#free++;
    }
  }
}

const generations = new Slots(MAX_KEY_GENERATIONS);

/** The generator the app uses: the injected one, else real RSA-4096 generation. */
export function keyGeneratorOf(deps: Pick<AppDeps, "keyGenerator">): KeyGenerator {
  return deps.keyGenerator ?? realKeyGenerator;
}

/**
 * Generates (within the process's bound on concurrent generations) and checks a key of each purpose asked
 * for (default both) for `project`.
 */
export async function newProjectKeys(
  deps: Pick<AppDeps, "keyGenerator" | "config">,
  project: string,
  now: Date,
  purposes: readonly KeyPurpose[] = ["openpgp", "apk"],
): Promise<CheckedKey[]> {
  const generator = keyGeneratorOf(deps);
  const user = projectKeyUser(project, deps.config.publicUrl);
  return Promise.all(
    purposes.map(async (purpose) => {
      const made = await generations.run(() =>
        purpose === "openpgp" ? generator.openpgp(user, now) : generator.apk(),
      );
      return checkKey({ purpose, key: made.secret, project, now });
    }),
  );
}

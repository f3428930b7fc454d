/** A new project's keys, or a rotation's: made by the app's KeyGenerator, then checked like an upload. */
import type { AppDeps } from "../app/deps.ts";
import { type KeyGenerator, projectKeyUser, realKeyGenerator } from "./generate.ts";
import { type CheckedKey, checkKey, type KeyPurpose } from "./project-keys.ts";

/** The generator the app uses: the injected one, else real RSA-4096 generation. */
export function keyGeneratorOf(deps: Pick<AppDeps, "keyGenerator">): KeyGenerator {
  return deps.keyGenerator ?? realKeyGenerator;
}

/** Generates and checks a key of each purpose asked for (default both) for `project`. */
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
      const made = purpose === "openpgp" ? await generator.openpgp(user, now) : await generator.apk();
      return checkKey({ purpose, key: made.secret, project, now });
    }),
  );
}

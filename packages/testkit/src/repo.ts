/** Where the repository is, for tests that read its fixtures (tests run from any working directory). */
import { fileURLToPath } from "node:url";

/** The repository root, absolute, with a trailing slash. */
export const REPO = fileURLToPath(new URL("../../../", import.meta.url));

/** fixtures/ in the repository, with a trailing slash. */
export const FIXTURES = `${REPO}fixtures/`;

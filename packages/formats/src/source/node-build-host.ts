/** The Node implementation of BuildHost: node:fs behind the runtime seam, like nodeConfigHost. */
import { mkdir, readFile } from "node:fs/promises";
import type { BuildHost } from "./host.ts";
import { IOError } from "../errors.ts";
import { fileSource, writeFileAtomic } from "./file.ts";
import { nodeConfigHost } from "./node-config-host.ts";

/** BuildHost on the local file system. */
export const nodeBuildHost: BuildHost = {
  async readFile(path) {
    try {
      return new Uint8Array(await readFile(path));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code === "ENOENT" ? "NOT_FOUND" : "READ_FAILED";
      throw new IOError(code, `cannot read ${path}: ${(e as Error).message}`, { path }, { cause: e });
    }
  },
  async mkdir(path) {
    try {
      await mkdir(path, { recursive: true });
    } catch (e) {
      throw new IOError(
        "WRITE_FAILED",
        `cannot create folder ${path}: ${(e as Error).message}`,
        { path },
        { cause: e },
      );
    }
  },
  writeFileAtomic,
  fileSource,
  config: nodeConfigHost,
};

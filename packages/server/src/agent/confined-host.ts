/**
 * A ConfigHost that reads only inside one folder: the job's work folder. A stored packyard.yml is user input;
 * without this, `contents[].src: /proc/self/environ`, `../../etc`, an absolute glob or a `type: tree` of
 * `/root` would make the agent (or the server's own worker) read any file it can, and the server would sign
 * and publish it. Every path the config loader touches is checked twice: lexically (absolute paths and `..`
 * leading out are refused before anything is read) and after resolving symlinks (a link a build step left
 * in the work folder that points out of it is refused when it would be read; packaged as a link — what the
 * loader does with a `src` that is a link — it is fine).
 */
import { realpath } from "node:fs/promises";
import { dirname, isAbsolute, relative, resolve } from "node:path";
import { type ConfigHost, IOError, nodeBuildHost } from "@packyard/formats";

/** True when `path` is `root` or below it (both absolute, normalised). */
function within(root: string, path: string): boolean {
  const r = relative(root, path);
  return r === "" || (!r.startsWith("..") && !isAbsolute(r));
}

/** Real path of `path`, or undefined when it does not exist. */
async function real(path: string): Promise<string | undefined> {
  try {
    return await realpath(path);
  } catch {
    return undefined;
  }
}

/**
 * Wraps `inner` (default: the Node host) so every path must lie in `root`.
 * @example loadConfig({ text, baseDir: work, env: {}, formats: FORMATS, host: confinedConfigHost(work) })
 */
export function confinedConfigHost(root: string, inner: ConfigHost = nodeBuildHost.config): ConfigHost {
  const lexicalRoot = resolve(root);
  let realRoot: Promise<string> | undefined;
  const rootReal = async () => await (realRoot ??= real(lexicalRoot).then((r) => r ?? lexicalRoot));

  const refuse = (path: string, why: string): never => {
    throw new IOError(
      "READ_FAILED",
      `${path}: expected a path inside the build's work folder ${lexicalRoot}, found one ${why}; packyard.yml may only name files of the build's sources`,
      { path, expected: `a path inside ${lexicalRoot}` },
    );
  };

  /** The path itself may be a link (not followed); every folder above it must resolve inside the root. */
  async function checkParent(path: string): Promise<string> {
    const abs = resolve(lexicalRoot, path);
    if (!within(lexicalRoot, abs)) refuse(path, "outside it");
    const parent = await real(dirname(abs));
    if (parent !== undefined && !within(await rootReal(), parent))
      refuse(path, "whose folder is a symbolic link out of it");
    return abs;
  }

  /** The path is followed: it must resolve inside the root too. */
  async function checkFollowed(path: string): Promise<string> {
    const abs = await checkParent(path);
    const target = await real(abs);
    if (target !== undefined && !within(await rootReal(), target))
      refuse(path, `that is a symbolic link to ${target}, out of it`);
    return abs;
  }

  return {
    lstat: async (path) => inner.lstat(await checkParent(path)),
    // Metadata through a link out of the folder is given (the loader checks a link's target exists before
    // it packages the link); its content never is.
    stat: async (path) => inner.stat(await checkParent(path)),
    readdir: async (path) => inner.readdir(await checkFollowed(path)),
    readlink: async (path) => inner.readlink(await checkParent(path)),
    readFile: async (path) => inner.readFile(await checkFollowed(path)),
    file: async (path, size) => inner.file(await checkFollowed(path), size),
    glob: async (pattern, cwd) => {
      const matches = await inner.glob(pattern, await checkFollowed(cwd));
      for (const m of matches) await checkParent(m);
      return matches;
    },
    isGlob: (pattern) => inner.isGlob(pattern),
  };
}

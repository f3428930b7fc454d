/**
 * A prefixed view of a Storage: one store holding many repositories, each under its own key prefix (the
 * server keeps a hosted repository at `repos/<project>/<repo>/`). The view is itself a Storage, so the
 * publish engine, the storage lock and the readers work inside it without knowing it is a part of a larger
 * store; nothing outside the prefix can be read, listed, written or deleted through it.
 */
import { RepoError } from "../errors.ts";
import { checkKey, checkPrefix } from "./key.ts";
import type { ListPage, Storage } from "./storage.ts";

/**
 * The prefix as the view keeps it: `""` or segments ending in `/` (`repos/p/r/`). Throws INVALID_SETTING
 * for a leading `/`, an empty, `.` or `..` segment, a NUL or a backslash.
 */
function normalizeViewPrefix(prefix: string): string {
  if (typeof prefix !== "string")
    throw new RepoError("INVALID_SETTING", `storage view prefix is ${typeof prefix}; expected a string`, {
      prefix: String(prefix),
    });
  // One trailing `/` is the normal form; more would hide an empty segment.
  const trimmed = prefix.endsWith("/") ? prefix.slice(0, -1) : prefix;
  if (trimmed === "") {
    if (prefix === "") return "";
    throw new RepoError(
      "INVALID_SETTING",
      `storage view prefix "/" is absolute; expected a relative prefix`,
      {
        prefix,
      },
    );
  }
  try {
    checkKey(trimmed);
  } catch (e) {
    throw new RepoError(
      "INVALID_SETTING",
      `storage view prefix ${JSON.stringify(prefix)} is not a relative /-separated folder such as repos/project/repo (no leading /, no empty, "." or ".." segment): ${(e as Error).message}`,
      { prefix },
      { cause: e },
    );
  }
  return `${trimmed}/`;
}

/**
 * A {@link Storage} whose key `k` is `<prefix>/k` of `storage`: listings see only keys under the prefix and
 * report them without it; list cursors are passed through as they are. The prefix is validated once (no
 * leading `/`, no empty, `.` or `..` segment) and a trailing `/` is optional (`repos/p/r` and `repos/p/r/` are
 * one view); `""` is the whole store. Errors of the underlying store name the full key.
 *
 * @example const repo = prefixStorage(folderStorage("/srv/packyard"), "repos/acme/main");
 * await repo.put("deb/dists/stable/InRelease", bytes); // writes repos/acme/main/deb/dists/stable/InRelease
 */
export function prefixStorage(storage: Storage, prefix: string): Storage {
  const base = normalizeViewPrefix(prefix);
  // The view checks its own keys first, so an error names the key the caller gave.
  const full = (key: string): string => {
    checkKey(key);
    return base + key;
  };
  return {
    description: base === "" ? storage.description : `${storage.description}, under ${base}`,
    ...(storage.writeConcurrency === undefined ? {} : { writeConcurrency: storage.writeConcurrency }),
    // Async methods throughout, so a bad key is a rejected promise as with the drivers, not a throw.
    async get(key, options) {
      return storage.get(full(key), options);
    },
    async head(key) {
      const info = await storage.head(full(key));
      return info === undefined ? undefined : { ...info, key };
    },
    async put(key, body, options) {
      return storage.put(full(key), body, options);
    },
    async create(key, body, options) {
      return storage.create(full(key), body, options);
    },
    async list(listPrefix, options): Promise<ListPage> {
      checkPrefix(listPrefix);
      const page = await storage.list(base + listPrefix, options);
      const objects = page.objects.map((object) => {
        if (!object.key.startsWith(base))
          throw new RepoError(
            "STORAGE_FAILED",
            `${storage.description} listed ${object.key} for the prefix ${base + listPrefix}; expected only keys under ${base}`,
            { key: object.key, prefix: base + listPrefix },
          );
        return { ...object, key: object.key.slice(base.length) };
      });
      return page.cursor === undefined ? { objects } : { objects, cursor: page.cursor };
    },
    async delete(key) {
      return storage.delete(full(key));
    },
  };
}

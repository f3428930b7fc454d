/**
 * The folder driver: a repository in a local folder (served by any static web server). Writes go to a
 * temporary file in the target's folder, are fsynced and renamed into place, so a reader — or a crash —
 * sees the old file or the new one, never a part. `create` links the temporary file to the final name,
 * which fails when the name exists: the conditional create the publish lock needs.
 */
import { randomBytes } from "node:crypto";
import type { Dirent } from "node:fs";
import { type FileHandle, link, mkdir, open, readdir, rename, rmdir, stat, unlink } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { isRepoError, RepoError } from "../errors.ts";
import { checkKey, checkLimit, checkPrefix, checkRange, TEMP_PREFIX } from "./key.ts";
import { plainBytes } from "./read.ts";
import type { ListPage, ObjectInfo, Storage } from "./storage.ts";

/**
 * Blobs a publish writes at once into a folder (Storage.writeConcurrency). A folder write is a chain of
 * thread-pool steps (open, write, fsync, close, rename, the folder's fsync); with more of them queued,
 * libuv's four threads wait less between steps: a first publish of 5,000 packages wrote its pool 15-25 %
 * faster at 32 than at 8, no faster at 64 (bench/README.md). The engine bounds the bytes of package files
 * under way (commit.ts), so 32 large packages are not held at once.
 */
const FOLDER_WRITE_CONCURRENCY = 32;

/** Default page size of `list`, as on S3. */
const DEFAULT_LIMIT = 1000;

/** How much one read of `get` asks for. */
const READ_CHUNK = 1024 * 1024;
/** Objects up to this size are read whole by `get`, in one array (states, indexes), larger ones streamed. */
const WHOLE_READ_MAX = 32 * 1024 * 1024;

/** Errors of a path that does not lead to a file: the object is absent. */
const ABSENT = new Set(["ENOENT", "ENOTDIR", "EISDIR"]);

function errnoOf(e: unknown): string | undefined {
  return e instanceof Error ? (e as NodeJS.ErrnoException).code : undefined;
}

/** Marks an error thrown by the caller's body stream, which `put` rethrows unchanged. */
class SourceFailure {
  readonly error: unknown;
  constructor(error: unknown) {
    this.error = error;
  }
}

/**
 * A {@link Storage} in the folder `root` (resolved against the working directory; created by the first
 * write). Keys map to paths under it; `contentType`/`cacheControl` are not kept (a web server derives
 * them). The etag is `<inode>-<size>-<mtime ns>`: each write makes a new inode, so equal tags mean the same
 * write. Listing skips the driver's temporary files (`.packyard-tmp-*`). An iterable returned by `get`
 * holds an open file until it is read to the end or its iteration is stopped.
 *
 * @example const storage = folderStorage("./public"); await storage.put("keys/repo.asc", keyBytes);
 */
export function folderStorage(root: string): Storage {
  const base = resolve(root);
  const description = `folder ${base}`;
  const pathOf = (key: string): string => join(base, ...key.split("/"));

  const fail = (e: unknown, action: string, key: string, path: string): RepoError => {
    if (isRepoError(e)) return e;
    const code = errnoOf(e);
    const reason = e instanceof Error ? e.message : String(e);
    const denied = code === "EACCES" || code === "EPERM" || code === "EROFS";
    return new RepoError(
      denied ? "ACCESS_DENIED" : "STORAGE_FAILED",
      `could not ${action} ${key} in ${description}: ${reason}`,
      { key, path, ...(code === undefined ? {} : { errno: code }) },
      { cause: e },
    );
  };

  /** Fsyncs a folder so that a rename or link in it survives a crash (best effort: not every system can). */
  const syncFolder = async (dir: string): Promise<void> => {
    let handle: FileHandle | undefined;
    try {
      handle = await open(dir, "r");
      await handle.sync();
    } catch {
      // Some systems cannot fsync a folder (EISDIR, EINVAL); the write itself succeeded.
    } finally {
      await handle?.close().catch(() => {});
    }
  };

  // Temporary names: one random part per storage object and a counter (a random draw per file cost more
  // than the rest of naming it); `wx` still refuses an existing name.
  const tempStem = `${TEMP_PREFIX}${randomBytes(8).toString("hex")}-`;
  let tempCount = 0;

  /**
   * Opens a new temporary file beside `path`, creating its folders when the open finds them missing;
   * retries when a concurrent delete removed an emptied folder.
   */
  const openTemp = async (path: string): Promise<{ temp: string; handle: FileHandle }> => {
    const dir = dirname(path);
    let makeFolders = false;
    for (let attempt = 1; ; attempt++) {
      const temp = join(dir, `${tempStem}${(tempCount++).toString(36)}`);
      try {
        // Inside the retry: a concurrent delete() removes folders it left empty, between any two steps of
        // a recursive mkdir as well as between the mkdir and the open.
        if (makeFolders) await mkdir(dir, { recursive: true });
        return { temp, handle: await open(temp, "wx") };
      } catch (e) {
        if (errnoOf(e) !== "ENOENT" || attempt >= 5) throw e;
        makeFolders = true;
      }
    }
  };

  /** Writes `body` to a new fsynced temporary file beside `path` and returns its name. */
  const writeTemp = async (path: string, body: Uint8Array | AsyncIterable<Uint8Array>): Promise<string> => {
    const { temp, handle } = await openTemp(path);
    const chunks = body instanceof Uint8Array ? undefined : body[Symbol.asyncIterator]();
    try {
      const writeAll = async (chunk: Uint8Array): Promise<void> => {
        let done = 0;
        while (done < chunk.length) {
          const { bytesWritten } = await handle.write(chunk, done, chunk.length - done);
          done += bytesWritten;
        }
      };
      if (chunks === undefined) await writeAll(body as Uint8Array);
      else {
        for (;;) {
          let next: IteratorResult<Uint8Array>;
          try {
            next = await chunks.next();
          } catch (e) {
            throw new SourceFailure(e);
          }
          if (next.done) break;
          await writeAll(next.value);
        }
      }
      await handle.sync();
      await handle.close();
      return temp;
    } catch (e) {
      // A write that failed stops the caller's stream too, so its files or connections are released.
      if (chunks !== undefined && !(e instanceof SourceFailure)) await chunks.return?.()?.catch(() => {});
      await handle.close().catch(() => {});
      await unlink(temp).catch(() => {});
      throw e;
    }
  };

  const statKey = async (key: string, path: string): Promise<ObjectInfo | undefined> => {
    try {
      const st = await stat(path, { bigint: true });
      if (!st.isFile()) return undefined;
      return {
        key,
        size: Number(st.size),
        etag: `${st.ino.toString(16)}-${st.size}-${st.mtimeNs}`,
        lastModified: st.mtime,
      };
    } catch (e) {
      if (ABSENT.has(errnoOf(e) ?? "")) return undefined;
      throw fail(e, "stat", key, path);
    }
  };

  /**
   * Keys under folder `rel` (`""` or ending in `/`) in ascending order, the entries of `rel` itself limited to
   * names starting with `partial`, skipping every key <= `after`. A folder sorts as its name plus `/`, which
   * makes the walk's order the keys' string order (`a-b` < `a/x` since `-` < `/`).
   */
  async function* walk(rel: string, partial: string, after: string | undefined): AsyncGenerator<string> {
    const dir = join(base, ...rel.split("/"));
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (e) {
      if (ABSENT.has(errnoOf(e) ?? "")) return;
      throw fail(e, "list", rel === "" ? "(root)" : rel, dir);
    }
    const items: { name: string; folder: boolean }[] = [];
    for (const entry of entries) {
      const name = entry.name;
      if (!name.startsWith(partial) || name.startsWith(TEMP_PREFIX) || name.includes("\\")) continue;
      let folder = entry.isDirectory();
      let file = entry.isFile();
      if (entry.isSymbolicLink()) {
        const target = await stat(join(dir, name)).catch(() => undefined);
        folder = target?.isDirectory() ?? false;
        file = target?.isFile() ?? false;
      }
      if (folder || file) items.push({ name: folder ? `${name}/` : name, folder });
    }
    items.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const item of items) {
      const full = rel + item.name;
      if (after !== undefined && full <= after) {
        // A folder whose name is a prefix of the cursor still holds keys after it.
        if (!(item.folder && after.startsWith(full))) continue;
      }
      if (item.folder) yield* walk(full, "", after);
      else yield full;
    }
  }

  return {
    description,
    writeConcurrency: FOLDER_WRITE_CONCURRENCY,

    async get(key, options) {
      checkKey(key);
      if (options?.range) checkRange(key, options.range);
      const path = pathOf(key);
      let handle: FileHandle;
      try {
        handle = await open(path, "r");
      } catch (e) {
        if (ABSENT.has(errnoOf(e) ?? "")) return undefined;
        throw fail(e, "read", key, path);
      }
      let size: number;
      try {
        const st = await handle.stat();
        if (!st.isFile()) {
          await handle.close();
          return undefined;
        }
        size = st.size;
      } catch (e) {
        await handle.close().catch(() => {});
        throw fail(e, "read", key, path);
      }
      const start = Math.min(options?.range?.start ?? 0, size);
      const end = Math.min(options?.range?.end ?? size, size);
      if (end <= start) {
        await handle.close();
        return (async function* () {})();
      }
      // The open handle pins the bytes: a put that renames a new file over this one does not change them.
      if (end - start <= WHOLE_READ_MAX) {
        // A state, pointer or index: read at once into one array (readObject then copies nothing).
        let bytes: Uint8Array;
        try {
          bytes = new Uint8Array(end - start);
          let done = 0;
          while (done < bytes.length) {
            const { bytesRead } = await handle.read(bytes, done, bytes.length - done, start + done);
            if (bytesRead === 0) break;
            done += bytesRead;
          }
          if (done < bytes.length) bytes = bytes.subarray(0, done);
        } catch (e) {
          throw fail(e, "read", key, path);
        } finally {
          await handle.close().catch(() => {});
        }
        return (async function* () {
          yield bytes;
        })();
      }
      // 1 MiB reads for larger objects (package files).
      const stream = handle.createReadStream({ start, end: end - 1, highWaterMark: READ_CHUNK });
      return (async function* () {
        try {
          for await (const chunk of stream) yield plainBytes(chunk as Uint8Array);
        } catch (e) {
          throw fail(e, "read", key, path);
        } finally {
          stream.destroy();
        }
      })();
    },

    async head(key) {
      checkKey(key);
      return statKey(key, pathOf(key));
    },

    async put(key, body, _options) {
      checkKey(key);
      const path = pathOf(key);
      try {
        const temp = await writeTemp(path, body);
        try {
          await rename(temp, path);
        } catch (e) {
          await unlink(temp).catch(() => {});
          throw e;
        }
        await syncFolder(dirname(path));
      } catch (e) {
        if (e instanceof SourceFailure) throw e.error;
        throw fail(e, "write", key, path);
      }
    },

    async create(key, body, _options) {
      checkKey(key);
      const path = pathOf(key);
      try {
        const temp = await writeTemp(path, body);
        try {
          // link() fails with EEXIST when the name exists: an atomic create-if-absent (open O_EXCL would
          // expose a half-written file).
          await link(temp, path);
        } catch (e) {
          if (errnoOf(e) === "EEXIST") return false;
          throw e;
        } finally {
          await unlink(temp).catch(() => {});
        }
        await syncFolder(dirname(path));
        return true;
      } catch (e) {
        throw fail(e, "create", key, path);
      }
    },

    async list(prefix, options = {}): Promise<ListPage> {
      checkPrefix(prefix);
      const limit = options.limit ?? DEFAULT_LIMIT;
      checkLimit(limit);
      const cut = prefix.lastIndexOf("/") + 1;
      const objects: ObjectInfo[] = [];
      let more = false;
      for await (const key of walk(prefix.slice(0, cut), prefix.slice(cut), options.cursor)) {
        const info = await statKey(key, pathOf(key));
        if (info === undefined) continue; // deleted since the folder was read
        if (objects.length === limit) {
          more = true;
          break;
        }
        objects.push(info);
      }
      const page: ListPage = { objects };
      if (more) page.cursor = objects[objects.length - 1]!.key;
      return page;
    },

    async delete(key) {
      checkKey(key);
      const path = pathOf(key);
      try {
        await unlink(path);
      } catch (e) {
        if (ABSENT.has(errnoOf(e) ?? "")) return;
        throw fail(e, "delete", key, path);
      }
      // Removes the folders the deletion emptied (not the root), so a pruned pool leaves no empty tree.
      for (let dir = dirname(path); dir !== base && dir.startsWith(base); dir = dirname(dir)) {
        try {
          await rmdir(dir);
        } catch {
          break; // not empty (ENOTEMPTY/EEXIST), or already gone: stop climbing
        }
      }
    },
  };
}

/** Finds the registered format of a package file from its first bytes and its name. */
import { open } from "node:fs/promises";
import { basename } from "node:path";
import { FORMATS, FormatError, IOError, type PackageFormat } from "./formats.ts";

/** Bytes read from the start of a file for format sniffing. */
const SNIFF_BYTES = 8192;

/**
 * An IOError naming `path` for a failed open or read: NOT_FOUND for a missing file, READ_FAILED for
 * anything else (a folder, no permission, a path through a file), with the system's reason in words.
 */
export function readError(path: string, e: unknown): IOError {
  const code = (e as NodeJS.ErrnoException).code;
  const reason =
    code === "ENOENT"
      ? "no such file"
      : code === "EISDIR"
        ? "is a folder, expected a package file"
        : code === "EACCES" || code === "EPERM"
          ? "permission denied"
          : code === "ENOTDIR"
            ? "a part of the path is not a folder"
            : (e as Error).message;
  return new IOError(
    code === "ENOENT" ? "NOT_FOUND" : "READ_FAILED",
    `cannot read ${path}: ${reason}${code !== undefined && !reason.includes(code) ? ` (${code})` : ""}`,
    { path },
    { cause: e },
  );
}

async function head(path: string, name: string): Promise<Uint8Array> {
  let fh: Awaited<ReturnType<typeof open>>;
  try {
    fh = await open(path, "r");
  } catch (e) {
    throw readError(name, e);
  }
  try {
    const stat = await fh.stat();
    if (stat.isDirectory()) throw Object.assign(new Error("is a directory"), { code: "EISDIR" });
    if (!stat.isFile()) {
      throw new IOError("READ_FAILED", `cannot read ${name}: not a regular file, expected a package file`, {
        path: name,
      });
    }
    const buf = new Uint8Array(SNIFF_BYTES);
    const { bytesRead } = await fh.read(buf, 0, SNIFF_BYTES, 0);
    return buf.subarray(0, bytesRead);
  } catch (e) {
    throw e instanceof IOError ? e : readError(name, e);
  } finally {
    await fh.close();
  }
}

/**
 * The format whose `sniff` accepts `path`, or a FormatError BAD_MAGIC naming the formats tried. Messages
 * name the file as `name` (what the user typed; default `path`).
 */
export async function sniffFile(
  path: string,
  // biome-ignore lint/suspicious/noExplicitAny: formats carry their own option types.
  formats: readonly PackageFormat<any>[] = FORMATS,
  name: string = path,
  // biome-ignore lint/suspicious/noExplicitAny: formats carry their own option types.
): Promise<PackageFormat<any>> {
  const first = await head(path, name);
  const format = formats.find((f) => f.sniff(first, basename(path)));
  if (format === undefined) {
    const known = formats.map((f) => f.id).join(", ") || "none yet";
    throw new FormatError(
      "BAD_MAGIC",
      `${name}: expected a package packyard reads (formats in this build: ${known}), found unrecognised bytes`,
      { path: name, offset: 0 },
    );
  }
  return format;
}

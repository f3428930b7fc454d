/** Finds the registered format of a package file from its first bytes and its name. */
import { open } from "node:fs/promises";
import { basename } from "node:path";
import { FORMATS, FormatError, IOError, type PackageFormat } from "./formats.ts";

/** Bytes read from the start of a file for format sniffing. */
const SNIFF_BYTES = 8192;

async function head(path: string): Promise<Uint8Array> {
  let fh: Awaited<ReturnType<typeof open>>;
  try {
    fh = await open(path, "r");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code === "ENOENT" ? "NOT_FOUND" : "READ_FAILED";
    throw new IOError(code, `cannot open ${path}: ${(e as Error).message}`, { path }, { cause: e });
  }
  try {
    const buf = new Uint8Array(SNIFF_BYTES);
    const { bytesRead } = await fh.read(buf, 0, SNIFF_BYTES, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/** The format whose `sniff` accepts `path`, or a FormatError BAD_MAGIC naming the formats tried. */
export async function sniffFile(
  path: string,
  // biome-ignore lint/suspicious/noExplicitAny: formats carry their own option types.
  formats: readonly PackageFormat<any>[] = FORMATS,
  // biome-ignore lint/suspicious/noExplicitAny: formats carry their own option types.
): Promise<PackageFormat<any>> {
  const first = await head(path);
  const format = formats.find((f) => f.sniff(first, basename(path)));
  if (format === undefined) {
    const known = formats.map((f) => f.id).join(", ") || "none yet";
    throw new FormatError(
      "BAD_MAGIC",
      `${path}: expected a package packyard reads (formats in this build: ${known}), found unrecognised bytes`,
      { path, offset: 0 },
    );
  }
  return format;
}

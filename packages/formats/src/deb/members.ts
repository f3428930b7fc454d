/** ar member names and compression suffixes of a deb (deb(5)). */
import type { CompressionAlgo } from "../compress/compression.ts";

/** Contents of the `debian-binary` member. */
export const DEBIAN_BINARY = "2.0\n";

/** Suffix of a tar member compressed with `algo` (`data.tar.zst`). */
export const MEMBER_SUFFIX: Readonly<Record<Exclude<CompressionAlgo, "bzip2">, string>> = {
  gzip: ".gz",
  xz: ".xz",
  zstd: ".zst",
  none: "",
};

/** The compression a member name says it has (`control.tar.xz` → xz), or undefined for an unknown suffix. */
export function memberCompression(
  name: string,
  base: "control.tar" | "data.tar",
): CompressionAlgo | "lzma" | undefined {
  if (!name.startsWith(base)) return undefined;
  switch (name.slice(base.length)) {
    case "":
      return "none";
    case ".gz":
      return "gzip";
    case ".xz":
      return "xz";
    case ".zst":
      return "zstd";
    case ".bz2":
      return base === "data.tar" ? "bzip2" : undefined;
    case ".lzma":
      return base === "data.tar" ? "lzma" : undefined;
    default:
      return undefined;
  }
}

/** The signature member name for a debsigs role. */
export function signatureMemberName(type: "origin" | "maint" | "archive" = "origin"): string {
  return `_gpg${type}`;
}

/**
 * What an APKINDEX entry needs of one .apk, taken from its PackageInfo the way `apk index` (apk-tools
 * v2.14 src/package.c `read_info_line`, `apk_pkg_add_info`) takes it from the package: the `.PKGINFO`
 * keys it maps to index fields, and the package identity `C:` from the control member's SHA-1. Pure: the
 * result is stored in the repository state and the index is rebuilt from it alone.
 */
import type { PackageInfo } from "@packyard/formats";
import { decodePkginfo, type Pkginfo } from "@packyard/formats/apk";
import { RepoError } from "../errors.ts";
import type { ApkIndexInfo } from "./types.ts";

/** `Q1` + base64 of 20 bytes: 27 significant characters and one `=` of padding. */
const Q1_CHECKSUM = /^Q1[A-Za-z0-9+/]{26}[AEIMQUYcgkosw048]=$/;
const HEX_SHA1 = /^[0-9a-fA-F]{40}$/;
const UNSIGNED = /^[0-9]+$/;

function corrupt(where: string, what: string, data: Record<string, unknown>, cause?: unknown): RepoError {
  return new RepoError(
    "CORRUPT_PACKAGE",
    `${where}: ${what}`,
    { package: where, ...data },
    cause === undefined ? undefined : { cause },
  );
}

/**
 * The identity apk keys packages by: `Q1` + base64 SHA-1 of the control gzip member. @packyard/formats
 * already gives it in that form; a 40-digit hex SHA-1 (apk's `X1` spelling without the prefix) is turned
 * into it.
 */
function checksumOf(controlSha1: string, where: string): string {
  if (Q1_CHECKSUM.test(controlSha1)) return controlSha1;
  if (HEX_SHA1.test(controlSha1)) return `Q1${Buffer.from(controlSha1, "hex").toString("base64")}`;
  throw corrupt(
    where,
    `the control member checksum must be "Q1" + base64 of a SHA-1 (30 characters) or 40 hex digits, found ${JSON.stringify(controlSha1)}`,
    { field: "raw.controlSha1", expected: "Q1 + base64(SHA-1)", found: controlSha1 },
  );
}

/** The first value of a key (what @packyard/formats' reader takes too), undefined when absent or empty. */
function first(pkginfo: Pkginfo, key: string): string | undefined {
  const v = pkginfo.get(key)?.[0];
  return v === undefined || v === "" ? undefined : v;
}

/**
 * A number apk reads with `apk_blob_pull_uint` and writes back in decimal: digits only, written without
 * leading zeros.
 */
function unsigned(pkginfo: Pkginfo, key: string, where: string): string | undefined {
  const v = first(pkginfo, key);
  if (v === undefined) return undefined;
  if (!UNSIGNED.test(v))
    throw corrupt(where, `.PKGINFO ${key} must be an unsigned decimal number, found ${JSON.stringify(v)}`, {
      field: key,
      expected: "digits",
      found: v,
    });
  return BigInt(v).toString();
}

/** Every item of a list key: each line may hold several space-separated items (apk_blob_pull_deps). */
function items(pkginfo: Pkginfo, key: string): string[] {
  return (pkginfo.get(key) ?? []).flatMap((line) => line.split(/\s+/).filter((s) => s !== ""));
}

/**
 * The APKINDEX record of an .apk's PackageInfo: `.PKGINFO` pkgname, pkgver, arch, size, pkgdesc, url,
 * license, origin, maintainer, builddate, commit, provider_priority, depend, provides, install_if,
 * replaces and replaces_priority, and the identity from `raw.controlSha1`. `where` names the package in
 * errors (default `<name> <version>`).
 * @throws RepoError UNSUPPORTED_PACKAGE for a PackageInfo that is not an .apk's; CORRUPT_PACKAGE when
 * `.PKGINFO` does not parse, lacks pkgname or pkgver, holds a number that is not one, or the control
 * checksum is malformed.
 * @example apkIndexInfo(await readPackage(source, "hello-1.0-r0.apk"), "hello-1.0-r0.apk").checksum // "Q1…="
 */
export function apkIndexInfo(info: PackageInfo, where?: string): ApkIndexInfo {
  const at = where ?? `${info.name} ${info.versionString}`;
  const raw = info.raw;
  if (raw.format !== "apk")
    throw new RepoError(
      "UNSUPPORTED_PACKAGE",
      `${at}: an APKINDEX lists Alpine .apk packages, found a ${raw.format} package`,
      { package: at, expected: "apk", found: raw.format },
    );
  let pkginfo: Pkginfo;
  try {
    pkginfo = decodePkginfo(raw.pkginfo);
  } catch (cause) {
    throw corrupt(
      at,
      `.PKGINFO does not parse: ${(cause as Error).message}`,
      { field: ".PKGINFO", expected: "key = value lines" },
      cause,
    );
  }
  const name = first(pkginfo, "pkgname");
  const version = first(pkginfo, "pkgver");
  for (const [key, value] of [
    ["pkgname", name],
    ["pkgver", version],
  ] as const) {
    // apk_db_pkg_add drops an entry without P: or V:, so the index could not name the package.
    if (value === undefined)
      throw corrupt(at, `.PKGINFO has no ${key} (apk needs it to list the package)`, {
        field: key,
        expected: `${key} = <value>`,
        found: "nothing",
      });
  }
  const out: ApkIndexInfo = {
    checksum: checksumOf(raw.controlSha1, at),
    name: name!,
    version: version!,
    arch: first(pkginfo, "arch") ?? "",
    // apk writes I: always; a package without size is read as installed_size 0.
    installedSize: unsigned(pkginfo, "size", at) ?? "0",
    description: first(pkginfo, "pkgdesc") ?? "",
    url: first(pkginfo, "url") ?? "",
    license: first(pkginfo, "license") ?? "",
    depends: items(pkginfo, "depend"),
    provides: items(pkginfo, "provides"),
    installIf: items(pkginfo, "install_if"),
    replaces: items(pkginfo, "replaces"),
  };
  const origin = first(pkginfo, "origin");
  if (origin !== undefined) out.origin = origin;
  const maintainer = first(pkginfo, "maintainer");
  if (maintainer !== undefined) out.maintainer = maintainer;
  const buildTime = unsigned(pkginfo, "builddate", at);
  if (buildTime !== undefined) out.buildTime = buildTime;
  const commit = first(pkginfo, "commit");
  if (commit !== undefined) out.commit = commit;
  const providerPriority = unsigned(pkginfo, "provider_priority", at);
  if (providerPriority !== undefined) out.providerPriority = providerPriority;
  const replacesPriority = unsigned(pkginfo, "replaces_priority", at);
  if (replacesPriority !== undefined) out.replacesPriority = replacesPriority;
  return out;
}

/**
 * What an APKINDEX entry needs of an .apk, taken from its `.PKGINFO` and control member when it is
 * published (never re-read from the package). Values are the text apk-tools writes.
 */
export interface ApkIndexInfo {
  /** `C:` — `Q1` + base64 of the SHA-1 of the control gzip member. */
  checksum: string;
  /** `P:` */
  name: string;
  /** `V:` */
  version: string;
  /** The package's own architecture (`noarch` is kept here; each folder's index writes its own `A:`). */
  arch: string;
  /** `I:` installed size in bytes, as text. */
  installedSize: string;
  /** `T:` */
  description: string;
  /** `U:` */
  url: string;
  /** `L:` */
  license: string;
  /** `o:` */
  origin?: string;
  /** `m:` */
  maintainer?: string;
  /** `t:` build time (Unix seconds), as text; apk leaves `t:` out when it is 0. */
  buildTime?: string;
  /** `c:` */
  commit?: string;
  /** `k:`; apk leaves it out when it is 0. */
  providerPriority?: string;
  /** `D:` (space-separated in the index). */
  depends: string[];
  /** `p:` */
  provides: string[];
  /** `i:` */
  installIf: string[];
  /**
   * `.PKGINFO` replaces. Kept, but not an index field: apk-tools 2.14 writes `r:` only into the installed
   * database (src/database.c), never into APKINDEX.
   */
  replaces: string[];
  /** `.PKGINFO` replaces_priority; like `replaces`, the installed database's `q:`, not written in APKINDEX. */
  replacesPriority?: string;
}

/** One package of an APKINDEX: its index info and the size of the stored file (`S:`). */
export interface ApkEntry {
  info: ApkIndexInfo;
  size: number;
}

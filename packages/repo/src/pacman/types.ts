/**
 * What pacman's sync databases need of a package, taken from its `.PKGINFO` when it is published (never
 * re-read from the package): the `desc` fields repo-add's db_write_entry writes, and the archive paths of
 * the `files` entry. Values are kept as the text repo-add would write (runs of whitespace made one space);
 * optional fields are absent when empty; lists keep every value in order, empty ones too (repo-add leaves
 * out a block whose first value is empty and writes later empty values as blank lines).
 */
export interface PacmanIndexInfo {
  /** `pkgname`. */
  name: string;
  /** `pkgbase` (absent when the package names none). */
  base?: string;
  /** `pkgver` as .PKGINFO has it: `[epoch:]pkgver-pkgrel`. */
  version: string;
  /** `pkgdesc`. */
  desc?: string;
  groups: string[];
  /** `size` (installed size, bytes) as text. */
  isize?: string;
  url?: string;
  licenses: string[];
  /** `arch` (`x86_64`, `aarch64`, `any`); empty when .PKGINFO names none. */
  arch: string;
  /** `builddate` (Unix seconds) as text. */
  builddate?: string;
  packager?: string;
  replaces: string[];
  conflicts: string[];
  provides: string[];
  depends: string[];
  optdepends: string[];
  makedepends: string[];
  checkdepends: string[];
  /**
   * Archive paths for the files database as `bsdtar -tf` lists them in a UTF-8 locale (directories end in
   * `/`, root dot files left out, backslashes and unprintable characters escaped), sorted as LC_ALL=C.
   */
  files: string[];
}

/** One package of a pacman database: its index info plus what the stored file gives. */
export interface PacmanEntry {
  info: PacmanIndexInfo;
  /**
   * `info.name` and `info.version`, when the caller has them without `info` (the engine, from its
   * records): the databases are sorted by them, and then read `info` only for the packages whose text is
   * made. Must equal info's.
   */
  name?: string;
  version?: string;
  /** `%FILENAME%`: the file's name in the architecture folder. */
  filename: string;
  /** `%CSIZE%`: size of the package file. */
  csize: number;
  md5: string;
  sha256: string;
  /** The binary detached signature, for `%PGPSIG%` when signatures are embedded. */
  signature?: Uint8Array;
  /**
   * Bytes that differ whenever anything above does (the engine gives the package's state record as
   * stored): how the databases' gzip pieces know which packages changed. Absent: the fields as JSON.
   */
  id?: Uint8Array;
}

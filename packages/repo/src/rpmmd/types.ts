/** What the RPM-MD document builders take: one package as the repository serves it. */
import type { RpmIndexInfo } from "../publish/state.ts";

/** One package of an RPM-MD directory: its header material and the stored file's identity. */
export interface RpmMdPackage {
  /** What {@link rpmIndexInfo} took from the package's header. */
  info: RpmIndexInfo;
  /** SHA-256 of the stored file (lowercase hex): `<checksum pkgid="YES">` and the filelists/other key. */
  pkgid: string;
  /** Size of the stored file in bytes (`<size package=>`). */
  size: number;
  /** `<location href=>`: the file relative to the directory holding `repodata/` (may start with `../`). */
  href: string;
  /** `<time file=>`: createrepo_c writes the file's mtime (Unix seconds). */
  fileTime: number;
}

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
  /**
   * Bytes that differ whenever this package's XML would (what it is made from: a caller's stored record),
   * by which a compressed document's pieces are known across builds; default: the fields above as JSON.
   * With an `id`, {@link RpmMetadataOptions.context} names what else the XML depends on.
   */
  id?: Uint8Array;
}

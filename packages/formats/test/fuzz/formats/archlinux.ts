/**
 * Arch packages: the tar inside its compression (headers, pax records, entries), the metadata members'
 * text (.PKGINFO, .BUILDINFO, .INSTALL, .CHANGELOG, the gzipped .MTREE), members removed (so a payload
 * change is no longer checked against .MTREE), a gzip bomb as .MTREE, whole-package bombs, byte damage.
 */
import { havoc } from "../mutate/bytes.ts";
import { mutateTar } from "../mutate/tar.ts";
import type { Strategy } from "../strategy.ts";
import { inTar, memberBomb, packageBomb, removeMember, textMember } from "./compressed-tar.ts";

const METADATA = /^\.(PKGINFO|BUILDINFO|INSTALL|CHANGELOG|MTREE)$/;

/** How Arch packages are mutated. */
export const archlinuxStrategy: Strategy = {
  format: "archlinux",
  mutators: [
    { name: "tar", weight: 6, run: (rng, b) => inTar(rng, b, mutateTar) },
    { name: "metadata text", weight: 5, run: (rng, b) => inTar(rng, b, textMember(METADATA, /^\.MTREE$/)) },
    {
      name: "member removed",
      weight: 1,
      run: (rng, b) => inTar(rng, b, removeMember(/^\.(MTREE|PKGINFO|BUILDINFO)$|^usr\//)),
    },
    {
      name: "tar without .MTREE",
      weight: 2,
      run: (rng, b) =>
        inTar(rng, b, (r, t) => {
          const m = removeMember(/^\.MTREE$/)(r, t);
          const n = mutateTar(r, m.bytes);
          return { bytes: n.bytes, what: `${m.what}; ${n.what}` };
        }),
    },
    { name: ".MTREE bomb", weight: 1, run: (rng, b) => inTar(rng, b, memberBomb(/^\.MTREE$/)) },
    { name: "package bomb", weight: 1, run: packageBomb([".PKGINFO", ".MTREE", "usr/bin/zeros"]) },
    { name: "plain bytes", weight: 2, run: (rng, b) => inTar(rng, b, (r, t) => havoc(r, t)) },
    { name: "file bytes", weight: 2, run: (rng, b) => havoc(rng, b) },
  ],
};

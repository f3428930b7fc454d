/**
 * Release archives: tar.gz/tar.xz/tar.zst (the tar inside its compression, whole-archive bombs) and zip
 * (central and local headers, the end record, Zip64 extras, overlapping entries, deflate bombs), plus byte
 * damage. A mutator aimed at the other container falls back to byte damage.
 */
import { havoc } from "../mutate/bytes.ts";
import { mutateTar } from "../mutate/tar.ts";
import { mutateZip } from "../mutate/zip.ts";
import type { Strategy } from "../strategy.ts";
import { inTar, packageBomb } from "./compressed-tar.ts";

const isZip = (b: Uint8Array) => b[0] === 0x50 && b[1] === 0x4b;

/** How release archives are mutated. */
export const tarballStrategy: Strategy = {
  format: "tarball",
  mutators: [
    { name: "tar", weight: 6, run: (rng, b) => (isZip(b) ? mutateZip(rng, b) : inTar(rng, b, mutateTar)) },
    { name: "zip", weight: 6, run: (rng, b) => (isZip(b) ? mutateZip(rng, b) : inTar(rng, b, mutateTar)) },
    {
      name: "bomb",
      weight: 1,
      run: (rng, b) => (isZip(b) ? mutateZip(rng, b) : packageBomb(["fuzzseed/zeros", "zeros"])(rng, b)),
    },
    {
      name: "plain bytes",
      weight: 2,
      run: (rng, b) => (isZip(b) ? havoc(rng, b) : inTar(rng, b, (r, t) => havoc(r, t))),
    },
    { name: "file bytes", weight: 2, run: (rng, b) => havoc(rng, b) },
  ],
};

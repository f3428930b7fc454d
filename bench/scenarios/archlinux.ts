/**
 * Arch package: packyard's writer (digest pass for .MTREE, then tar + zstd-3, one thread) against what
 * makepkg 6 does on the same tree — `bsdtar --format=mtree` with md5+sha256 (gzip'd .MTREE), then
 * `bsdtar -cf -` piped to `zstd -c -z -q -3 -T1` (makepkg's COMPRESSZST at the same pinned level and threads).
 */
import type { Scenario } from "../scenario.ts";

const MTREE_OPTIONS = "!all,use-set,type,uid,gid,mode,time,size,md5,sha256,link";

export const scenario: Scenario = {
  name: "archlinux",
  description:
    "Arch .pkg.tar.zst: packyard (mtree digests + pax tar + zstd-3, 1 thread) vs makepkg's bsdtar mtree + bsdtar | zstd -3 -T1.",
  payloads: ["binary20mb", "electron5k", "small50k"],
  nativeTools: ["bsdtar", "zstd", "gzip", "sh"],
  packyard: (ctx) => ({
    label: "packyard",
    cmd: process.execPath,
    args: [
      `${ctx.repoRoot}/bench/drivers/archlinux.ts`,
      ctx.payloadDir,
      `${ctx.workDir}/out.pkg.tar.zst`,
      "3",
    ],
  }),
  native: (ctx) => [
    {
      label: "bsdtar mtree + bsdtar | zstd -3 -T1",
      cmd: "sh",
      args: [
        "-c",
        `cd "$0" && LANG=C bsdtar -cf - --format=mtree --options='${MTREE_OPTIONS}' . | gzip -c -f -n > "$1/.MTREE" && LANG=C bsdtar --no-fflags -cf - . | zstd -c -z -q -3 -T1 - > "$1/out.pkg.tar.zst"`,
        ctx.payloadDir,
        ctx.workDir,
      ],
    },
  ],
  versions: () => [
    { label: "bsdtar", cmd: "bsdtar", args: ["--version"] },
    { label: "zstd", cmd: "zstd", args: ["--version"] },
  ],
};

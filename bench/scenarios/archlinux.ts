/**
 * Arch package: `packyard build -p archlinux` (the CLI from dist/, archlinux.compression zstd:3) against
 * two native sides on the same tree:
 * - a whole `makepkg` run (makepkg 6 as installed, its own makepkg.conf with zstd pinned to `-3` and
 *   PKGEXT .pkg.tar.zst; options !strip !zipman !purge !debug so it does the work packyard does: no
 *   binary post-processing): package() copies the staged tree into $pkgdir, then makepkg writes .PKGINFO,
 *   .BUILDINFO and .MTREE and packs with `bsdtar | zstd -3`. makepkg refuses root, so it runs as `nobody`
 *   through runuser, as the interop tests run it;
 * - the raw pipe `bsdtar -cf - . | zstd -3 -T0` (every core), no metadata at all.
 * Gates (issue 18): ≥ 10× faster than makepkg and ≥ 0.6× the raw pipe on electron5k and small50k
 * (binary20mb reported only); peak RSS ≤ 150 MiB on small50k and the 2 GB payload.
 */
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { cliBuild, cliOutput, writePackyardConfig } from "../cli-build.ts";
import type { BenchCommand, BenchSide, Scenario, ScenarioContext } from "../scenario.ts";
import { GATED_PAYLOADS, rssGates, speedGates } from "../writer-gates.ts";

/** makepkg's package file name for the PKGBUILD below. */
export const MAKEPKG_OUTPUT = "bench-1.0.0-1-any.pkg.tar.zst";

function makepkgDir(ctx: ScenarioContext): string {
  return `${ctx.workDir}.makepkg`;
}

const PKGBUILD = `pkgname=bench
pkgver=1.0.0
pkgrel=1
pkgdesc="bench payload"
arch=('any')
url="https://example.org"
license=('MIT')
options=('!strip' '!zipman' '!purge' '!debug' 'emptydirs')
package() {
  for d in "$BENCH_PAYLOAD"/*; do
    [ "\${d##*/}" = DEBIAN ] || cp -a "$d" "$pkgdir"/
  done
}
`;

/** Writes the PKGBUILD and a makepkg.conf (the system's, zstd -3 and .pkg.tar.zst pinned) nobody can read. */
export async function prepareMakepkg(ctx: ScenarioContext): Promise<void> {
  if (process.getuid?.() !== 0)
    throw new Error(
      "the makepkg side needs root: makepkg refuses to run as root, so the bench runs it as nobody through runuser, which only root may do",
    );
  const dir = makepkgDir(ctx);
  await mkdir(dir, { recursive: true });
  const system = await readFile("/etc/makepkg.conf", "utf8");
  await writeFile(
    `${dir}/makepkg.conf`,
    `${system}\n# bench: pinned settings\nPKGEXT='.pkg.tar.zst'\nCOMPRESSZST=(zstd -c -z -q -3 -)\nBUILDENV=(!distcc !color !ccache !check !sign)\n`,
  );
  await writeFile(`${dir}/PKGBUILD`, PKGBUILD);
  // makepkg runs as nobody: it writes the package and its build folder into the work folder.
  for (const d of [dir, ctx.workDir]) await chmod(d, 0o777);
}

export function makepkgCommand(ctx: ScenarioContext): BenchCommand {
  const dir = makepkgDir(ctx);
  return {
    label: "makepkg (whole run, as nobody)",
    cmd: "runuser",
    args: [
      "-u",
      "nobody",
      "--",
      "env",
      `HOME=${dir}`,
      `BENCH_PAYLOAD=${ctx.payloadDir}`,
      `PKGDEST=${ctx.workDir}`,
      `BUILDDIR=${ctx.workDir}/makepkg-build`,
      `SRCDEST=${ctx.workDir}/makepkg-src`,
      "SOURCE_DATE_EPOCH=1704067200",
      "makepkg",
      "--config",
      `${dir}/makepkg.conf`,
      "--nodeps",
      "--noconfirm",
      "--force",
    ],
    cwd: dir,
  };
}

/** The raw pipe: `bsdtar -cf - . | zstd -3 -T0` of the tree, no metadata. */
export function rawPipeSide(ctx: ScenarioContext, id = "pipe"): BenchSide {
  return {
    id,
    label: "bsdtar | zstd -3 -T0",
    commands: [
      {
        label: "bsdtar | zstd -3 -T0",
        cmd: "sh",
        args: [
          "-c",
          `cd "$0" && LANG=C bsdtar --no-fflags --exclude ./DEBIAN -cf - . | zstd -c -z -q -3 -T0 - > "$1/pipe.tar.zst"`,
          ctx.payloadDir,
          ctx.workDir,
        ],
      },
    ],
    output: "pipe.tar.zst",
  };
}

export const scenario: Scenario = {
  name: "archlinux",
  description:
    "Arch .pkg.tar.zst, zstd-3: `packyard build -p archlinux` vs a whole `makepkg` run and vs the raw `bsdtar | zstd -3 -T0` pipe.",
  payloads: ["binary20mb", "electron5k", "small50k", "large2g"],
  nativeTools: ["makepkg", "fakeroot", "runuser", "bsdtar", "zstd"],
  async prepare(ctx) {
    await prepareMakepkg(ctx);
    await writePackyardConfig(ctx, "archlinux", ["archlinux:", "  compression: zstd:3"]);
  },
  packyard: (ctx) => cliBuild(ctx, "archlinux"),
  native: (ctx) => [makepkgCommand(ctx)],
  extraSides: (ctx) => [rawPipeSide(ctx)],
  outputs: { packyard: cliOutput("archlinux"), native: MAKEPKG_OUTPUT },
  packageKind: "archlinux",
  ceiling: { algo: "zstd", level: 3, split: true },
  gates: [
    ...speedGates("Arch zstd-3", GATED_PAYLOADS, "native", 10, "≥ 10× faster than a whole `makepkg` run"),
    ...speedGates("Arch zstd-3", GATED_PAYLOADS, "pipe", 0.6, "≥ 0.6× `bsdtar | zstd -3 -T0`"),
    ...rssGates("Arch"),
  ],
  versions: () => [
    { label: "makepkg", cmd: "makepkg", args: ["--version"] },
    { label: "bsdtar", cmd: "bsdtar", args: ["--version"] },
    { label: "zstd", cmd: "zstd", args: ["--version"] },
    { label: "packyard", cmd: process.execPath, args: ["packages/cli/bin/packyard.js", "--version"] },
  ],
};

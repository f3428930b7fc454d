/**
 * `packyard repo ls|rm|prune|refresh|copy --to …`: looks after a repository `packyard publish` made —
 * lists it, removes packages, deletes files whose grace period is over, re-signs it before Valid-Until
 * runs out, and promotes packages from one suite to another without reading them again.
 */
import { type Command, type Flags, runFrom } from "../command.ts";
import { listFlag, stringFlag } from "../flags.ts";
import { parseSelector } from "../package-selector.ts";
import {
  KEY_HELP,
  KEY_OPTIONS,
  LOCK_HELP,
  LOCK_OPTIONS,
  RUN_OPTIONS,
  SUITE_HELP,
  SUITE_OPTIONS,
  TARGET_HELP,
  TARGET_OPTIONS,
} from "../publish-options.ts";
import type { Family } from "../publish-run.ts";
import type { PackageSelector, RootState } from "../repo.ts";
import { UsageError } from "../usage-error.ts";

export const SUBCOMMANDS = ["ls", "rm", "prune", "refresh", "copy", "instructions"] as const;
export type Subcommand = (typeof SUBCOMMANDS)[number];

/** One root as `repo ls --json` prints it. */
export interface ListedRoot {
  root: string;
  family: string;
  generation: number;
  date: string;
  suite?: string;
  codename?: string;
  components?: string[];
  architectures?: string[];
  validFor?: number;
  /** RPM-MD and Alpine: the catalogue target (`el-9`, `alpine-3.22`). */
  target?: string;
  /** pacman: the repository (database) name; Alpine: the repository folder (`main`). */
  repo?: string;
  packages: {
    name: string;
    version: string;
    arch: string;
    component?: string;
    key: string;
    size: number;
    sha256: string;
  }[];
}

/** The listing of one root: its settings and packages, without the engine's bookkeeping. */
export function listedRoot(state: RootState): ListedRoot {
  const apt = state.apt;
  return {
    root: state.root,
    family: state.family,
    generation: state.generation,
    date: state.date,
    ...(apt !== undefined
      ? {
          suite: apt.suite,
          codename: apt.codename,
          components: apt.components,
          architectures: apt.architectures,
          ...(apt.validFor !== undefined ? { validFor: apt.validFor } : {}),
        }
      : {}),
    ...(state.rpm !== undefined ? { target: state.rpm.target, architectures: [state.rpm.arch] } : {}),
    ...(state.archlinux !== undefined
      ? { repo: state.archlinux.repo, architectures: [state.archlinux.arch] }
      : {}),
    ...(state.alpine !== undefined
      ? { target: state.alpine.target, repo: state.alpine.repo, architectures: [state.alpine.arch] }
      : {}),
    packages: state.packages.map((p) => ({
      name: p.name,
      version: p.version,
      arch: p.arch,
      ...(p.component !== undefined ? { component: p.component } : {}),
      key: p.key,
      size: p.size,
      sha256: p.digests.sha256,
    })),
  };
}

/** `repo ls` for people: a header per root, a row per package. */
export function listingText(roots: readonly ListedRoot[]): string {
  const lines: string[] = [];
  for (const r of roots) {
    const about = [
      ...(r.suite !== undefined ? [`suite ${r.suite}`] : []),
      ...(r.target !== undefined ? [`target ${r.target}`] : []),
      ...(r.repo !== undefined ? [`repository ${r.repo}`] : []),
      ...(r.codename !== undefined && r.codename !== r.suite ? [`codename ${r.codename}`] : []),
      ...(r.components !== undefined ? [`components ${r.components.join(" ")}`] : []),
      ...(r.architectures !== undefined ? [`architectures ${r.architectures.join(" ")}`] : []),
      `${r.packages.length} package${r.packages.length === 1 ? "" : "s"}`,
      `updated ${r.date}`,
    ];
    lines.push(`${r.root}: ${about.join(", ")}`);
    const width = (f: (p: ListedRoot["packages"][number]) => string) =>
      Math.max(0, ...r.packages.map((p) => f(p).length));
    const wc = width((p) => p.component ?? "");
    const wn = width((p) => p.name);
    const wv = width((p) => p.version);
    for (const p of r.packages) {
      const cells = [
        ...(wc > 0 ? [(p.component ?? "").padEnd(wc)] : []),
        p.name.padEnd(wn),
        p.version.padEnd(wv),
        p.arch,
      ];
      lines.push(`  ${cells.join("  ")}`);
    }
  }
  return lines.length > 0 ? `${lines.join("\n")}\n` : "";
}

const FAMILIES: readonly Family[] = ["deb", "rpm", "archlinux", "alpine"];

/** `--family`, checked. */
function familyFlag(flags: Flags): Family | undefined {
  const text = stringFlag(flags, "family");
  if (text === undefined) return undefined;
  const family = FAMILIES.find((f) => f === text);
  if (family === undefined) {
    throw new UsageError(`--family: expected one of ${FAMILIES.join(", ")}, found '${text}'`, "repo");
  }
  return family;
}

/**
 * The packages `repo rm` and `repo copy` name, and the families they touch. `--rpm-target` and
 * `--apk-target` narrow them to those targets' roots, `--family` to one family's roots; without either they
 * apply to the APT suite.
 */
export function selectors(
  positionals: readonly string[],
  flags: Flags,
): { select: PackageSelector[]; families: Family[] } {
  const component = stringFlag(flags, "component");
  const family = familyFlag(flags);
  const rpmTargets = listFlag(flags, "rpm-target");
  const apkTargets = listFlag(flags, "apk-target");
  const parsed = positionals.map((p) => parseSelector(p, "repo", component));
  const targeted = [
    ...rpmTargets.map((target) => ({ target, family: "rpm" as const, flag: "--rpm-target" })),
    ...apkTargets.map((target) => ({ target, family: "alpine" as const, flag: "--apk-target" })),
  ];
  for (const t of targeted) {
    if (family !== undefined && family !== t.family)
      throw new UsageError(`${t.flag} names ${t.family} roots, but --family is ${family}`, "repo");
  }
  const notApt =
    targeted[0]?.flag ?? (family !== undefined && family !== "deb" ? `--family ${family}` : undefined);
  if (component !== undefined && notApt !== undefined)
    throw new UsageError(`--component names an APT component; ${notApt} takes none`, "repo");
  if (targeted.length > 0) {
    return {
      // With a target the family is the target's (the engine knows it from its catalogue).
      select: targeted.flatMap((t) => parsed.map((s) => ({ ...s, target: t.target }))),
      families: FAMILIES.filter((f) => targeted.some((t) => t.family === f)),
    };
  }
  if (family !== undefined) return { select: parsed.map((s) => ({ ...s, family })), families: [family] };
  return { select: parsed, families: ["deb"] };
}

export const repoCommand: Command = {
  name: "repo",
  summary: "list a published repository, remove, promote or prune packages, re-sign it",
  help: `Usage: packyard repo <ls|rm|prune|refresh|copy|instructions> --to <folder | s3://bucket/prefix> [-f packyard.yml] [--endpoint URL] [--region R] [--path-style] [--key KEY] [--key-name NAME] [--apk-key KEY] [--apk-key-name NAME] [--passphrase-env VAR] [--from-suite S] [--rpm-target ID] [--apk-target ID] [--family F] [--suite S] [--codename C] [--component C] [--origin O] [--label L] [--arch A] [--xz] [--contents] [--sha512] [--valid-for D] [--change-identity] [--replace] [--grace D] [--lock-timeout D] [--no-lock] [--after-publish CMD] [--base-url URL] [--distro ID] [--json] [-q] [NAME[=VERSION][/ARCH]...]

  ls                          the suites and roots (RPM-MD, pacman, Alpine), their architectures and
                              packages with their versions
  rm NAME[=VERSION][/ARCH]... remove packages from a suite (--suite, default stable), or with
                              --rpm-target ID or --apk-target ID from that target's roots, or with
                              --family F from every root of that family, and re-sign
  prune                       delete files no index names any more once their grace period is over
  refresh                     re-sign the top files with a new Date (run it before Valid-Until passes;
                              every suite, or --suite; --valid-for changes Valid-Until too)
  copy [NAME[=VERSION][/ARCH]...] --from-suite S
                              promote packages (default: all) from suite S to --suite without reading
                              them again (the pool is shared)
  instructions [--distro ID]  print how users add the repository and install from it (every served
                              target, or one), as install.json has it with --json; also rewrites
                              index.html, install.sh, install.json and badge.svg when --base-url is given

The target and keys come from the publish: block of packyard.yml as for packyard publish; flags override it.

Options:
${TARGET_HELP}
${KEY_HELP}
      --from-suite S      copy: the suite to take packages from
      --rpm-target ID     rm: remove from this RPM-MD target (el-9, ...) instead of the APT suite
      --apk-target ID     rm: remove from this Alpine target (alpine-3.22, ...) instead of the APT suite
                          (needs --apk-key; --key only when other roots are touched too)
      --family F          rm: remove from every root of family F: deb (the suite), rpm, archlinux or
                          alpine
${SUITE_HELP}
      --replace           copy: overwrite a package of the target suite with the same name/version/arch
      --grace D           how long unreferenced files stay before deletion (default 2d)
${LOCK_HELP}
      --after-publish CMD rm, copy, refresh: run CMD after the change, as packyard publish does
      --base-url URL      instructions: the public URL the repository is served from (remembered)
      --distro ID         instructions: only this catalogue target (debian-12, el-9, arch, ...)
      --json              print the listing, or the result, as JSON on stdout
  -q, --quiet             no progress and no summary on stderr
      --debug             stack traces on errors
  -h, --help              show this help

Examples:
  packyard repo ls --to public/repo
  packyard repo rm --to public/repo --suite testing hello=1.0.0-1 hello-doc/all
  packyard repo rm --to public/repo --rpm-target el-9 hello=1.0.0-1
  packyard repo rm --to public/repo --family archlinux --key repo.secret.asc hello
  packyard repo rm --to public/repo --apk-target alpine-3.22 --apk-key apk.rsa hello=1.0.0-r1
  packyard repo copy --to s3://apt/repo --from-suite testing --suite stable hello --key repo.secret.asc
  packyard repo refresh --to s3://apt/repo --key repo.secret.asc
  packyard repo prune --to public/repo --grace 1d
  packyard repo instructions --to public/repo --distro debian-12
`,
  options: {
    ...TARGET_OPTIONS,
    ...KEY_OPTIONS,
    ...SUITE_OPTIONS,
    "from-suite": { type: "string" },
    "rpm-target": { type: "string", multiple: true },
    "apk-target": { type: "string", multiple: true },
    family: { type: "string" },
    replace: { type: "boolean" },
    "base-url": { type: "string" },
    distro: { type: "string" },
    grace: { type: "string" },
    ...LOCK_OPTIONS,
    ...RUN_OPTIONS,
  },
  positionals: { min: 1, max: Number.POSITIVE_INFINITY, name: `subcommand (${SUBCOMMANDS.join(", ")})` },
  run: runFrom(() => import("../run/repo.ts")),
};

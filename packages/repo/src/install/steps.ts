/**
 * The install steps of one catalogue target: what a user runs to trust the repository's key, add the
 * repository and install a package, as POSIX sh commands (as root, and as typed with sudo) plus the
 * files they write. Every value that comes from a repository is either shell-quoted or sits in a
 * here-document with a quoted delimiter, and is checked first so that it cannot break the file it lands
 * in (a newline in a URL would add a line to pacman.conf). Keys only ever go to a per-repository place:
 * no `apt-key`, no `[trusted=yes]`, no `gpgcheck=0`, no `TrustAll` (repos.md §2.11, §3.10, §4.6, §5.6).
 */
import type {
  AlpineTarget,
  ArchlinuxTarget,
  CatalogueTarget,
  DebTarget,
  RpmTarget,
} from "../catalogue/target.ts";
import { RepoError } from "../errors.ts";
import { rpmPublicKeyKey } from "../publish/layout.ts";
import { shellQuote, writeFileCommands } from "./shell.ts";
import type { ApkKeyInfo, InstallStep, OpenPGPKeyInfo, StepContext } from "./types.ts";

/**
 * A file name stem or section name: what sources.list.d accepts (`[A-Za-z0-9_.-]`, sources.list(5)),
 * without a leading `.` (apt skips hidden files) or `-` (it would read as an option). The same rule the
 * publisher applies to key and repository names.
 */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
/** An Alpine key file name, as the publisher accepts it (engine.ts). */
const APK_KEY_NAME = /^[A-Za-z0-9][A-Za-z0-9@._+-]*$/;
/**
 * A URL that can be written into any of the clients' files: a scheme (so it never starts with `-`), no
 * whitespace or control characters (they end a deb822 value, an ini line, an apk repository line) and
 * no `#` (pacman.conf cuts a line at it; a base URL has no use for a fragment).
 */
const URL_RE = /^[A-Za-z][A-Za-z0-9+.-]*:[^\s#\p{Cc}]+$/u;
/** One word inside a client's file (suite, component, architecture, package): no whitespace or controls. */
const WORD = /^[^\s\p{Cc}]+$/u;
/** A primary key fingerprint as pacman-key takes it: 40 (v4) or 64 (v6) uppercase hex digits. */
const FINGERPRINT = /^(?:[0-9A-F]{40}|[0-9A-F]{64})$/;

function invalid(ctx: StepContext, field: string, expected: string, found: unknown): never {
  throw new RepoError(
    "INVALID_SETTING",
    `install steps for ${ctx.target.id}: ${field} must be ${expected}, found ${JSON.stringify(found)}`,
    { field, expected, found: String(found), target: ctx.target.id },
  );
}

function checkName(ctx: StepContext, field: string, value: string | undefined): string {
  if (value === undefined || !NAME.test(value))
    invalid(ctx, field, "letters, digits, '.', '_' and '-', starting with a letter or digit", value);
  return value;
}

function checkUrl(ctx: StepContext, field: string, value: string | undefined): string {
  if (value === undefined || !URL_RE.test(value))
    invalid(ctx, field, "an absolute URL without whitespace, control characters or '#'", value);
  return value;
}

function checkWord(ctx: StepContext, field: string, value: string | undefined): string {
  if (value === undefined || !WORD.test(value) || value.startsWith("-"))
    invalid(ctx, field, "one word without whitespace or control characters, not starting with '-'", value);
  return value;
}

function openpgpOf(ctx: StepContext): OpenPGPKeyInfo {
  const key = ctx.openpgp;
  if (key === undefined)
    throw new RepoError(
      "MISSING_KEY",
      `install steps for ${ctx.target.id}: the repository's OpenPGP public key is needed (its ${ctx.target.family} indexes are signed with it), and none was given`,
      { target: ctx.target.id, expected: "openpgp key info" },
    );
  if (key.fingerprints.length === 0 || key.fingerprints.length > 2)
    invalid(ctx, "openpgp.fingerprints", "one fingerprint, or two during a key rotation", key.fingerprints);
  for (const f of key.fingerprints)
    if (!FINGERPRINT.test(f)) invalid(ctx, "openpgp.fingerprints", "40 or 64 uppercase hex digits", f);
  checkUrl(ctx, "openpgp.asc", key.asc);
  return key;
}

function apkKeyOf(ctx: StepContext, field = "apk"): ApkKeyInfo {
  const key = ctx.apk;
  if (key === undefined)
    throw new RepoError(
      "MISSING_KEY",
      `install steps for ${ctx.target.id}: the repository's Alpine (RSA) public key is needed (APKINDEX is signed with it), and none was given`,
      { target: ctx.target.id, expected: "apk key info" },
    );
  if (!APK_KEY_NAME.test(key.name))
    invalid(ctx, `${field}.name`, "a file name of letters, digits, '@', '.', '_', '+' and '-'", key.name);
  checkUrl(ctx, `${field}.url`, key.url);
  return key;
}

/** The repository URL with the private repository's credentials in it (pacman, apk), else as it is. */
function withCredentials(ctx: StepContext, url: string): string {
  if (ctx.private === undefined) return url;
  const at = url.indexOf("://");
  return `${url.slice(0, at + 3)}${ctx.private.username}:${ctx.private.token}@${url.slice(at + 3)}`;
}

/**
 * A step writing a file that holds the read token: made empty with mode 0600 first, so the token is
 * never readable by others, not even for a moment, then written.
 */
function secretFileStep(title: string, path: string, contents: string, folder?: string): InstallStep {
  const q = shellQuote;
  const write = writeFileCommands(path, contents);
  const mkdir = folder === undefined ? [] : [`install -d -m 0755 ${q(folder)}`];
  const prepare = [...mkdir, `install -m 0600 /dev/null ${q(path)}`];
  return {
    title,
    command: `${prepare.join(" && ")} && ${write.command}`,
    sudo: `${prepare.map((c) => `sudo ${c}`).join(" && ")} && ${write.sudo}`,
    file: { path, mode: "0600", contents },
  };
}

const TOKEN_HINT = "replace <READ_TOKEN> with your read token";

/** A step whose sudo form is the command with `sudo ` in front (one simple command). */
function simple(title: string, command: string, extra: Partial<InstallStep> = {}): InstallStep {
  return { title, command, sudo: `sudo ${command}`, ...extra };
}

/**
 * The steps that add the repository to a host of `ctx.target` and install `ctx.package`, in order. Each
 * command runs as root under POSIX sh and can run twice without harm. Throws RepoError MISSING_KEY when
 * the family's key info is absent and INVALID_SETTING when a name, URL or word could not be written
 * safely (data `{ field, found, target }`).
 *
 * @example targetSteps({ target: catalogueTarget("debian-12"), baseUrl: "https://example.com/repo", ... })
 */
export function targetSteps(ctx: StepContext): InstallStep[] {
  checkName(ctx, "name", ctx.name);
  checkUrl(ctx, "baseUrl", ctx.baseUrl);
  checkWord(ctx, "package", ctx.package);
  const target: CatalogueTarget = ctx.target;
  switch (target.family) {
    case "deb":
      return aptSteps(ctx, target);
    case "rpm":
      return target.install.manager === "zypper" ? zypperSteps(ctx, target) : dnfSteps(ctx, target);
    case "archlinux":
      return pacmanSteps(ctx, target);
    case "alpine":
      return apkSteps(ctx, target);
  }
}

// ---- APT ----------------------------------------------------------------------------------------------

function aptSteps(ctx: StepContext, target: DebTarget): InstallStep[] {
  const key = openpgpOf(ctx);
  const suite = checkWord(ctx, "suite", ctx.suite ?? target.layout.suite);
  // One component, or several separated by spaces (deb822 `Components:` takes a list).
  const components = (ctx.component ?? target.layout.component).split(" ");
  for (const c of components) checkWord(ctx, "component", c);
  for (const a of ctx.architectures) checkWord(ctx, "architectures", a);
  const keyPath = `/etc/apt/keyrings/${ctx.name}.asc`;
  const sourcesPath = `/etc/apt/sources.list.d/${ctx.name}.sources`;
  const fields = [
    "Types: deb",
    `URIs: ${ctx.baseUrl}/deb`,
    `Suites: ${suite}`,
    `Components: ${components.join(" ")}`,
  ];
  // Architectures only when the repository serves fewer than the release runs on: then apt on a host
  // with a foreign architecture enabled (amd64 + i386) does not ask for an index the suite lacks (an
  // apt notice on every update). When everything is served the field is left out, so an architecture
  // the repository adds later reaches users without editing the file.
  const served = new Set(ctx.architectures);
  if (ctx.architectures.length > 0 && target.architectures.some((a) => !served.has(a)))
    fields.push(`Architectures: ${ctx.architectures.join(" ")}`);
  fields.push(`Signed-By: ${keyPath}`);
  const contents = `${fields.join("\n")}\n`;
  const write = writeFileCommands(sourcesPath, contents);
  const q = shellQuote;
  return [
    // Always, although apt >= 2.4 ships the folder (install.keyringsDir): `install -d` is a no-op on an
    // existing folder, and every APT target then has the same five steps.
    simple("Create the folder for repository keys", "install -d -m 0755 /etc/apt/keyrings"),
    {
      // apt reads the key as the _apt user: 0644 whatever root's umask made curl create.
      title: "Download the repository's signing key",
      command: `curl -fsSLo ${q(keyPath)} ${q(key.asc)} && chmod 0644 ${q(keyPath)}`,
      sudo: `sudo curl -fsSLo ${q(keyPath)} ${q(key.asc)} && sudo chmod 0644 ${q(keyPath)}`,
      url: key.asc,
    },
    {
      title: "Add the repository",
      ...write,
      file: { path: sourcesPath, mode: "0644", contents },
    },
    ...(ctx.private === undefined ? [] : [aptAuthStep(ctx)]),
    simple("Update the package lists", "apt-get update"),
    simple(`Install ${ctx.package}`, `apt-get install -y ${q(ctx.package)}`),
  ];
}

/**
 * apt's credentials for a private repository (apt_auth.conf(5)): `machine <host/path>` without a scheme
 * matches https only, which is what apt sends credentials over; an http base URL keeps its scheme.
 */
function aptAuthStep(ctx: StepContext): InstallStep {
  const url = new URL(`${ctx.baseUrl}/deb`);
  const machine = `${url.protocol === "https:" ? "" : `${url.protocol}//`}${url.host}${url.pathname}`;
  const path = `/etc/apt/auth.conf.d/${ctx.name}.conf`;
  const contents = `machine ${machine} login ${ctx.private!.username} password ${ctx.private!.token}\n`;
  return secretFileStep(
    `Add the repository's credentials (${TOKEN_HINT})`,
    path,
    contents,
    "/etc/apt/auth.conf.d",
  );
}

// ---- RPM-MD: dnf and yum ------------------------------------------------------------------------------

function rpmKeyStep(ctx: StepContext, repoName: string): InstallStep {
  openpgpOf(ctx);
  const url = `${ctx.baseUrl}/${rpmPublicKeyKey(repoName)}`;
  // rpm --import of a key already held is a no-op; it lets dnf/zypper check repomd.xml.asc and the
  // packages without asking to trust the key.
  return simple("Import the repository's signing key", `rpm --import ${shellQuote(url)}`, { url });
}

/** The `.repo` text, as publish writes it (commit.ts `repoFileText`), for a repository that publishes none. */
function repoFileContents(ctx: StepContext, target: RpmTarget, repoName: string): string {
  return [
    `[${repoName}]`,
    `name=${repoName} (${target.id})`,
    // Never $releasever: on Amazon Linux 2023 it is 2023.5.20240708, on SLES the service pack (§3.7);
    // the target's path is fixed, and $basearch picks the architecture's root.
    `baseurl=${ctx.baseUrl}/rpm/${target.layout.path}/$basearch/`,
    "enabled=1",
    "type=rpm-md",
    "gpgcheck=1",
    "repo_gpgcheck=1",
    `gpgkey=${ctx.baseUrl}/${rpmPublicKeyKey(repoName)}`,
    "metadata_expire=3600",
    // A private repository: dnf and yum send these as HTTP basic auth (dnf.conf(5) username, password).
    ...(ctx.private === undefined
      ? []
      : [`username=${ctx.private.username}`, `password=${ctx.private.token}`]),
    "",
  ].join("\n");
}

/**
 * dnf 4, dnf 5 and yum differ only in how a published `.repo` is added:
 * - dnf 5 (Fedora 41+): `dnf config-manager addrepo --from-repofile=URL`, which checks the file and the
 *   repository ids before saving; `--overwrite` makes a second run replace the file instead of failing.
 *   It needs the config-manager plugin (dnf5-plugins), installed on Fedora's desktop and server editions.
 * - dnf 4 (EL 8-10, Amazon Linux 2023): `dnf config-manager --add-repo` lives in dnf-plugins-core, which
 *   minimal and container images lack, so the file is fetched with curl (which `rpm --import URL` uses
 *   too) — the same for yum.
 * Installing is `dnf install -y` / `yum install -y` in all three.
 */
function dnfSteps(ctx: StepContext, target: RpmTarget): InstallStep[] {
  const repoName = checkName(ctx, "repoName", ctx.repoName ?? ctx.name);
  const manager = target.install.manager === "yum" ? "yum" : "dnf";
  const repoPath = `/etc/yum.repos.d/${repoName}.repo`;
  const q = shellQuote;
  let add: InstallStep;
  if (ctx.private !== undefined) {
    // The published .repo holds no credentials (and is itself behind them): the file is written here.
    add = secretFileStep(
      `Add the repository with its credentials (${TOKEN_HINT})`,
      repoPath,
      repoFileContents(ctx, target, repoName),
    );
  } else if (ctx.repoFile !== undefined) {
    const url = checkUrl(ctx, "repoFile", ctx.repoFile);
    add =
      manager === "dnf" && target.install.dnf === 5
        ? simple(
            "Add the repository",
            `dnf config-manager addrepo --overwrite ${q(`--from-repofile=${url}`)}`,
            { url },
          )
        : simple("Add the repository", `curl -fsSLo ${q(repoPath)} ${q(url)}`, { url });
  } else {
    const contents = repoFileContents(ctx, target, repoName);
    add = {
      title: "Add the repository",
      ...writeFileCommands(repoPath, contents),
      file: { path: repoPath, mode: "0644", contents },
    };
  }
  return [
    rpmKeyStep(ctx, repoName),
    add,
    simple(`Install ${ctx.package}`, `${manager} install -y ${q(ctx.package)}`),
  ];
}

// ---- RPM-MD: zypper -----------------------------------------------------------------------------------

function zypperSteps(ctx: StepContext, target: RpmTarget): InstallStep[] {
  const alias = checkName(ctx, "repoName", ctx.repoName ?? ctx.name);
  // One repository for every architecture: libzypp expands $basearch in the URL as dnf does in a .repo
  // (single-quoted so the shell leaves it alone). A host whose architecture is not served is refused by
  // install.sh before this runs.
  // A private repository: libzypp reads username=/password= from the credentials file the URL names.
  const credentials = `/etc/zypp/credentials.d/${alias}`;
  const url = `${ctx.baseUrl}/rpm/${target.layout.path}/$basearch/${ctx.private === undefined ? "" : `?credentials=${alias}`}`;
  const q = shellQuote;
  const addrepo = `zypper --non-interactive addrepo --refresh ${q(url)} ${q(alias)}`;
  // `zypper lr <alias>` fails when no repository has that alias; addrepo fails when one has.
  const guard = `zypper lr ${q(alias)} >/dev/null 2>&1 ||`;
  return [
    rpmKeyStep(ctx, alias),
    ...(ctx.private === undefined
      ? []
      : [
          secretFileStep(
            `Add the repository's credentials (${TOKEN_HINT})`,
            credentials,
            `username=${ctx.private.username}\npassword=${ctx.private.token}\n`,
            "/etc/zypp/credentials.d",
          ),
        ]),
    { title: "Add the repository", command: `${guard} ${addrepo}`, sudo: `${guard} sudo ${addrepo}` },
    // Only this repository: another repository that is down must not stop the install.
    simple("Refresh the repository", `zypper --non-interactive refresh ${q(alias)}`),
    simple(`Install ${ctx.package}`, `zypper --non-interactive install ${q(ctx.package)}`),
  ];
}

// ---- pacman -------------------------------------------------------------------------------------------

function pacmanSteps(ctx: StepContext, target: ArchlinuxTarget): InstallStep[] {
  const key = openpgpOf(ctx);
  const repo = checkName(ctx, "pacmanRepo", ctx.pacmanRepo ?? target.layout.repo);
  const q = shellQuote;
  const section = `[${repo}]`;
  // A leading empty line keeps the section apart from a pacman.conf whose last line has no newline.
  // $repo and $arch are pacman's: the here-document's quoted delimiter leaves them alone.
  // A private repository: the credentials in the Server URL (pacman's downloader sends them as basic auth).
  const contents = `\n${section}\nSigLevel = Required DatabaseRequired\nServer = ${withCredentials(ctx, ctx.baseUrl)}/archlinux/$repo/os/$arch\n`;
  const append = writeFileCommands("/etc/pacman.conf", contents, true);
  const guard = `grep -qxF ${q(section)} /etc/pacman.conf ||`;
  // The key goes through a pipe (gpg reads `-` as stdin), so no file is left in a shared /tmp; a failed
  // download gives gpg no key and the step fails. The key file holds both keys during a rotation.
  const addKey = `pacman-key --add -`;
  const lsign = `pacman-key --lsign-key ${key.fingerprints.join(" ")}`;
  // -Syu, not the -Sy of the issue's text: Arch supports no partial upgrades, and `pacman -Sy` followed
  // by `pacman -S pkg` installs against newer libraries than the system has. -Syu refreshes every
  // database, upgrades the system and installs the package in one transaction.
  const install = `pacman -Syu --noconfirm ${q(ctx.package)}`;
  return [
    {
      title: "Add the repository's signing key to pacman's keyring",
      command: `curl -fsSL ${q(key.asc)} | ${addKey}`,
      sudo: `curl -fsSL ${q(key.asc)} | sudo ${addKey}`,
      url: key.asc,
    },
    simple(
      key.fingerprints.length > 1
        ? "Trust the repository's keys (old and new, during a key rotation)"
        : "Trust the repository's key",
      lsign,
    ),
    {
      title: `Add the repository to /etc/pacman.conf${ctx.private === undefined ? "" : ` (${TOKEN_HINT})`}`,
      command: `${guard} ${append.command}`,
      sudo: `${guard} ${append.sudo}`,
    },
    simple(`Install ${ctx.package} (with a full system upgrade)`, install),
  ];
}

// ---- Alpine -------------------------------------------------------------------------------------------

function apkSteps(ctx: StepContext, target: AlpineTarget): InstallStep[] {
  const key = apkKeyOf(ctx);
  const others = (ctx.apkRotation ?? []).map((k, i) => apkKeyOf({ ...ctx, apk: k }, `apkRotation[${i}]`));
  const branch = checkName(ctx, "branch", ctx.branch ?? target.layout.branch);
  const repo = checkName(ctx, "alpineRepo", ctx.alpineRepo ?? "main");
  const q = shellQuote;
  const line = `${withCredentials(ctx, ctx.baseUrl)}/alpine/${branch}/${repo}`;
  const keyPath = `/etc/apk/keys/${key.name}`;
  const guard = `grep -qxF ${q(line)} /etc/apk/repositories ||`;
  // printf, not echo: dash's and busybox's echo interpret backslashes.
  const print = `printf '%s\\n' ${q(line)}`;
  return [
    // The name must be the one the index signature names (.SIGN.RSA256.<name>); busybox has wget, not curl.
    simple("Add the repository's signing key", `wget -qO ${q(keyPath)} ${q(key.url)}`, { url: key.url }),
    // While keys rotate the index carries a signature by each: any one installed key is enough for apk,
    // and holding both keeps it trusted whichever key signs after the rotation.
    ...others.map((k) =>
      simple(
        "Add the repository's other signing key (key rotation)",
        `wget -qO ${q(`/etc/apk/keys/${k.name}`)} ${q(k.url)}`,
        { url: k.url },
      ),
    ),
    {
      title: `Add the repository${ctx.private === undefined ? "" : ` (${TOKEN_HINT})`}`,
      command: `${guard} ${print} >> /etc/apk/repositories`,
      sudo: `${guard} ${print} | sudo tee -a /etc/apk/repositories > /dev/null`,
    },
    simple("Update the package index", "apk update"),
    simple(`Install ${ctx.package}`, `apk add ${q(ctx.package)}`),
  ];
}

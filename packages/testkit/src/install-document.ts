/**
 * A hand-written install document (install.json) for tests of what renders it (install.sh, the page, the
 * badge) without publishing a repository: four families, a deprecated target, a key rotation, downloads.
 * `hostile` puts shell, HTML and Ruby metacharacters into every value a repository supplies, to prove they
 * stay inert wherever the document is shown or run.
 */
import type { InstallDocument, InstallStep, InstallTarget } from "@packyard/repo";

/** A value with `<`, `&`, both quotes, `$(…)` and backticks: what must come out inert. */
export const HOSTILE = `<b>x</b> & "q" 'a' $(touch /tmp/pwned) \`touch /tmp/pwned2\` #{1+1}`;

function step(title: string, command: string, sudo = `sudo ${command}`): InstallStep {
  return { title, command, sudo };
}

function q(value: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(value) ? value : `'${value.replaceAll("'", `'\\''`)}'`;
}

/** A sample install document; `base` is the public base URL (no trailing slash). */
export function sampleInstallDocument(
  options: { base?: string; hostile?: boolean; rotation?: boolean } = {},
): InstallDocument {
  const base = options.base ?? "https://example.com/repo";
  const pkg = "hello";
  const name = options.hostile === true ? HOSTILE : "Hello";
  const description = options.hostile === true ? HOSTILE : "Prints a friendly greeting.";
  const fingerprints = ["0123456789ABCDEF0123456789ABCDEF01234567"];
  if (options.rotation === true) fingerprints.push("89ABCDEF0123456789ABCDEF0123456789ABCDEF");
  const asc = `${base}/keys/hello.asc`;
  const sources = [
    "Types: deb",
    `URIs: ${base}/deb`,
    "Suites: stable",
    "Components: main",
    "Signed-By: /etc/apt/keyrings/hello.asc",
    "",
  ].join("\n");
  const apt = (id: string, targetName: string, versionId: string, codename: string): InstallTarget => ({
    id,
    name: targetName,
    family: "deb",
    manager: "apt",
    architectures: ["amd64", "arm64"],
    packages: [pkg],
    package: pkg,
    osRelease: { ids: ["debian"], idLike: ["debian"], versionId: { exact: versionId }, codename },
    root: "deb/dists/stable",
    steps: [
      step("Create the keyrings folder", "install -d -m 0755 /etc/apt/keyrings"),
      step("Download the signing key", `curl -fsSLo /etc/apt/keyrings/hello.asc ${q(asc)}`),
      {
        title: "Add the repository",
        command: `cat > /etc/apt/sources.list.d/hello.sources <<'EOF'\n${sources}EOF`,
        sudo: `sudo tee /etc/apt/sources.list.d/hello.sources > /dev/null <<'EOF'\n${sources}EOF`,
        file: { path: "/etc/apt/sources.list.d/hello.sources", mode: "0644", contents: sources },
      },
      step("Update the package lists", "apt-get update"),
      step("Install the package", `apt-get install -y ${pkg}`),
    ],
  });
  const targets: InstallTarget[] = [
    apt("debian-12", "Debian 12 (bookworm)", "12", "bookworm"),
    {
      ...apt("debian-11", "Debian 11 (bullseye)", "11", "bullseye"),
      deprecated: "Debian 11 LTS ended on 2026-08-31",
    },
    {
      id: "el-9",
      name: "RHEL 9 and rebuilds (Rocky, Alma, CentOS Stream)",
      family: "rpm",
      manager: "dnf",
      architectures: ["x86_64"],
      packages: [pkg],
      package: pkg,
      osRelease: {
        ids: ["rhel", "rocky", "almalinux", "centos"],
        versionId: { series: "9" },
        platformId: "platform:el9",
      },
      root: "rpm/el/9",
      steps: [
        step("Import the signing key", `rpm --import ${q(`${base}/keys/RPM-GPG-KEY-hello`)}`),
        step(
          "Add the repository",
          `curl -fsSLo /etc/yum.repos.d/hello.repo ${q(`${base}/rpm/el/9/hello.repo`)}`,
        ),
        step("Install the package", `dnf install -y ${pkg}`),
      ],
    },
    {
      id: "arch",
      name: "Arch Linux",
      family: "archlinux",
      manager: "pacman",
      architectures: ["x86_64"],
      packages: [pkg],
      package: pkg,
      osRelease: { ids: ["arch"], idLike: ["arch"] },
      root: "archlinux/hello/os",
      steps: [
        step("Download the signing key", `curl -fsSLo /tmp/hello.asc ${q(asc)}`),
        step("Add the key to pacman's keyring", "pacman-key --add /tmp/hello.asc"),
        ...fingerprints.map((f) => step("Trust the key", `pacman-key --lsign-key ${f}`)),
        step("Install the package", `pacman -Syu --noconfirm ${pkg}`),
      ],
    },
    {
      id: "alpine-3.20",
      name: "Alpine Linux 3.20",
      family: "alpine",
      manager: "apk",
      architectures: ["x86_64", "aarch64"],
      packages: [pkg],
      package: pkg,
      osRelease: { ids: ["alpine"], versionId: { series: "3.20" } },
      root: "alpine/v3.20/main",
      steps: [
        step(
          "Add the signing key",
          `wget -qO /etc/apk/keys/hello-5f3a1b2c.rsa.pub ${q(`${base}/keys/hello-5f3a1b2c.rsa.pub`)}`,
        ),
        step(
          "Add the repository",
          `echo ${q(`${base}/alpine/v3.20/main`)} >> /etc/apk/repositories`,
          `echo ${q(`${base}/alpine/v3.20/main`)} | sudo tee -a /etc/apk/repositories > /dev/null`,
        ),
        step("Install the package", `apk update && apk add ${pkg}`, `sudo apk update && sudo apk add ${pkg}`),
      ],
    },
  ];
  return {
    schema: "packyard-install/1",
    name,
    description,
    baseUrl: base,
    public: true,
    updated: "2024-01-01T00:00:00.000Z",
    keys: {
      openpgp: { name: "hello", fingerprints, asc, gpg: `${base}/keys/hello.gpg` },
      apk: {
        name: "hello-5f3a1b2c.rsa.pub",
        url: `${base}/keys/hello-5f3a1b2c.rsa.pub`,
        sha256: "5f3a1b2c".repeat(8),
      },
    },
    latest: [
      { family: "deb", name: pkg, version: "1.0.0-1", summary: description },
      { family: "rpm", name: pkg, version: "1.0.0-1", summary: description },
      { family: "archlinux", name: pkg, version: "1.0.0-1" },
      { family: "alpine", name: pkg, version: "1.0.0-r1" },
      { family: "download", name: pkg, version: "1.0.0" },
    ],
    targets,
    downloads: [
      {
        name: pkg,
        version: "1.0.0",
        files: [
          {
            name: "hello-1.0.0.pkg",
            url: `${base}/downloads/hello/1.0.0/hello-1.0.0.pkg`,
            size: 123456,
            sha256: "ab".repeat(32),
            kind: "macos",
          },
          {
            name: "hello-1.0.0.tar.gz",
            url: `${base}/downloads/hello/1.0.0/hello-1.0.0.tar.gz`,
            size: 23456,
            sha256: "cd".repeat(32),
            kind: "tar.gz",
          },
        ],
        checksums: `${base}/downloads/hello/1.0.0/SHA256SUMS`,
        checksumsSignature: `${base}/downloads/hello/1.0.0/SHA256SUMS.asc`,
        cask: `${base}/downloads/hello/hello.rb`,
      },
    ],
    script: { url: `${base}/install.sh`, command: `curl -fsSL ${q(`${base}/install.sh`)} | sh` },
    page: `${base}/index.html`,
    json: `${base}/install.json`,
    badge: `${base}/badge.svg`,
  };
}

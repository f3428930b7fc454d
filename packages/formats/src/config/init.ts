/**
 * The commented packyard.yml that `packyard init` writes: every common key, the optional ones commented
 * out, so the file loads as is and documents itself.
 */

/** A commented packyard.yml template; `name` fills in the package name (default `hello`). */
export function initConfigText(opts: { name?: string } = {}): string {
  const name = opts.name && /^[A-Za-z0-9][A-Za-z0-9.+_-]*$/.test(opts.name) ? opts.name : "hello";
  return `# yaml-language-server: $schema=./packyard.schema.json
# packyard.yml: one description, every package format. The schema is nfpm's, so an
# existing nfpm.yaml works unchanged. $VAR and \${VAR} are expanded where nfpm expands them.

# Package name. (required)
name: ${name}

# Architecture: amd64, arm64, armv7, armv6, armv5, i386, ppc64le, s390x, riscv64,
# loong64, mips64le or all. Go and uname -m names (x86_64, aarch64, 386) work too.
arch: amd64

# Target OS: linux (default); darwin only for the macos format.
# platform: linux

# Version. (required) A leading v is stripped; -prerelease and +metadata are split out.
version: 0.1.0

# How to read the version: semver (default) or none (use it as written).
# version_schema: semver

# Version epoch, prerelease and metadata (default: taken from the version).
# epoch: 1
# prerelease: rc.1
# version_metadata: git.abc1234

# Packaging revision (deb revision, rpm release, Arch pkgrel, apk -rN).
release: "1"

# maintainer: Jane Doe <jane@example.com>
# description: |
#   One-line summary.
#   Longer description on the following lines.
# vendor: Example Inc.
# homepage: https://example.com
# license: MIT
# section: utils
# priority: optional

# Changelog in goreleaser/chglog YAML format.
# changelog: changelog.yml

# Build date and default mtime of every file (default: SOURCE_DATE_EPOCH, else now).
# mtime: "2024-01-01T00:00:00Z"

# Bits removed from on-disk modes of files without file_info.mode (default 0o002).
# umask: 0o022

# Globs in contents[].src are on by default.
# disable_globbing: false

# Relations, written as nfpm does: foo, foo (>= 1.2), foo >= 1.2, a | b
# depends:
#   - libc6 (>= 2.31)
# recommends: []
# suggests: []
# conflicts: []
# replaces: []
# provides: []

contents:
  # A file; dst ending in / places it under that directory.
  # - src: ./bin/${name}
  #   dst: /usr/bin/${name}
  #   file_info:
  #     mode: 0o755
  # A glob: files keep their paths below the glob's directory.
  # - src: ./share/**/*
  #   dst: /usr/share/${name}/
  # Types: config, config|noreplace, config|missingok, dir, tree, symlink, ghost, doc, license.
  # - src: ./etc/${name}.conf
  #   dst: /etc/${name}.conf
  #   type: config|noreplace
  # - src: /usr/bin/${name}
  #   dst: /usr/local/bin/${name}
  #   type: symlink
  # - dst: /var/lib/${name}
  #   type: dir
  #   file_info: { mode: 0o750, owner: root, group: root }
  # Only for one packager; expand: true expands $VAR in src and dst.
  # - src: ./packaging/rpm-only.conf
  #   dst: /etc/${name}/rpm.conf
  #   packager: rpm
  #   expand: false

# Maintainer scripts (paths to files).
# scripts:
#   preinstall: ./scripts/preinstall.sh
#   postinstall: ./scripts/postinstall.sh
#   preremove: ./scripts/preremove.sh
#   postremove: ./scripts/postremove.sh

# Per-packager overrides of depends/recommends/suggests/conflicts/replaces/provides,
# contents, umask, scripts, release/epoch/prerelease/version_metadata and format blocks.
# overrides:
#   rpm:
#     depends:
#       - libc.so.6()(64bit)

# Format blocks: deb, rpm, archlinux, apk, macos, archives (see each format's README section).
# deb:
#   compression: zstd

# Where \`packyard publish\` sends what \`packyard build\` wrote: a signed APT repository in a
# folder or at s3://bucket/prefix (flags of packyard publish override these).
# publish:
#   to: public/repo
#   key: repo.secret.asc
#   suite: stable
#   component: main
#   keep: 3
#   valid_for: 7d
`;
}

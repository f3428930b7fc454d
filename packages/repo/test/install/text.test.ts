/**
 * install/text: the text `packyard publish` prints. The expected text of one target is written by hand
 * (layout decided in text.ts: heading, architectures, key line, then `# title` + sudo command per step).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { isRepoError } from "../../src/errors.ts";
import { formatFingerprint, installText } from "../../src/install/text.ts";
import type { InstallDocument, InstallTarget } from "../../src/install/types.ts";

const BASE = "https://pkg.example.com/repo";
const OLD = "3F1A0B2C4D5E6F708192A3B4C5D6E7F801234567";
const NEW = "9B8A7C6D5E4F30211203F4E5D6C7B8A976543210";

function target(
  id: string,
  name: string,
  family: InstallTarget["family"],
  extra: Partial<InstallTarget> = {},
) {
  return {
    id,
    name,
    family,
    manager:
      family === "deb" ? "apt" : family === "archlinux" ? "pacman" : family === "alpine" ? "apk" : "dnf",
    architectures: ["x86_64"],
    packages: ["hello"],
    package: "hello",
    osRelease: { ids: [id] },
    root: "",
    steps: [
      { title: "Add the key", command: "add-key", sudo: "sudo add-key" },
      { title: "Install hello", command: "install hello", sudo: "sudo install hello" },
    ],
    ...extra,
  } satisfies InstallTarget;
}

function doc(extra: Partial<InstallDocument> = {}): InstallDocument {
  return {
    schema: "packyard-install/1",
    name: "Hello",
    description: "Prints a greeting.",
    baseUrl: BASE,
    public: true,
    updated: "2024-01-01T00:00:00.000Z",
    keys: {
      openpgp: {
        name: "hello",
        fingerprints: [OLD],
        asc: `${BASE}/keys/hello.asc`,
        gpg: `${BASE}/keys/hello.gpg`,
      },
      apk: {
        name: "hello-5f3a1b2c.rsa.pub",
        url: `${BASE}/keys/hello-5f3a1b2c.rsa.pub`,
        sha256: "ab".repeat(32),
      },
    },
    latest: [],
    targets: [
      target("debian-11", "Debian 11 (bullseye)", "deb", {
        deprecated: "Debian 11 LTS ended on 2026-08-31",
        architectures: ["amd64", "arm64"],
        steps: [
          {
            title: "Add the repository",
            command: "cat > /etc/apt/sources.list.d/hello.sources <<'EOF'\nTypes: deb\nEOF",
            sudo: "sudo tee /etc/apt/sources.list.d/hello.sources > /dev/null <<'EOF'\nTypes: deb\nEOF",
          },
          {
            title: "Install hello",
            command: "apt-get install -y hello",
            sudo: "sudo apt-get install -y hello",
          },
        ],
      }),
      target("arch", "Arch Linux", "archlinux"),
      target("alpine-3.22", "Alpine Linux 3.22", "alpine", { architectures: ["x86_64", "aarch64"] }),
    ],
    downloads: [
      {
        name: "hello",
        version: "1.0.0",
        files: [
          {
            name: "hello-1.0.0.pkg",
            url: `${BASE}/downloads/hello/1.0.0/hello-1.0.0.pkg`,
            size: 1234,
            sha256: "cd".repeat(32),
            kind: "macos",
          },
        ],
        checksums: `${BASE}/downloads/hello/1.0.0/SHA256SUMS`,
        checksumsSignature: `${BASE}/downloads/hello/1.0.0/SHA256SUMS.asc`,
        cask: `${BASE}/downloads/hello/hello.rb`,
      },
    ],
    script: { url: `${BASE}/install.sh`, command: `curl -fsSL ${BASE}/install.sh | sh` },
    page: `${BASE}/index.html`,
    json: `${BASE}/install.json`,
    badge: `${BASE}/badge.svg`,
    ...extra,
  };
}

test("formatFingerprint: gpg's grouping of a v4 fingerprint", () => {
  assert.equal(formatFingerprint(OLD), "3F1A 0B2C 4D5E 6F70 8192  A3B4 C5D6 E7F8 0123 4567");
  assert.equal(formatFingerprint("AB".repeat(32)).split(" ").length, 16);
});

test("one target: heading, deprecation, architectures, fingerprint, each step's sudo command", () => {
  assert.equal(
    installText(doc(), { target: "debian-11" }),
    [
      "Install Hello",
      "Prints a greeting.",
      "",
      "== Debian 11 (bullseye) [debian-11] ==",
      "Deprecated: Debian 11 LTS ended on 2026-08-31",
      "Architectures: amd64 arm64",
      "Key fingerprint: 3F1A 0B2C 4D5E 6F70 8192  A3B4 C5D6 E7F8 0123 4567",
      "",
      "# Add the repository",
      "sudo tee /etc/apt/sources.list.d/hello.sources > /dev/null <<'EOF'",
      "Types: deb",
      "EOF",
      "",
      "# Install hello",
      "sudo apt-get install -y hello",
      "",
    ].join("\n"),
  );
});

test("Alpine shows the key file name, OpenPGP targets both fingerprints during a rotation", () => {
  const d = doc();
  d.keys.openpgp!.fingerprints = [OLD, NEW];
  const alpine = installText(d, { target: "alpine-3.22" });
  assert.match(alpine, /^Key file: \/etc\/apk\/keys\/hello-5f3a1b2c\.rsa\.pub \(SHA-256 (ab){32}\)$/m);
  assert.doesNotMatch(alpine, /fingerprint/i);
  const arch = installText(d, { target: "arch" });
  assert.match(arch, /^ {2}old: 3F1A 0B2C 4D5E 6F70 8192 {2}A3B4 C5D6 E7F8 0123 4567$/m);
  assert.match(arch, /^ {2}new: 9B8A 7C6D 5E4F 3021 1203 {2}F4E5 D6C7 B8A9 7654 3210$/m);
});

test("all targets: the one-line installer, every target in order, the downloads", () => {
  const text = installText(doc());
  assert.ok(text.includes(`  curl -fsSL ${BASE}/install.sh | sh\n`));
  const headings = [...text.matchAll(/^== (.*) ==$/gm)].map((m) => m[1]);
  assert.deepEqual(headings, [
    "Debian 11 (bullseye) [debian-11]",
    "Arch Linux [arch]",
    "Alpine Linux 3.22 [alpine-3.22]",
    "Downloads",
  ]);
  const downloads = text.slice(text.indexOf("== Downloads =="));
  assert.equal(
    downloads,
    [
      "== Downloads ==",
      "hello 1.0.0",
      "  hello-1.0.0.pkg (macos, 1234 bytes)",
      `    SHA-256 ${"cd".repeat(32)}`,
      `    ${BASE}/downloads/hello/1.0.0/hello-1.0.0.pkg`,
      `  SHA256SUMS: ${BASE}/downloads/hello/1.0.0/SHA256SUMS`,
      `  SHA256SUMS signature: ${BASE}/downloads/hello/1.0.0/SHA256SUMS.asc`,
      `  Homebrew cask: ${BASE}/downloads/hello/hello.rb`,
      "",
    ].join("\n"),
  );
  assert.doesNotMatch(text, /^Note:/m);
});

test("a storage location (public: false) is called out before anything else", () => {
  const text = installText(doc({ baseUrl: "s3://bucket/repo", public: false }));
  assert.match(text.split("\n")[0]!, /^Note: s3:\/\/bucket\/repo is where the repository is stored/);
  assert.match(text, /--base-url/);
});

test("an unknown target is UNKNOWN_TARGET listing the served ids", () => {
  assert.throws(
    () => installText(doc(), { target: "fedora-43" }),
    (e: unknown) =>
      isRepoError(e) &&
      e.code === "UNKNOWN_TARGET" &&
      e.message.includes("debian-11, arch, alpine-3.22") &&
      JSON.stringify(e.data.expected) === JSON.stringify(["debian-11", "arch", "alpine-3.22"]),
  );
});

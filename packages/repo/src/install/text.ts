/**
 * The install document as text for a terminal (what `packyard publish` and `packyard repo instructions`
 * print): per target its name, architectures, key fingerprint(s) or Alpine key name, and each step as a
 * `# title` line followed by the command a user with sudo types, verbatim from the document.
 */
import { RepoError } from "../errors.ts";
import type { DownloadRelease, InstallDocument, InstallTarget } from "./types.ts";

/**
 * A fingerprint as `gpg --fingerprint` prints a v4 one (groups of four, two spaces in the middle), so it
 * can be compared by eye with the output of `gpg --show-keys` on the downloaded key. Other lengths are
 * grouped by four.
 *
 * @example formatFingerprint("0123456789ABCDEF0123456789ABCDEF01234567")
 * // "0123 4567 89AB CDEF 0123  4567 89AB CDEF 0123 4567"
 */
export function formatFingerprint(fingerprint: string): string {
  const groups = fingerprint.match(/.{1,4}/g) ?? [];
  if (fingerprint.length === 40) return `${groups.slice(0, 5).join(" ")}  ${groups.slice(5).join(" ")}`;
  return groups.join(" ");
}

function keyLines(doc: InstallDocument, target: InstallTarget): string[] {
  if (target.family === "alpine") {
    const apk = doc.keys.apk;
    if (apk === undefined) return [];
    const lines = [`Key file: /etc/apk/keys/${apk.name} (SHA-256 ${apk.sha256})`, `Key URL: ${apk.url}`];
    // During a rotation each index carries a signature by every key listed: install them all.
    for (const other of doc.keys.apkRotation ?? [])
      lines.push(
        `Key file (key rotation, also trusted): /etc/apk/keys/${other.name} (SHA-256 ${other.sha256})`,
        `Key URL: ${other.url}`,
      );
    return lines;
  }
  const key = doc.keys.openpgp;
  if (key === undefined) return [];
  const [first, second] = key.fingerprints;
  if (first === undefined) return [];
  if (second === undefined) return [`Key fingerprint: ${formatFingerprint(first)}`];
  // During a rotation both keys are trusted; the old one signs until the rotation ends.
  return [
    "Key fingerprints (key rotation, both are trusted):",
    `  old: ${formatFingerprint(first)}`,
    `  new: ${formatFingerprint(second)}`,
  ];
}

function targetText(doc: InstallDocument, target: InstallTarget): string[] {
  const lines = [`== ${target.name} [${target.id}] ==`];
  if (target.deprecated !== undefined) lines.push(`Deprecated: ${target.deprecated}`);
  lines.push(`Architectures: ${target.architectures.join(" ")}`);
  lines.push(...keyLines(doc, target));
  for (const step of target.steps) lines.push("", `# ${step.title}`, step.sudo);
  return lines;
}

function downloadText(release: DownloadRelease): string[] {
  const lines = [`${release.name} ${release.version}`];
  for (const f of release.files) {
    lines.push(`  ${f.name} (${f.kind}, ${f.size} bytes)`, `    SHA-256 ${f.sha256}`, `    ${f.url}`);
  }
  lines.push(`  SHA256SUMS: ${release.checksums}`);
  if (release.checksumsSignature !== undefined)
    lines.push(`  SHA256SUMS signature: ${release.checksumsSignature}`);
  if (release.cask !== undefined) lines.push(`  Homebrew cask: ${release.cask}`);
  return lines;
}

/**
 * The install instructions of `doc` as text: every target (with the one-line installer and the
 * downloads, unless `downloads: false`), the targets of `options.targets` (with the installer), or only
 * `options.target`, an id of a target the document serves. An unknown id throws
 * RepoError UNKNOWN_TARGET listing the served ids (data `{ found, expected }`). When the document's base
 * URL is the storage location (`public: false`) the text starts by saying users need a public URL.
 *
 * @example installText(doc, { target: "debian-12" })
 */
export function installText(
  doc: InstallDocument,
  options: { target?: string; targets?: readonly string[]; downloads?: boolean } = {},
): string {
  let targets =
    options.targets === undefined ? doc.targets : doc.targets.filter((t) => options.targets!.includes(t.id));
  if (options.target !== undefined) {
    const found = doc.targets.filter((t) => t.id === options.target);
    if (found.length === 0) {
      const expected = doc.targets.map((t) => t.id);
      throw new RepoError(
        "UNKNOWN_TARGET",
        `no instructions for ${JSON.stringify(options.target)}: the repository serves ${expected.length === 0 ? "no distro target" : expected.join(", ")}`,
        { found: options.target, expected },
      );
    }
    targets = found;
  }
  const out: string[] = [];
  if (!doc.public) {
    out.push(
      `Note: ${doc.baseUrl} is where the repository is stored, not a URL its users can reach.`,
      "Give the public URL it is served from (--base-url, or publish.base_url) for instructions users can follow.",
      "",
    );
  }
  out.push(`Install ${doc.name}`);
  if (doc.description !== undefined && doc.description !== "") out.push(doc.description);
  if (doc.private !== undefined)
    out.push(
      `This repository is private: the steps write a read token, shown as ${doc.private.token}; replace it with yours (user name ${doc.private.username}).`,
    );
  if (options.target === undefined) {
    out.push("", "One command for any supported distribution (detects it, asks before changing anything):");
    out.push(`  ${doc.script.command}`);
  }
  for (const target of targets) out.push("", ...targetText(doc, target));
  if (options.target === undefined && options.downloads !== false && doc.downloads.length > 0) {
    out.push("", "== Downloads ==");
    for (const release of doc.downloads) out.push(...downloadText(release));
  }
  return `${out.join("\n")}\n`;
}

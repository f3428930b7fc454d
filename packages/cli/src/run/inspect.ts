/** `packyard inspect`'s work (commands/inspect.ts describes the command). */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import type { RunCommand } from "../command.ts";
import { fileSource, type PackageInfo, SignError } from "../formats.ts";
import { humanBytes } from "../human-bytes.ts";
import { relationText } from "../relation-text.ts";
import { aboutFile } from "../report.ts";
import { readError, sniffFile } from "../sniff.ts";

async function readBytes(path: string, name: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (e) {
    throw readError(name, e);
  }
}

async function readText(path: string, name: string): Promise<string> {
  return new TextDecoder().decode(await readBytes(path, name));
}

function modeString(type: string, mode: number): string {
  const t = { dir: "d", symlink: "l", hardlink: "h", char: "c", block: "b", fifo: "p" }[type] ?? "-";
  const bits = "rwxrwxrwx";
  let s = "";
  for (let i = 0; i < 9; i++) s += (mode & (0o400 >> i)) !== 0 ? bits[i] : "-";
  return t + s;
}

/** A person-readable summary of a PackageInfo. */
export function summarize(info: PackageInfo): string {
  const lines: string[] = [];
  const row = (k: string, v: string | number | undefined): void => {
    if (v !== undefined && v !== "") lines.push(`${`${k}:`.padEnd(14)}${v}`);
  };
  row("Format", info.format);
  row("Name", info.name);
  row("Version", info.versionString);
  row("Arch", info.archString);
  row("Maintainer", info.maintainer);
  row("Summary", info.summary);
  row("Homepage", info.homepage);
  row("License", info.license);
  row("Vendor", info.vendor);
  row("Section", info.section);
  if (info.installedSize !== undefined) row("Installed", humanBytes(info.installedSize));
  if (info.buildDate !== undefined) row("Built", new Date(info.buildDate * 1000).toISOString());
  row("Size", humanBytes(info.artifact.size));
  row("SHA-256", info.artifact.digests.sha256);
  for (const [kind, groups] of Object.entries(info.relations)) {
    if (groups === undefined || groups.length === 0) continue;
    row(kind, groups.map((g) => relationText(info.format, g)).join(", "));
  }
  const scripts = Object.keys(info.scripts);
  row("Scripts", scripts.length > 0 ? scripts.join(", ") : undefined);
  for (const s of info.signatures) {
    const state = s.verified === undefined ? "not checked" : s.verified ? "verified" : "NOT VERIFIED";
    row(
      "Signature",
      `${s.kind} at ${s.location}${(s.fingerprint ?? s.keyId) ? ` by ${s.fingerprint ?? s.keyId}` : ""}, ${state}`,
    );
  }
  if (info.description !== undefined && info.description !== info.summary) {
    lines.push("Description:");
    for (const l of info.description.split("\n")) lines.push(`  ${l}`);
  }
  lines.push(`Files (${info.files.length}):`);
  for (const f of info.files) {
    const owner = `${f.owner.name}/${f.group.name}`;
    const target = f.target !== undefined ? ` -> ${f.target}` : "";
    const flags = f.flags?.config === true ? " [config]" : "";
    lines.push(
      `  ${modeString(f.type, f.mode)} ${owner.padEnd(11)} ${String(f.size).padStart(10)} ${f.path}${target}${flags}`,
    );
  }
  return `${lines.join("\n")}\n`;
}

/**
 * With --key, the package must be signed and verify, as gpgv decides: a SignError VERIFY_FAILED (exit 1)
 * when a signature does not verify with the given keys, or when none does (an unsigned package included).
 * A signature the reader cannot check (macOS's CMS x-signature) does not fail on its own.
 */
function checkVerified(name: string, info: PackageInfo): void {
  const where = (s: PackageInfo["signatures"][number]) => `${s.kind} signature at ${s.location}`;
  const failed = info.signatures.filter((s) => s.verified === false);
  if (failed.length > 0) {
    throw new SignError(
      "VERIFY_FAILED",
      `${name}: ${failed.map(where).join(", ")} ${failed.length === 1 ? "does" : "do"} not verify with the given keys`,
      { path: name, found: failed.map((s) => s.location) },
    );
  }
  if (!info.signatures.some((s) => s.verified === true)) {
    throw new SignError(
      "VERIFY_FAILED",
      info.signatures.length === 0
        ? `${name}: expected a signature to verify with the given keys, found none (the package is unsigned)`
        : `${name}: no signature could be checked against the given keys (${info.signatures.map(where).join(", ")})`,
      { path: name },
    );
  }
}

/** JSON replacer: byte arrays (the Arch .sig in raw.signature) as `{ "base64": ... }`, as packyard-build.json has them. */
function bytesAsBase64(_key: string, value: unknown): unknown {
  return value instanceof Uint8Array ? { base64: Buffer.from(value).toString("base64") } : value;
}

export const run: RunCommand = async (flags, positionals, io) => {
  const name = positionals[0]!;
  const path = resolve(io.cwd, name);
  const keys = Array.isArray(flags.key) ? flags.key.map(String) : [];
  const publicKeys = await Promise.all(keys.map((k) => readText(resolve(io.cwd, k), k)));
  let info: PackageInfo;
  try {
    const format = await sniffFile(path, io.formats, name);
    const sigPath = `${path}.sig`;
    const detachedSignature = existsSync(sigPath) ? await readBytes(sigPath, `${name}.sig`) : undefined;
    info = await format.read(await fileSource(path), {
      ...(publicKeys.length > 0 ? { publicKeys } : {}),
      ...(detachedSignature !== undefined ? { detachedSignature } : {}),
    });
  } catch (e) {
    throw aboutFile(name, e);
  }
  io.out(flags.json === true ? `${JSON.stringify(info, bytesAsBase64, 2)}\n` : summarize(info));
  if (keys.length > 0) checkVerified(name, info);
  return 0;
};

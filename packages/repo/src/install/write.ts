/**
 * Writes what a repository's users open first, at its root: `install.json` (the install document),
 * `install.sh`, `index.html` (the install page) and `badge.svg`, after the indexes they describe. They are
 * mutable (short Cache-Control) and rewritten only when their bytes change.
 *
 * The public URL, display name, description, key name and package are remembered in `.packyard/site.json`
 * so that a later publish or `repo instructions` without them writes the same files.
 */
import { createHash } from "node:crypto";
import { RepoError } from "../errors.ts";
import { ENGINE_PREFIX } from "../publish/layout.ts";
import type { RootState } from "../publish/state.ts";
import { readJson, readObject } from "../storage/read.ts";
import { contentTypeFor, MUTABLE_CACHE, type Storage } from "../storage/storage.ts";
import { badgeFor } from "./badge.ts";
import { type InstallOptions, installDocument } from "./document.ts";
import { installPage } from "./page.ts";
import { installScript } from "./script.ts";
import type { InstallDocument } from "./types.ts";

/** Where the remembered install settings live. */
export const SITE_KEY = `${ENGINE_PREFIX}site.json`;

/** The install files at the repository root, in write order (the data first, the page last). */
export const INSTALL_FILES = ["install.json", "install.sh", "badge.svg", "index.html"] as const;

const SITE_FIELDS = ["baseUrl", "name", "description", "keyName", "package"] as const;

/** The install settings the repository remembers, or an empty object. */
export async function readSiteSettings(storage: Storage): Promise<InstallOptions> {
  const parsed = await readJson(storage, SITE_KEY);
  if (parsed === undefined) return {};
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
    throw new RepoError("CORRUPT_STATE", `${SITE_KEY}: expected a JSON object`, { key: SITE_KEY });
  const out: InstallOptions = {};
  for (const field of SITE_FIELDS) {
    const v = (parsed as Record<string, unknown>)[field];
    if (v === undefined) continue;
    if (typeof v !== "string")
      throw new RepoError("CORRUPT_STATE", `${SITE_KEY}: ${field}: expected a string, found ${typeof v}`, {
        key: SITE_KEY,
        field,
      });
    out[field] = v;
  }
  return out;
}

/** The options given, completed from what the repository remembers. */
export async function siteOptions(storage: Storage, options: InstallOptions): Promise<InstallOptions> {
  const held = await readSiteSettings(storage);
  const out: InstallOptions = { ...held };
  for (const [k, v] of Object.entries(options)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

const encoder = new TextEncoder();

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** The install files' bytes for a document. */
export function installFiles(doc: InstallDocument): Map<string, Uint8Array> {
  return new Map<string, Uint8Array>([
    ["install.json", encoder.encode(`${JSON.stringify(doc, null, 2)}\n`)],
    ["install.sh", encoder.encode(installScript(doc))],
    ["badge.svg", encoder.encode(badgeFor(doc))],
    ["index.html", encoder.encode(installPage(doc))],
  ]);
}

/** What {@link writeInstallFiles} did. */
export interface InstallWriteResult {
  document: InstallDocument;
  /** Keys whose bytes changed (what a CDN must invalidate), in write order. */
  written: string[];
}

/**
 * Builds the install document from the repository (completing `options` with the remembered settings) and
 * writes the install files whose bytes changed; a public `baseUrl` given here is remembered. `hooks.states`:
 * the repository's root states when the caller holds them as they now are (else they are read);
 * `hooks.beforeWrite` runs before each write (the engine checks its lock there).
 *
 * @example await writeInstallFiles(storage, { baseUrl: "https://example.com/repo", name: "hello" })
 */
export async function writeInstallFiles(
  storage: Storage,
  options: InstallOptions,
  hooks: { beforeWrite?: () => Promise<void>; states?: readonly RootState[] } = {},
): Promise<InstallWriteResult> {
  const merged = await siteOptions(storage, options);
  const document = await installDocument(storage, merged, hooks.states);
  const written: string[] = [];
  for (const [key, bytes] of installFiles(document)) {
    const held = await storage.head(key);
    if (held !== undefined && held.size === bytes.length) {
      const current = await readObject(storage, key);
      if (current !== undefined && sha256(current) === sha256(bytes)) continue;
    }
    await hooks.beforeWrite?.();
    await storage.put(key, bytes, { contentType: contentTypeFor(key), cacheControl: MUTABLE_CACHE });
    written.push(key);
  }
  const site: Record<string, string> = {};
  for (const field of SITE_FIELDS) if (merged[field] !== undefined) site[field] = merged[field]!;
  const siteBytes = encoder.encode(`${JSON.stringify(site, null, 2)}\n`);
  const heldSite = await readObject(storage, SITE_KEY);
  if (heldSite === undefined || sha256(heldSite) !== sha256(siteBytes)) {
    await hooks.beforeWrite?.();
    await storage.put(SITE_KEY, siteBytes, { contentType: "application/json", cacheControl: MUTABLE_CACHE });
  }
  return { document, written };
}

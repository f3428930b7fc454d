/**
 * Who owns a repository. A repository the packyard server hosts is marked in `.packyard/owner.json` by the
 * server's first operation on it; from then on every operation that writes (publish, refresh, copy,
 * prune, install files) must say it is the server too, or it is refused with REPO_OWNED_BY_SERVER before
 * anything is written — so `packyard publish` pointed at a server's bucket prefix cannot race the server's
 * own publishes (which hold a lock the CLI does not see) or sign with another key behind its back.
 */
import { RepoError } from "../errors.ts";
import { readJson } from "../storage/read.ts";
import type { Storage } from "../storage/storage.ts";
import { ENGINE_PREFIX } from "./layout.ts";

/** The owner marker an operation passes (`owner` option) and a repository records. */
export interface RepositoryOwner {
  kind: "server";
  /** The server's public URL, named in the refusal so the user knows where to publish instead. */
  url?: string;
}

/** Where the marker lives. */
export const OWNER_KEY = `${ENGINE_PREFIX}owner.json`;
const OWNER_SCHEMA = "packyard-owner/1";

/** Refuses an `owner` option that is not `{ kind: "server", url?: string }`. */
export function checkOwnerOption(owner: unknown): RepositoryOwner | undefined {
  if (owner === undefined) return undefined;
  const o = owner as Partial<RepositoryOwner> | null;
  if (
    typeof o !== "object" ||
    o === null ||
    o.kind !== "server" ||
    (o.url !== undefined && typeof o.url !== "string") ||
    Object.keys(o).some((k) => k !== "kind" && k !== "url")
  )
    throw new RepoError(
      "INVALID_SETTING",
      `owner: expected { kind: "server", url?: string }, found ${JSON.stringify(owner)}`,
      { field: "owner" },
    );
  return o.url === undefined ? { kind: "server" } : { kind: "server", url: o.url };
}

/** The owner the repository records, or undefined (CORRUPT_STATE for a marker this version cannot read). */
export async function readOwner(storage: Storage): Promise<RepositoryOwner | undefined> {
  const parsed = await readJson(storage, OWNER_KEY);
  if (parsed === undefined) return undefined;
  const p = parsed as { schema?: unknown; kind?: unknown; url?: unknown } | null;
  if (
    typeof p !== "object" ||
    p === null ||
    p.schema !== OWNER_SCHEMA ||
    p.kind !== "server" ||
    (p.url !== undefined && typeof p.url !== "string")
  )
    throw new RepoError(
      "CORRUPT_STATE",
      `${OWNER_KEY}: expected {"schema":"${OWNER_SCHEMA}","kind":"server","url":"…"}, found ${JSON.stringify(parsed).slice(0, 200)}`,
      { key: OWNER_KEY },
    );
  return typeof p.url === "string" ? { kind: "server", url: p.url } : { kind: "server" };
}

/**
 * Refuses (REPO_OWNED_BY_SERVER) an operation on a server-owned repository that does not pass the server's
 * owner marker; returns what the repository records.
 */
export async function checkOwner(
  storage: Storage,
  given: RepositoryOwner | undefined,
): Promise<RepositoryOwner | undefined> {
  const held = await readOwner(storage);
  if (held !== undefined && given?.kind !== held.kind) {
    const where = held.url === undefined ? "its packyard server" : `the packyard server at ${held.url}`;
    throw new RepoError(
      "REPO_OWNED_BY_SERVER",
      `${storage.description} is a repository hosted by ${where} (${OWNER_KEY}); publish, copy, refresh and prune it through that server's API, not directly`,
      { key: OWNER_KEY, ...(held.url !== undefined ? { found: held.url } : {}) },
    );
  }
  return held;
}

/** The marker's bytes, when `given` must be recorded (absent, or another URL than `held`). */
export function ownerMarker(
  given: RepositoryOwner | undefined,
  held: RepositoryOwner | undefined,
): Uint8Array | undefined {
  if (given === undefined || (held !== undefined && held.url === given.url)) return undefined;
  const record = {
    schema: OWNER_SCHEMA,
    kind: given.kind,
    ...(given.url !== undefined ? { url: given.url } : {}),
  };
  return new TextEncoder().encode(`${JSON.stringify(record)}\n`);
}

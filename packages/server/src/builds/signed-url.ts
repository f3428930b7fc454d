/**
 * Signed, short-lived source URLs: an agent fetches a job's sources without a credential of its own in the
 * URL. The signature is HMAC-SHA256 over `job \n accessName \n sha256 \n expires` with a key derived from
 * the master key by HKDF-SHA256 (info "packyard source url"), so it binds the job, the file and its bytes
 * and the expiry: an expired URL, one altered in any part, or one of another job does not verify (403
 * URL_INVALID). Valid for 10 minutes.
 */
import { createHmac, hkdfSync, timingSafeEqual } from "node:crypto";
import { ServerError } from "../errors.ts";
import type { MasterKey } from "../keys/master-key.ts";

/** How long a signed source URL is valid. */
export const SOURCE_URL_TTL_MS = 10 * 60_000;

const HKDF_INFO = "packyard source url";

const keys = new WeakMap<MasterKey, Buffer>();

/** The HMAC key for source URLs, derived from the master key (cached per key object). */
function urlKey(masterKey: MasterKey): Buffer {
  let key = keys.get(masterKey);
  if (key === undefined) {
    key = Buffer.from(hkdfSync("sha256", masterKey.bytes, new Uint8Array(0), HKDF_INFO, 32));
    keys.set(masterKey, key);
  }
  return key;
}

/** What a source URL grants: one job's one source file with these bytes, until `expires` (unix seconds). */
export interface SourceGrant {
  jobId: number;
  accessName: string;
  sha256: string;
  /** Unix seconds. */
  expires: number;
}

function mac(masterKey: MasterKey, g: SourceGrant): Buffer {
  return createHmac("sha256", urlKey(masterKey))
    .update(`${g.jobId}\n${g.accessName}\n${g.sha256}\n${g.expires}`, "utf8")
    .digest();
}

/**
 * The absolute URL of a job's source file under `base` (the server's public URL), valid for
 * {@link SOURCE_URL_TTL_MS} from `now`.
 *
 * @example signSourceUrl(key, "https://packyard.example", { jobId: 7, accessName: "app.tar.gz", sha256 }, clock.now())
 */
export function signSourceUrl(
  masterKey: MasterKey,
  base: string,
  source: Omit<SourceGrant, "expires">,
  now: Date,
): string {
  const expires = Math.floor((now.getTime() + SOURCE_URL_TTL_MS) / 1000);
  const signature = mac(masterKey, { ...source, expires }).toString("hex");
  return `${base.replace(/\/+$/, "")}/api/v1/agent/sources/${source.jobId}/${encodeURIComponent(source.accessName)}?expires=${expires}&signature=${signature}`;
}

const invalid = (why: string): ServerError =>
  new ServerError("URL_INVALID", `Expected a valid signed source URL, found ${why}; claim the job again`);

/**
 * Checks a source URL's signature (constant time) and expiry against `now`; the grant's `sha256` is the
 * one the server holds for that job and access name. Throws 403 URL_INVALID when expired, altered or of
 * another job.
 */
export function verifySourceUrl(
  masterKey: MasterKey,
  grant: Omit<SourceGrant, "expires">,
  query: { expires?: unknown; signature?: unknown },
  now: Date,
): void {
  const expires = typeof query.expires === "string" ? query.expires : String(query.expires ?? "");
  const signature = typeof query.signature === "string" ? query.signature : "";
  if (!/^\d{1,12}$/.test(expires) || !/^[0-9a-f]{64}$/.test(signature))
    throw invalid("a URL without a well-formed expiry and signature");
  const expected = mac(masterKey, { ...grant, expires: Number(expires) });
  const given = Buffer.from(signature, "hex");
  // Both are 32 bytes (the pattern above); compare in constant time.
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    throw invalid("a signature that does not match (altered, or another job's or file's URL)");
  if (Number(expires) * 1000 <= now.getTime())
    throw invalid(`a URL that expired at ${new Date(Number(expires) * 1000).toISOString()}`);
}

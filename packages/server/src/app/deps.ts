/**
 * What {@link buildApp} is given: every piece of I/O the app uses is passed in, so tests pass an in-memory
 * database view, a memory Storage, a fixed clock and a logger they read.
 */
import type { Storage } from "@packyard/repo";
import type { Logger } from "pino";
import type { Db } from "../db/db.ts";
import type { MasterKey } from "../keys/master-key.ts";
import type { ScryptCost } from "../accounts/password.ts";
import type { KeyGenerator } from "../keys/generate.ts";
import type { Plans } from "../billing/plans.ts";

/** The time source; tests pass a clock they move. */
export interface Clock {
  now(): Date;
}

/** Request limits of @fastify/rate-limit, per token (or per address without one), per window. */
export interface RateLimitConfig {
  /** Requests per window on ordinary routes (default 300). */
  max: number;
  /** Requests per window on sign-in and token creation (default 10). */
  strictMax: number;
  /**
   * Requests per window for hosted repository files under /r/ (default 6,000): `apt-get update` alone asks
   * for a dozen files, and many machines behind one NAT share an address.
   */
  filesMax: number;
  /** Window length in milliseconds (default 60,000). */
  windowMs: number;
}

/** Server settings (the `packyard serve` flags). */
export interface AppConfig {
  /** Anyone may create an account (`--allow-signup`); default false. */
  allowSignup?: boolean;
  /** `/metrics` without a token (`--metrics-public`); default false (admin token). */
  metricsPublic?: boolean;
  /** The URL clients reach the server at (`--public-url`; `packyard serve` defaults it to the address it listens on), for links and install text. */
  publicUrl?: string;
  /** Rate limits; absent fields take the defaults. */
  rateLimit?: Partial<RateLimitConfig>;
  /** scrypt cost of new password hashes (default N=2^15, r=8, p=1); tests lower it. */
  scrypt?: ScryptCost;
  /** Largest upload (source file or package) in bytes, enforced on the stream (default 2 GiB). */
  uploadLimitBytes?: number;
  /**
   * Where users fetch hosted repositories from when storage is served directly (`--repo-base-url`, an S3
   * website or CDN): install text points there instead of `<publicUrl>/r/`.
   */
  repoBaseUrl?: string;
  /** The GitHub API the webhook downloads release assets and tag tarballs from (default https://api.github.com; tests point it at a fake). */
  githubApiUrl?: string;
  /**
   * The plans file, parsed (`--plans`, billing/plans.ts). Absent: every account is unlimited and no write is
   * ever refused for its plan or subscription.
   */
  plans?: Plans;
  /**
   * Secrets the billing webhook's signatures are checked with (PACKYARD_BILLING_WEBHOOK_SECRET, comma
   * separated: several while rotating). Absent or empty: `POST /hooks/billing` answers 404.
   */
  billingWebhookSecrets?: readonly string[];
}

/** Dependencies of {@link buildApp}. */
export interface AppDeps {
  db: Db;
  storage: Storage;
  masterKey: MasterKey;
  clock: Clock;
  /** A pino logger; the app logs through a child of it that redacts secrets. */
  logger: Logger;
  config: AppConfig;
  /**
   * Makes projects' signing keys (OpenPGP RSA-4096 and apk RSA-4096). Default: real generation; tests pass
   * one that draws from a pool of pre-generated fixture keys.
   */
  keyGenerator?: KeyGenerator;
}

/** The system clock. */
export const systemClock: Clock = { now: () => new Date() };

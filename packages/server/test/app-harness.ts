/**
 * An app over a test's own database schema (dbs.ts: PGlite and PostgreSQL), memory storage, a clock the test
 * moves and a debug-level logger whose lines are kept. Every token and password a test uses is recorded
 * with {@link secret}; {@link secretsNeverLeak}, each file's last test, searches the kept log lines and every
 * error body for them: one hit fails it.
 */
import assert from "node:assert/strict";
import { type TestContext, test } from "node:test";
import { memoryStorage, type Storage } from "@packyard/repo";
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from "fastify";
import {
  type AppConfig,
  buildApp,
  createUser,
  type Db,
  issueToken,
  migrate,
  type Scope,
  serverLogger,
  verifyMasterKey,
} from "../src/index.ts";
import type { KeyGenerator } from "../src/keys/generate.ts";
import type { MasterKey } from "../src/keys/master-key.ts";
import type { FreshDb } from "./dbs.ts";
import { poolKeyGenerator } from "./key-pool.ts";

/** The master key of test apps. */
export const TEST_MASTER_KEY: MasterKey = { version: 1, bytes: new Uint8Array(32).fill(7) };

/** scrypt cost for tests: cheap, still stored and checked like the default. */
export const TEST_SCRYPT = { n: 1024, r: 8, p: 1 };

/** A clock the test sets. */
export class TestClock {
  time: number;
  constructor(iso = "2026-12-06T12:00:00Z") {
    this.time = Date.parse(iso);
  }
  now(): Date {
    return new Date(this.time);
  }
  advance(ms: number): void {
    this.time += ms;
  }
}

const secrets = new Set<string>();
const logLines: string[] = [];
const errorBodies: string[] = [];

/** Records a secret (token, password) the logs and error bodies must never contain; returns it. */
export function secret<T extends string>(value: T): T {
  secrets.add(value);
  return value;
}

/**
 * Declares the file's last test: the kept log lines and error bodies hold none of the recorded secrets.
 * Call it at the end of every test file that uses {@link harness}.
 */
export function secretsNeverLeak(): void {
  test("no token or password used in this file appears in the debug log or an error body", () => {
    assert.ok(logLines.length > 0, "expected the app to have logged (at debug level)");
    assert.ok(secrets.size > 0, "expected the file to have used secrets");
    for (const s of secrets) {
      const inLog = logLines.find((l) => l.includes(s));
      assert.equal(inLog, undefined, `a secret appeared in the log: ${inLog?.slice(0, 200)}`);
      const inBody = errorBodies.find((b) => b.includes(s));
      assert.equal(inBody, undefined, `a secret appeared in an error body: ${inBody?.slice(0, 200)}`);
    }
  });
}

/** The log lines kept so far (for tests that read them). */
export function keptLogs(): readonly string[] {
  return logLines;
}

/** A running test app. */
export interface Harness {
  app: FastifyInstance;
  db: Db;
  clock: TestClock;
  storage: Storage;
  /** `inject`, with error bodies kept for the secrets check. */
  request(options: InjectOptions): Promise<LightMyRequestResponse>;
  /** A user (password set when given), returned with the id. */
  user(slug: string, options?: { password?: string; admin?: boolean }): Promise<number>;
  /** A token of `userId`, recorded as a secret. */
  token(
    userId: number,
    scopes: readonly Scope[],
    options?: { projectId?: number; expiresAt?: Date },
  ): Promise<{ token: string; id: number }>;
}

/** Builds the app on `fresh`'s schema; undefined when PostgreSQL is skipped. */
export async function harness(
  t: TestContext,
  fresh: (t: TestContext) => Promise<FreshDb | undefined>,
  config: AppConfig = {},
  options: { db?: (db: Db) => Db; storage?: Storage; keyGenerator?: KeyGenerator } = {},
): Promise<Harness | undefined> {
  const f = await fresh(t);
  if (f === undefined) return undefined;
  await migrate(f.db);
  const clock = new TestClock();
  // As a server start does: signing_keys rows name the master key version recorded here.
  await verifyMasterKey(f.db, TEST_MASTER_KEY, clock.now());
  const storage = options.storage ?? memoryStorage();
  const logger = serverLogger({
    level: "debug",
    destination: { write: (line: string) => void logLines.push(line) },
  });
  const db = options.db === undefined ? f.db : options.db(f.db);
  const app = await buildApp({
    db,
    storage,
    masterKey: TEST_MASTER_KEY,
    clock,
    logger,
    config: { scrypt: TEST_SCRYPT, ...config },
    // Pre-generated fixture keys unless a test brings its own generator (keys.test.ts: real generation).
    keyGenerator: options.keyGenerator ?? poolKeyGenerator,
  });
  t.after(() => app.close());
  return {
    app,
    db: f.db,
    clock,
    storage,
    async request(o) {
      const r = await app.inject(o);
      if (r.statusCode >= 400) errorBodies.push(r.body);
      return r;
    },
    async user(slug, o = {}) {
      if (o.password !== undefined) secret(o.password);
      const u = await createUser(
        f.db,
        {
          email: `${slug}@example.org`,
          slug,
          ...(o.password === undefined ? {} : { password: o.password }),
          isAdmin: o.admin === true,
        },
        clock.now(),
        TEST_SCRYPT,
      );
      return u.id;
    },
    async token(userId, scopes, o = {}) {
      const { token, info } = await issueToken(
        f.db,
        { userId, name: "test", scopes, projectId: o.projectId ?? null, expiresAt: o.expiresAt ?? null },
        clock.now(),
      );
      return { token: secret(token), id: info.id };
    },
  };
}

/** The Authorization header of a token. */
export const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });

/** The parsed error body, checked to have the API's shape. */
export function errorOf(r: LightMyRequestResponse): {
  code: string;
  message: string;
  details: Record<string, unknown>;
} {
  const body = r.json() as { error?: { code?: unknown; message?: unknown; details?: unknown } };
  assert.equal(typeof body.error?.code, "string", r.body);
  assert.equal(typeof body.error?.message, "string", r.body);
  assert.equal(typeof body.error?.details, "object", r.body);
  assert.deepEqual(Object.keys(body).sort(), ["error"]);
  return body.error as { code: string; message: string; details: Record<string, unknown> };
}

/**
 * A JSON caller of an app listening at `url`: `call(method, path, body?, type?, token?)` sends `body`
 * (a string or bytes as they are, anything else as JSON) with the token (default `token`), fails the test
 * on a status of 300 or more, and returns the parsed answer (undefined when empty).
 */
export function httpCaller(url: string, token: string) {
  return async (
    method: string,
    path: string,
    body?: unknown,
    type = "application/json",
    bearerToken = token,
    // biome-ignore lint/suspicious/noExplicitAny: the API's JSON bodies, of many shapes, read field by field.
  ): Promise<any> => {
    const r = await fetch(url + path, {
      method,
      headers: {
        authorization: `Bearer ${bearerToken}`,
        ...(body !== undefined ? { "content-type": type } : {}),
      },
      ...(body !== undefined
        ? {
            body: (typeof body === "string" || body instanceof Uint8Array
              ? body
              : JSON.stringify(body)) as BodyInit,
          }
        : {}),
    });
    const text = await r.text();
    assert.ok(r.status < 300, `${method} ${path}: ${r.status} ${text}`);
    return text === "" ? undefined : JSON.parse(text);
  };
}

/**
 * A real S3 server for tests: s3rver (an S3 implementation in Node) in a child process on 127.0.0.1, with a
 * proxy in front that honours `If-None-Match: *` (see s3-process.ts). Tests talk to `endpoint` (the proxy);
 * `rawEndpoint` is s3rver itself, a store that ignores conditional writes, like some S3-compatible ones.
 *
 * What s3rver does and does not check (3.7): objects are readable anonymously (a GET without credentials
 * succeeds, so apt can read a repository from `url(key)`), missing keys are real 404s (NoSuchKey). It
 * does not verify SigV4 signatures: a wrong secret is accepted. An unknown access key id is refused with
 * 403 InvalidAccessKeyId — use `accessKeyId: "WRONG"` to get ACCESS_DENIED. A multipart upload's ETag is the
 * plain MD5 of the whole object (no `-<parts>` suffix); count the parts with `requests()` instead.
 * s3rver lists in folder-walk order, not string order (`a/x` before `a-b`): s3Storage sorts each page, but
 * across pages such keys can be skipped, so tests that page through a listing use keys of one shape.
 *
 * @example const s3 = await startS3(); const storage = s3.storage("t1"); ...; await s3.stop();
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import type { Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Storage, s3Storage } from "@packyard/repo";

/** One request the proxy forwarded (or answered itself). */
export interface S3Request {
  method: string;
  /** URL path, `/bucket/key` (percent-encoded as sent). */
  path: string;
  /** Query string with its `?`, or `""`. */
  query: string;
}

/** A running S3 test server. */
export interface S3Server {
  /** The proxy (`http://127.0.0.1:<port>`): honours `If-None-Match: *` unless started with `conditional: false`. */
  endpoint: string;
  /** s3rver itself, which ignores `If-None-Match` (a store on which conditional creates silently overwrite). */
  rawEndpoint: string;
  /** The bucket created at start. */
  bucket: string;
  /** Credentials s3rver accepts (its fixed `S3RVER` key). */
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  /** Plain HTTP URL of an object through the proxy, path style, readable without credentials. */
  url(key: string): string;
  /** An s3Storage of the bucket through the proxy, under `prefix` when given. */
  storage(prefix?: string): Storage;
  /** Every request the proxy has seen since start, in order. */
  requests(): Promise<S3Request[]>;
  /** Stops the server and removes its data. */
  stop(): Promise<void>;
}

/** Options of {@link startS3}. */
export interface StartS3Options {
  /** Whether the proxy enforces `If-None-Match: *` (default true); false makes `endpoint` behave like `rawEndpoint`. */
  conditional?: boolean;
}

const BUCKET = "packyard-test";
const ACCESS_KEY = "S3RVER";
const REGION = "us-east-1";

/** Waits for the child's first stdout line (the endpoints) or its early exit. */
function readyLine(child: ChildProcess, stderr: () => string): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = "";
    const onData = (chunk: Buffer): void => {
      out += chunk.toString("utf8");
      const nl = out.indexOf("\n");
      if (nl < 0) return;
      child.stdout!.off("data", onData);
      child.off("exit", onExit);
      resolve(out.slice(0, nl));
    };
    const onExit = (code: number | null): void =>
      reject(new Error(`the S3 test server exited (${code}) before listening:\n${stderr()}`));
    child.stdout!.on("data", onData);
    child.once("exit", onExit);
    child.once("error", reject);
  });
}

/**
 * Starts s3rver and its proxy in a child process on 127.0.0.1 (random free ports, a fresh temporary data
 * folder) with one bucket, `packyard-test`. Call `stop()` when done.
 */
export async function startS3(options: StartS3Options = {}): Promise<S3Server> {
  const directory = await mkdtemp(join(tmpdir(), "packyard-s3-"));
  const script = fileURLToPath(new URL("./s3-process.ts", import.meta.url));
  const config = { directory, bucket: BUCKET, conditional: options.conditional ?? true };
  // s3rver encrypts ListObjectsV2 continuation tokens with DES, which OpenSSL 3 keeps in its legacy provider.
  const args = ["--openssl-legacy-provider", script, JSON.stringify(config)];
  const child = spawn(process.execPath, args, { stdio: ["pipe", "pipe", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString("utf8")).slice(-8192);
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  let endpoints: { endpoint: string; rawEndpoint: string };
  try {
    endpoints = JSON.parse(await readyLine(child, () => stderr));
  } catch (e) {
    child.kill();
    await rm(directory, { recursive: true, force: true });
    throw e;
  }
  // A test that forgets stop() must not hang its process; the child exits when our end of stdin closes.
  const pipes = [child.stdin, child.stdout, child.stderr] as unknown as Socket[];
  child.unref();
  for (const pipe of pipes) pipe.unref();

  const { endpoint, rawEndpoint } = endpoints;
  let stopped: Promise<void> | undefined;
  return {
    endpoint,
    rawEndpoint,
    bucket: BUCKET,
    accessKeyId: ACCESS_KEY,
    secretAccessKey: ACCESS_KEY,
    region: REGION,
    url: (key) => `${endpoint}/${BUCKET}/${key.split("/").map(encodeURIComponent).join("/")}`,
    storage(prefix) {
      return s3Storage({
        bucket: BUCKET,
        ...(prefix === undefined ? {} : { prefix }),
        endpoint,
        region: REGION,
        forcePathStyle: true,
        credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: ACCESS_KEY },
      });
    },
    async requests() {
      const answer = await fetch(`${endpoint}/_packyard/requests`);
      if (!answer.ok) throw new Error(`the S3 test proxy answered ${answer.status} for its request log`);
      return (await answer.json()) as S3Request[];
    },
    stop() {
      stopped ??= (async () => {
        // Referenced again, so the process waits for the child to go.
        child.ref();
        if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
        await exited;
        await rm(directory, { recursive: true, force: true });
      })();
      return stopped;
    },
  };
}

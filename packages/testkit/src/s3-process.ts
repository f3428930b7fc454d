/**
 * The child process of the S3 test server (started by `startS3` in s3.ts): s3rver on 127.0.0.1 and, in
 * front of it, a small proxy adding what s3rver lacks — `If-None-Match: *` on PUT (412 PreconditionFailed
 * when the key exists, conditional PUTs to one key serialized so two racing creates cannot both win) and
 * AbortMultipartUpload (s3rver answers 405; the proxy answers 204 as S3 does). The proxy also records every
 * request, served at `GET /_packyard/requests` (`_packyard` cannot be a bucket name, so no key is hidden).
 *
 * Both run in this child rather than in the test process so that a test blocked in spawnSync (apt reading
 * the repository over HTTP) does not block the server it reads from.
 *
 * Usage: `node s3-process.ts '{"directory": "...", "bucket": "...", "conditional": true}'`. Prints one JSON
 * line `{"endpoint": ..., "rawEndpoint": ...}` once both listen; exits when stdin closes or on SIGTERM.
 */
import http from "node:http";
import { createRequire } from "node:module";

interface Config {
  directory: string;
  bucket: string;
  conditional: boolean;
}

/** The part of s3rver's API used here (it ships no types). */
interface S3rverInstance {
  run(): Promise<{ address: string; port: number }>;
  close(): Promise<void>;
}
type S3rverClass = new (options: {
  address: string;
  port: number;
  directory: string;
  silent: boolean;
  configureBuckets: { name: string; configs: string[] }[];
}) => S3rverInstance;

const config = JSON.parse(process.argv[2] ?? "{}") as Config;
const S3rver = createRequire(import.meta.url)("s3rver") as S3rverClass;

const s3rver = new S3rver({
  address: "127.0.0.1",
  port: 0,
  directory: config.directory,
  silent: true,
  configureBuckets: [{ name: config.bucket, configs: [] }],
});
const { port: rawPort } = await s3rver.run();
const agent = new http.Agent({ keepAlive: true });

/** One request the proxy saw. */
interface Seen {
  method: string;
  path: string;
  query: string;
}
const seen: Seen[] = [];

/** Reads and drops a request body (needed before answering without forwarding it). */
function drain(req: http.IncomingMessage): Promise<void> {
  return new Promise((resolve) => {
    req.on("end", resolve).on("error", () => resolve());
    req.resume();
  });
}

/** Answers up to this size are held whole before they are passed on (see {@link forwardRead}). */
const HELD_BYTES = 16 * 1024 * 1024;

/** Sends `req` on to s3rver and its answer back; resolves when the answer has been passed on whole. */
function forward(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  if (req.method === "GET" || req.method === "HEAD") return forwardRead(req, res, 3);
  return new Promise((resolve) => {
    res.on("close", resolve);
    const headers = { ...req.headers };
    delete headers.expect; // this proxy already answered 100-continue
    const upstream = http.request(
      { host: "127.0.0.1", port: rawPort, method: req.method, path: req.url, headers, agent },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
        answer.on("end", resolve);
        answer.on("close", () => {
          if (!answer.complete) res.destroy();
        });
      },
    );
    upstream.on("error", () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
      resolve();
    });
    req.on("close", () => {
      if (!req.complete) upstream.destroy(); // the client went away mid-request
    });
    req.pipe(upstream);
  });
}

/**
 * A read, made atomic as S3's are. s3rver opens an object's file after sending the answer's headers, so a
 * GET racing a DELETE or an overwrite of the same key can get headers and then a cut body — which S3 never
 * does (it serves the old object whole, or 404). An answer up to HELD_BYTES is held until it is complete
 * and asked again (up to `tries` times) when it was cut; a larger one streams through, and a cut resets the
 * client's connection rather than leaving its response open.
 */
function forwardRead(req: http.IncomingMessage, res: http.ServerResponse, tries: number): Promise<void> {
  return new Promise((resolve) => {
    res.on("close", resolve);
    const attempt = (left: number): void => {
      const upstream = http.request(
        { host: "127.0.0.1", port: rawPort, method: req.method, path: req.url, headers: req.headers, agent },
        (answer) => {
          const held: Buffer[] = [];
          let size = 0;
          let streaming = false;
          answer.on("data", (chunk: Buffer) => {
            if (streaming) return;
            held.push(chunk);
            size += chunk.length;
            if (size > HELD_BYTES) {
              streaming = true;
              res.writeHead(answer.statusCode ?? 502, answer.headers);
              for (const c of held) res.write(c);
              answer.pipe(res);
            }
          });
          answer.on("close", () => {
            if (answer.complete) {
              if (!streaming)
                res.writeHead(answer.statusCode ?? 502, answer.headers).end(Buffer.concat(held));
            } else if (streaming) res.destroy();
            else if (left > 1) attempt(left - 1);
            else res.destroy();
          });
        },
      );
      upstream.on("error", () => {
        if (left > 1) return attempt(left - 1);
        if (!res.headersSent) res.writeHead(502);
        res.end();
      });
      upstream.end();
    };
    req.resume();
    attempt(tries);
  });
}

/** True when s3rver holds an object at `path` (`/bucket/key`). */
function exists(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = http.request(
      { host: "127.0.0.1", port: rawPort, method: "HEAD", path, agent },
      (answer) => {
        answer.resume();
        resolve(answer.statusCode === 200);
      },
    );
    probe.on("error", () => resolve(false));
    probe.end();
  });
}

const queues = new Map<string, Promise<void>>();

/** Runs `work` after every earlier conditional PUT to the same path has finished. */
async function serialized(path: string, work: () => Promise<void>): Promise<void> {
  const before = queues.get(path) ?? Promise.resolve();
  let done!: () => void;
  const turn = new Promise<void>((resolve) => (done = resolve));
  const mine = before.then(() => turn);
  queues.set(path, mine);
  await before;
  try {
    await work();
  } finally {
    done();
    if (queues.get(path) === mine) queues.delete(path);
  }
}

const PRECONDITION_FAILED =
  '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>PreconditionFailed</Code>' +
  "<Message>At least one of the pre-conditions you specified did not hold</Message>" +
  "<Condition>If-None-Match</Condition></Error>";

const proxy = http.createServer((req, res) => {
  const url = new URL(req.url ?? "/", "http://127.0.0.1");
  if (url.pathname === "/_packyard/requests") {
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(seen));
    return;
  }
  const method = req.method ?? "GET";
  seen.push({ method, path: url.pathname, query: url.search });
  if (method === "DELETE" && url.searchParams.has("uploadId")) {
    void drain(req).then(() => res.writeHead(204).end());
    return;
  }
  // A PutObject: no sub-resource in the query (the SDK adds only `x-id=PutObject`).
  const putObject = method === "PUT" && [...url.searchParams.keys()].every((name) => name === "x-id");
  if (config.conditional && putObject && req.headers["if-none-match"] === "*") {
    void serialized(url.pathname, async () => {
      if (await exists(url.pathname)) {
        await drain(req);
        res.writeHead(412, { "content-type": "application/xml" }).end(PRECONDITION_FAILED);
      } else await forward(req, res);
    });
    return;
  }
  void forward(req, res);
});
await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
const { port } = proxy.address() as { port: number };

// Exits at once: the data folder is thrown away, and s3rver's close() would wait for idle keep-alive clients.
const stop = (): never => process.exit(0);
process.on("SIGTERM", stop);
process.stdin.on("end", stop).on("close", stop).resume();

process.stdout.write(
  `${JSON.stringify({ endpoint: `http://127.0.0.1:${port}`, rawEndpoint: `http://127.0.0.1:${rawPort}` })}\n`,
);

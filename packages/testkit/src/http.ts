/**
 * A static HTTP server over a folder, for clients that judge a published repository over the wire (apt's
 * http method): 127.0.0.1 on a random port, real 404s (apt treats a 200 error page for InRelease as a
 * broken signature instead of falling back to Release), exact Content-Length, HEAD, Last-Modified with
 * If-Modified-Since (apt sends it for every index it holds), single byte ranges (apt resumes a partial
 * download with one), and a log of what was asked so tests can assert which URLs a client fetched.
 */
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { resolve, sep } from "node:path";

/** One request the server answered. */
export interface RequestLogEntry {
  method: string;
  /** The path asked for, decoded, without the query (`/deb/dists/stable/InRelease`). */
  path: string;
  status: number;
}

/** A running static server. */
export interface FolderServer {
  /** `http://127.0.0.1:<port>` (no trailing slash). */
  url: string;
  /** Every request answered so far, in order. */
  log: RequestLogEntry[];
  /** Stops listening and closes idle keep-alive connections. */
  stop(): Promise<void>;
}

/**
 * Serves the files under `root` (read at request time, so later writes show up) until `stop()`.
 * @example
 * const server = await serveFolder(repoDir);
 * // apt source: URIs: ${server.url}/deb
 * await server.stop();
 */
export async function serveFolder(root: string): Promise<FolderServer> {
  const base = resolve(root);
  const log: RequestLogEntry[] = [];
  const server = createServer((req, res) => {
    const method = req.method ?? "GET";
    const rawPath = (req.url ?? "/").split("?")[0] ?? "/";
    let path: string;
    try {
      path = decodeURIComponent(rawPath);
    } catch {
      path = rawPath;
    }
    const answer = (status: number, headers: Record<string, string | number> = {}, body?: string) => {
      log.push({ method, path, status });
      const text = body ?? (status >= 400 ? `${status}\n` : "");
      res.writeHead(status, { ...headers, ...(status >= 400 ? { "Content-Length": text.length } : {}) });
      res.end(method === "HEAD" ? undefined : text);
    };
    if (method !== "GET" && method !== "HEAD") return answer(405, { Allow: "GET, HEAD" });
    const file = resolve(base, `.${path}`);
    // no escape from the served folder through `..` or an encoded separator
    if (file !== base && !file.startsWith(base + sep)) return answer(404);
    stat(file).then(
      (st) => {
        if (!st.isFile()) return answer(404);
        const mtime = new Date(Math.floor(st.mtimeMs / 1000) * 1000);
        const headers: Record<string, string | number> = {
          "Last-Modified": mtime.toUTCString(),
          "Accept-Ranges": "bytes",
          "Content-Type": "application/octet-stream",
        };
        const since = req.headers["if-modified-since"];
        if (since !== undefined && !Number.isNaN(Date.parse(since)) && mtime.getTime() <= Date.parse(since))
          return answer(304, { "Last-Modified": headers["Last-Modified"] as string });
        const range = parseRange(req.headers.range, st.size);
        if (range === "unsatisfiable") return answer(416, { "Content-Range": `bytes */${st.size}` });
        const start = range?.start ?? 0;
        const end = range?.end ?? st.size; // exclusive
        const status = range === undefined ? 200 : 206;
        log.push({ method, path, status });
        res.writeHead(status, {
          ...headers,
          "Content-Length": end - start,
          ...(range === undefined ? {} : { "Content-Range": `bytes ${start}-${end - 1}/${st.size}` }),
        });
        if (method === "HEAD" || end === start) return res.end();
        createReadStream(file, { start, end: end - 1 })
          .on("error", () => res.destroy())
          .pipe(res);
      },
      () => answer(404),
    );
  });
  await new Promise<void>((ok, fail) => {
    server.once("error", fail);
    server.listen(0, "127.0.0.1", () => ok());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    log,
    stop: () =>
      new Promise<void>((ok) => {
        server.close(() => ok());
        server.closeAllConnections();
      }),
  };
}

/** One `bytes=a-b` / `bytes=a-` / `bytes=-n` range (others are served whole, as RFC 9110 allows). */
function parseRange(
  header: string | undefined,
  size: number,
): { start: number; end: number } | "unsatisfiable" | undefined {
  const m = header === undefined ? null : /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (m === null) return undefined;
  const [, a = "", b = ""] = m;
  if (a === "" && b === "") return undefined;
  let start: number;
  let end: number;
  if (a === "") {
    start = Math.max(0, size - Number(b));
    end = size;
  } else {
    start = Number(a);
    end = b === "" ? size : Math.min(size, Number(b) + 1);
  }
  if (start >= size || start >= end) return "unsatisfiable";
  return { start, end };
}

/** A TCP port free on 127.0.0.1 right now (for an app that needs its public URL before it listens). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

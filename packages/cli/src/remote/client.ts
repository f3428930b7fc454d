/**
 * The CLI's HTTP client for a packyard server: JSON requests with the Bearer token, streamed uploads, and
 * the server's errors (`{ error: { code, message, details } }`) as {@link RemoteError}s, which report.ts
 * prints like the server's own errors: the message, then `[ServerError CODE]`.
 */
import { ConfigError, type RemoteSettings } from "./config.ts";

/** An error answer of the server, or no answer at all (code UNREACHABLE). */
export class RemoteError extends Error {
  // report.ts recognizes server errors by this name, a string code and a data object.
  override readonly name = "ServerError";
  readonly code: string;
  /** The answer's details, plus `status` (the HTTP status; absent for UNREACHABLE). */
  readonly data: Record<string, unknown>;
  readonly status: number | undefined;
  constructor(
    code: string,
    message: string,
    data: Record<string, unknown>,
    status?: number,
    cause?: unknown,
  ) {
    super(message, cause === undefined ? undefined : { cause });
    this.code = code;
    this.data = data;
    this.status = status;
  }
}

/** A request's body and headers. */
export interface CallInit {
  /** Sent as JSON. */
  json?: unknown;
  /** Sent as it is (streamed). */
  body?: ReadableStream<Uint8Array> | Uint8Array | string;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

/** What the client needs. */
export interface RemoteClientOptions {
  /** The server's base URL, without a trailing slash. */
  server: string;
  token?: string;
  /** The fetch to use (default: the global one). */
  fetch?: typeof fetch;
}

/** Reads an error answer into a RemoteError (a body that is not packyard's error shape keeps its status). */
export async function errorOf(response: Response): Promise<RemoteError> {
  const text = await response.text().catch(() => "");
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const error = (body as { error?: { code?: unknown; message?: unknown; details?: unknown } } | undefined)
    ?.error;
  if (error !== undefined && typeof error.code === "string" && typeof error.message === "string") {
    const details =
      typeof error.details === "object" && error.details !== null
        ? (error.details as Record<string, unknown>)
        : {};
    return new RemoteError(
      error.code,
      error.message,
      { ...details, status: response.status },
      response.status,
    );
  }
  return new RemoteError(
    `HTTP_${response.status}`,
    `Expected a packyard answer from ${response.url}, found HTTP ${response.status} ${response.statusText}${text !== "" ? `: ${text.slice(0, 200)}` : ""}`,
    { status: response.status },
    response.status,
  );
}

/** A client of one packyard server. */
export class RemoteClient {
  readonly server: string;
  readonly #token: string | undefined;
  readonly #fetch: typeof fetch;

  constructor(options: RemoteClientOptions) {
    this.server = options.server.replace(/\/+$/, "");
    this.#token = options.token;
    this.#fetch = options.fetch ?? fetch;
  }

  /** The absolute URL of `path` (which starts with `/`). */
  url(path: string): string {
    return `${this.server}${path}`;
  }

  /** Sends a request and returns the answer, whatever its status. @throws RemoteError UNREACHABLE */
  async send(method: string, path: string, init: CallInit = {}): Promise<Response> {
    const headers: Record<string, string> = { accept: "application/json", ...init.headers };
    if (this.#token !== undefined) headers.authorization = `Bearer ${this.#token}`;
    let body: RequestInit["body"];
    if (init.json !== undefined) {
      headers["content-type"] = "application/json";
      body = JSON.stringify(init.json);
    } else if (init.body !== undefined) {
      body = init.body as RequestInit["body"];
    }
    try {
      return await this.#fetch(this.url(path), {
        method,
        headers,
        ...(body !== undefined ? { body } : {}),
        ...(init.body instanceof ReadableStream ? { duplex: "half" } : {}),
        ...(init.signal !== undefined ? { signal: init.signal } : {}),
      } as RequestInit);
    } catch (e) {
      if (init.signal?.aborted === true) throw e;
      const cause = (e as { cause?: { message?: string; code?: string } }).cause;
      throw new RemoteError(
        "UNREACHABLE",
        `Expected a packyard server at ${this.server}, found no answer: ${cause?.message ?? (e as Error).message}`,
        {},
        undefined,
        e,
      );
    }
  }

  /** Sends a request and reads its JSON answer (undefined for 204). @throws RemoteError for an error answer */
  async call<T>(method: string, path: string, init: CallInit = {}): Promise<T> {
    const response = await this.send(method, path, init);
    if (!response.ok) throw await errorOf(response);
    if (response.status === 204) return undefined as T;
    const text = await response.text();
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new RemoteError(
        "BAD_RESPONSE",
        `Expected JSON from ${method} ${this.url(path)}, found ${JSON.stringify(text.slice(0, 100))}`,
        { status: response.status },
        response.status,
      );
    }
  }
}

/** `s` as one URL path segment. */
export const seg = (s: string | number): string => encodeURIComponent(String(s));

/**
 * The client for the resolved settings.
 * @throws ConfigError NOT_LOGGED_IN when there is no server, or no token and `needToken` holds.
 */
export function clientFor(settings: RemoteSettings, needToken = true): RemoteClient {
  if (settings.server === undefined)
    throw new ConfigError(
      "NOT_LOGGED_IN",
      `Expected a server: run packyard login --server URL, or set PACKYARD_SERVER (no server in ${settings.file})`,
      { file: settings.file },
    );
  if (needToken && settings.token === undefined)
    throw new ConfigError(
      "NOT_LOGGED_IN",
      `Expected an API token: run packyard login, or set PACKYARD_TOKEN (no token in ${settings.file})`,
      { file: settings.file },
    );
  return new RemoteClient({
    server: settings.server.value,
    ...(settings.token !== undefined ? { token: settings.token.value } : {}),
  });
}

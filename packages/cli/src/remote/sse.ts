/**
 * Server-sent events, as the build log stream sends them (WHATWG HTML "server-sent events": lines of
 * `field: value`, an empty line ends an event, lines starting with `:` are comments), and a follower that
 * reconnects with `Last-Event-ID` when the connection drops, so no entry is missed or seen twice.
 */
import { errorOf, type RemoteClient, RemoteError } from "./client.ts";

/** One event. */
export interface SseEvent {
  /** The `id:` field; undefined when the event set none. */
  id: string | undefined;
  /** The `event:` field (default `message`). */
  event: string;
  /** The `data:` lines joined by newlines. */
  data: string;
}

/**
 * A push parser: `feed` text as it arrives (split anywhere, even inside a CRLF) and get the events that
 * were completed.
 */
export class SseParser {
  #buffer = "";
  #event = "";
  #data: string[] = [];
  #id: string | undefined;
  #sawData = false;

  feed(text: string): SseEvent[] {
    this.#buffer += text;
    const out: SseEvent[] = [];
    for (;;) {
      const m = /\r\n|\n|\r/.exec(this.#buffer);
      if (m === null) break;
      // A CR at the very end may be the first half of a CRLF: wait for more.
      if (m[0] === "\r" && m.index === this.#buffer.length - 1) break;
      const line = this.#buffer.slice(0, m.index);
      this.#buffer = this.#buffer.slice(m.index + m[0].length);
      const event = this.#line(line);
      if (event !== undefined) out.push(event);
    }
    return out;
  }

  #line(line: string): SseEvent | undefined {
    if (line === "") {
      if (!this.#sawData) {
        this.#event = "";
        return undefined;
      }
      const event: SseEvent = { id: this.#id, event: this.#event || "message", data: this.#data.join("\n") };
      this.#event = "";
      this.#data = [];
      this.#sawData = false;
      return event;
    }
    if (line.startsWith(":")) return undefined;
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "data") {
      this.#data.push(value);
      this.#sawData = true;
    } else if (field === "event") this.#event = value;
    else if (field === "id" && !value.includes("\0")) this.#id = value;
    return undefined;
  }
}

/** One log entry of a build, as the stream and `GET …/logs` carry it. */
export interface LogEntry {
  seq: number;
  jobId: number;
  attempt: number;
  stream: "stdout" | "stderr" | "system";
  at: string;
  text: string;
}

/** What {@link followLogs} needs besides the client. */
export interface FollowOptions {
  /** Called for each entry, in order, once. */
  onEntry(entry: LogEntry): void;
  /** Called when the connection dropped and the follower reconnects. */
  onReconnect?(lastSeq: number | undefined, reason: string): void;
  /** Resume after this sequence number. */
  after?: number;
  /** Reconnections in a row that brought no entry before giving up (default 10). */
  maxRetries?: number;
  /** Milliseconds before a reconnection, doubled each time up to 5 s (default 250). */
  retryMs?: number;
  /** The fetch-level abort signal (a test drops the connection through it). */
  signal?: AbortSignal;
}

/**
 * Follows `GET /api/v1/builds/:id/logs/stream` until its `end` event and returns the state the event
 * carries. A connection that ends or fails before `end` is opened again with `Last-Event-ID`, the last
 * sequence number seen, after a short wait; entries at or below it are not passed on again.
 * @throws RemoteError for an error answer (404, 403 ...) or when reconnecting keeps failing
 */
export async function followLogs(
  client: RemoteClient,
  buildId: number,
  options: FollowOptions,
): Promise<string> {
  let last = options.after;
  let failures = 0;
  const maxRetries = options.maxRetries ?? 10;
  let wait = options.retryMs ?? 250;
  for (;;) {
    let reason: string;
    const before = last;
    try {
      const response = await client.send("GET", `/api/v1/builds/${buildId}/logs/stream`, {
        headers: {
          accept: "text/event-stream",
          ...(last !== undefined ? { "last-event-id": String(last) } : {}),
        },
        ...(options.signal !== undefined ? { signal: options.signal } : {}),
      });
      if (!response.ok) {
        const error = await errorOf(response);
        // A server restarting or overloaded answers 502/503: worth another try; anything else is final.
        if (response.status < 500) throw error;
        reason = error.message;
      } else if (response.body === null) {
        reason = "the answer had no body";
      } else {
        const parser = new SseParser();
        const decoder = new TextDecoder();
        let ended: string | undefined;
        // Read through a reader, not `for await` over the body: typed either way whether the program
        // has the DOM library (preact's types bring it) or Node's stream types only.
        const reader = response.body.getReader();
        try {
          for (let r = await reader.read(); !r.done; r = await reader.read()) {
            const chunk = r.value;
            for (const event of parser.feed(decoder.decode(chunk, { stream: true }))) {
              if (event.event === "log") {
                const entry = JSON.parse(event.data) as LogEntry;
                if (last !== undefined && entry.seq <= last) continue;
                last = entry.seq;
                options.onEntry(entry);
              } else if (event.event === "end") {
                ended = (JSON.parse(event.data) as { state: string }).state;
              }
            }
            if (ended !== undefined) break;
          }
        } finally {
          // Ends the request (a break leaves the body open otherwise).
          await reader.cancel().catch(() => {});
        }
        if (ended !== undefined) return ended;
        reason = "the stream ended before the build did";
      }
    } catch (e) {
      if (e instanceof RemoteError && e.code !== "UNREACHABLE") throw e;
      if (e instanceof SyntaxError)
        throw new RemoteError("BAD_RESPONSE", `Expected JSON event data, found: ${e.message}`, {});
      reason = e instanceof Error ? e.message : String(e);
    }
    failures = last !== before ? 0 : failures + 1;
    if (failures > maxRetries)
      throw new RemoteError(
        "UNREACHABLE",
        `Expected the log stream of build ${buildId} to continue, found it broken ${failures} times in a row: ${reason}`,
        { buildId },
      );
    options.onReconnect?.(last, reason);
    await new Promise((resolve) => setTimeout(resolve, wait));
    wait = Math.min(wait * 2, 5000);
  }
}

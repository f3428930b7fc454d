/**
 * Streams a local file to an upload route of the server (`PUT …/files/<access name>`, `PUT …/artifacts/
 * <file name>`): its SHA-256 is computed first and sent as X-Checksum-Sha256, so the server refuses bytes
 * changed on the way (422 CHECKSUM_MISMATCH); the body is read again from the file as it is sent. On a
 * terminal a progress line is redrawn in place.
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { ReadableStream as NodeReadableStream } from "node:stream/web";
import type { CommandIo } from "../command.ts";
import { humanBytes } from "../human-bytes.ts";
import { type RemoteClient, RemoteError } from "./client.ts";

/** The SHA-256 (hex) and size of a file. */
export async function fileDigest(path: string): Promise<{ sha256: string; size: number }> {
  const hash = createHash("sha256");
  let size = 0;
  for await (const chunk of createReadStream(path)) {
    hash.update(chunk as Uint8Array);
    size += (chunk as Uint8Array).length;
  }
  return { sha256: hash.digest("hex"), size };
}

/** What an upload answers: at least the stored digest. */
export interface Uploaded {
  sha256: string;
  size: number;
}

/** Uploads `path` with PUT to `route`; returns the server's JSON answer after checking its digest. */
export async function uploadFile<T extends Uploaded>(
  client: RemoteClient,
  route: string,
  path: string,
  io: Pick<CommandIo, "err" | "tty" | "columns">,
  label: string,
): Promise<T> {
  const info = await stat(path);
  if (!info.isFile()) throw new RemoteError("NOT_A_FILE", `Expected ${path} to be a regular file`, { path });
  const { sha256, size } = await fileDigest(path);
  let sent = 0;
  let last = 0;
  /** The final line was drawn: nothing is drawn after it. */
  let closed = false;
  const draw = (done: boolean) => {
    if (!io.tty || closed) return;
    closed = done;
    const pct = size === 0 ? 100 : Math.floor((sent / size) * 100);
    const line = `uploading ${label}: ${humanBytes(sent)} / ${humanBytes(size)} (${pct}%)`;
    io.err(`\r${line.slice(0, (io.columns ?? 80) - 1)}\u001b[K${done ? "\n" : ""}`);
  };
  async function* body(): AsyncGenerator<Uint8Array> {
    for await (const chunk of createReadStream(path)) {
      sent += (chunk as Uint8Array).length;
      const now = performance.now();
      if (now - last > 100) {
        last = now;
        draw(false);
      }
      yield chunk as Uint8Array;
    }
    draw(true);
  }
  let answer: T;
  try {
    answer = await client.call<T>("PUT", route, {
      // node:stream/web's class (the same one as the global at run time): with the DOM library in the
      // program (preact's types bring it), the global type has no from().
      body: NodeReadableStream.from(body()) as unknown as ReadableStream<Uint8Array>,
      headers: {
        "content-type": "application/octet-stream",
        "content-length": String(size),
        "x-checksum-sha256": sha256,
      },
    });
    // The answer can come before fetch asks the body for its end (a loaded machine): the server has every
    // byte by then (it checked the length and digest), so the line ends at 100 %.
    sent = size;
  } finally {
    // On an error too: what follows goes on a line of its own.
    draw(true);
  }
  if (answer.sha256 !== sha256)
    throw new RemoteError(
      "CHECKSUM_MISMATCH",
      `Expected the server to store ${path} with SHA-256 ${sha256}, found ${answer.sha256}`,
      { path, expected: sha256, found: answer.sha256 },
    );
  return answer;
}

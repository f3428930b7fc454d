// The agent's log batcher under a flood: output that piles up while a request is in flight goes out in
// several requests, each under the server's 1 MiB JSON body limit, one at a time, every byte once, in order.
import assert from "node:assert/strict";
import { test } from "node:test";
import { JSON_BODY_LIMIT } from "../src/app/app.ts";
import { type LogChunk, LogBatcher } from "../src/agent/client.ts";

test("4 MiB pushed during slow sends: requests under the body limit, never two at once, all text in order", async () => {
  const sizes: number[] = [];
  const received: LogChunk[] = [];
  let inFlight = 0;
  let most = 0;
  const batcher = new LogBatcher(
    async (chunks) => {
      inFlight++;
      most = Math.max(most, inFlight);
      sizes.push(Buffer.byteLength(JSON.stringify({ attempt: 1, chunks })));
      await new Promise((resolve) => setTimeout(resolve, 20));
      received.push(...chunks);
      inFlight--;
    },
    { intervalMs: 5 },
  );
  // Control characters: JSON escapes each to six bytes, the worst case for the request size.
  const line = `${"\u0001".repeat(4095)}\n`;
  let sent = "";
  for (let i = 0; i < 1024; i++) {
    batcher.push(i % 2 === 0 ? "stdout" : "stderr", line);
    sent += line;
    if (i % 64 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  await batcher.close();
  assert.equal(most, 1, "one request at a time");
  assert.ok(sizes.length > 1);
  for (const size of sizes) assert.ok(size < JSON_BODY_LIMIT, `a request of ${size} bytes`);
  assert.deepEqual(
    received.map((c) => c.chunk),
    received.map((_, i) => i),
    "chunk numbers 0, 1, 2, ... each once",
  );
  assert.equal(received.map((c) => c.text).join(""), sent);
});

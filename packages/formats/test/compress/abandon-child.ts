/**
 * Child of abandon.test.ts: abandons compressions on worker threads with nothing else keeping the process
 * alive — the consumer breaks out, the consumer throws, the producer throws — then prints what happened.
 * The process must live to print every line (it once quit with exit code 0 while awaiting a worker's
 * termination) and an xz stream abandoned mid-way must not abort it.
 */
import { compress } from "../../src/compress/compress.ts";
import type { Compression } from "../../src/compress/compression.ts";

const MiB = 1024 * 1024;
const c = JSON.parse(process.argv[2] ?? "{}") as Compression;

async function* input(failAt = -1): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < 24; i++) {
    if (i === failAt) throw new Error("producer failed");
    yield new Uint8Array(MiB).fill(i * 7);
  }
}

async function main(): Promise<void> {
  for (let round = 0; round < 4; round++) {
    let k = 0;
    for await (const _ of compress(input(), c, { workers: 2 })) if (++k === 2) break;
    try {
      for await (const _ of compress(input(), c, { workers: 2 })) throw new Error("consumer failed");
    } catch (e) {
      if ((e as Error).message !== "consumer failed") throw e;
    }
    try {
      for await (const _ of compress(input(5), c, { workers: 2 })) {
      }
    } catch (e) {
      if ((e as Error).message !== "producer failed") throw e;
    }
  }
}

main().then(
  () => process.stdout.write("finished\n"),
  (e: unknown) => {
    process.stdout.write(`error: ${(e as Error).message}\n`);
    process.exitCode = 1;
  },
);

/**
 * A bounded, ordered pipeline between a byte producer and the codecs compressing it. The producer (the
 * tar/cpio encoder reading files, on the main thread) is pulled by a pump of its own, not by the
 * consumer: while earlier pieces compress (on worker threads, or on libuv's pool), the main thread keeps
 * reading and encoding the next ones, until a bound on the bytes held is reached. The consumer still
 * pulls the output, in input order.
 *
 * Held bytes = input pieces handed to the codecs and not answered yet + output answered and not yet
 * taken by the consumer. The pump waits while that is over `bytes` (and while `pieces` pieces are
 * outstanding), but always lets `minPieces` through, so a framing larger than the bound still keeps
 * every worker busy. On top of the bound: the one piece the pump is reading.
 *
 * Errors: the producer's error and a codec's error are thrown from the consumer's next pull as they are.
 * When the consumer stops (return(), or an error), the pump stops pulling, the producer is closed
 * (its return()), and the caller's cleanup (releasing workers) runs after both.
 */

/** The codec side of a pipeline: work on one piece, then the end. Each answer is that step's output. */
export interface PipelineStage {
  submit(piece: Uint8Array): Promise<Uint8Array[]>;
  finish(): Promise<Uint8Array[]>;
}

export interface PipelineLimits {
  /** Most bytes held (inputs in the codecs + outputs not yet taken) before the pump waits. */
  bytes: number;
  /** Most pieces outstanding (handed to the codecs and not yet taken by the consumer). */
  pieces: number;
  /** Pieces let through whatever their bytes (at least 1). */
  minPieces: number;
}

/** A one-waiter wake-up: `wait()` resolves at the next `wake()`. */
class Signal {
  #wake: (() => void) | undefined;
  wait(): Promise<void> {
    return new Promise((resolve) => {
      this.#wake = resolve;
    });
  }
  wake(): void {
    const w = this.#wake;
    this.#wake = undefined;
    w?.();
  }
}

function sum(parts: readonly Uint8Array[]): number {
  let n = 0;
  for (const p of parts) n += p.length;
  return n;
}

/** Runs `pieces` through `stage` as described above; yields every output chunk in input order. */
export async function* pipelined(
  pieces: AsyncIterable<Uint8Array>,
  stage: PipelineStage,
  limits: PipelineLimits,
): AsyncGenerator<Uint8Array> {
  const slots: Promise<Uint8Array[]>[] = [];
  let held = 0;
  let stopped = false;
  let pumpDone = false;
  let pumpFailed = false;
  let pumpError: unknown;
  const toPump = new Signal();
  const toConsumer = new Signal();
  const minPieces = Math.max(1, limits.minPieces);

  const hold = (work: Promise<Uint8Array[]>, inBytes: number): Promise<Uint8Array[]> => {
    held += inBytes;
    const answered = work.then(
      (out) => {
        held += sum(out) - inBytes;
        toConsumer.wake();
        return out;
      },
      (e: unknown) => {
        held -= inBytes;
        toConsumer.wake();
        throw e;
      },
    );
    // Awaited in order by the consumer; until then a failure must not count as unhandled.
    answered.catch(() => undefined);
    slots.push(answered);
    toConsumer.wake();
    return answered;
  };

  const pump = (async () => {
    try {
      for await (const piece of pieces) {
        while (
          !stopped &&
          slots.length >= minPieces &&
          (slots.length >= limits.pieces || held + piece.length > limits.bytes)
        )
          await toPump.wait();
        // Leaving the loop closes the producer (its return()).
        if (stopped) return;
        // Its length before submit: a stage that transfers the piece to a worker detaches it (length 0).
        const bytes = piece.length;
        hold(stage.submit(piece), bytes);
      }
      if (!stopped) hold(stage.finish(), 0);
    } catch (e) {
      pumpFailed = true;
      pumpError = e;
    } finally {
      pumpDone = true;
      toConsumer.wake();
    }
  })();

  try {
    for (;;) {
      if (pumpFailed) throw pumpError;
      const head = slots[0];
      if (head === undefined) {
        if (pumpDone) break;
        await toConsumer.wait();
        continue;
      }
      const out = await head;
      slots.shift();
      toPump.wake();
      for (const chunk of out) {
        held -= chunk.length;
        toPump.wake();
        yield chunk;
      }
    }
  } finally {
    stopped = true;
    toPump.wake();
    await pump;
  }
}

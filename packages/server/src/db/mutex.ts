/**
 * A first-come first-served asynchronous mutex: `run(fn)` starts `fn` once every earlier `run` has settled.
 * PGlite has one session, so its adapter runs each statement and each whole transaction under one of these.
 */
export class Mutex {
  #tail: Promise<void> = Promise.resolve();

  /** Runs `fn` alone; resolves or rejects with its outcome. A rejection does not block later callers. */
  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(fn);
    this.#tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}

/**
 * xz decoding with xz-embedded, the WebAssembly build that the `xz-decompress` package ships, driven
 * here one context per decode instead of through its `XzReadableStream`.
 *
 * Why not `XzReadableStream`: since 0.2.3 it takes a process-wide lock when a stream starts and gives it
 * back only when the stream ends, fails or is cancelled. A consumer that stops reading without cancelling
 * (a reader that throws on a bad tar header and drops the decompressor) kept the lock forever, and every
 * later xz read in the process waited on it. Here nothing is shared but the module instance: each decode
 * owns its context, frees it in `finally` on end, error, `return()` or `throw()`, and a context whose
 * generator was dropped without any of those is freed when the generator is garbage-collected.
 *
 * The module's C side (xz-decompress src/native/xz-decompress.{c,h}, 0.2.x): `create_context()` returns a
 * pointer to `{ size_t bufsize; struct xz_buf b; struct xz_dec *s; uint8_t in[BUFSIZE]; uint8_t out[BUFSIZE]; }`
 * with `struct xz_buf { in, in_pos, in_size, out, out_pos, out_size }` (wasm32: 4-byte words), and
 * `get_next_output()` runs `xz_dec_catrun(s, &b, in_size == 0)`, so concatenated streams decode as one and
 * an empty supply means "the input has ended".
 */
import { createRequire } from "node:module";
import { FormatError } from "../errors.ts";

/** The exports of xz-decompress's WebAssembly module that are used here. */
interface XzWasmExports {
  /** The module's linear memory (`WebAssembly.Memory`); its buffer is replaced when it grows. */
  memory: { readonly buffer: ArrayBuffer };
  create_context(): number;
  destroy_context(ptr: number): void;
  supply_input(ptr: number, size: number): void;
  get_next_output(ptr: number): number;
}

/** The statics of `XzReadableStream` that load (once) and hold the shared module instance. */
interface XzReadableStreamStatics {
  _moduleInstance?: { exports: unknown };
  _moduleInstancePromise?: Promise<void>;
  _getModuleInstance(): Promise<void>;
}

/** Word indexes into the context struct (wasm32, 4 bytes each). */
const CTX = { bufsize: 0, in: 1, inPos: 2, inSize: 3, out: 4, outPos: 5 } as const;

/** `enum xz_ret` (xz-embedded linux/include/linux/xz.h). */
const XZ_OK = 0;
const XZ_STREAM_END = 1;
const XZ_RET_NAMES: Readonly<Record<number, string>> = {
  2: "XZ_UNSUPPORTED_CHECK",
  3: "XZ_MEM_ERROR",
  4: "XZ_MEMLIMIT_ERROR",
  5: "XZ_FORMAT_ERROR",
  6: "XZ_OPTIONS_ERROR",
  7: "XZ_DATA_ERROR",
  8: "XZ_BUF_ERROR",
};

let wasm: Promise<XzWasmExports> | undefined;

function isXzWasmExports(e: unknown): e is XzWasmExports {
  const x = e as Partial<XzWasmExports> | null;
  return (
    x?.memory?.buffer instanceof ArrayBuffer &&
    typeof x.create_context === "function" &&
    typeof x.destroy_context === "function" &&
    typeof x.supply_input === "function" &&
    typeof x.get_next_output === "function"
  );
}

async function loadWasm(): Promise<XzWasmExports> {
  const { XzReadableStream } = createRequire(import.meta.url)("xz-decompress") as {
    XzReadableStream: XzReadableStreamStatics;
  };
  if (typeof XzReadableStream?._getModuleInstance === "function") {
    XzReadableStream._moduleInstancePromise ??= XzReadableStream._getModuleInstance();
    await XzReadableStream._moduleInstancePromise;
  }
  const exports = XzReadableStream?._moduleInstance?.exports;
  if (!isXzWasmExports(exports)) {
    throw new FormatError(
      "UNSUPPORTED",
      "xz: the installed xz-decompress does not expose the WebAssembly module packyard drives (0.2.x expected)",
      { expected: "xz-decompress 0.2.x", found: "another layout" },
    );
  }
  return exports;
}

/** Frees contexts whose generator was dropped without being finished, returned or thrown into. */
const abandoned = new FinalizationRegistry<{ exports: XzWasmExports; ptr: number }>(({ exports, ptr }) =>
  exports.destroy_context(ptr),
);

/** One xz-embedded decoder state in the module's memory. */
class XzContext {
  readonly #x: XzWasmExports;
  #ptr: number;
  readonly bufSize: number;

  constructor(x: XzWasmExports) {
    this.#x = x;
    this.#ptr = x.create_context();
    this.bufSize = this.#word(CTX.bufsize);
    abandoned.register(this, { exports: x, ptr: this.#ptr }, this);
  }

  /** A word of the context struct; views are made per call because memory.grow detaches old ones. */
  #word(i: number): number {
    return new Uint32Array(this.#x.memory.buffer, this.#ptr, 8)[i] as number;
  }

  /** True when the decoder has taken all input supplied so far. */
  needsInput(): boolean {
    return this.#word(CTX.inPos) === this.#word(CTX.inSize);
  }

  /** Copies up to `bufSize` bytes into the input buffer; returns how many. Zero marks the end of input. */
  supply(bytes: Uint8Array): number {
    const n = Math.min(bytes.length, this.bufSize);
    new Uint8Array(this.#x.memory.buffer, this.#word(CTX.in), n).set(bytes.subarray(0, n));
    this.#x.supply_input(this.#ptr, n);
    return n;
  }

  /** Decodes until input runs out or the output buffer fills; returns a copy of the output and the status. */
  run(): { out: Uint8Array; status: number } {
    const status = this.#x.get_next_output(this.#ptr);
    const outPtr = this.#word(CTX.out);
    const out = new Uint8Array(this.#x.memory.buffer, outPtr, this.#word(CTX.outPos)).slice();
    new Uint32Array(this.#x.memory.buffer, this.#ptr, 8)[CTX.outPos] = 0;
    return { out, status };
  }

  dispose(): void {
    if (this.#ptr === 0) return;
    abandoned.unregister(this);
    this.#x.destroy_context(this.#ptr);
    this.#ptr = 0;
  }
}

/** Thrown for xz-embedded's error returns; the message carries the code, as `XzReadableStream`'s did. */
class XzEmbeddedError extends Error {
  readonly status: number;
  constructor(status: number) {
    super(
      `xz-embedded: get_next_output failed with error code ${status} (${XZ_RET_NAMES[status] ?? "unknown"})`,
    );
    this.status = status;
  }
}

/**
 * Decodes one or more concatenated xz streams (checks none, CRC32, CRC64), pulling input only as output
 * is taken. Errors are {@link XzEmbeddedError} (code 8, XZ_BUF_ERROR, when the input ends inside a
 * stream); the caller maps them. Output comes in pieces of at most 64 KiB.
 */
export async function* xzEmbeddedDecode(input: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  const x = await (wasm ??= loadWasm().catch((e: unknown) => {
    wasm = undefined;
    throw e;
  }));
  const ctx = new XzContext(x);
  try {
    const drain = function* (): Generator<Uint8Array, boolean> {
      for (;;) {
        const { out, status } = ctx.run();
        if (out.length > 0) yield out;
        if (status === XZ_STREAM_END) return true;
        if (status !== XZ_OK) throw new XzEmbeddedError(status);
        // XZ_OK with input left means the output buffer filled: run again.
        if (ctx.needsInput()) return false;
      }
    };
    for await (const chunk of input) {
      let rest = chunk;
      while (rest.length > 0) {
        rest = rest.subarray(ctx.supply(rest));
        // xz_dec_catrun ends a stream only when told the input is over, so no STREAM_END here.
        yield* drain();
      }
    }
    // End of input: empty supplies until the decoder reports the end (or fails: XZ_BUF_ERROR when cut).
    for (;;) {
      ctx.supply(new Uint8Array(0));
      if (yield* drain()) return;
    }
  } finally {
    ctx.dispose();
  }
}

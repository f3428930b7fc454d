/**
 * UTF-8 text built part by part into one growing buffer. An index of thousands of packages built as
 * one string is a rope of thousands of parts that lives until it is encoded whole: every part survives
 * the young generation and is collected later by full collections (adding one rpm to 5,000: filelists,
 * primary and other were a third of the time, most of it garbage collection), and the encode flattens
 * the rope first. Appending each package's text as it is made lets that text die young.
 */
const encoder = new TextEncoder();

export class Utf8Builder {
  #buffer: Uint8Array;
  #length = 0;

  constructor(capacity = 64 * 1024) {
    this.#buffer = new Uint8Array(capacity);
  }

  /**
   * Appends `text` as TextEncoder encodes it (a lone surrogate as U+FFFD). Each append is encoded on its
   * own: a surrogate pair split between two appends is two U+FFFD, not one character.
   */
  append(text: string): this {
    // At most 3 bytes per UTF-16 code unit (a surrogate pair: 4 bytes for 2 units).
    this.#reserve(this.#length + text.length * 3);
    this.#length += encoder.encodeInto(text, this.#buffer.subarray(this.#length)).written;
    return this;
  }

  /** Appends `bytes` as they are. */
  appendBytes(bytes: Uint8Array): this {
    this.#reserve(this.#length + bytes.length);
    this.#buffer.set(bytes, this.#length);
    this.#length += bytes.length;
    return this;
  }

  #reserve(most: number): void {
    if (most <= this.#buffer.length) return;
    let size = this.#buffer.length * 2;
    while (size < most) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.#buffer.subarray(0, this.#length));
    this.#buffer = grown;
  }

  /** Bytes appended so far. */
  get length(): number {
    return this.#length;
  }

  /** The bytes appended so far (a view of the buffer: appending more may move or overwrite it). */
  bytes(): Uint8Array {
    return this.#buffer.subarray(0, this.#length);
  }
}

/** `open`, the text `part` gives each item, then `close`, as UTF-8, each item's text dropped once appended. */
export function utf8Document<T>(
  open: string,
  items: Iterable<T>,
  part: (item: T) => string,
  close: string,
): Uint8Array {
  const out = new Utf8Builder().append(open);
  for (const item of items) out.append(part(item));
  return out.append(close).bytes();
}

/** A document of one part per item between an opening (which may name the count) and a closing. */
export interface ItemDocument<T> {
  open(count: number): string;
  part(item: T): string;
  close: string;
  /** The whole document as one string. */
  text(items: readonly T[]): string;
  /** The whole document as UTF-8 built item by item: the same text. */
  bytes(items: readonly T[]): Uint8Array;
}

/** An {@link ItemDocument} of `open`, `part` and `close`. */
export function itemDocument<T>(
  open: (count: number) => string,
  part: (item: T) => string,
  close: string,
): ItemDocument<T> {
  return {
    open,
    part,
    close,
    text(items) {
      let out = open(items.length);
      for (const item of items) out += part(item);
      return out + close;
    },
    bytes: (items) => utf8Document(open(items.length), items, part, close),
  };
}

/** The order of `LC_ALL=C sort` and of a C locale's globbing: UTF-8 bytes, i.e. code points. */

/**
 * Compares two strings by their UTF-8 bytes, which is code point order (JavaScript's `<` compares UTF-16
 * units and puts U+10000.. before U+E000..U+FFFF).
 * @example ["b", "\u{1F600}", "\uFFFD"].sort(compareByteOrder) // ["b", "\uFFFD", "\u{1F600}"]
 */
export function compareByteOrder(a: string, b: string): number {
  if (a === b) return 0;
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const x = ia.next();
    const y = ib.next();
    if (x.done || y.done) return x.done ? (y.done ? 0 : -1) : 1;
    const d = x.value.codePointAt(0)! - y.value.codePointAt(0)!;
    if (d !== 0) return d;
  }
}

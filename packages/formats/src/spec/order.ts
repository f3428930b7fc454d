/**
 * Bytewise (UTF-8) order of strings, computed on the strings without encoding them: the order of paths
 * in tar, rpm, dpkg and Bom listings.
 */

/**
 * Bytewise (UTF-8) comparison, the order tar, rpm and dpkg listings use: the result is what comparing
 * `new TextEncoder().encode(a)` with that of `b` byte by byte gives (the first differing byte's
 * difference, else the difference in length), computed on the strings without encoding them. UTF-16
 * code unit order is UTF-8 byte order except around surrogates: a pair (U+10000 and up, 4 bytes from
 * F0) sorts after U+E000..U+FFFF (EE..EF), and a lone surrogate is encoded as U+FFFD (EF BF BD). So
 * the strings are compared by code unit up to the first difference, and from there by code point.
 * @example compareBytes("a", "b") < 0 && compareBytes("\uffff", "\u{10000}") < 0 // true
 */
export function compareBytes(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  // Without a surrogate either side of the difference, the differing code units are whole characters.
  const ca = i < a.length ? a.charCodeAt(i) : -1;
  const cb = i < b.length ? b.charCodeAt(i) : -1;
  const before = i > 0 ? a.charCodeAt(i - 1) : 0;
  if ((ca & 0xf800) !== 0xd800 && (cb & 0xf800) !== 0xd800 && (before & 0xfc00) !== 0xd800) {
    if (ca >= 0 && cb >= 0) return firstByteDifference(ca, cb);
    // one string ends: the rest of the other decides the length difference
    return ca < 0 ? -utf8Bytes(b, i) : utf8Bytes(a, i);
  }
  // A high surrogate just before i may pair with what follows in one string and not the other: start at it.
  if ((before & 0xfc00) === 0xd800) i--;
  let ia = i;
  let ib = i;
  while (ia < a.length && ib < b.length) {
    const pa = codePointAt(a, ia);
    const pb = codePointAt(b, ib);
    if (pa !== pb) return firstByteDifference(pa, pb);
    ia += pa > 0xffff ? 2 : 1;
    ib += pb > 0xffff ? 2 : 1;
  }
  return utf8Bytes(a, ia) - utf8Bytes(b, ib);
}

/** The code point at `i` as TextEncoder reads it: a surrogate pair joined, a lone surrogate as U+FFFD. */
function codePointAt(s: string, i: number): number {
  const c = s.charCodeAt(i);
  if ((c & 0xf800) !== 0xd800) return c;
  if (c <= 0xdbff && i + 1 < s.length) {
    const d = s.charCodeAt(i + 1);
    if ((d & 0xfc00) === 0xdc00) return 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
  }
  return 0xfffd;
}

/** UTF-8 byte `k` of code point `cp` (k below its length). */
function utf8Byte(cp: number, k: number): number {
  if (cp < 0x80) return cp;
  if (cp < 0x800) return k === 0 ? 0xc0 | (cp >> 6) : 0x80 | (cp & 0x3f);
  if (cp < 0x10000) return k === 0 ? 0xe0 | (cp >> 12) : 0x80 | ((cp >> (6 * (2 - k))) & 0x3f);
  return k === 0 ? 0xf0 | (cp >> 18) : 0x80 | ((cp >> (6 * (3 - k))) & 0x3f);
}

/** The difference of the first differing byte of two different code points' UTF-8 encodings. */
function firstByteDifference(pa: number, pb: number): number {
  // Two encodings are never a prefix of one another, so a byte differs within the shorter.
  for (let k = 0; ; k++) {
    const d = utf8Byte(pa, k) - utf8Byte(pb, k);
    if (d !== 0) return d;
  }
}

/** UTF-8 bytes of `s` from code unit `from` (which starts a code point). */
function utf8Bytes(s: string, from: number): number {
  let n = 0;
  for (let i = from; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c <= 0xdbff && c >= 0xd800 && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/** A code unit at which UTF-16 order and UTF-8 byte order may part: a surrogate or U+E000 and up. */
const HIGH_UNIT = /[\ud800-\uffff]/;

/**
 * Sorts `list` in place by `key` in bytewise (UTF-8) order, the order {@link compareBytes} gives, and
 * returns it. When no key holds a code unit at U+D800 or above, the engine's own string comparison gives
 * the same order, in native code and without allocating; otherwise each pair goes through compareBytes.
 * The sort is stable.
 */
export function sortBytewise<T>(list: T[], key: (item: T) => string): T[] {
  if (list.some((e) => HIGH_UNIT.test(key(e)))) return list.sort((a, b) => compareBytes(key(a), key(b)));
  return list.sort((a, b) => {
    const x = key(a);
    const y = key(b);
    return x < y ? -1 : x > y ? 1 : 0;
  });
}

/** {@link sortBytewise} by each entry's `path`. */
export function sortByPath<T extends { path: string }>(list: T[]): T[] {
  return sortBytewise(list, (e) => e.path);
}

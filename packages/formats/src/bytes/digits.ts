/**
 * Numbers written as ASCII digits straight into a header (tar and cpio octal, cpio hex), with no
 * intermediate string: the archive writers call these once per field of every entry.
 */

/** Lower-case hex digits, as rpm (lib/cpio.cc "%8.8lx") and GNU cpio write them. */
const HEX_DIGITS = new Uint8Array([
  0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66,
]);

/**
 * `digits` octal digits of `value`, zero-padded on the left, at `out[at]`. `value` is a non-negative
 * safe integer below 8 ** digits (the caller checks): higher digits would be dropped.
 * @example writeOctalDigits(b, 0, 7, 0o644) // b[0..7] = "0000644"
 */
export function writeOctalDigits(out: Uint8Array, at: number, digits: number, value: number): void {
  let v = value;
  let i = at + digits - 1;
  // Bit operations while the value is a 32-bit integer (nearly always); division above it.
  for (; v > 0x7fffffff && i >= at; i--) {
    const d = v % 8;
    out[i] = 0x30 | d;
    v = (v - d) / 8;
  }
  for (; i >= at; i--) {
    out[i] = 0x30 | (v & 7);
    v >>>= 3;
  }
}

/**
 * `digits` lower-case hex digits of `value`, zero-padded on the left, at `out[at]`. `value` is a
 * non-negative integer below 16 ** digits and below 2 ** 32 (the caller checks).
 * @example writeHexDigits(b, 0, 8, 0x1ed) // b[0..8] = "000001ed"
 */
export function writeHexDigits(out: Uint8Array, at: number, digits: number, value: number): void {
  let v = value >>> 0;
  for (let i = at + digits - 1; i >= at; i--) {
    out[i] = HEX_DIGITS[v & 15]!;
    v >>>= 4;
  }
}

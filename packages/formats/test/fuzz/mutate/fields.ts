/**
 * Values for the fixed-width text number fields of tar (octal), ar (decimal) and cpio (hex and octal):
 * zero, neighbours of the old value, the field's largest value, values past it, signs, spaces, garbage.
 */
import type { Rng } from "../rng.ts";

/** A text number for a field of `width` characters in `radix`, usually but not always fitting it. */
export function numberText(rng: Rng, old: number, width: number, radix: 8 | 10 | 16): string {
  const max = radix ** width - 1;
  const digits = (n: number) => Math.max(0, Math.floor(n)).toString(radix);
  const choice = rng.int(14);
  switch (choice) {
    case 0:
      return "0";
    case 1:
      return digits(old + 1);
    case 2:
      return digits(Math.max(0, old - 1));
    case 3:
      return digits(old * 2 + rng.int(4096));
    case 4:
      return digits(max);
    case 5:
      return digits(rng.int(Math.min(max, 2 ** 40)));
    case 6:
      return digits(old + rng.pick([511, 512, 513, 1024, 4096, 65536]));
    case 7:
      return `-${digits(rng.range(1, 1000))}`;
    case 8:
      return " ".repeat(width);
    case 9:
      return rng.pick(["9", "8", "x", "0x10", "1e9", "+1", "٣", "\u00ff", "0 1", "\t7"]);
    case 10:
      return digits(max + 1 + rng.int(1000)); // one digit too many: overflows the field
    case 11:
      return digits(2 ** 33 + rng.int(1 << 20)); // past 8 GiB
    case 12:
      return digits(Number.MAX_SAFE_INTEGER);
    default:
      return digits(old ^ (1 << rng.int(Math.min(31, width * Math.log2(radix)))));
  }
}

/** `text` fitted to `width` bytes: cut, or padded on the left with zeros or on the right with spaces/NULs. */
export function fit(rng: Rng, text: string, width: number): Uint8Array {
  const out = new Uint8Array(width);
  let t = text;
  if (t.length > width) t = rng.chance(0.5) ? t.slice(0, width) : t.slice(t.length - width);
  const style = rng.int(3);
  if (style === 0 && /^[0-9a-f]+$/i.test(t)) t = t.padStart(width, "0");
  for (let i = 0; i < width; i++) {
    const c = t.charCodeAt(i);
    out[i] = i < t.length ? c & 0xff : style === 1 ? 0x20 : 0;
  }
  return out;
}

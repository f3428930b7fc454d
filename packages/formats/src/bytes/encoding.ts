/** Hex and base64 for bytes (RFC 4648 §8 and §4): digests in headers and TOCs, certificates, checksums. */

/**
 * Lowercase hex, two digits a byte, `separator` between bytes (none by default; " " for messages).
 * @example encodeHex(new Uint8Array([0x8e, 0xad])) // "8ead"
 * @example encodeHex(new Uint8Array([0x1f, 0x8b]), " ") // "1f 8b"
 */
export function encodeHex(bytes: Uint8Array, separator = ""): string {
  let s = "";
  for (const b of bytes) s += (s === "" ? "" : separator) + b.toString(16).padStart(2, "0");
  return s;
}

/** Bytes of a hex string of even length (either case); a pair that is not hex gives 0. */
export function decodeHex(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** Standard base64 with padding. */
export function encodeBase64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

/** Bytes of standard base64 text; throws (as `atob` does) when the text is not base64. */
export function decodeBase64(text: string): Uint8Array {
  const s = atob(text);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

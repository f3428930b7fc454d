/**
 * The 96-byte lead that opens every rpm (docs/manual/format_lead.md, lib/rpmlead.cc). Only the magic,
 * major version and signature type are checked by readers; the rest is informational.
 */
import { FormatError } from "../errors.ts";

export const LEAD_BYTES = 96;
export const LEAD_MAGIC: readonly number[] = [0xed, 0xab, 0xee, 0xdb];
/** Field offsets within the lead. */
export const LEAD_FIELD = {
  magic: 0,
  major: 4,
  minor: 5,
  type: 6,
  archnum: 8,
  name: 10,
  osnum: 76,
  signatureType: 78,
} as const;
/** Lead `name` holds at most 65 characters plus a NUL. */
const NAME_BYTES = 66;
/** Signature type 5: a header-structured signature follows (the only one rpm ≥ 4 writes or reads). */
export const SIGNATURE_TYPE_HEADER = 5;

/** Encodes a binary-package lead: major 3 (format v4), `N-V-R` name, archnum 1 / osnum 1 as rpm 4.18 writes for Linux. */
export function encodeLead(nvr: string, major = 3): Uint8Array {
  const out = new Uint8Array(LEAD_BYTES);
  const v = new DataView(out.buffer);
  out.set(LEAD_MAGIC, 0);
  out[LEAD_FIELD.major] = major;
  out[LEAD_FIELD.minor] = 0;
  v.setUint16(LEAD_FIELD.type, 0);
  v.setUint16(LEAD_FIELD.archnum, major === 3 ? 1 : 0);
  const name = new TextEncoder().encode(nvr).subarray(0, NAME_BYTES - 1);
  out.set(name, LEAD_FIELD.name);
  v.setUint16(LEAD_FIELD.osnum, major === 3 ? 1 : 0);
  v.setUint16(LEAD_FIELD.signatureType, SIGNATURE_TYPE_HEADER);
  return out;
}

/** What a reader learns from the lead. */
export interface Lead {
  major: number;
  minor: number;
  /** 0 binary, 1 source. */
  type: number;
  name: string;
}

/** Decodes and checks a lead: magic, major 3 or 4, signature type 5 (what rpm ≤ 4.19 insists on). */
export function decodeLead(bytes: Uint8Array): Lead {
  if (bytes.length < LEAD_BYTES) {
    throw new FormatError(
      "TRUNCATED",
      `rpm lead: expected ${LEAD_BYTES} bytes at offset 0, found ${bytes.length}`,
      { offset: 0 },
    );
  }
  for (let i = 0; i < 4; i++) {
    if (bytes[i] !== LEAD_MAGIC[i]) {
      throw new FormatError("BAD_MAGIC", "rpm lead: expected magic edabeedb at offset 0", { offset: 0 });
    }
  }
  const v = new DataView(bytes.buffer, bytes.byteOffset, LEAD_BYTES);
  const major = bytes[LEAD_FIELD.major]!;
  if (major !== 3 && major !== 4) {
    throw new FormatError("UNSUPPORTED_VERSION", `rpm lead: expected major version 3 or 4, found ${major}`, {
      offset: LEAD_FIELD.major,
      found: major,
    });
  }
  const sigType = v.getUint16(LEAD_FIELD.signatureType);
  if (sigType !== SIGNATURE_TYPE_HEADER) {
    throw new FormatError("UNSUPPORTED", `rpm lead: expected signature type 5, found ${sigType}`, {
      offset: LEAD_FIELD.signatureType,
      found: sigType,
    });
  }
  const nameBytes = bytes.subarray(LEAD_FIELD.name, LEAD_FIELD.name + NAME_BYTES);
  const nul = nameBytes.indexOf(0);
  const name = new TextDecoder().decode(nul < 0 ? nameBytes : nameBytes.subarray(0, nul));
  return { major, minor: bytes[LEAD_FIELD.minor]!, type: v.getUint16(LEAD_FIELD.type), name };
}

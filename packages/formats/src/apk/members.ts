/**
 * Finds the gzip members of a v2 apk and classifies them (apk-v2(5); apk-tools src/io_gunzip.c reports each
 * member boundary): signature (optional), control, data — never more. A v3 package (ADB) is recognised by its
 * magic and reported on its own.
 */
import { collect } from "../bytes/bytes.ts";
import { encodeHex } from "../bytes/encoding.ts";
import { type GzipMember, gzipMembers } from "../compress/gzip-members.ts";
import { FormatError } from "../errors.ts";
import type { ReadLimits } from "../limits.ts";
import type { ByteSource } from "../spec/types.ts";

/** First bytes of an apk v3 file: "ADB." plain, "ADBd" deflate, "ADBc" compressed (apk-v3(5)). */
export const ADB_MAGIC = [0x41, 0x44, 0x42] as const;

/** The gzip members of a v2 apk with their raw byte ranges. */
export interface ApkMembers {
  /** Present when the package is signed. */
  signature?: GzipMember;
  control: GzipMember;
  data: GzipMember;
}

/** Throws the right error when `head` is not the start of a v2 apk. */
export function checkApkMagic(head: Uint8Array): void {
  if (ADB_MAGIC.every((b, i) => head[i] === b)) {
    throw new FormatError(
      "UNSUPPORTED_VERSION",
      'apk: this is an apk v3 package (ADB format, magic "ADB"); only v2 packages (gzip members) are read',
      {
        offset: 0,
        expected: "v2 (1f 8b)",
        found: "v3 (ADB)",
      },
    );
  }
  if (head[0] !== 0x1f || head[1] !== 0x8b) {
    throw new FormatError(
      "BAD_MAGIC",
      `apk: expected a gzip member (1f 8b) at offset 0, found ${encodeHex(head.subarray(0, 2), " ") || "nothing"}`,
      {
        offset: 0,
        expected: "1f 8b",
      },
    );
  }
}

/**
 * Lists the members: two (control, data) or three (signature, control, data). Which of two or three it
 * is cannot be told from the gzip layer alone; `isSignature` looks inside the first member.
 * @throws FormatError UNEXPECTED_MEMBER for a fourth member, MISSING_MEMBER for fewer than two.
 */
export async function listMembers(source: ByteSource, limits: ReadLimits): Promise<GzipMember[]> {
  const head = await collect(source.open({ start: 0, end: Math.min(4, source.size) }));
  checkApkMagic(head);
  const members: GzipMember[] = [];
  for await (const m of gzipMembers(source, { limits })) {
    if (members.length === 3) {
      throw new FormatError(
        "UNEXPECTED_MEMBER",
        `apk: expected at most three gzip members (signature, control, data), found a fourth at offset ${m.start}`,
        {
          offset: m.start,
          expected: 3,
        },
      );
    }
    members.push(m);
  }
  if (members.length < 2) {
    throw new FormatError(
      "MISSING_MEMBER",
      `apk: expected a control and a data gzip member, found ${members.length} member(s)`,
      {
        offset: source.size,
        expected: "control, data",
        found: members.length,
      },
    );
  }
  return members;
}

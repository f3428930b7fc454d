/** Reads an rpm and decodes its main header, for tests that check tags the reader does not report. */
import assert from "node:assert/strict";
import { bytesSource } from "../../src/bytes/bytes.ts";
import type { PackageInfo } from "../../src/info/types.ts";
import { type DecodedHeader, decodeHeader } from "../../src/rpm/header.ts";
import { readRpm } from "../../src/rpm/index.ts";
import { REGION_IMMUTABLE } from "../../src/rpm/tags.ts";

/** The PackageInfo of `bytes`, its decoded main header and the payload bytes after it. */
export async function readMainHeader(
  bytes: Uint8Array,
): Promise<{ info: PackageInfo; header: DecodedHeader; payload: Uint8Array }> {
  const info = await readRpm(bytesSource(bytes));
  assert.ok(info.raw.format === "rpm", "an rpm");
  if (info.raw.format !== "rpm") throw new Error("not an rpm");
  const { headerStart, headerEnd } = info.raw;
  const header = decodeHeader(bytes.subarray(headerStart, headerEnd), headerStart, REGION_IMMUTABLE);
  return { info, header, payload: bytes.subarray(headerEnd) };
}

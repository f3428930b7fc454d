/**
 * The rpm reader: any v4 package (ours or rpmbuild's, gzip/xz/zstd/bzip2 payloads, DIRNAMES or the old
 * OLDFILENAMES layout) into PackageInfo. One sequential pass over the artifact: lead, signature header,
 * main header, then the payload streamed through its digests, the decompressor and the cpio reader, so
 * memory stays bounded by the headers plus one cpio chunk. Every digest present is verified.
 * Besides the neutral metadata it reports what RPM-MD indexes need verbatim in `raw` (SOURCERPM,
 * BUILDHOST, the uncompressed payload size, every dependency list with its flags) and the changelog.
 */
import { ByteReader } from "../bytes/reader.ts";
import { decompress } from "../compress/decompress.ts";
import { FormatError } from "../errors.ts";
import type { ReadContext } from "../format.ts";
import { createHasher, hashing } from "../hash/index.ts";
import { artifactInfo, usableKnown } from "../info/artifact-info.ts";
import type { PackageInfo } from "../info/types.ts";
import { resolveLimits } from "../limits.ts";
import type { ByteSource } from "../spec/types.ts";
import {
  type DecodedHeader,
  decodeHeader,
  HEADER_INTRO_BYTES,
  headerByteLength,
  headerString,
} from "./header.ts";
import { fileRows, packageInfoOf } from "./info.ts";
import { decodeLead, LEAD_BYTES } from "./lead.ts";
import { PAYLOAD_DECOMPRESSORS } from "./payload.ts";
import { checkSignatureTypes, signaturePadding } from "./signature-header.ts";
import { REGION_IMMUTABLE, REGION_SIGNATURES, TAG } from "./tags.ts";
import { checkHeaderDigests, checkPayloadDigests, checkPayloadFiles, readSignatures } from "./verify.ts";

/** Everything the reader parsed, for `read` and for `sign` (which needs the raw headers). */
export interface ParsedRpm {
  /** The 96 lead bytes as stored. */
  lead: Uint8Array;
  signature: DecodedHeader;
  header: DecodedHeader;
  /** Offsets of the signature header, the main header and the payload. */
  signatureStart: number;
  headerStart: number;
  payloadStart: number;
}

/** Reads the lead and both headers from the start of `reader`; the reader is left at the payload. */
export async function readHeaders(reader: ByteReader, maxHeaderBytes: number): Promise<ParsedRpm> {
  const lead = (await reader.read(LEAD_BYTES)).slice();
  decodeLead(lead);
  const signatureStart = reader.offset;
  const sigIntro = await reader.peek(HEADER_INTRO_BYTES);
  const sigLen = headerByteLength(sigIntro, signatureStart, Math.min(maxHeaderBytes, 64 * 1024 * 1024));
  const signature = decodeHeader((await reader.read(sigLen)).slice(), signatureStart, REGION_SIGNATURES);
  if (signature.tags.length > 33) {
    throw new FormatError(
      "BAD_HEADER",
      `rpm signature header at offset ${signatureStart}: ${signature.tags.length} entries, rpm allows 32`,
      {
        offset: signatureStart,
      },
    );
  }
  checkSignatureTypes(signature.entries, signatureStart);
  const pad = signaturePadding(sigLen);
  const padding = await reader.read(pad);
  if (padding.some((b) => b !== 0)) {
    throw new FormatError(
      "BAD_HEADER",
      `rpm signature padding at offset ${signatureStart + sigLen}: expected ${pad} zero bytes`,
      { offset: signatureStart + sigLen },
    );
  }
  const headerStart = reader.offset;
  const intro = await reader.peek(HEADER_INTRO_BYTES);
  const hLen = headerByteLength(intro, headerStart, maxHeaderBytes);
  const header = decodeHeader((await reader.read(hLen)).slice(), headerStart, REGION_IMMUTABLE);
  return { lead, signature, header, signatureStart, headerStart, payloadStart: reader.offset };
}

/** Reads an rpm into PackageInfo, verifying every digest it carries. */
export async function readRpm(source: ByteSource, ctx: ReadContext = {}): Promise<PackageInfo> {
  const limits = resolveLimits(ctx.limits);
  const known = usableKnown(source, ctx.knownArtifact);
  const artifact = createHasher(known === undefined ? ["md5", "sha1", "sha256", "sha512"] : []);
  let artifactSize = 0;
  const reader = new ByteReader(
    hashing(source.open(), {
      update(b) {
        artifact.update(b);
        artifactSize += b.length;
      },
    }),
  );
  const parsed = await readHeaders(reader, limits.maxHeaderBytes);
  const { signature: sh, header: h } = parsed;
  const H = h.bytes;
  const headerSha256 = checkHeaderDigests(sh, H, parsed.headerStart);
  // A package the writer just wrote (ReadContext.knownPayload): its payload is not decompressed and
  // checked against the header again; the writer made the header's payload fields from it.
  const knownPayload = ctx.knownPayload?.format === "rpm" ? ctx.knownPayload.archiveSize : undefined;
  if (knownPayload !== undefined && known !== undefined) {
    await reader.close();
    return packageInfoOf(
      h,
      parsed,
      fileRows(h, limits.maxEntries),
      await readSignatures(sh, H, ctx),
      artifactInfo(known.size, known.digests),
      headerSha256,
      knownPayload,
    );
  }

  // Payload: compressed bytes → digests → decompress → ALT digest → cpio.
  const payloadHasher = createHasher(["sha256"]);
  const md5 = createHasher(["md5"]);
  md5.update(H);
  let payloadSize = 0;
  const rest = source.size - parsed.payloadStart;
  if (rest < 0)
    throw new FormatError("TRUNCATED", `rpm: file ends inside the main header (size ${source.size})`, {
      offset: source.size,
    });
  const compressed = hashing(reader.stream(rest), {
    update(b) {
      payloadHasher.update(b);
      md5.update(b);
      payloadSize += b.length;
    },
  });
  const compressorName = headerString(h, TAG.PAYLOADCOMPRESSOR) ?? "gzip";
  const algo = PAYLOAD_DECOMPRESSORS[compressorName];
  if (algo === undefined)
    throw new FormatError("UNSUPPORTED", `rpm: payload compressor "${compressorName}" is not supported`, {
      found: compressorName,
    });
  const format = headerString(h, TAG.PAYLOADFORMAT) ?? "cpio";
  if (format !== "cpio")
    throw new FormatError("UNSUPPORTED", `rpm: payload format "${format}" is not supported (expected cpio)`, {
      found: format,
    });
  const altHasher = createHasher(["sha256"]);
  let plainSize = 0;
  const plain = hashing(
    decompress(compressed, algo, { limits, offset: parsed.payloadStart, path: "payload" }),
    {
      update(b) {
        altHasher.update(b);
        plainSize += b.length;
      },
    },
  );
  const plainIt = plain[Symbol.asyncIterator]();
  const rows = fileRows(h, limits.maxEntries);
  await checkPayloadFiles(plainIt, h, rows, limits);
  checkPayloadDigests(sh, h, parsed.payloadStart, {
    payloadSha256: payloadHasher.digest().sha256!,
    plainSha256: altHasher.digest().sha256!,
    md5: md5.digest().md5!,
    payloadSize,
    plainSize,
  });
  return packageInfoOf(
    h,
    parsed,
    rows,
    await readSignatures(sh, H, ctx),
    known !== undefined
      ? artifactInfo(known.size, known.digests)
      : artifactInfo(artifactSize, artifact.digest()),
    headerSha256,
    plainSize,
  );
}

/**
 * Signs an existing rpm (ours or rpmbuild's, signed or not), as `rpmsign --addsign` does: the main
 * header and payload are copied byte for byte; the signature header gets a fresh header-only OpenPGP
 * signature (replacing any old one) and gives up the same number of bytes of RESERVEDSPACE, so the file
 * keeps its size when the reserved space suffices.
 */
import { concatBytes } from "../bytes/bytes.ts";
import { ByteReader } from "../bytes/reader.ts";
import { FormatError, SpecError } from "../errors.ts";
import type { WriteContext } from "../format.ts";
import { hashBytes } from "../hash/index.ts";
import { resolveLimits } from "../limits.ts";
import type { Signer } from "../sign/signer.ts";
import type { ByteSource } from "../spec/types.ts";
import { headerNumbers, headerString } from "./header.ts";
import { readHeaders } from "./read.ts";
import { fitSignatureHeader, SIGNATURE_TAGS, signatureEntries } from "./signature-header.ts";
import { REGION_SIGNATURES, SIG, TAG } from "./tags.ts";

async function collectRange(source: ByteSource, start: number, end: number): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const c of source.open({ start, end })) parts.push(c);
  return concatBytes(parts);
}

/**
 * Streams `artifact` re-signed with `signer` (an OpenPGP signer: RSA → tag 268, EdDSA → tag 267). A
 * legacy header+payload signature (1002/1005) present before is renewed too. The signature is dated
 * `ctx.date`, else the package's build time (so re-signing is reproducible either way), else the current time.
 */
export async function* signRpm(
  artifact: ByteSource,
  signer: Signer,
  ctx: WriteContext = {},
): AsyncGenerator<Uint8Array> {
  if (signer.kind !== "openpgp") {
    throw new SpecError(
      "UNSUPPORTED_KEY_TYPE",
      "rpm: packages are signed with an OpenPGP key, found an RSA (apk) signer",
      { field: "signature" },
    );
  }
  const reader = new ByteReader(artifact.open({ start: 0, end: artifact.size }));
  const parsed = await readHeaders(reader, resolveLimits().maxHeaderBytes);
  const H = parsed.header.bytes;
  const want = headerString(parsed.signature, SIG.SHA256);
  if (want !== undefined && want !== hashBytes(H, "sha256")) {
    throw new FormatError(
      "DIGEST_MISMATCH",
      `rpm: header SHA256 digest does not match (expected ${want}); refusing to sign a damaged package`,
      {
        offset: parsed.headerStart,
        expected: want,
      },
    );
  }
  const hadLegacy = parsed.signature.entries.has(SIG.PGP) || parsed.signature.entries.has(SIG.GPG);
  const kept = parsed.signature.tags
    .filter((t) => t !== REGION_SIGNATURES && t !== SIG.RESERVEDSPACE && !SIGNATURE_TAGS.includes(t))
    .map((t) => parsed.signature.entries.get(t)!);
  const legacy = hadLegacy
    ? async () => concatBytes([H, await collectRange(artifact, parsed.payloadStart, artifact.size)])
    : undefined;
  const date = ctx.date ?? headerNumbers(parsed.header, TAG.BUILDTIME)?.[0];
  const sigs = await signatureEntries(signer, H, legacy, date);
  const oldBytes = parsed.headerStart - parsed.signatureStart;
  const sigHeader = fitSignatureHeader(
    [...kept, ...sigs],
    parsed.signature.entries.has(SIG.RESERVEDSPACE) ? oldBytes : 0,
  );
  yield parsed.lead;
  yield sigHeader;
  yield H;
  if (artifact.size > parsed.payloadStart)
    yield* artifact.open({ start: parsed.payloadStart, end: artifact.size });
}

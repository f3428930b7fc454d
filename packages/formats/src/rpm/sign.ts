/**
 * Signs an existing rpm (ours or rpmbuild's, signed or not), as `rpmsign --addsign` does: the main
 * header and payload are copied byte for byte; the signature header gets a fresh header-only OpenPGP
 * signature (replacing any old one) and gives up the same number of bytes of RESERVEDSPACE, so the file
 * keeps its size when the reserved space suffices.
 */
import { ByteReader } from "../bytes/reader.ts";
import { FormatError, SpecError } from "../errors.ts";
import type { WriteContext } from "../format.ts";
import { hashBytes } from "../hash/index.ts";
import { resolveLimits } from "../limits.ts";
import type { Signer } from "../sign/signer.ts";
import type { ByteSource } from "../spec/types.ts";
import { headerNumbers, headerString } from "./header.ts";
import { readHeaders } from "./reader.ts";
import {
  fitSignatureHeader,
  headerAndPayload,
  SIGNATURE_TAGS,
  signatureEntries,
} from "./signature-header.ts";
import { REGION_SIGNATURES, SIG, TAG } from "./tags.ts";

/**
 * Streams `artifact` re-signed with `signer` (an OpenPGP signer: RSA → tag 268, EdDSA → tag 267). A
 * legacy header+payload signature (1002/1005) present before is renewed too, over the payload streamed
 * from `artifact`. The signature is dated `ctx.date`, else the package's build time, so re-signing is
 * reproducible either way; with neither, no date is made up (the clock would break reproducibility).
 * @throws SpecError UNSUPPORTED_KEY_TYPE for a non-OpenPGP signer, SpecError MISSING_FIELD (field `date`)
 * when there is neither `ctx.date` nor a BUILDTIME; FormatError for a damaged package.
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
    ? async () => headerAndPayload(H, artifact.open({ start: parsed.payloadStart, end: artifact.size }))
    : undefined;
  const date = ctx.date ?? headerNumbers(parsed.header, TAG.BUILDTIME)?.[0];
  if (date === undefined) {
    throw new SpecError(
      "MISSING_FIELD",
      "rpm: a signature needs a date: expected the build date (WriteContext.date, e.g. SOURCE_DATE_EPOCH) or a BUILDTIME tag in the package header, found neither",
      { field: "date" },
    );
  }
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

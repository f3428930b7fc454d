/**
 * The rpm v4 writer (rpm docs/manual/format_v4.md; in the order rpmbuild's build/pack.cc computes it):
 * payload first (cpio → compressed → spool, hashing on the way), then the main header that records the
 * payload's digests, then the signature header over both. Memory: the payload is spooled (`ctx.spool`,
 * default memory below 4 MiB and a temp file above); headers are small and built in memory.
 */
import { SpecError } from "../errors.ts";
import type { WriteContext } from "../format.ts";
import type { OpenPGPSigner } from "../sign/signer.ts";
import type { PackageSpec } from "../spec/types.ts";
import { validateSpec } from "../spec/validate.ts";
import { buildFileList, LARGE_FILE_BYTES } from "./files.ts";
import { encodeHeader } from "./header.ts";
import { encodeLead } from "./lead.ts";
import { mainHeaderEntries } from "./main-header.ts";
import { rpmNaming, validateRpm } from "./name.ts";
import type { RpmOptions } from "./options.ts";
import { DEFAULT_COMPRESSION, payloadCompression, writePayload } from "./payload.ts";
import { UNMAPPED_SCRIPT_KINDS } from "./scripts.ts";
import {
  digestEntries,
  encodeSignatureHeader,
  fitSignatureHeader,
  headerAndPayload,
  signatureEntries,
} from "./signature-header.ts";
import { REGION_IMMUTABLE, RESERVED_SPACE_BYTES, RPM_TYPE, SIG } from "./tags.ts";

/**
 * Writes an rpm v4 package. With an OpenPGP signer in `ctx`, the header-only signature (268 RSA / 267
 * EdDSA) is added inside the reserved space, as rpmsign would, dated `ctx.date` else `spec.date`.
 */
export async function* writeRpm(
  input: PackageSpec,
  options: RpmOptions = {},
  ctx: WriteContext = {},
): AsyncGenerator<Uint8Array> {
  const spec = validateSpec(input);
  validateRpm(spec, options);
  for (const kind of UNMAPPED_SCRIPT_KINDS) {
    if (spec.scripts[kind] !== undefined)
      ctx.warn?.({
        code: "RPM_SCRIPT_IGNORED",
        message: `scripts.${kind}: rpm has no ${kind} scriptlet; it is not written`,
      });
  }
  // rpmvercmp ranks a numeric segment above an alphabetic one, semver the other way round: `1.0.0-1`
  // sorts after `1.0.0-alpha` in rpm. Written as nfpm does, but said out loud when the prerelease starts
  // with a number (later identifiers, as in the common `rc.1`, only matter against `rc.beta`-style tags).
  if (/^\d/.test(spec.version.prerelease ?? ""))
    ctx.warn?.({
      code: "RPM_PRERELEASE_ORDER",
      message: `version: prerelease "${spec.version.prerelease}" has a numeric identifier; rpm sorts it after alphabetic prereleases (1.0.0-1 > 1.0.0-alpha in rpm, < in semver)`,
    });
  if (ctx.signer !== undefined && ctx.signer.kind !== "openpgp") {
    throw new SpecError(
      "UNSUPPORTED_KEY_TYPE",
      "rpm: packages are signed with an OpenPGP key, found an RSA (apk) signer",
      { field: "rpm.signature" },
    );
  }
  const compression = payloadCompression(options.compression ?? DEFAULT_COMPRESSION);
  const files = buildFileList(spec);
  const large = files.some((f) => f.size >= LARGE_FILE_BYTES);
  const payload = await writePayload(files, large, compression, ctx);
  try {
    const { nvr } = rpmNaming(spec, options);
    const header = encodeHeader(
      mainHeaderEntries(spec, options, files, payload, compression, large),
      REGION_IMMUTABLE,
    );
    const digests = await digestEntries(header, payload.spooled, payload.uncompressedSize);
    const reserve = options.reserveSignatureSpace !== false;
    const unsigned = encodeSignatureHeader(
      reserve
        ? [
            ...digests,
            { tag: SIG.RESERVEDSPACE, type: RPM_TYPE.BIN, value: new Uint8Array(RESERVED_SPACE_BYTES) },
          ]
        : digests,
    );
    let sigHeader = unsigned;
    if (ctx.signer !== undefined) {
      const signer = ctx.signer as OpenPGPSigner;
      const legacy = options.legacySignature
        ? async () => headerAndPayload(header, payload.spooled.open())
        : undefined;
      const sigs = await signatureEntries(signer, header, legacy, ctx.date ?? spec.date);
      sigHeader = reserve
        ? fitSignatureHeader([...digests, ...sigs], unsigned.length)
        : encodeSignatureHeader([...digests, ...sigs]);
    }
    yield encodeLead(nvr);
    yield sigHeader;
    yield header;
    yield* payload.spooled.open();
    // The header lists the files; what a read-back would learn from the payload is its size (and that
    // it matches the header, which the writer made from it).
    ctx.onPayload?.({ format: "rpm", files: [], contents: new Map(), archiveSize: payload.uncompressedSize });
  } finally {
    await payload.spooled.dispose();
  }
}

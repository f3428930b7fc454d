/**
 * Signing a suite's Release (repos.md §2.2): `InRelease`, the cleartext-signed Release apt fetches first,
 * and `Release.gpg`, an ASCII-armored detached signature over the exact Release bytes (a binary one is
 * refused by apt ≥ 1.8). With two signers — a key rotation — both files carry both signatures in one
 * armor block: apt (gpgv and sqv) accepts the file when any one of them is by a key it trusts, so users
 * holding either key keep updating.
 */
import type { OpenPGPSigner, Signer } from "@packyard/formats";
import type { OpenPGPHash } from "@packyard/formats/sign";
import { isPackyardError } from "@packyard/formats";
import { RepoError } from "../errors.ts";
import { armorSignature, dearmorSignature } from "./armor.ts";

/** What {@link signRelease} returns: the two files written beside `Release`. */
export interface SignedRelease {
  inRelease: string;
  releaseGpg: string;
}

const SIGNATURE_BEGIN = "-----BEGIN PGP SIGNATURE-----";

function checkSigners(signers: readonly Signer[]): OpenPGPSigner[] {
  if (signers.length === 0)
    throw new RepoError("MISSING_KEY", "APT Release: expected one or two OpenPGP signing keys, found none", {
      expected: "1 or 2 OpenPGP signers",
      found: 0,
    });
  if (signers.length > 2)
    throw new RepoError(
      "INVALID_SETTING",
      `APT Release: expected one signing key, or two while rotating keys, found ${signers.length}`,
      { field: "signers", expected: "1 or 2", found: signers.length },
    );
  const out: OpenPGPSigner[] = [];
  for (const s of signers) {
    if (s.kind !== "openpgp")
      throw new RepoError(
        "BAD_KEY",
        `APT Release: expected an OpenPGP signing key, found a ${s.kind} key (apt verifies OpenPGP signatures only)`,
        { field: "signers", expected: "openpgp", found: s.kind },
      );
    out.push(s);
  }
  if (out.length === 2 && out[0]!.primaryFingerprint === out[1]!.primaryFingerprint)
    throw new RepoError(
      "INVALID_SETTING",
      `APT Release: the two signing keys are the same key (${out[0]!.primaryFingerprint}); give two keys to rotate, or one`,
      { field: "signers", found: out[0]!.primaryFingerprint },
    );
  return out;
}

/** Runs a signing call, turning a signer failure into RepoError BAD_KEY naming the key. */
async function signing<T>(signer: OpenPGPSigner, what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (cause) {
    if (!isPackyardError(cause)) throw cause;
    throw new RepoError(
      "BAD_KEY",
      `APT Release: the key ${signer.primaryFingerprint} could not make the ${what}: ${cause.message}`,
      { found: signer.primaryFingerprint },
      { cause },
    );
  }
}

/** The hash a cleartext message names in its `Hash:` armor header, when it is one a signer can use. */
function headerHash(cleartext: string): OpenPGPHash | undefined {
  const m = /^Hash: (\S+)\n/m.exec(cleartext);
  const h = m?.[1]?.toLowerCase();
  return h === "sha256" || h === "sha512" ? h : undefined;
}

/** Cuts a cleartext-signed message into its signed part (headers and text) and its signature block. */
function splitCleartext(cleartext: string): { head: string; signature: string } {
  const at = cleartext.indexOf(`\n${SIGNATURE_BEGIN}`);
  if (at < 0)
    throw new RepoError(
      "BAD_KEY",
      "APT InRelease: the signer returned a cleartext message without a signature block",
      {
        expected: SIGNATURE_BEGIN,
      },
    );
  return { head: cleartext.slice(0, at + 1), signature: cleartext.slice(at + 1) };
}

/**
 * Signs a Release text with one OpenPGP key, or two while rotating: `InRelease` (cleartext-signed) and
 * `Release.gpg` (armored detached over the UTF-8 bytes of `release`). With two keys both signatures use
 * the first key's hash (one `Hash:` header) and are joined into one armor block in each file.
 * @throws RepoError MISSING_KEY (no signer), BAD_KEY (a signer that is not OpenPGP, or that fails),
 * INVALID_SETTING (more than two signers, or the same key twice).
 */
export async function signRelease(
  release: string,
  signers: readonly OpenPGPSigner[],
  date: Date,
): Promise<SignedRelease> {
  const keys = checkSigners(signers);
  const bytes = new TextEncoder().encode(release);
  const first = keys[0]!;
  const firstClear = await signing(first, "InRelease signature", () => first.cleartext(release, { date }));
  const hash = headerHash(firstClear);
  const options = hash === undefined ? { date } : { date, hash };
  const firstDetached = await signing(first, "Release.gpg signature", () =>
    first.detached(bytes, { ...options, armor: true }),
  );
  const second = keys[1];
  if (second === undefined) return { inRelease: firstClear, releaseGpg: firstDetached };

  const secondClear = await signing(second, "InRelease signature", () => second.cleartext(release, options));
  const secondDetached = await signing(second, "Release.gpg signature", () =>
    second.detached(bytes, { ...options, armor: true }),
  );
  const a = splitCleartext(firstClear);
  const b = splitCleartext(secondClear);
  if (a.head !== b.head)
    throw new RepoError(
      "BAD_KEY",
      `APT InRelease: the keys ${first.primaryFingerprint} and ${second.primaryFingerprint} framed the signed text differently (Hash header or text), so their signatures cannot share one InRelease`,
      { found: [first.primaryFingerprint, second.primaryFingerprint] },
    );
  const joined = (x: string, y: string, where: string) =>
    armorSignature(Buffer.concat([dearmorSignature(x, where), dearmorSignature(y, where)]));
  return {
    inRelease: a.head + joined(a.signature, b.signature, "InRelease"),
    releaseGpg: joined(firstDetached, secondDetached, "Release.gpg"),
  };
}

/**
 * An armored detached signature over `bytes` by one key, or by two while rotating (both signature packets
 * in one armor block, as `Release.gpg`): RPM-MD's `repomd.xml.asc`.
 * @throws RepoError as {@link signRelease}.
 */
export async function signDetachedArmored(
  bytes: Uint8Array,
  signers: readonly OpenPGPSigner[],
  date: Date,
  what: string,
): Promise<string> {
  const keys = checkSigners(signers);
  const first = keys[0]!;
  const one = await signing(first, what, () => first.detached(bytes, { date, armor: true }));
  const second = keys[1];
  if (second === undefined) return one;
  const two = await signing(second, what, () => second.detached(bytes, { date, armor: true }));
  return armorSignature(Buffer.concat([dearmorSignature(one, what), dearmorSignature(two, what)]));
}

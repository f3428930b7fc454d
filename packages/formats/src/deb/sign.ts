/**
 * Signing debs, debsigs-style (what nfpm's default deb signing writes): an ASCII-armored detached OpenPGP
 * signature over the concatenation of the debian-binary, control and data member contents, stored as
 * the ar member `_gpgorigin` (or `_gpgmaint`, `_gpgarchive`) after data.tar. The writer signs as it
 * writes; resignDeb signs an existing .deb (ours or dpkg-deb's), appending `_gpg<type>` and replacing a
 * previous signature of the same type. Other members are copied byte for byte from the source, re-opened
 * by range and streamed, also into the signer: never held whole.
 */
import { encodeUtf8 } from "../bytes/bytes.ts";
import { AR_HEADER_SIZE, type ArWriteMember, readAr, writeAr } from "../container/ar.ts";
import { FormatError, SignError } from "../errors.ts";
import type { WriteContext } from "../format.ts";
import type { SignInput, Signer } from "../sign/signer.ts";
import type { ByteSource } from "../spec/types.ts";
import { signatureMemberName } from "./members.ts";
import type { DebSignatureType } from "./options.ts";

/** The parts one after the other, as one stream; nothing is held beyond the chunk being hashed. */
export async function* chainParts(parts: readonly SignInput[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) {
    if (part instanceof Uint8Array) yield part;
    else yield* part;
  }
}

/**
 * Signs the three member contents, dated `date` (seconds): deterministic for RSA and EdDSA keys. A date
 * before the key's creation is raised to it by the signer, so the output stays fixed for a given key.
 * Parts may be streams (a spooled data.tar's `open()`): they are hashed as they arrive, never held whole.
 */
export async function signDebMembers(
  parts: readonly SignInput[],
  signer: Signer,
  date: number,
): Promise<Uint8Array> {
  if (signer.kind !== "openpgp") {
    throw new SignError(
      "KEY_UNSUPPORTED",
      `deb signatures are OpenPGP (debsigs); found a ${signer.kind} signer`,
      { expected: "openpgp", found: signer.kind },
    );
  }
  return encodeUtf8(await signer.detached(chainParts(parts), { armor: true, date: new Date(date * 1000) }));
}

interface Listed {
  name: string;
  start: number;
  size: number;
  mtime: number;
  uid: number;
  gid: number;
  mode: number;
}

/**
 * Re-signs `artifact`; the signature is dated `ctx.date`, else like the debian-binary member (its ar mtime),
 * so re-signing is reproducible either way.
 */
export async function* resignDeb(
  artifact: ByteSource,
  signer: Signer,
  type: DebSignatureType = "origin",
  ctx: WriteContext = {},
): AsyncGenerator<Uint8Array> {
  const sigName = signatureMemberName(type);
  const listed: Listed[] = [];
  for await (const m of readAr(artifact.open())) {
    listed.push({
      name: m.name,
      start: m.offset + AR_HEADER_SIZE,
      size: m.size,
      mtime: m.mtime,
      uid: m.uid,
      gid: m.gid,
      mode: m.mode,
    });
  }
  const binary = listed[0];
  const controlIdx = listed.findIndex((m) => m.name.startsWith("control.tar"));
  const dataIdx = listed.findIndex((m) => m.name.startsWith("data.tar"));
  if (binary?.name !== "debian-binary" || controlIdx < 0 || dataIdx < controlIdx) {
    throw new FormatError(
      "MISSING_MEMBER",
      "sign: expected a deb with debian-binary, control.tar and data.tar members",
      {
        found: listed.map((m) => m.name),
      },
    );
  }
  const range = (m: Listed) => artifact.open({ start: m.start, end: m.start + m.size });
  const parts = [binary, listed[controlIdx]!, listed[dataIdx]!].map(range);
  const signature = await signDebMembers(parts, signer, ctx.date ?? binary.mtime);
  const kept: ArWriteMember[] = listed
    .filter((m) => m.name !== sigName)
    .map((m) => ({
      name: m.name,
      size: m.size,
      mtime: m.mtime,
      uid: m.uid,
      gid: m.gid,
      mode: m.mode,
      content: range(m),
    }));
  kept.push({ name: sigName, size: signature.length, mtime: binary.mtime, content: signature });
  yield* writeAr(kept);
}

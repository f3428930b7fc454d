/**
 * Signs an existing .deb (ours or dpkg-deb's): the debsigs signature over debian-binary + control + data
 * is appended as `_gpg<type>`, replacing a previous signature of the same type. Other members are copied
 * byte for byte from the source, re-opened by range and streamed, also into the signer: never held whole.
 */
import { type ArWriteMember, readAr, writeAr } from "../container/ar.ts";
import { FormatError } from "../errors.ts";
import type { WriteContext } from "../format.ts";
import type { Signer } from "../sign/signer.ts";
import type { ByteSource } from "../spec/types.ts";
import { signatureMemberName } from "./members.ts";
import type { DebSignatureType } from "./options.ts";
import { signDebMembers } from "./signature.ts";

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
      start: m.offset + 60,
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

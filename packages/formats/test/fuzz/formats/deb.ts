/**
 * deb: ar member headers and order; the control and data tars inside their compression (tar headers,
 * pax records, entries); the control files' text; decompression bombs as members and as the changelog;
 * OpenPGP signature members; and plain byte damage at every layer.
 */
import { BOMB_MIB, bomb, gzipBomb } from "../bombs.ts";
import { decodeLayer, encodeLayer } from "../codec.ts";
import { type ArPart, arHeader, joinAr, mutateArHeaders, splitAr } from "../mutate/ar.ts";
import { havoc, type Mutated } from "../mutate/bytes.ts";
import { mutateTar, replaceTarContent, tarContent, tarHeaderBlock, walkTar } from "../mutate/tar.ts";
import { mutateText } from "../mutate/text.ts";
import type { Rng } from "../rng.ts";
import type { Strategy } from "../strategy.ts";

const MiB = 1024 * 1024;

/** Applies `fn` to the uncompressed tar of a control or data member and puts it back compressed as before. */
async function inMember(
  rng: Rng,
  bytes: Uint8Array,
  want: RegExp,
  fn: (rng: Rng, tar: Uint8Array) => Mutated | Promise<Mutated>,
): Promise<Mutated> {
  const parts = splitAr(bytes);
  const candidates = parts?.map((p, i) => [p, i] as const).filter(([p]) => want.test(p.name)) ?? [];
  if (parts === undefined || candidates.length === 0) return havoc(rng, bytes);
  const [part, i] = rng.pick(candidates);
  const layer = await decodeLayer(part.data);
  if (layer === undefined) {
    const m = havoc(rng, part.data);
    return { bytes: rebuilt(parts, i, m.bytes), what: `${part.name} (opaque): ${m.what}` };
  }
  const m = await fn(rng, layer.plain);
  const data = await encodeLayer(layer.algo, m.bytes);
  return { bytes: rebuilt(parts, i, data), what: `${part.name}: ${m.what}` };
}

function rebuilt(parts: readonly ArPart[], i: number, data: Uint8Array): Uint8Array {
  const copy = [...parts];
  copy[i] = { ...parts[i]!, data };
  return joinAr(copy);
}

/** A text file of the control tar (control, md5sums, conffiles, a maintainer script) rewritten. */
function controlText(rng: Rng, tar: Uint8Array): Mutated {
  const items = walkTar(tar).filter((t) =>
    /(^|\/)(control|md5sums|conffiles|triggers|preinst|postinst|prerm|postrm)$/.test(t.name),
  );
  if (items.length === 0) return mutateTar(rng, tar);
  const item = rng.weighted(items.map((t) => [t.name.endsWith("control") ? 4 : 1, t] as const));
  const m = mutateText(rng, tarContent(tar, item));
  return { bytes: replaceTarContent(tar, item, m.bytes), what: `${item.name}: ${m.what}` };
}

/** The data tar's changelog.Debian.gz replaced by a gzip bomb (the reader bounds what it inflates). */
function changelogBomb(rng: Rng, tar: Uint8Array): Mutated {
  const item = walkTar(tar).find((t) => /changelog(\.Debian)?\.gz$/.test(t.name));
  if (item === undefined) return mutateTar(rng, tar);
  const mib = rng.pick(BOMB_MIB);
  const b = gzipBomb(new TextEncoder().encode("fuzzseed (1.0) unstable; urgency=low\n\n"), mib);
  return { bytes: replaceTarContent(tar, item, b), what: `${item.name} = ${mib} MiB gzip bomb` };
}

/** A control or data member replaced by a bomb in the member's compression (gzip for an uncompressed one). */
async function memberBomb(rng: Rng, bytes: Uint8Array): Promise<Mutated> {
  const parts = splitAr(bytes);
  const candidates =
    parts?.map((p, i) => [p, i] as const).filter(([p]) => /^(control|data)\.tar/.test(p.name)) ?? [];
  if (parts === undefined || candidates.length === 0) return havoc(rng, bytes);
  const [part, i] = rng.pick(candidates);
  const mib = rng.pick(BOMB_MIB);
  const ext = /\.(gz|xz|zst)$/.exec(part.name)?.[1];
  const algo = ext === "xz" ? "xz" : ext === "zst" ? "zstd" : "gzip";
  const name = ext === undefined ? `${part.name}.gz` : part.name;
  const claimed = rng.chance(0.7) ? mib * MiB : rng.pick([0, 1024, mib * MiB * 2]);
  const inner = part.name.startsWith("control") ? "./control" : "./usr/share/zeros";
  const prefix = rng.chance(0.85) ? tarHeaderBlock(inner, "0", claimed, true) : new Uint8Array(0);
  const data = await bomb(algo, prefix, mib);
  const copy = [...parts];
  copy[i] = { name, header: arHeader(name, data.length), data };
  return {
    bytes: joinAr(copy),
    what: `${name}: ${mib} MiB ${algo} bomb, tar header claims ${prefix.length ? claimed : "nothing"}`,
  };
}

/** An OpenPGP signature member damaged, or one of garbage added. */
function signatureMember(rng: Rng, bytes: Uint8Array): Mutated {
  const parts = splitAr(bytes);
  if (parts === undefined) return havoc(rng, bytes);
  const existing = parts.findIndex((p) => p.name.startsWith("_gpg"));
  if (existing >= 0 && rng.chance(0.6)) {
    const m = havoc(rng, parts[existing]!.data, 3);
    return { bytes: rebuilt(parts, existing, m.bytes), what: `${parts[existing]!.name}: ${m.what}` };
  }
  const name = rng.pick(["_gpgorigin", "_gpgbuilder", "_gpgmaint"]);
  const kind = rng.int(4);
  const data =
    kind === 0
      ? rng.bytes(rng.range(1, 400))
      : kind === 1
        ? new TextEncoder().encode("-----BEGIN PGP SIGNATURE-----\n\nAAAA\n-----END PGP SIGNATURE-----\n")
        : kind === 2
          ? new Uint8Array([0x89, 0x01, 0xff, 0x04, 0x00, 0x01, 0x08])
          : new Uint8Array([0xc2, 0xff, 0xff, 0xff, 0xff, 0x7f]);
  const what = ["random", "armored junk", "short v4 packet", "huge length"][kind];
  return {
    bytes: joinAr([...parts, { name, header: arHeader(name, data.length), data }]),
    what: `${name} added: ${data.length} bytes of ${what}`,
  };
}

/** How deb packages are mutated. */
export const debStrategy: Strategy = {
  format: "deb",
  mutators: [
    {
      name: "ar headers",
      weight: 3,
      run: (rng, b) => {
        const parts = splitAr(b);
        return parts && parts.length > 0 ? mutateArHeaders(rng, parts) : havoc(rng, b);
      },
    },
    { name: "control tar", weight: 3, run: (rng, b) => inMember(rng, b, /^control\.tar/, mutateTar) },
    { name: "data tar", weight: 4, run: (rng, b) => inMember(rng, b, /^data\.tar/, mutateTar) },
    { name: "control text", weight: 4, run: (rng, b) => inMember(rng, b, /^control\.tar/, controlText) },
    {
      name: "member plain bytes",
      weight: 2,
      run: (rng, b) => inMember(rng, b, /^(control|data)\.tar/, (r, t) => havoc(r, t)),
    },
    { name: "member bomb", weight: 1, run: memberBomb },
    { name: "changelog bomb", weight: 1, run: (rng, b) => inMember(rng, b, /^data\.tar/, changelogBomb) },
    { name: "signature member", weight: 1, run: signatureMember },
    { name: "file bytes", weight: 3, run: (rng, b) => havoc(rng, b) },
  ],
};

/**
 * rpm: the lead; the signature header's index and data; the main header's raw index entries (tag, type,
 * offset, count) and data, and its decoded entries changed and re-encoded (file lists of unequal lengths,
 * hostile paths, wrong types); the cpio payload inside its compression; payload bombs; OpenPGP signature
 * tags. Every digest is recomputed after a main-header or payload change (mutate/rpm.ts).
 */
import { concatBytes } from "../../../src/bytes/bytes.ts";
import { decodeHeader, encodeHeader, type HeaderEntry } from "../../../src/rpm/header.ts";
import { REGION_IMMUTABLE, REGION_SIGNATURES, RPM_TYPE, SIG, TAG } from "../../../src/rpm/tags.ts";
import { BOMB_MIB, bomb } from "../bombs.ts";
import { decodeLayer, encodeLayer } from "../codec.ts";
import { havoc, type Mutated } from "../mutate/bytes.ts";
import { mutateCpio } from "../mutate/cpio.ts";
import { joinRpm, mutateData, mutateIndex, type RpmParts, splitRpm } from "../mutate/rpm.ts";
import type { Rng } from "../rng.ts";
import type { Strategy } from "../strategy.ts";

const MiB = 1024 * 1024;
const enc = (s: string) => new TextEncoder().encode(s);

/** Applies `fn` to the parts (when the rpm splits) and joins them, digests fixed unless `raw`. */
async function withParts(
  rng: Rng,
  bytes: Uint8Array,
  fn: (
    rng: Rng,
    p: RpmParts,
  ) => Promise<{ parts: RpmParts; plain?: Uint8Array; what: string; raw?: boolean }>,
): Promise<Mutated> {
  const parts = splitRpm(bytes);
  if (parts === undefined) return havoc(rng, bytes);
  const r = await fn(rng, parts);
  const out = r.raw
    ? concatBytes([r.parts.lead, r.parts.signature, r.parts.padding, r.parts.header, r.parts.payload])
    : joinRpm(r.parts, r.plain);
  return { bytes: out, what: r.what };
}

const HOSTILE_STRINGS = ["", "..", "../..", "/", "a/../../b", "\u00ff", "x".repeat(5000), "./", "//"];
const FILE_TAGS = [
  TAG.BASENAMES,
  TAG.DIRNAMES,
  TAG.DIRINDEXES,
  TAG.FILESIZES,
  TAG.FILEMODES,
  TAG.FILEDIGESTS,
  TAG.FILELINKTOS,
  TAG.FILEFLAGS,
  TAG.FILEINODES,
  TAG.FILEDEVICES,
  TAG.OLDFILENAMES,
  TAG.LONGFILESIZES,
  TAG.FILEDIGESTALGO,
  TAG.PAYLOADCOMPRESSOR,
  TAG.PAYLOADFORMAT,
  TAG.REQUIRENAME,
  TAG.REQUIREFLAGS,
  TAG.REQUIREVERSION,
  TAG.CHANGELOGTIME,
  TAG.CHANGELOGNAME,
  TAG.CHANGELOGTEXT,
  TAG.NAME,
  TAG.VERSION,
  TAG.EPOCH,
];

/** A value of `type` with something hostile in it. */
function hostileValue(rng: Rng, type: number, like?: HeaderEntry): HeaderEntry["value"] {
  const n = rng.pick([1, 2, 3, 50]);
  switch (type) {
    case RPM_TYPE.CHAR:
    case RPM_TYPE.INT8:
    case RPM_TYPE.BIN:
      return rng.bytes(rng.range(1, 64));
    case RPM_TYPE.INT16:
      return Array.from({ length: n }, () =>
        rng.pick([0, 0xffff, 0o120777 & 0xffff, 0o40755, 0o100644, 0o20644]),
      );
    case RPM_TYPE.INT32:
      return Array.from({ length: n }, () => rng.pick([0, 1, 0xffffffff, 0x7fffffff, 99, 8, 10, 2 ** 31]));
    case RPM_TYPE.INT64:
      return Array.from({ length: n }, () => rng.pick([0n, 2n ** 63n, 2n ** 64n - 1n, 2n ** 53n + 1n]));
    case RPM_TYPE.STRING:
      return rng.pick(HOSTILE_STRINGS);
    default: {
      const base = like && Array.isArray(like.value) ? (like.value as unknown[]) : [];
      return Array.from({ length: Math.max(1, base.length + rng.pick([-1, 0, 1, 5])) }, () =>
        rng.pick(HOSTILE_STRINGS),
      );
    }
  }
}

/** One change to the decoded main header entries, re-encoded as a valid header with odd content. */
function decodedEntries(rng: Rng, header: Uint8Array): { header: Uint8Array; what: string } | undefined {
  let h: ReturnType<typeof decodeHeader>;
  try {
    h = decodeHeader(header, 0, REGION_IMMUTABLE);
  } catch {
    return undefined;
  }
  const entries = [...h.entries.values()].filter((e) => e.tag !== REGION_IMMUTABLE && e.tag >= 100);
  const byTag = new Map(entries.map((e) => [e.tag, e]));
  const tag = rng.pick(FILE_TAGS);
  const old = byTag.get(tag);
  const kind = rng.int(5);
  let what: string;
  if (kind === 0 && old !== undefined) {
    byTag.delete(tag);
    what = `tag ${tag} removed`;
  } else if (kind === 1 && old !== undefined && Array.isArray(old.value) && old.value.length > 1) {
    const v = old.value.slice(0, old.value.length - 1);
    byTag.set(tag, { ...old, value: v } as HeaderEntry);
    what = `tag ${tag} shortened to ${v.length} elements`;
  } else if (kind === 2 && old !== undefined && Array.isArray(old.value)) {
    const v = [...old.value, ...old.value];
    byTag.set(tag, { ...old, value: v } as HeaderEntry);
    what = `tag ${tag} doubled to ${v.length} elements`;
  } else {
    const type = kind === 3 ? (old?.type ?? RPM_TYPE.STRING_ARRAY) : rng.pick([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    byTag.set(tag, { tag, type, value: hostileValue(rng, type, old) } as HeaderEntry);
    what = `tag ${tag} = hostile ${type === old?.type ? "value" : `type ${type} value`}`;
  }
  try {
    return { header: encodeHeader([...byTag.values()], REGION_IMMUTABLE), what };
  } catch {
    return undefined;
  }
}

/** The signature header re-encoded with an OpenPGP signature tag of garbage (or a damaged one). */
function signatureTags(rng: Rng, p: RpmParts): { parts: RpmParts; what: string } | undefined {
  let h: ReturnType<typeof decodeHeader>;
  try {
    h = decodeHeader(p.signature, 96, REGION_SIGNATURES);
  } catch {
    return undefined;
  }
  const entries = new Map(
    [...h.entries.values()].filter((e) => e.tag !== REGION_SIGNATURES).map((e) => [e.tag, e]),
  );
  const tag = rng.pick([SIG.RSA, SIG.DSA, SIG.PGP, SIG.GPG]);
  const old = entries.get(tag);
  const value =
    old?.type === RPM_TYPE.BIN && rng.chance(0.6)
      ? havoc(rng, old.value, 3).bytes
      : rng.pick([
          rng.bytes(rng.range(1, 300)),
          new Uint8Array([0x89, 0x01, 0xff]),
          new Uint8Array([0xc2, 0xff, 0xff, 0xff, 0xff]),
        ]);
  if (value.length === 0) return undefined;
  entries.set(tag, { tag, type: RPM_TYPE.BIN, value });
  entries.delete(SIG.RESERVEDSPACE);
  try {
    const signature = encodeHeader([...entries.values()], REGION_SIGNATURES);
    return {
      parts: { ...p, signature, padding: new Uint8Array((8 - (signature.length % 8)) % 8) },
      what: `signature tag ${tag} = ${value.length} bytes of garbage`,
    };
  } catch {
    return undefined;
  }
}

/** A newc header (no trailer, no data) of a regular file claiming `size` bytes. */
function newcHeader(name: string, size: number): Uint8Array {
  const hex = (n: number) => (n >>> 0).toString(16).padStart(8, "0");
  const head = `070701${hex(1)}${hex(0o100644)}${hex(0)}${hex(0)}${hex(1)}${hex(0)}${hex(size)}${hex(0)}${hex(0)}${hex(0)}${hex(0)}${hex(name.length + 1)}${hex(0)}${name}\0`;
  const pad = (4 - (head.length % 4)) % 4;
  return enc(head + "\0".repeat(pad));
}

/** How rpm packages are mutated. */
export const rpmStrategy: Strategy = {
  format: "rpm",
  mutators: [
    {
      name: "lead",
      weight: 1,
      run: (rng, b) =>
        withParts(rng, b, async (r, p) => {
          const m = havoc(r, p.lead, 2);
          return { parts: { ...p, lead: m.bytes.subarray(0, 96) }, what: `lead: ${m.what}`, raw: true };
        }),
    },
    {
      name: "signature index",
      weight: 2,
      run: (rng, b) =>
        withParts(rng, b, async (r, p) => {
          const m = r.chance(0.6) ? mutateIndex(r, p.signature) : mutateData(r, p.signature);
          return { parts: { ...p, signature: m.bytes }, what: `signature header: ${m.what}`, raw: true };
        }),
    },
    {
      name: "main index",
      weight: 5,
      run: (rng, b) =>
        withParts(rng, b, async (r, p) => {
          const m = mutateIndex(r, p.header);
          return { parts: { ...p, header: m.bytes }, what: `main header: ${m.what}` };
        }),
    },
    {
      name: "main data",
      weight: 4,
      run: (rng, b) =>
        withParts(rng, b, async (r, p) => {
          const m = mutateData(r, p.header);
          return { parts: { ...p, header: m.bytes }, what: `main header: ${m.what}` };
        }),
    },
    {
      name: "main entries",
      weight: 5,
      run: (rng, b) =>
        withParts(rng, b, async (r, p) => {
          const d = decodedEntries(r, p.header);
          if (d === undefined) {
            const m = mutateData(r, p.header);
            return { parts: { ...p, header: m.bytes }, what: `main header: ${m.what}` };
          }
          return { parts: { ...p, header: d.header }, what: `main header re-encoded: ${d.what}` };
        }),
    },
    {
      name: "payload cpio",
      weight: 5,
      run: (rng, b) =>
        withParts(rng, b, async (r, p) => {
          const layer = await decodeLayer(p.payload);
          if (layer === undefined) {
            const m = havoc(r, p.payload);
            return { parts: { ...p, payload: m.bytes }, what: `payload (opaque): ${m.what}` };
          }
          const m = r.chance(0.8) ? mutateCpio(r, layer.plain) : havoc(r, layer.plain);
          const payload = await encodeLayer(layer.algo, m.bytes);
          return { parts: { ...p, payload }, plain: m.bytes, what: `payload ${layer.algo}: ${m.what}` };
        }),
    },
    {
      name: "payload bomb",
      weight: 1,
      run: (rng, b) =>
        withParts(rng, b, async (r, p) => {
          const layer = await decodeLayer(p.payload);
          const algo = layer?.algo === "xz" || layer?.algo === "zstd" ? layer.algo : "gzip";
          const mib = r.pick(BOMB_MIB);
          if (layer !== undefined && r.chance(0.4)) {
            // the real cpio, trailer included, then the zeros the reader drains so the digests cover them
            const payload = await bomb(algo, layer.plain, mib);
            return {
              parts: { ...p, payload },
              what: `payload = its cpio then ${mib} MiB of zeros (${algo})`,
            };
          }
          const size = r.chance(0.7) ? mib * MiB : r.pick([0, 100, 2 ** 32 - 1]);
          const prefix = r.chance(0.8) ? newcHeader("./usr/bin/fuzzseed", size) : new Uint8Array(0);
          const payload = await bomb(algo, prefix, mib);
          return {
            parts: { ...p, payload },
            what: `payload = ${mib} MiB ${algo} bomb (cpio entry claims ${size})`,
          };
        }),
    },
    {
      name: "signature tags",
      weight: 1,
      run: (rng, b) =>
        withParts(rng, b, async (r, p) => {
          const s = signatureTags(r, p);
          if (s === undefined) {
            const m = mutateData(r, p.signature);
            return { parts: { ...p, signature: m.bytes }, what: `signature header: ${m.what}`, raw: true };
          }
          return { ...s, raw: true };
        }),
    },
    { name: "file bytes", weight: 3, run: (rng, b) => havoc(rng, b) },
  ],
};

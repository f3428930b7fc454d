/**
 * apk (v2): three gzip members (signature, control, data) whose inflated tars form one tar. Mutations aim
 * at one segment's tar (re-gzipped as one member), at .PKGINFO's text, at the segment list (dropped,
 * doubled, swapped, merged, an uncut control tar), at signature files, and put gzip bombs in the control
 * and data members. Whenever the data member changes, `datahash` in .PKGINFO is re-fixed (most of the
 * time) so the change reaches the data reader instead of stopping at DIGEST_MISMATCH.
 */
import { createHash } from "node:crypto";
import { gunzipSync, gzipSync } from "node:zlib";
import { concatBytes, encodeUtf8 } from "../../../src/bytes/bytes.ts";
import { gzipMembers } from "../../../src/compress/gzip-members.ts";
import { BOMB_MIB, gzipBomb } from "../bombs.ts";
import { havoc, type Mutated } from "../mutate/bytes.ts";
import { mutateTar, replaceTarContent, tarContent, tarHeaderBlock, walkTar } from "../mutate/tar.ts";
import { mutateText } from "../mutate/text.ts";
import type { Rng } from "../rng.ts";
import type { Strategy } from "../strategy.ts";

const MiB = 1024 * 1024;

interface Segments {
  /** The gzip members as stored. */
  members: Uint8Array[];
  /** Index of the member whose tar holds .PKGINFO, or -1. */
  control: number;
}

const cache = new WeakMap<Uint8Array, Segments | null>();

async function split(bytes: Uint8Array): Promise<Segments | undefined> {
  const hit = cache.get(bytes);
  if (hit !== undefined) return hit ?? undefined;
  let result: Segments | undefined;
  try {
    const members: Uint8Array[] = [];
    for await (const m of gzipMembers(bytes, { limits: { maxUnpackedBytes: 8 * MiB, maxEntries: 16 } }))
      members.push(bytes.subarray(m.start, m.end));
    const control = members.findIndex((m) => walkTar(gunzip(m)).some((t) => t.name === ".PKGINFO"));
    result = { members, control };
  } catch {
    result = undefined;
  }
  cache.set(bytes, result ?? null);
  return result;
}

function gunzip(b: Uint8Array): Uint8Array {
  try {
    return new Uint8Array(gunzipSync(b, { maxOutputLength: 8 * MiB }));
  } catch {
    return new Uint8Array(0);
  }
}

const gzip = (b: Uint8Array) => new Uint8Array(gzipSync(b, { level: 1 }));

/** The control member with `datahash` set to the SHA-256 of `data` (unchanged when it has none). */
function withDatahash(control: Uint8Array, data: Uint8Array): Uint8Array {
  const tar = gunzip(control);
  const item = walkTar(tar).find((t) => t.name === ".PKGINFO");
  if (item === undefined) return control;
  const text = new TextDecoder("latin1").decode(tarContent(tar, item));
  const hash = createHash("sha256").update(data).digest("hex");
  if (!/^datahash = /m.test(text)) return control;
  const fixed = text.replace(/^datahash = .*$/m, `datahash = ${hash}`);
  return gzip(replaceTarContent(tar, item, encodeUtf8(fixed)));
}

/** Joins members; when the data (everything after control) changed, re-fixes datahash unless told not to. */
function join(rng: Rng, s: Segments, dataChanged: boolean): { bytes: Uint8Array; note: string } {
  const members = [...s.members];
  let note = "";
  if (dataChanged && s.control >= 0 && s.control < members.length) {
    if (rng.chance(0.9)) {
      const data = concatBytes(members.slice(s.control + 1));
      members[s.control] = withDatahash(members[s.control]!, data);
      note = " (datahash re-fixed)";
    } else note = " (datahash left stale)";
  }
  return { bytes: concatBytes(members), note };
}

async function withSegments(
  rng: Rng,
  bytes: Uint8Array,
  fn: (
    rng: Rng,
    s: Segments,
  ) =>
    | Promise<{ segments: Segments; dataChanged: boolean; what: string }>
    | { segments: Segments; dataChanged: boolean; what: string },
): Promise<Mutated> {
  const s = await split(bytes);
  if (s === undefined || s.members.length === 0) return havoc(rng, bytes);
  const r = await fn(rng, s);
  const j = join(rng, r.segments, r.dataChanged);
  return { bytes: j.bytes, what: `${r.what}${j.note}` };
}

function replaced(s: Segments, i: number, member: Uint8Array): Segments {
  const members = [...s.members];
  members[i] = member;
  return { ...s, members };
}

/** How apk packages are mutated. */
export const apkStrategy: Strategy = {
  format: "apk",
  mutators: [
    {
      name: "segment tar",
      weight: 6,
      run: (rng, b) =>
        withSegments(rng, b, (r, s) => {
          const i = r.int(s.members.length);
          const tar = gunzip(s.members[i]!);
          const m = tar.length > 0 ? mutateTar(r, tar) : havoc(r, s.members[i]!);
          const member = tar.length > 0 ? gzip(m.bytes) : m.bytes;
          return {
            segments: replaced(s, i, member),
            dataChanged: i > s.control,
            what: `segment ${i}: ${m.what}`,
          };
        }),
    },
    {
      name: ".PKGINFO text",
      weight: 5,
      run: (rng, b) =>
        withSegments(rng, b, (r, s) => {
          if (s.control < 0) return { segments: s, dataChanged: false, what: "no control segment" };
          const tar = gunzip(s.members[s.control]!);
          const item = walkTar(tar).find((t) => t.name === ".PKGINFO");
          if (item === undefined) return { segments: s, dataChanged: false, what: "no .PKGINFO" };
          const m = mutateText(r, tarContent(tar, item));
          const member = gzip(replaceTarContent(tar, item, m.bytes));
          return {
            segments: replaced(s, s.control, member),
            dataChanged: false,
            what: `.PKGINFO: ${m.what}`,
          };
        }),
    },
    {
      name: "segment list",
      weight: 3,
      run: (rng, b) =>
        withSegments(rng, b, (r, s) => {
          const members = [...s.members];
          const i = r.int(members.length);
          const kind = r.int(6);
          if (kind === 0) members.splice(i, 1);
          else if (kind === 1) members.splice(i, 0, members[i]!);
          else if (kind === 2 && members.length > 1) {
            const j = (i + 1) % members.length;
            [members[i], members[j]] = [members[j]!, members[i]!];
          } else if (kind === 3 && i + 1 < members.length) {
            members.splice(i, 2, gzip(concatBytes([gunzip(members[i]!), gunzip(members[i + 1]!)])));
          } else if (kind === 4) {
            members[i] = gzip(concatBytes([gunzip(members[i]!), new Uint8Array(1024)]));
          } else {
            const tar = gunzip(members[i]!);
            const cut = Math.floor(tar.length / 2 / 512) * 512;
            members.splice(i, 1, gzip(tar.subarray(0, cut)), gzip(tar.subarray(cut)));
          }
          const what = [
            "dropped",
            "doubled",
            "swapped with the next",
            "merged with the next",
            "given end blocks",
            "split in two",
          ][kind];
          return { segments: { ...s, members }, dataChanged: i >= s.control, what: `segment ${i} ${what}` };
        }),
    },
    {
      name: "data bomb",
      weight: 1,
      run: (rng, b) =>
        withSegments(rng, b, (r, s) => {
          const mib = r.pick(BOMB_MIB);
          const claimed = r.chance(0.7) ? mib * MiB : r.pick([0, 512, 2 * mib * MiB]);
          const prefix = tarHeaderBlock("usr/share/zeros", "0", claimed);
          const members = [...s.members.slice(0, s.control + 1), gzipBomb(prefix, mib)];
          return {
            segments: { ...s, members },
            dataChanged: true,
            what: `data = ${mib} MiB gzip bomb claiming ${claimed}`,
          };
        }),
    },
    {
      name: "control bomb",
      weight: 1,
      run: (rng, b) =>
        withSegments(rng, b, (r, s) => {
          const mib = r.pick(BOMB_MIB);
          const i = s.control >= 0 ? s.control : 0;
          const prefix = tarHeaderBlock(".PKGINFO", "0", r.chance(0.5) ? mib * MiB : 100);
          return {
            segments: replaced(s, i, gzipBomb(prefix, mib)),
            dataChanged: false,
            what: `control = ${mib} MiB gzip bomb`,
          };
        }),
    },
    {
      name: "signature files",
      weight: 1,
      run: (rng, b) =>
        withSegments(rng, b, (r, s) => {
          const names = [
            ".SIGN.RSA.fuzz.rsa.pub",
            ".SIGN.RSA256.x.pub",
            ".SIGN.RSA512.a.rsa.pub",
            ".SIGN.DSA.x.pub",
            ".SIGN.",
            ".SIGN.RSA.",
          ];
          const name = r.pick(names);
          const data = r.chance(0.5) ? r.bytes(r.range(0, 600)) : new Uint8Array(0);
          const head = tarHeaderBlock(name, "0", data.length);
          const tar = concatBytes([head, data, new Uint8Array((512 - (data.length % 512)) % 512)]);
          const sigIndex = s.control > 0 ? 0 : -1;
          const members = [...s.members];
          if (sigIndex === 0 && r.chance(0.5)) members[0] = gzip(tar);
          else members.unshift(gzip(tar));
          const control = sigIndex === 0 ? s.control : s.control + 1;
          return {
            segments: { members, control },
            dataChanged: false,
            what: `signature segment ${name} with ${data.length} bytes`,
          };
        }),
    },
    { name: "file bytes", weight: 3, run: (rng, b) => havoc(rng, b) },
  ],
};

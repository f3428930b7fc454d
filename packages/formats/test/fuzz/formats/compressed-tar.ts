/**
 * Mutators shared by the packages that are one compressed tar (Arch packages, tar.* release archives): the
 * tar inside its compression, text members (gzipped ones such as .MTREE inflated and deflated around the
 * change), members removed, a bomb as the whole package or as a gzipped member.
 */
import { gunzipSync, gzipSync } from "node:zlib";
import { BOMB_MIB, bomb, gzipBomb } from "../bombs.ts";
import { decodeLayer, encodeLayer } from "../codec.ts";
import { havoc, type Mutated, splice } from "../mutate/bytes.ts";
import { mutateTar, replaceTarContent, tarContent, tarHeaderBlock, walkTar } from "../mutate/tar.ts";
import { mutateText } from "../mutate/text.ts";
import type { Rng } from "../rng.ts";
import type { NamedMutator } from "../strategy.ts";

const MiB = 1024 * 1024;

/** Applies `fn` to the uncompressed tar and compresses the result as the package was. */
export async function inTar(
  rng: Rng,
  bytes: Uint8Array,
  fn: (rng: Rng, tar: Uint8Array) => Mutated | Promise<Mutated>,
): Promise<Mutated> {
  const layer = await decodeLayer(bytes);
  if (layer === undefined) return havoc(rng, bytes);
  const m = await fn(rng, layer.plain);
  return { bytes: await encodeLayer(layer.algo, m.bytes), what: `${layer.algo} tar: ${m.what}` };
}

/** A text member (picked by `names`) rewritten; members matching `gzipped` are gunzipped around it. */
export function textMember(names: RegExp, gzipped: RegExp) {
  return (rng: Rng, tar: Uint8Array): Mutated => {
    const items = walkTar(tar).filter((t) => names.test(t.name));
    if (items.length === 0) return mutateTar(rng, tar);
    const item = rng.pick(items);
    let content = tarContent(tar, item);
    const gz = gzipped.test(item.name);
    if (gz) {
      try {
        content = new Uint8Array(gunzipSync(content, { maxOutputLength: 8 * MiB }));
      } catch {
        return mutateTar(rng, tar);
      }
    }
    const m = mutateText(rng, content);
    const out = gz ? new Uint8Array(gzipSync(m.bytes, { level: 1 })) : m.bytes;
    return { bytes: replaceTarContent(tar, item, out), what: `${item.name}: ${m.what}` };
  };
}

/** A member (picked by `names`) removed. */
export function removeMember(names: RegExp) {
  return (rng: Rng, tar: Uint8Array): Mutated => {
    const items = walkTar(tar).filter((t) => names.test(t.name));
    if (items.length === 0) return mutateTar(rng, tar);
    const item = rng.pick(items);
    return {
      bytes: splice(tar, item.offset, item.end - item.offset, new Uint8Array(0)),
      what: `${item.name} removed`,
    };
  };
}

/** A gzipped member (picked by `names`) replaced by a gzip bomb. */
export function memberBomb(names: RegExp) {
  return (rng: Rng, tar: Uint8Array): Mutated => {
    const items = walkTar(tar).filter((t) => names.test(t.name));
    if (items.length === 0) return mutateTar(rng, tar);
    const item = rng.pick(items);
    const mib = rng.pick(BOMB_MIB);
    return {
      bytes: replaceTarContent(tar, item, gzipBomb(new Uint8Array(0), mib)),
      what: `${item.name} = ${mib} MiB gzip bomb`,
    };
  };
}

/** The whole package replaced by a bomb in its own compression: a tar header for `inner` claiming the zeros. */
export function packageBomb(inner: readonly string[]): NamedMutator["run"] {
  return async (rng, bytes) => {
    const layer = await decodeLayer(bytes);
    const algo = layer?.algo === "xz" || layer?.algo === "zstd" ? layer.algo : "gzip";
    const mib = rng.pick(BOMB_MIB);
    const name = rng.pick(inner);
    const claimed = rng.chance(0.7) ? mib * MiB : rng.pick([0, 512, 2 * mib * MiB]);
    const prefix = rng.chance(0.85) ? tarHeaderBlock(name, "0", claimed) : new Uint8Array(0);
    return {
      bytes: await bomb(algo, prefix, mib),
      what: `${mib} MiB ${algo} bomb, ${name} claims ${prefix.length ? claimed : "nothing"}`,
    };
  };
}

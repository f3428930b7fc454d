/**
 * macOS flat packages (xar): the TOC's XML (numbers, offsets into the heap, elements removed or doubled,
 * attributes, nesting, entities) with the TOC checksum re-fixed; the header's lengths; member contents put
 * back through their encoding (the Payload's and Scripts' cpio inside gzip, PackageInfo and Distribution
 * XML, the Bom's bytes); a Payload bomb; a TOC that claims or inflates to too much; byte damage.
 */
import { deflateSync } from "node:zlib";
import { encodeUtf8 } from "../../../src/bytes/bytes.ts";
import { BOMB_MIB, gzipBomb } from "../bombs.ts";
import { decodeLayer, encodeLayer } from "../codec.ts";
import { havoc, type Mutated } from "../mutate/bytes.ts";
import { mutateCpio } from "../mutate/cpio.ts";
import { mutateXml } from "../mutate/text.ts";
import {
  dataElements,
  joinXar,
  memberBytes,
  mutateXarHeader,
  replaceMember,
  splitXar,
} from "../mutate/xar.ts";
import type { Rng } from "../rng.ts";
import type { Strategy } from "../strategy.ts";

const MiB = 1024 * 1024;

async function member(rng: Rng, bytes: Uint8Array, names: RegExp): Promise<Mutated> {
  const p = splitXar(bytes);
  const candidates = p === undefined ? [] : dataElements(p.xml).filter((d) => names.test(d.name));
  if (p === undefined || candidates.length === 0) return havoc(rng, bytes);
  const d = rng.pick(candidates);
  const m = memberBytes(p, d);
  if (m === undefined) return havoc(rng, bytes);
  let decoded: Uint8Array;
  let what: string;
  if (d.name === "Payload" || d.name === "Scripts") {
    const layer = await decodeLayer(m.decoded);
    const inner =
      layer === undefined
        ? havoc(rng, m.decoded)
        : rng.chance(0.85)
          ? mutateCpio(rng, layer.plain)
          : havoc(rng, layer.plain);
    decoded = layer === undefined ? inner.bytes : await encodeLayer(layer.algo, inner.bytes);
    what = inner.what;
  } else if (d.name === "Bom") {
    const inner = havoc(rng, m.decoded, 3);
    decoded = inner.bytes;
    what = inner.what;
  } else {
    const inner = mutateXml(rng, m.decoded);
    decoded = inner.bytes;
    what = inner.what;
  }
  return { bytes: joinXar(replaceMember(p, d, decoded)), what: `${d.name}: ${what}` };
}

/** How macOS packages are mutated. */
export const macosStrategy: Strategy = {
  format: "macos",
  mutators: [
    {
      name: "toc xml",
      weight: 8,
      run: (rng, b) => {
        const p = splitXar(b);
        if (p === undefined) return havoc(rng, b);
        const m = mutateXml(rng, encodeUtf8(p.xml));
        const keep = rng.chance(0.05);
        const xml = new TextDecoder().decode(m.bytes);
        return {
          bytes: joinXar({ ...p, xml }, { keepChecksum: keep }),
          what: `TOC: ${m.what}${keep ? " (checksum left stale)" : ""}`,
        };
      },
    },
    {
      name: "heap offsets",
      weight: 3,
      run: (rng, b) => {
        const p = splitXar(b);
        const all = p === undefined ? [] : dataElements(p.xml);
        if (p === undefined || all.length === 0) return havoc(rng, b);
        const d = rng.pick(all);
        const other = rng.pick(all);
        const heap = p.heap.length;
        const field = rng.pick(["offset", "length", "size"] as const);
        const value = rng.pick([
          0,
          1,
          heap,
          heap - 1,
          heap + 1,
          other.offset,
          other.offset + 1,
          2 ** 32,
          2 ** 53,
          2 ** 63,
        ]);
        const body = p.xml
          .slice(d.start, d.end)
          .replace(new RegExp(`<${field}>\\s*\\d+\\s*</${field}>`), `<${field}>${value}</${field}>`);
        const xml = p.xml.slice(0, d.start) + body + p.xml.slice(d.end);
        return {
          bytes: joinXar({ ...p, xml }),
          what: `${d.name} <${field}> = ${value} (heap ${heap} bytes)`,
        };
      },
    },
    {
      name: "certificates",
      weight: 1,
      run: (rng, b) => {
        const p = splitXar(b);
        const certs =
          p === undefined ? [] : [...p.xml.matchAll(/<X509Certificate>([^<]*)<\/X509Certificate>/g)];
        if (p === undefined || certs.length === 0) return havoc(rng, b);
        const m = rng.pick(certs);
        const der = new Uint8Array(Buffer.from(m[1]!, "base64"));
        const kind = rng.int(3);
        const text =
          kind === 0
            ? Buffer.from(havoc(rng, der, 3).bytes).toString("base64")
            : kind === 1
              ? Buffer.from(der.subarray(0, rng.int(der.length))).toString("base64")
              : rng.pick(["", "!!!", "AAAA", "MIIB", "=".repeat(10)]);
        const start = (m.index ?? 0) + "<X509Certificate>".length;
        const xml = p.xml.slice(0, start) + text + p.xml.slice(start + m[1]!.length);
        return {
          bytes: joinXar({ ...p, xml }),
          what: `an X509Certificate ${["damaged", "cut", "replaced"][kind]}`,
        };
      },
    },
    { name: "header", weight: 2, run: (rng, b) => mutateXarHeader(rng, b) },
    { name: "payload", weight: 6, run: (rng, b) => member(rng, b, /^(Payload|Scripts)$/) },
    {
      name: "metadata member",
      weight: 4,
      run: (rng, b) => member(rng, b, /^(PackageInfo|Distribution|Bom)$/),
    },
    {
      name: "payload bomb",
      weight: 1,
      run: async (rng, b) => {
        const p = splitXar(b);
        const d = p === undefined ? undefined : dataElements(p.xml).find((x) => x.name === "Payload");
        if (p === undefined || d === undefined) return havoc(rng, b);
        const mib = rng.pick(BOMB_MIB);
        if (rng.chance(0.5)) {
          // the real cpio, trailer included, then the zeros: the reader drains them to check the gzip trailer
          const m = memberBytes(p, d);
          const layer = m === undefined ? undefined : await decodeLayer(m.decoded);
          if (layer !== undefined) {
            const stored = gzipBomb(layer.plain, mib);
            return {
              bytes: joinXar(replaceMember(p, d, stored, stored)),
              what: `Payload = its cpio then ${mib} MiB of zeros (gzip)`,
            };
          }
        }
        const size = rng.chance(0.7) ? mib * MiB : 100;
        const odc = encodeUtf8(
          `070707000001000001100644000000000000000001000000${"0".repeat(11)}000006${size.toString(8).padStart(11, "0")}./big\0`,
        );
        const stored = gzipBomb(odc, mib);
        return {
          bytes: joinXar(replaceMember(p, d, stored, stored)),
          what: `Payload = ${mib} MiB gzip bomb claiming ${size}`,
        };
      },
    },
    {
      name: "toc bomb",
      weight: 1,
      run: (rng, b) => {
        const p = splitXar(b);
        if (p === undefined) return havoc(rng, b);
        const n = rng.pick([100_000, 1_000_000]);
        const xml = p.xml.replace("<toc>", `<toc>${" ".repeat(n * 8)}`);
        const compressed = new Uint8Array(deflateSync(encodeUtf8(xml), { level: 1 }));
        const ulen = rng.pick([xml.length, 1000, 2 ** 32, 64 * MiB]);
        return {
          bytes: joinXar({ ...p, xml }, { ulen, compressed }),
          what: `TOC padded to ${xml.length} bytes, header claims ${ulen}`,
        };
      },
    },
    { name: "file bytes", weight: 3, run: (rng, b) => havoc(rng, b) },
  ],
};

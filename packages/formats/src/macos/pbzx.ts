/**
 * pbzx payloads (Apple's own packages; read only, as the pbzx stream parser reads them, NiklasRosenstein/pbzx
 * pbzx.c): "pbzx", u64 BE chunk size, then chunks of { u64 flags, u64 length, data } where data is an xz
 * stream (FD 37 7A 58 5A 00) or raw bytes.
 */
import { ByteReader } from "../bytes/reader.ts";
import { decompress } from "../compress/decompress.ts";
import { FormatError } from "../errors.ts";
import { type ReadLimits, resolveLimits } from "../limits.ts";

export const PBZX_MAGIC = [0x70, 0x62, 0x7a, 0x78] as const;
const XZ_MAGIC = [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00];

/** True when `head` starts with "pbzx". */
export function isPbzx(head: Uint8Array): boolean {
  return PBZX_MAGIC.every((b, i) => head[i] === b);
}

/** Decodes a pbzx stream into the plain bytes (a cpio archive for Payloads), bounded by `maxUnpackedBytes`. */
export async function* readPbzx(
  input: AsyncIterable<Uint8Array>,
  opts: { limits?: Partial<ReadLimits> } = {},
): AsyncGenerator<Uint8Array> {
  const limits = resolveLimits(opts.limits);
  const r = new ByteReader(input);
  const magic = await r.read(4);
  if (!isPbzx(magic))
    throw new FormatError("BAD_MAGIC", 'pbzx: expected magic "pbzx" at offset 0', { offset: 0 });
  await r.read(8); // chunk size / flags of the whole stream
  let total = 0;
  while (!(await r.atEnd())) {
    const at = r.offset;
    const head = await r.read(16);
    const dv = new DataView(head.buffer, head.byteOffset, 16);
    const length = Number(dv.getBigUint64(8));
    if (length > limits.maxUnpackedBytes)
      throw new FormatError("LIMIT_UNPACKED_BYTES", `pbzx chunk at ${at} claims ${length} bytes`, {
        offset: at,
        found: length,
      });
    const data = await r.read(length);
    const isXz = XZ_MAGIC.every((b, i) => data[i] === b);
    const chunks: AsyncIterable<Uint8Array> = isXz
      ? decompress(
          (async function* () {
            yield data;
          })(),
          "xz",
          { limits: { maxUnpackedBytes: limits.maxUnpackedBytes - total }, offset: at + 16, path: "Payload" },
        )
      : (async function* () {
          yield data;
        })();
    for await (const c of chunks) {
      total += c.length;
      if (total > limits.maxUnpackedBytes)
        throw new FormatError(
          "LIMIT_UNPACKED_BYTES",
          `pbzx payload exceeds ${limits.maxUnpackedBytes} bytes`,
          { offset: at },
        );
      yield c;
    }
  }
}

/**
 * How many bytes the readers' codecs produce, reported on a `node:diagnostics_channel` so tests (and any
 * tool that wants to watch a read) can count decompression work without wrapping every reader. Publishing
 * costs one property check per chunk when nobody subscribes.
 */
import diagnosticsChannel from "node:diagnostics_channel";
import type { CompressionAlgo } from "./compression.ts";

/** Name of the channel; every message is an {@link UnpackedMessage}. */
export const UNPACKED_CHANNEL = "packyard:unpacked";

/** One decompressed chunk: its codec and size. */
export interface UnpackedMessage {
  algo: Exclude<CompressionAlgo, "none">;
  bytes: number;
}

const channel = diagnosticsChannel.channel(UNPACKED_CHANNEL);

/** Reports `bytes` just produced by a codec to the subscribers of {@link UNPACKED_CHANNEL}, if any. */
export function reportUnpacked(algo: UnpackedMessage["algo"], bytes: number): void {
  if (channel.hasSubscribers) channel.publish({ algo, bytes } satisfies UnpackedMessage);
}

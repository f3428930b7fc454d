/**
 * Fuzz cases: case `index` of a run seeded `runSeed` for a format is made from its own PRNG stream
 * (`<runSeed>/<format>/<index>`), so any one case can be made again, alone, from those three values:
 * a seed package, one to three mutations by the format's strategy, and the chunk size the reader is fed.
 */
import { apkStrategy } from "./formats/apk.ts";
import { archlinuxStrategy } from "./formats/archlinux.ts";
import { debStrategy } from "./formats/deb.ts";
import { macosStrategy } from "./formats/macos.ts";
import { rpmStrategy } from "./formats/rpm.ts";
import { tarballStrategy } from "./formats/tarball.ts";
import { havoc } from "./mutate/bytes.ts";
import { Rng } from "./rng.ts";
import type { FuzzFormat, Seed } from "./seeds.ts";
import type { Strategy } from "./strategy.ts";

/** Each format's strategy. */
export const STRATEGIES: Readonly<Record<FuzzFormat, Strategy>> = {
  deb: debStrategy,
  rpm: rpmStrategy,
  archlinux: archlinuxStrategy,
  apk: apkStrategy,
  macos: macosStrategy,
  tarball: tarballStrategy,
};

/** One mutation applied: which mutator and what it did. */
export interface AppliedMutation {
  mutator: string;
  what: string;
}

/** One input for the reader, with everything needed to say where it came from. */
export interface FuzzCase {
  format: FuzzFormat;
  runSeed: string;
  index: number;
  /** The seed package's label (`writer:xz`, `fixture:foo-zstd.deb`). */
  seed: string;
  /** The name readPackage is given (the seed's). */
  fileName: string;
  bytes: Uint8Array;
  mutations: AppliedMutation[];
  /** Size of the chunks the reader is fed; 0 means the whole input as one chunk. */
  chunk: number;
  /** Read with the fuzz public keys (seeds.ts fuzzPublicKeys), so signatures are verified. */
  keys: boolean;
  /** A detached signature handed to the reader (Arch): the seed's, a damaged one, or garbage. */
  detached?: Uint8Array;
}

/** Makes case `index` of a run: deterministic in (runSeed, format, index) and the seeds' bytes. */
export async function makeCase(
  format: FuzzFormat,
  runSeed: string,
  index: number,
  seeds: readonly Seed[],
): Promise<FuzzCase> {
  const rng = new Rng(`${runSeed}/${format}/${index}`);
  const seed = rng.pick(seeds);
  const strategy = STRATEGIES[format];
  const rounds = rng.weighted([
    [80, 1],
    [15, 2],
    [5, 3],
  ] as const);
  let bytes = seed.bytes;
  const mutations: AppliedMutation[] = [];
  for (let k = 0; k < rounds; k++) {
    const m = rng.weighted(strategy.mutators.map((x) => [x.weight, x] as const));
    const out = await m.run(rng, bytes);
    bytes = out.bytes;
    mutations.push({ mutator: m.name, what: out.what });
  }
  const chunk = rng.weighted([
    [6, 0],
    [1, bytes.length <= 64 * 1024 ? 7 : 4096],
    [1, 321],
    [1, 65_536],
    [1, rng.range(1, 9000)],
  ] as const);
  const keys = rng.chance(0.3);
  const c: FuzzCase = {
    format,
    runSeed,
    index,
    seed: seed.name,
    fileName: seed.fileName,
    bytes,
    mutations,
    chunk,
    keys,
  };
  if (format === "archlinux") {
    const pick = rng.int(10);
    if (seed.detached !== undefined && pick < 3)
      c.detached = pick === 0 ? havoc(rng, seed.detached).bytes : seed.detached;
    else if (pick === 3) c.detached = rng.bytes(rng.range(0, 300));
  }
  return c;
}

/** The shape of a format's fuzzing strategy: named, weighted mutators over a whole package's bytes. */
import type { Mutated } from "./mutate/bytes.ts";
import type { Rng } from "./rng.ts";
import type { FuzzFormat } from "./seeds.ts";

/** Mutates a whole package (a seed or an already mutated one). */
export type Mutator = (rng: Rng, bytes: Uint8Array) => Promise<Mutated> | Mutated;

/** One mutator, its weight among the format's mutators, and a name for the statistics. */
export interface NamedMutator {
  name: string;
  weight: number;
  run: Mutator;
}

/** Everything the fuzzer knows about one format's containers. */
export interface Strategy {
  format: FuzzFormat;
  mutators: readonly NamedMutator[];
}

export type { Mutated };

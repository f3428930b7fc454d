/** The Coalescer against a model (the concatenation of what was written), and its hand-out rules. */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { Coalescer, isOwnedPiece } from "../../src/bytes/coalesce.ts";

type Op = { put: number } | { zeros: number } | { write: number } | { inPlace: number } | "take";

const SIZE = 64;

for (const exact of [false, true]) {
  test(`${exact ? "exact" : "default"}: pieces handed out, in order, are exactly the bytes written; none changes after hand-out`, () => {
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.integer({ min: 0, max: SIZE - 1 }).map((put) => ({ put })),
      fc.integer({ min: 0, max: SIZE - 1 }).map((zeros) => ({ zeros })),
      fc.integer({ min: 0, max: 3 * SIZE }).map((write) => ({ write })),
      fc.integer({ min: 1, max: 8 }).map((inPlace) => ({ inPlace })),
      fc.constant("take" as const),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const w = new Coalescer({ size: SIZE, exact });
        const model: number[] = [];
        const pieces: Uint8Array[] = [];
        const copies: number[][] = [];
        const handOut = (p: Uint8Array | undefined) => {
          if (p === undefined) return;
          assert.ok(p.length > 0, "no empty pieces");
          pieces.push(p);
          copies.push([...p]);
        };
        let next = 1;
        const bytes = (n: number) => Uint8Array.from({ length: n }, () => (next++ % 255) + 1);
        for (const o of ops) {
          if (o === "take") {
            if (!exact || w.room === 0) handOut(w.take()); // exact: only full blocks before the end
          } else if ("put" in o) {
            const b = bytes(o.put);
            model.push(...b);
            handOut(w.put(b));
          } else if ("zeros" in o) {
            model.push(...new Array<number>(o.zeros).fill(0));
            handOut(w.zeros(o.zeros));
          } else if ("write" in o) {
            const b = bytes(o.write);
            model.push(...b);
            const out = w.write(b);
            for (const p of out) handOut(p);
            // a write of a block or more hands the bytes out whole, uncopied (exact: copied)
            if (o.write >= SIZE && !exact) assert.equal(out.at(-1), b);
            if (exact) for (const p of out) assert.ok(isOwnedPiece(p));
          } else {
            if (w.room < o.inPlace) {
              if (!exact) handOut(w.take());
              else continue; // exact: the writers split what does not fit (write)
            }
            const b = bytes(o.inPlace);
            w.buf.set(b, w.pos); // how the tar and cpio writers encode headers
            w.pos += o.inPlace;
            model.push(...b);
          }
          assert.ok(w.pos <= SIZE && w.room === SIZE - w.pos);
          assert.ok(
            w.buf.subarray(w.pos).every((b) => b === 0),
            "unwritten bytes are zero",
          );
        }
        const last = pieces.length;
        handOut(w.take());
        assert.equal(w.take(), undefined);
        if (exact) {
          // every piece but the last is a whole buffer of exactly the block size, owned by its consumer
          for (const p of pieces.slice(0, last)) {
            assert.ok(p.length === SIZE && p.byteOffset === 0 && p.buffer.byteLength === SIZE);
          }
          for (const p of pieces) assert.ok(isOwnedPiece(p));
        }
        pieces.forEach((p, i) => {
          assert.deepEqual([...p], copies[i], `piece ${i} changed after hand-out`);
        });
        assert.deepEqual(
          pieces.flatMap((p) => [...p]),
          model,
        );
      }),
      { numRuns: 2000 },
    );
  });
}

test("take: a full block is handed out as is; a nearly empty one is copied and the block reused", () => {
  const w = new Coalescer({ size: 64 });
  const first = w.buf;
  w.put(new Uint8Array(7).fill(1));
  const small = w.take()!;
  assert.equal(small.length, 7);
  assert.notEqual(small.buffer, first.buffer); // a copy
  assert.equal(w.buf, first); // kept, cleared
  assert.ok(first.every((b) => b === 0));
  w.put(new Uint8Array(40).fill(2));
  const big = w.take()!;
  assert.equal(big.buffer, first.buffer); // handed out without a copy
  assert.notEqual(w.buf, first); // and never written again
  assert.ok(isOwnedPiece(small) && isOwnedPiece(big));
  const through = new Uint8Array(64);
  assert.deepEqual(w.write(through), [through]);
  assert.ok(!isOwnedPiece(through), "a chunk passed through is still its producer's");
});

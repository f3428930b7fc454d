/** What the engine tests share: a stepping clock, a typed-refusal assertion that the store is untouched, text reads. */
import assert from "node:assert/strict";
import { isRepoError, readObject, type Storage } from "@packyard/repo";
import { snapshot } from "./storage-snapshot.ts";

/** A clock that moves 2 s on each read, from `start`; `jump(ms)` moves it further. */
export function clockAt(start = "2026-12-01T00:00:00Z") {
  let t = Date.parse(start);
  const clock = () => new Date((t += 2000));
  return Object.assign(clock, {
    jump(ms: number) {
      t += ms;
    },
  });
}

/** `run` fails with a RepoError of `code`, and the repository is exactly as before. */
export async function rejectsWith(
  storage: Storage,
  code: string,
  run: () => Promise<unknown>,
): Promise<void> {
  const before = await snapshot(storage);
  await assert.rejects(run, (e: unknown) => {
    assert.ok(isRepoError(e), `expected a RepoError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    return true;
  });
  assert.deepEqual(await snapshot(storage), before, "the repository changed");
}

/** An object's bytes as UTF-8 text (it must exist). */
export async function text(storage: Storage, key: string): Promise<string> {
  return new TextDecoder().decode((await readObject(storage, key))!);
}

/** Scratch folders for one test file, removed when its tests are done. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after } from "node:test";

/**
 * Returns `tmp`, which makes a fresh folder under the OS temp dir named `prefix` (or the prefix it is
 * given) plus a random tail. Every folder it made is removed after the file's tests, so call this at the
 * top level of a test file (or of a module the file imports), where `after` applies to the whole file.
 */
export function tempDirs(prefix: string): (prefix?: string) => string {
  const dirs: string[] = [];
  after(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  return (p = prefix) => {
    const d = mkdtempSync(join(tmpdir(), p));
    dirs.push(d);
    return d;
  };
}

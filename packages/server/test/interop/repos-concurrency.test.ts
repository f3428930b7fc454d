// Concurrent publishes (issue 19, "Concurrent publishes"), on PGlite and PostgreSQL: 8 simultaneous
// POST …/repository/publish to one repository, each adding a release with a different package. Afterwards
// all 8 are listed in the state and in the Packages index, gpgv accepts InRelease with the project's public
// key (from the keys API), and an instrumented Storage — every put, create and delete of the repository
// timed and tagged with the request that made it — shows no two publishes' write windows overlapping.
import assert from "node:assert/strict";
import { AsyncLocalStorage } from "node:async_hooks";
import { test } from "node:test";
import { memoryStorage, prefixStorage, readObject, readRepository, type Storage } from "@packyard/repo";
import { gpgvKeyring, gpgvVerify, scratch } from "@packyard/testkit/keyrings";
import { needTool } from "@packyard/testkit/tools";
import { bearer, secretsNeverLeak } from "../app-harness.ts";
import { eachDb } from "../dbs.ts";
import { examplePackage, projectPublicKey, repoSetup, uploadArtifact } from "../repos-support.ts";

const PUBLISHES = 8;

interface Window {
  tag: number | undefined;
  op: string;
  key: string;
  start: number;
  end: number;
}

/** Memory storage recording each write's time window and the request (tag) it ran for. */
function instrumented(tags: AsyncLocalStorage<number>) {
  const inner = memoryStorage();
  const windows: Window[] = [];
  let clock = 0; // a logical clock: every start and end takes the next tick, so order is exact
  async function timed<T>(op: string, key: string, fn: () => Promise<T>): Promise<T> {
    const w: Window = { tag: tags.getStore(), op, key, start: ++clock, end: Number.NaN };
    try {
      return await fn();
    } finally {
      w.end = ++clock;
      windows.push(w);
    }
  }
  const storage: Storage = {
    description: "instrumented memory",
    get: (key, options) => inner.get(key, options),
    head: (key) => inner.head(key),
    list: (prefix, options) => inner.list(prefix, options),
    put: (key, body, options) => timed("put", key, () => inner.put(key, body, options)),
    create: (key, body, options) => timed("create", key, () => inner.create(key, body, options)),
    delete: (key) => timed("delete", key, () => inner.delete(key)),
  };
  return { storage, windows };
}

eachDb((_kind, fresh) => {
  test("8 simultaneous publishes: all listed, gpgv accepts InRelease, no overlapping write windows", async (t) => {
    if (!needTool(t, "gpg", "gpgv")) return;
    const tags = new AsyncLocalStorage<number>();
    const { storage, windows } = instrumented(tags);
    const s = await repoSetup(t, fresh, {}, { storage });
    if (s === undefined) return;
    // gpgv refuses signatures made in the future: the server's clock starts a day behind the real one and
    // moves while publishes run (each Release Date must be later than the last; the clock is read only).
    s.h.clock.time = Date.now() - 24 * 3600_000;
    for (let i = 0; i < PUBLISHES; i++)
      await uploadArtifact(s, `1.0.${i}`, await examplePackage("deb", { name: `hello-${i}` }));
    const ticking = setInterval(() => s.h.clock.advance(1000), 20);
    t.after(() => clearInterval(ticking));
    const answers = await Promise.all(
      Array.from({ length: PUBLISHES }, (_, i) =>
        tags.run(i, () =>
          s.h.request({
            method: "POST",
            url: `${s.base}/repository/publish`,
            headers: bearer(s.maintainer),
            payload: { add: [{ package: "hello", version: `1.0.${i}` }] },
          }),
        ),
      ),
    );
    clearInterval(ticking);
    for (const [i, r] of answers.entries()) {
      assert.equal(r.statusCode, 200, `publish ${i}: ${r.body}`);
      assert.deepEqual(
        (r.json() as { added: { name: string }[] }).added.map((a) => a.name),
        [`hello-${i}`],
      );
    }

    // All 8 in the state and in the index apt reads.
    const view = prefixStorage(storage, "repos/demo/main/");
    const names = (await readRepository(view)).flatMap((r) => r.packages.map((p) => p.name)).sort();
    assert.deepEqual(
      names,
      Array.from({ length: PUBLISHES }, (_, i) => `hello-${i}`),
    );
    const packagesIndex = new TextDecoder().decode(
      await readObject(view, "deb/dists/stable/main/binary-amd64/Packages"),
    );
    for (let i = 0; i < PUBLISHES; i++) assert.match(packagesIndex, new RegExp(`^Package: hello-${i}$`, "m"));

    // gpgv with the project's key from the keys API.
    const dir = scratch();
    t.after(() => dir.dispose());
    const keyring = gpgvKeyring(dir, "project", await projectPublicKey(s));
    const inRelease = dir.file("InRelease", (await readObject(view, "deb/dists/stable/InRelease"))!);
    gpgvVerify(keyring, inRelease);

    // Write windows: every repository write belongs to one request; per request, the span from its first
    // write's start to its last write's end overlaps no other request's span.
    const repoWrites = windows.filter((w) => w.key.startsWith("repos/"));
    assert.ok(repoWrites.length > PUBLISHES * 5, `expected many writes, found ${repoWrites.length}`);
    const untagged = repoWrites.filter((w) => w.tag === undefined);
    assert.deepEqual(untagged, [], "a repository write outside any publish request");
    const spans = new Map<number, { start: number; end: number }>();
    for (const w of repoWrites) {
      const span = spans.get(w.tag!) ?? { start: w.start, end: w.end };
      span.start = Math.min(span.start, w.start);
      span.end = Math.max(span.end, w.end);
      spans.set(w.tag!, span);
    }
    assert.equal(spans.size, PUBLISHES, "every publish wrote");
    const ordered = [...spans.entries()].sort((a, b) => a[1].start - b[1].start);
    for (let i = 1; i < ordered.length; i++) {
      const [prevTag, prev] = ordered[i - 1]!;
      const [tag, span] = ordered[i]!;
      assert.ok(
        prev.end < span.start,
        `publish ${prevTag} wrote until tick ${prev.end}, publish ${tag} started writing at tick ${span.start}`,
      );
    }
  });
});

secretsNeverLeak();

// The engine copies the unchanged gzip pieces of the previous Packages.gz, RPM-MD documents and pacman
// databases (gzipIndex):
// a publish reads the previous file when its state records the pieces, and what it writes is byte for
// byte what compressing every index again writes. Each test publishes into two copies of one repository
// with the same clock; in one copy the previous indexes are overwritten with other bytes first, so the
// engine cannot use them (their SHA-256 is not the state's) and compresses everything.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, test } from "node:test";
import { gunzipSync } from "node:zlib";
import type { OpenPGPSigner } from "@packyard/formats";
import { memoryStorage, type PublishInput, publish, readObject, type Storage } from "@packyard/repo";
import { testRpm } from "@packyard/testkit/debs";
import { openpgpTestKey } from "@packyard/testkit/keyrings";
import { needTool } from "@packyard/testkit/tools";
import type { RootState } from "../../src/publish/state.ts";
import { listAll } from "../../src/publish/state-io.ts";
import { inputOf, pacmanDatabase, testArch } from "./arch-apk-support.ts";
import { fakeDeb } from "./fake-debs.ts";

let signer: OpenPGPSigner;

before(async () => {
  ({ signer } = await openpgpTestKey());
});

/** A clock that moves two seconds per call from `start`: two repositories given one each date alike. */
function steppingClock(start = Date.parse("2026-12-01T00:00:00Z")): () => Date {
  let t = start;
  return () => new Date((t += 2000));
}

/** Two clocks that go on alike from where `clock` is. */
function twoClocks(clock: () => Date): [() => Date, () => Date] {
  const now = clock().getTime();
  return [steppingClock(now), steppingClock(now)];
}

async function copyOf(from: Storage): Promise<Storage> {
  const to = memoryStorage();
  for (const key of await listAll(from, "")) await to.put(key, (await readObject(from, key))!);
  return to;
}

/** The current state of `root`, through its pointer. */
async function stateOf(storage: Storage, root: string): Promise<RootState> {
  const pointer = JSON.parse(
    new TextDecoder().decode(await readObject(storage, `.packyard/roots/${root}.json`)),
  );
  return JSON.parse(new TextDecoder().decode(await readObject(storage, pointer.state)));
}

/** Every object of both repositories, compared byte for byte (the states too: same records, same tables). */
async function assertSameObjects(a: Storage, b: Storage, skip: (key: string) => boolean): Promise<void> {
  const keys = (await listAll(a, "")).filter((k) => !skip(k));
  assert.deepEqual(
    keys,
    (await listAll(b, "")).filter((k) => !skip(k)),
  );
  for (const key of keys) {
    const [x, y] = [await readObject(a, key), await readObject(b, key)];
    assert.ok(x !== undefined && y !== undefined && Buffer.compare(x, y) === 0, `${key} differs`);
  }
}

/** Gets of `key`s matching `pattern`, counted. */
function countingGets(inner: Storage, pattern: RegExp, seen: string[]): Storage {
  return {
    ...inner,
    description: inner.description,
    get(key, o) {
      if (pattern.test(key)) seen.push(key);
      return inner.get(key, o);
    },
  };
}

test("APT: adding and removing packages copies Packages.gz pieces, and writes what compressing it all writes", async () => {
  const N = 3000;
  const apt = { architectures: ["amd64"] };
  const many = Array.from({ length: N }, (_, i) => fakeDeb(`pkg${String(i * 2).padStart(5, "0")}`));
  const a = memoryStorage();
  const clock = steppingClock();
  await publish(a, { add: many, signers: [signer], apt, clock });
  const [clockA, clockB] = twoClocks(clock);
  const state = await stateOf(a, "deb/stable");
  const gz = state.indexes.find((i) => i.key.endsWith("binary-amd64/Packages.gz"))!;
  assert.ok(gz.gzip !== undefined && gz.gzip.pieces.length >= 3, "the state records Packages.gz's pieces");
  assert.equal(gz.gzip.level, 9);
  const b = await copyOf(a);
  const steps: { add?: PublishInput[]; remove?: { name: string }[] }[] = [
    { add: [fakeDeb("pkg01001")] },
    { remove: [{ name: "pkg04000" }] },
    { add: [fakeDeb("zz-last"), fakeDeb("aa-first")] },
  ];
  for (const [i, step] of steps.entries()) {
    // B cannot copy: its Packages.gz is not the one its state records.
    const key = gz.key;
    const real = (await readObject(b, key))!;
    await b.put(key, real.subarray(0, real.length - 1));
    const gets: string[] = [];
    await publish(countingGets(a, /Packages\.gz$/, gets), { ...step, signers: [signer], apt, clock: clockA });
    await publish(b, { ...step, signers: [signer], apt, clock: clockB });
    assert.deepEqual(gets, [key], `step ${i}: the previous Packages.gz is read`);
    await assertSameObjects(a, b, (k) => k.startsWith(".packyard/lock/"));
    const packages = (await readObject(a, key.slice(0, -".gz".length)))!;
    assert.equal(Buffer.compare(gunzipSync((await readObject(a, key))!), packages), 0, `step ${i}: gunzip`);
  }
});

test("a previous index grown past the size its state records is read no further than that size", async () => {
  const apt = { architectures: ["amd64"] };
  const many = Array.from({ length: 2000 }, (_, i) => fakeDeb(`pkg${String(i * 2).padStart(5, "0")}`));
  const storage = memoryStorage();
  const clock = steppingClock();
  await publish(storage, { add: many, signers: [signer], apt, clock });
  const record = (await stateOf(storage, "deb/stable")).indexes.find((i) => i.key.endsWith("Packages.gz"))!;
  assert.ok(record.gzip !== undefined);
  await storage.put(record.key, new Uint8Array(16 << 20));
  let pulled = 0;
  const chunked: Storage = {
    ...storage,
    description: storage.description,
    async get(key, o) {
      if (key !== record.key) return storage.get(key, o);
      const whole = (await readObject(storage, key))!;
      return (async function* () {
        for (let at = 0; at < whole.length; at += 65536) {
          pulled += Math.min(65536, whole.length - at);
          yield whole.subarray(at, at + 65536);
        }
      })();
    },
  };
  await publish(chunked, { add: [fakeDeb("pkg01001")], signers: [signer], apt, clock });
  assert.ok(
    pulled > 0 && pulled <= record.size + 65536,
    `${pulled} bytes read of a ${record.size}-byte record`,
  );
  const packages = (await readObject(storage, record.key.slice(0, -".gz".length)))!;
  assert.equal(Buffer.compare(gunzipSync((await readObject(storage, record.key))!), packages), 0);
});

test("RPM-MD: adding an rpm copies the documents' pieces, and writes what compressing them all writes", async () => {
  const N = 800;
  const rpm = { targets: ["el-9"], architectures: ["x86_64"] };
  const many: PublishInput[] = [];
  for (let i = 0; i < N; i++) many.push(await testRpm({ name: `pkg${String(i * 2).padStart(5, "0")}` }));
  const a = memoryStorage();
  const clock = steppingClock();
  await publish(a, { add: many, signers: [signer], rpm, clock });
  const [clockA, clockB] = twoClocks(clock);
  const root = "rpm/el/9/x86_64";
  const primary = (await stateOf(a, root)).indexes.find((i) => i.key.endsWith("-primary.xml.gz"))!;
  assert.ok(
    primary.gzip !== undefined && primary.gzip.pieces.length >= 2,
    "the state records primary's pieces",
  );
  const b = await copyOf(a);
  for (const record of (await stateOf(b, root)).indexes) {
    if (record.gzip === undefined) continue;
    const real = (await readObject(b, record.key))!;
    await b.put(record.key, real.subarray(0, real.length - 1));
  }
  const newcomer = await testRpm({ name: "pkg00401", version: "2.0-1" });
  const gets: string[] = [];
  await publish(countingGets(a, /repodata\/[0-9a-f]{64}-/, gets), {
    add: [newcomer],
    signers: [signer],
    rpm,
    clock: clockA,
  });
  await publish(b, { add: [newcomer], signers: [signer], rpm, clock: clockB });
  assert.ok(gets.includes(primary.key), "the previous primary.xml.gz is read");
  // B's damaged documents are tombstoned, not yet deleted: compare what the current states name.
  const [sa, sb] = [await stateOf(a, root), await stateOf(b, root)];
  assert.deepEqual(sa.indexes, sb.indexes);
  for (const record of sa.indexes) {
    const [x, y] = [await readObject(a, record.key), await readObject(b, record.key)];
    assert.ok(x !== undefined && y !== undefined && Buffer.compare(x, y) === 0, `${record.key} differs`);
  }
  assert.deepEqual(
    await readObject(a, `${root}/repodata/repomd.xml`),
    await readObject(b, `${root}/repodata/repomd.xml`),
  );
});

test("pacman: adding a package copies both databases' pieces, and writes what compressing them all writes", async (t) => {
  const N = 500;
  const archlinux = { architectures: ["x86_64"] };
  const many: PublishInput[] = [];
  for (let i = 0; i < N; i++)
    many.push(inputOf(await testArch({ name: `pkg${String(i * 2).padStart(5, "0")}` })));
  const a = memoryStorage();
  const clock = steppingClock();
  await publish(a, { add: many, signers: [signer], archlinux, clock });
  const [clockA, clockB] = twoClocks(clock);
  const root = "archlinux/repository/os/x86_64";
  const db = `${root}/repository.db`;
  const files = `${root}/repository.files`;
  const state = await stateOf(a, root);
  assert.ok(state.top.key === db && state.top.gzip !== undefined, "the state records the .db's pieces");
  assert.ok(state.top.gzip.pieces.length >= 2, `${state.top.gzip.pieces.length} pieces`);
  assert.ok(state.indexes.find((i) => i.key === files)?.gzip !== undefined, "and the .files database's");
  const pointer = JSON.parse(new TextDecoder().decode(await readObject(a, `.packyard/roots/${root}.json`)));
  assert.equal(pointer.top.gzip, undefined, "the pointer does not repeat the pieces");
  const b = await copyOf(a);
  for (const key of [db, files]) {
    const real = (await readObject(b, key))!;
    await b.put(key, real.subarray(0, real.length - 1));
  }
  const newcomer = inputOf(await testArch({ name: "pkg00401" }));
  const gets: string[] = [];
  await publish(countingGets(a, /repository\.(db|files)$/, gets), {
    add: [newcomer],
    signers: [signer],
    archlinux,
    clock: clockA,
  });
  await publish(b, { add: [newcomer], signers: [signer], archlinux, clock: clockB });
  // (The .db is read twice: also as the live top file, to see whether the last publish stopped midway.)
  assert.deepEqual([...new Set(gets)].sort(), [db, files], "the previous databases are read");
  await assertSameObjects(a, b, (k) => k.startsWith(".packyard/lock/"));
  const entries = await pacmanDatabase((await readObject(a, db))!);
  assert.equal(entries.size, N + 1, "the .db lists every package");
  // libarchive, pacman's reader, takes the pieced databases (bsdtar -t lists every member).
  if (!needTool(t, "bsdtar")) return;
  const dir = mkdtempSync(join(tmpdir(), "packyard-pieces-"));
  try {
    for (const [key, members] of [
      [db, 2 * (N + 1)],
      [files, 3 * (N + 1)],
    ] as const) {
      const file = join(dir, key.slice(key.lastIndexOf("/") + 1));
      writeFileSync(file, (await readObject(a, key))!);
      const r = spawnSync("bsdtar", ["-tf", file], { encoding: "utf8", maxBuffer: 64 << 20 });
      assert.equal(r.status, 0, `bsdtar -tf ${key}: ${r.stderr}`);
      assert.equal(r.stdout.trim().split("\n").length, members, `${key}: every member listed`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// Incremental publishing of RPM-MD roots: adding one rpm to a repository of 5,000 (el-9 x86_64 and aarch64,
// a third of them noarch, beside a fedora-43 root and an APT suite) reads nothing under the package
// folders and writes exactly the new pool file and, for each root that lists it, its state, its three
// metadata files, its three top files and its pointer. Every other object stays byte-identical: the other
// pool files, the other roots' states and metadata, and (with the default grace period) the replaced
// metadata files too.
import assert from "node:assert/strict";
import { before, test } from "node:test";
import type { OpenPGPSigner } from "@packyard/formats";
import { memoryStorage, publish, type PublishInput, readObject, type Storage } from "@packyard/repo";
import { testRpm } from "@packyard/testkit/debs";
import { openpgpTestKey } from "@packyard/testkit/keyrings";
import { listAll } from "../../src/publish/state-io.ts";
import { fakeDeb } from "./fake-debs.ts";
import { snapshot } from "./storage-snapshot.ts";

const N = 5000;
const EL9 = { targets: ["el-9"], architectures: ["x86_64", "aarch64"] };

interface Op {
  op: "get" | "head" | "list" | "put" | "create" | "delete";
  key: string;
}

/** `inner`, noting every call (the key, or the prefix of a list) in `ops`. */
function recording(inner: Storage, ops: Op[]): Storage {
  const noted =
    <A extends unknown[], R>(op: Op["op"], call: (key: string, ...rest: A) => R) =>
    (key: string, ...rest: A): R => {
      ops.push({ op, key });
      return call(key, ...rest);
    };
  return {
    description: inner.description,
    get: noted("get", inner.get.bind(inner)),
    head: noted("head", inner.head.bind(inner)),
    list: noted("list", inner.list.bind(inner)),
    put: noted("put", inner.put.bind(inner)),
    create: noted("create", inner.create.bind(inner)),
    delete: noted("delete", inner.delete.bind(inner)),
  };
}

/** A clock that moves two seconds per call, so no publish waits for a later repomd revision. */
function steppingClock(): () => Date {
  let t = Date.parse("2026-12-01T00:00:00Z");
  return () => new Date((t += 2000));
}

async function copyOf(from: Storage): Promise<Storage> {
  const to = memoryStorage();
  for (const key of await listAll(from, "")) await to.put(key, (await readObject(from, key))!);
  return to;
}

let signer: OpenPGPSigner;
let clock: () => Date;
/** The 5,000-package repository, published once; each test adds to a copy of it. */
let repository: Storage;

before(async () => {
  ({ signer } = await openpgpTestKey());
  clock = steppingClock();
  repository = memoryStorage();
  // Real rpms, small (~6 KiB each, ~1.3 ms to write and ~1.3 ms to sign at publish).
  const many: PublishInput[] = [];
  for (let i = 0; i < N; i++) {
    const arch = ["x86_64", "aarch64", "noarch"][i % 3]!;
    many.push(await testRpm({ name: `pkg${String(i).padStart(5, "0")}`, arch }));
  }
  await publish(repository, { add: many, signers: [signer], rpm: EL9, clock });
  const fedora = [await testRpm({ name: "other", arch: "x86_64" })];
  await publish(repository, { add: fedora, signers: [signer], rpm: { targets: ["fedora-43"] }, clock });
  const debs = [fakeDeb("hello", "1.0-1", "amd64"), fakeDeb("docs", "1.0-1", "all")];
  await publish(repository, { add: debs, signers: [signer], apt: { architectures: ["amd64"] }, clock });
  const pool = (await listAll(repository, "rpm/pool/")).length;
  assert.equal(pool, N + 1, "one pool file per rpm, noarch ones too");
});

for (const arch of ["x86_64", "noarch"] as const) {
  test(`adding one ${arch} rpm to ${N} reads nothing under the pools and rewrites only the roots that list it`, async () => {
    const storage = await copyOf(repository);
    const before = await snapshot(storage);
    const ops: Op[] = [];
    const newcomer = await testRpm({ name: "newcomer", version: "2.0-1", arch });
    const result = await publish(recording(storage, ops), {
      add: [newcomer],
      signers: [signer],
      rpm: { targets: ["el-9"] },
      clock,
    });
    const affected = arch === "noarch" ? ["aarch64", "x86_64"] : [arch];
    assert.deepEqual(
      result.added.map((a) => `${a.name} ${a.arch} ${a.target}`),
      affected.map(() => `newcomer ${arch} el-9`),
    );
    const reads = ops.filter((o) => ["get", "head", "list"].includes(o.op));
    assert.deepEqual(
      reads.filter((o) => o.key.startsWith("rpm/pool") || o.key.startsWith("deb/pool")),
      [],
      "reads under the package folders",
    );
    // Of what clients read, only the top files are read back (to see whether a publish stopped before
    // them), and the metadata documents the previous states list with their gzip pieces (copied where
    // their text did not change); the metadata is rebuilt from the states.
    const TOP =
      /^(deb\/dists\/[^/]+\/(InRelease|Release|Release\.gpg)|rpm\/.+\/repodata\/repomd\.xml(\.asc|\.key)?)$/;
    const DOCUMENT = /^rpm\/.+\/repodata\/[0-9a-f]{64}-(primary|filelists|other)\.xml\.gz$/;
    assert.deepEqual(
      reads.filter(
        (o) =>
          (o.key.startsWith("rpm/") || o.key.startsWith("deb/")) &&
          !TOP.test(o.key) &&
          !(o.op === "get" && DOCUMENT.test(o.key) && before.has(o.key)),
      ),
      [],
      "reads of published files other than top files and the previous metadata documents",
    );
    const writes = ops.filter(
      (o) => ["put", "create", "delete"].includes(o.op) && !o.key.startsWith(".packyard/lock/"),
    );
    const written = writes.map((w) => w.key.replace(/[0-9a-f]{64}/g, "<sha256>"));
    const dir = (a: string) => `rpm/el/9/${a}/repodata`;
    // Started in this order (the blobs after the states run a few at a time).
    assert.deepEqual(written, [
      ...affected.map((a) => `.packyard/states/rpm/el/9/${a}/0000000002.<sha256>.<sha256>.json`),
      // Each root's one chunk of records that changed.
      ...affected.map((a) => `.packyard/chunks/rpm/el/9/${a}/<sha256>.json`),
      ...affected.flatMap((a, i) => [
        ...(i === 0 ? [`rpm/pool/n/newcomer/newcomer-2.0-1.${arch}.rpm`] : []),
        `${dir(a)}/<sha256>-primary.xml.gz`,
        `${dir(a)}/<sha256>-filelists.xml.gz`,
        `${dir(a)}/<sha256>-other.xml.gz`,
      ]),
      ...affected.flatMap((a) => [
        `${dir(a)}/repomd.xml`,
        `${dir(a)}/repomd.xml.asc`,
        `${dir(a)}/repomd.xml.key`,
      ]),
      ...affected.map((a) => `.packyard/roots/rpm/el/9/${a}.json`),
    ]);
    assert.ok(
      writes.every((w) => w.op === "put"),
      "only puts: nothing is deleted before its grace period",
    );
    const after = await snapshot(storage);
    const changed = new Set(writes.map((w) => w.key));
    for (const [key, sha] of before) {
      if (!changed.has(key)) assert.equal(after.get(key), sha, `${key} changed`);
    }
    // Immutable objects written were not there before: no pool file or metadata file was rewritten.
    for (const w of writes) {
      if (/\/repodata\/repomd\.xml(\.asc|\.key)?$|^\.packyard\/roots\//.test(w.key)) continue;
      assert.equal(before.get(w.key), undefined, `${w.key} existed and was written again`);
    }
  });
}

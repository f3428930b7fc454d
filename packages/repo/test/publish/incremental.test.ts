// Incremental publishing: adding one package to a 5,000-package suite reads no package and writes exactly
// the package, the Packages files it changes (with their by-hash copies), the three Release files, the
// state and its pointer; every other object stays byte-identical.
import assert from "node:assert/strict";
import { test } from "node:test";
import { memoryStorage, publish, type Storage } from "@packyard/repo";
import { openpgpTestKey } from "@packyard/testkit/keyrings";
import { fakeDeb } from "./fake-debs.ts";
import { snapshot } from "./storage-snapshot.ts";

interface Op {
  op: "get" | "head" | "list" | "put" | "create" | "delete";
  key: string;
}

function recording(inner: Storage, ops: Op[]): Storage {
  const note = (op: Op["op"], key: string) => {
    ops.push({ op, key });
  };
  return {
    description: inner.description,
    get(key, o) {
      note("get", key);
      return inner.get(key, o);
    },
    head(key) {
      note("head", key);
      return inner.head(key);
    },
    list(key, o) {
      note("list", key);
      return inner.list(key, o);
    },
    put(key, b, o) {
      note("put", key);
      return inner.put(key, b, o);
    },
    create(key, b, o) {
      note("create", key);
      return inner.create(key, b, o);
    },
    delete(key) {
      note("delete", key);
      return inner.delete(key);
    },
  };
}

/** A clock that moves two seconds per call, so no publish waits for a later Release date. */
function steppingClock(): () => Date {
  let t = Date.parse("2026-12-01T00:00:00Z");
  return () => new Date((t += 2000));
}

const N = 5000;

for (const arch of ["amd64", "all"] as const) {
  test(`adding one ${arch} package to a ${N}-package suite reads no package and writes exactly what changed`, async () => {
    const { signer } = await openpgpTestKey();
    const storage = memoryStorage();
    const clock = steppingClock();
    const apt = { architectures: ["amd64", "arm64", "i386"] };
    const many = Array.from({ length: N }, (_, i) =>
      fakeDeb(`pkg${String(i).padStart(5, "0")}`, "1.0-1", ["amd64", "arm64", "all"][i % 3]!),
    );
    await publish(storage, { add: many, signers: [signer], apt, clock });
    const before = await snapshot(storage);
    const ops: Op[] = [];
    const result = await publish(recording(storage, ops), {
      add: [fakeDeb("newcomer", "2.0-1", arch)],
      signers: [signer],
      apt,
      clock,
    });
    assert.deepEqual(
      result.added.map((a) => a.name),
      ["newcomer"],
    );
    const poolReads = ops.filter(
      (o) => ["get", "head", "list"].includes(o.op) && o.key.startsWith("deb/pool"),
    );
    assert.deepEqual(poolReads, [], "reads under deb/pool/");
    const writes = ops.filter(
      (o) => ["put", "create", "delete"].includes(o.op) && !o.key.startsWith(".packyard/lock/"),
    );
    const affected = arch === "all" ? ["amd64", "arm64", "i386"] : [arch];
    const written = writes.map((w) => w.key.replace(/[0-9a-f]{64}/g, "<sha256>"));
    const expected = [
      ".packyard/states/deb/stable/0000000002.<sha256>.<sha256>.json",
      // The one chunk of records that changed (the others are shared with the previous state).
      ".packyard/chunks/deb/stable/<sha256>.json",
      `deb/pool/main/n/newcomer/newcomer_2.0-1_${arch}.deb`,
      ...affected.flatMap((a) => [
        `deb/dists/stable/main/binary-${a}/by-hash/SHA256/<sha256>`,
        `deb/dists/stable/main/binary-${a}/by-hash/SHA256/<sha256>`,
      ]),
      ...affected.flatMap((a) => [
        `deb/dists/stable/main/binary-${a}/Packages`,
        `deb/dists/stable/main/binary-${a}/Packages.gz`,
      ]),
      "deb/dists/stable/InRelease",
      "deb/dists/stable/Release",
      "deb/dists/stable/Release.gpg",
      ".packyard/roots/deb/stable.json",
    ];
    assert.deepEqual(written, expected);
    assert.ok(
      writes.every((w) => w.op === "put"),
      "only puts: nothing is deleted before its grace period",
    );
    const after = await snapshot(storage);
    const changed = new Set(writes.map((w) => w.key));
    for (const [key, sha] of before) {
      if (!changed.has(key)) assert.equal(after.get(key), sha, `${key} changed`);
    }
  });
}

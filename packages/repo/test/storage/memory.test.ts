import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { memoryStorage } from "../../src/storage/memory.ts";
import { readObject } from "../../src/storage/read.ts";
import { storageContract } from "./contract.ts";

storageContract("memory", async () => ({ storage: memoryStorage() }));

describe("memoryStorage", () => {
  it("is a separate store per call", async () => {
    const a = memoryStorage();
    const b = memoryStorage();
    await a.put("k", new Uint8Array([1]));
    assert.equal(await b.head("k"), undefined);
    assert.deepEqual(await readObject(a, "k"), new Uint8Array([1]));
    assert.equal(a.description, "memory");
  });

  it("tags an object with the SHA-256 of its bytes", async () => {
    const storage = memoryStorage();
    await storage.put("k", new TextEncoder().encode("abc"));
    assert.equal(
      (await storage.head("k"))?.etag,
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    );
  });
});

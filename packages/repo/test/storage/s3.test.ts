import assert from "node:assert/strict";
import { createServer, type Server } from "node:net";
import { after, before, describe, it } from "node:test";
import { type S3Server, startS3 } from "@packyard/testkit/s3";
import { readObject } from "../../src/storage/read.ts";
import { type S3StorageOptions, s3Storage } from "../../src/storage/s3.ts";
import type { Storage } from "../../src/storage/storage.ts";
import { storageFromUrl } from "../../src/storage/url.ts";
import { rejectsWith, storageContract } from "./contract.ts";

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

let s3: S3Server;
before(async () => {
  s3 = await startS3();
});
after(() => s3?.stop());

/** An s3Storage of the test bucket at `endpoint` (default: the proxy), with the server's credentials. */
function storageAt(prefix: string, overrides: Partial<S3StorageOptions> = {}): Storage {
  return s3Storage({
    bucket: s3.bucket,
    prefix,
    endpoint: s3.endpoint,
    region: s3.region,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    ...overrides,
  });
}

let subjects = 0;
storageContract(
  "s3 (s3rver behind the conditional proxy)",
  async () => {
    const prefix = `contract-${++subjects}`;
    const bucketPath = (key: string) => `/${s3.bucket}/${prefix}/${key}`;
    return {
      storage: storageAt(prefix),
      // s3rver's multipart ETag has no -<parts> suffix, so the parts are counted in the proxy's log: the
      // UploadPart requests since the key's last CreateMultipartUpload.
      async partsUploaded(key) {
        let parts = 0;
        for (const r of await s3.requests()) {
          if (r.path !== bucketPath(key)) continue;
          if (r.method === "POST" && /[?&]uploads(=|&|$)/.test(r.query)) parts = 0;
          if (r.method === "PUT" && /[?&]partNumber=/.test(r.query)) parts++;
        }
        return parts;
      },
      async served(key) {
        const answer = await fetch(s3.url(`${prefix}/${key}`), { method: "HEAD" });
        assert.equal(answer.status, 200, `HEAD ${key}`);
        return {
          contentType: answer.headers.get("content-type"),
          cacheControl: answer.headers.get("cache-control"),
        };
      },
    };
  },
  { servesHttp: true },
);

/** A TCP port on 127.0.0.1 that nothing listens on (it was free a moment ago). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe("s3Storage", () => {
  it("describes itself as s3://bucket/prefix and the endpoint", () => {
    assert.equal(storageAt("apt/").description, `s3://${s3.bucket}/apt at ${s3.endpoint}`);
    assert.equal(storageAt("").description, `s3://${s3.bucket} at ${s3.endpoint}`);
    assert.equal(s3Storage({ bucket: "b", prefix: "/x/y/", region: "eu-west-1" }).description, "s3://b/x/y");
  });

  it("keeps its prefix: keys are stored under it and listed without it", async () => {
    const storage = storageAt("nested/prefix");
    await storage.put("deb/InRelease", text("signed"));
    const answer = await fetch(s3.url("nested/prefix/deb/InRelease"));
    assert.equal(await answer.text(), "signed");
    assert.deepEqual(
      (await storage.list("")).objects.map((o) => o.key),
      ["deb/InRelease"],
    );
    assert.deepEqual(
      (await storageAt("nested").list("")).objects.map((o) => o.key),
      ["prefix/deb/InRelease"],
    );
  });

  it("keys with +, ~, : and spaces round-trip, and are served at their URL", async () => {
    const storage = storageAt("odd");
    const key = "pool/main/libc++ 1:2.0~rc1+git.deb";
    await storage.put(key, text("odd"));
    assert.deepEqual(await readObject(storage, key), text("odd"));
    assert.deepEqual(
      (await storage.list("pool/")).objects.map((o) => o.key),
      [key],
    );
    assert.equal(await (await fetch(s3.url(`odd/${key}`))).text(), "odd");
  });

  it("serves objects to anonymous HTTP GETs, and answers 404 for missing keys", async () => {
    await storageAt("anon").put("deb/dists/stable/Release", text("Origin: test\n"));
    const found = await fetch(s3.url("anon/deb/dists/stable/Release"));
    assert.equal(found.status, 200);
    assert.equal(await found.text(), "Origin: test\n");
    const missing = await fetch(s3.url("anon/deb/dists/stable/InRelease"));
    assert.equal(missing.status, 404);
    await missing.body?.cancel();
  });

  it("on the raw endpoint (no If-None-Match) create overwrites and reports true both times", async () => {
    const storage = storageAt("raw", { endpoint: s3.rawEndpoint });
    assert.equal(await storage.create("lock/1", text("first")), true);
    assert.equal(await storage.create("lock/1", text("second")), true);
    assert.deepEqual(await readObject(storage, "lock/1"), text("second"));
  });

  it("an endpoint nobody listens on is STORAGE_UNREACHABLE, naming the endpoint", async () => {
    const endpoint = `http://127.0.0.1:${await closedPort()}`;
    const storage = storageAt("x", { endpoint });
    const named = new RegExp(endpoint.replaceAll(".", "\\."));
    await rejectsWith(storage.head("k"), "STORAGE_UNREACHABLE", named);
    await rejectsWith(storage.get("k"), "STORAGE_UNREACHABLE", named);
    await rejectsWith(storage.put("k", text("v")), "STORAGE_UNREACHABLE", named);
    await rejectsWith(storage.create("k", text("v")), "STORAGE_UNREACHABLE", named);
    await rejectsWith(storage.list(""), "STORAGE_UNREACHABLE", named);
  });

  it("an upload that fails stops the caller's stream", async () => {
    const storage = storageAt("x", { endpoint: `http://127.0.0.1:${await closedPort()}` });
    let released = false;
    async function* endless(): AsyncGenerator<Uint8Array> {
      try {
        for (;;) yield new Uint8Array(1024 * 1024);
      } finally {
        released = true;
      }
    }
    await rejectsWith(storage.put("big", endless()), "STORAGE_UNREACHABLE");
    assert.equal(released, true);
  });

  it("a dropped connection is retried once, then STORAGE_UNREACHABLE", async () => {
    let connections = 0;
    const server: Server = createServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = server.address() as { port: number };
      const storage = storageAt("x", { endpoint: `http://127.0.0.1:${port}` });
      await rejectsWith(storage.head("k"), "STORAGE_UNREACHABLE");
      assert.equal(connections, 2, "two attempts, not the SDK's default retries");
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("an unknown access key is ACCESS_DENIED, naming the bucket and key", async () => {
    const storage = storageAt("denied", { credentials: { accessKeyId: "WRONG", secretAccessKey: "WRONG" } });
    const where = new RegExp(`deb/InRelease in s3://${s3.bucket}/denied/`);
    await rejectsWith(storage.get("deb/InRelease"), "ACCESS_DENIED", where);
    await rejectsWith(storage.head("deb/InRelease"), "ACCESS_DENIED", where);
    await rejectsWith(storage.put("deb/InRelease", text("x")), "ACCESS_DENIED", where);
    await rejectsWith(storage.create("deb/InRelease", text("x")), "ACCESS_DENIED", where);
    await rejectsWith(storage.delete("deb/InRelease"), "ACCESS_DENIED", where);
    await rejectsWith(storage.list("deb/"), "ACCESS_DENIED");
  });

  it("a missing bucket is STORAGE_FAILED, not an absent key", async () => {
    const storage = storageAt("x", { bucket: "no-such-bucket" });
    await rejectsWith(storage.get("k"), "STORAGE_FAILED", /NoSuchBucket/);
    await rejectsWith(storage.list(""), "STORAGE_FAILED", /NoSuchBucket/);
  });

  it("without credentials or region it takes the SDK's chains (here: the environment) and a default region", async () => {
    const names = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION", "AWS_DEFAULT_REGION"] as const;
    const saved = names.map((name) => process.env[name]);
    process.env.AWS_ACCESS_KEY_ID = s3.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = s3.secretAccessKey;
    delete process.env.AWS_REGION;
    delete process.env.AWS_DEFAULT_REGION;
    try {
      const storage = s3Storage({ bucket: s3.bucket, prefix: "chains", endpoint: s3.endpoint });
      await storage.put("k", text("from the environment"));
      assert.deepEqual(await readObject(storage, "k"), text("from the environment"));
    } finally {
      names.forEach((name, i) => {
        if (saved[i] === undefined) delete process.env[name];
        else process.env[name] = saved[i];
      });
    }
  });

  it("storageFromUrl reaches the bucket from s3://bucket/prefix", async () => {
    const storage = storageFromUrl(`s3://${s3.bucket}/from-url/`, {
      endpoint: s3.endpoint,
      region: s3.region,
      credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    });
    assert.equal(storage.description, `s3://${s3.bucket}/from-url at ${s3.endpoint}`);
    await storage.put("k", text("via url"));
    assert.equal(await (await fetch(s3.url("from-url/k"))).text(), "via url");
  });
});

describe("startS3", () => {
  it("storage(prefix) is an s3Storage through the proxy", async () => {
    const storage = s3.storage("kit");
    assert.equal(storage.description, `s3://${s3.bucket}/kit at ${s3.endpoint}`);
    assert.equal(await storage.create("k", text("1")), true);
    assert.equal(await storage.create("k", text("2")), false);
    assert.deepEqual(await readObject(storage, "k"), text("1"));
  });

  it("with conditional: false the proxy lets a conditional PUT overwrite", async () => {
    const plain = await startS3({ conditional: false });
    try {
      const storage = storageAt("p", { endpoint: plain.endpoint });
      assert.equal(await storage.create("k", text("1")), true);
      assert.equal(await storage.create("k", text("2")), true);
    } finally {
      await plain.stop();
    }
  });
});

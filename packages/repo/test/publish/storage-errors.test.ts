// Storage failures reach the publisher as typed errors, and leave the repository as it was: an endpoint
// nobody listens on (STORAGE_UNREACHABLE), credentials the store refuses (ACCESS_DENIED).
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { after, before, test } from "node:test";
import type { OpenPGPSigner } from "@packyard/formats";
import { isRepoError, publish, readRepository, s3Storage } from "@packyard/repo";
import { openpgpTestKey } from "@packyard/testkit/keyrings";
import { type S3Server, startS3 } from "@packyard/testkit/s3";
import { fakeDeb } from "./fake-debs.ts";

let s3: S3Server;
let signer: OpenPGPSigner;
before(async () => {
  s3 = await startS3();
  signer = (await openpgpTestKey()).signer;
  await publish(s3.storage("held"), { add: [fakeDeb("held")], signers: [signer] });
});
after(async () => {
  await s3?.stop();
});

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  await new Promise((r) => server.close(r));
  return port;
}

test("an unreachable endpoint is STORAGE_UNREACHABLE, naming it", async () => {
  const endpoint = `http://127.0.0.1:${await closedPort()}`;
  const storage = s3Storage({
    endpoint,
    bucket: "nowhere",
    region: "us-east-1",
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
  });
  await assert.rejects(publish(storage, { add: [fakeDeb("a")], signers: [signer] }), (e: unknown) => {
    assert.ok(isRepoError(e));
    assert.equal(e.code, "STORAGE_UNREACHABLE", e.message);
    assert.match(e.message, new RegExp(endpoint.replaceAll(".", "\\.")));
    return true;
  });
});

test("a store that refuses the credentials is ACCESS_DENIED, and the repository is unchanged", async () => {
  const denied = s3Storage({
    endpoint: s3.endpoint,
    bucket: s3.bucket,
    prefix: "held",
    region: s3.region,
    credentials: { accessKeyId: "WRONG", secretAccessKey: "WRONG" },
  });
  const before = await readRepository(s3.storage("held"));
  await assert.rejects(publish(denied, { add: [fakeDeb("a")], signers: [signer] }), (e: unknown) => {
    assert.ok(isRepoError(e));
    assert.equal(e.code, "ACCESS_DENIED", e.message);
    assert.match(e.message, new RegExp(s3.bucket));
    return true;
  });
  assert.deepEqual(await readRepository(s3.storage("held")), before);
});

/**
 * apt 2.6 judges a repository published to a real S3 server (s3rver behind the test proxy) and read over
 * plain HTTP from its bucket URL, as users read a public bucket: a clean update, every demo package found,
 * and the pool file with `:`, `+` and `~` in its version downloaded (the keys object stores mangle).
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { publish, readObject } from "@packyard/repo";
import { scratchApt } from "@packyard/testkit/apt";
import { startS3 } from "@packyard/testkit/s3";
import { needTool } from "@packyard/testkit/tools";
import { aptName, assertClean, DEMO, demoInputs, fixtureSigner, scratchDir } from "./apt-repo.ts";

const s3 = await startS3();
after(() => s3.stop());

test("apt-get update from an S3 bucket URL is clean; policy finds every package; download gets the epoch one", async (t) => {
  if (!needTool(t, "apt-get", "apt-cache")) return;
  const storage = s3.storage("apt-judge");
  const inputs = await demoInputs();
  await publish(storage, { add: inputs, signers: [await fixtureSigner()] });
  const dir = scratchDir();
  const key = await readObject(storage, "keys/repository.asc");
  assert.ok(key !== undefined, "keys/repository.asc in the bucket");
  writeFileSync(join(dir, "repository.asc"), key);

  const apt = scratchApt({
    sources: { uri: s3.url("apt-judge/deb"), signedBy: join(dir, "repository.asc") },
  });
  t.after(() => apt.dispose());
  assertClean(await apt.update(), "apt-get update");
  for (const p of DEMO) {
    const policy = await apt.policy(aptName(p));
    assert.equal(policy.candidate, p.version, `apt-cache policy ${aptName(p)}:\n${policy.stdout}`);
  }
  const epoch = DEMO.findIndex((p) => p.name === "yard-epoch");
  const got = await apt.download(DEMO[epoch]!.name);
  assert.equal(got.code, 0, `${got.stdout}\n${got.stderr}`);
  assert.equal(got.files.length, 1, got.stdout);
  const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
  const source = inputs[epoch]!.source;
  const chunks: Uint8Array[] = [];
  for await (const c of source.open()) chunks.push(c);
  assert.equal(
    sha(readFileSync(got.files[0]!)),
    sha(Buffer.concat(chunks)),
    "the downloaded .deb is the published one",
  );
});

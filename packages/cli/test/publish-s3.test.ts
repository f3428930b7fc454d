/**
 * `packyard publish` and `packyard repo ls` against S3 (s3rver on 127.0.0.1 behind the test kit's
 * proxy): the S3 flags and the publish: block reach storageFromUrl, credentials come from the
 * environment the CLI was given, and a refused key is one paragraph, exit 1.
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { type S3Server, startS3 } from "@packyard/testkit/s3";
import type { ListedRoot } from "../src/commands/repo.ts";
import type { PublishResult } from "../src/repo.ts";
import { builtExample, cli, DEB, KEY } from "./publish/support.ts";
import { isOneParagraph } from "./run-cli.ts";
import { tempDirs } from "./temp-dirs.ts";

const tmp = tempDirs("packyard-publish-s3-");
let s3: S3Server;
before(async () => {
  s3 = await startS3();
});
after(() => s3.stop());

const creds = () => ({ AWS_ACCESS_KEY_ID: s3.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.secretAccessKey });

test("publish --to s3://bucket/prefix --endpoint --path-style --region, then repo ls of it", async () => {
  const cwd = await builtExample(tmp());
  const to = `s3://${s3.bucket}/flags`;
  const s3Flags = ["--endpoint", s3.endpoint, "--path-style", "--region", s3.region];
  const r = await cli(["publish", "--to", to, ...s3Flags, "--key", KEY, "--json"], cwd, creds());
  assert.equal(r.status, 0, r.stderr);
  const result = JSON.parse(r.stdout) as PublishResult;
  assert.equal(result.added.length, 1);
  const inRelease = await fetch(s3.url("flags/deb/dists/stable/InRelease"));
  assert.equal(inRelease.status, 200);
  assert.match(await inRelease.text(), /^-----BEGIN PGP SIGNED MESSAGE-----/);
  assert.equal((await fetch(s3.url(`flags/deb/pool/main/h/hello-packyard/${DEB}`))).status, 200);

  const ls = await cli(["repo", "ls", "--to", to, ...s3Flags, "--json"], cwd, creds());
  assert.equal(ls.status, 0, ls.stderr);
  const roots = JSON.parse(ls.stdout) as ListedRoot[];
  assert.deepEqual(
    roots.map((x) => [x.root, x.packages.map((p) => `${p.name} ${p.version}`)]),
    [["deb/stable", ["hello-packyard 1.0.0-1"]]],
  );
});

test("the publish: block's endpoint, path_style and region; a refused access key is ACCESS_DENIED", async () => {
  const cwd = await builtExample(tmp());
  // This publish: block in place of the example's own, if it has one (YAML takes a key once).
  const config = join(cwd, "packyard.yml");
  writeFileSync(
    config,
    `${readFileSync(config, "utf8").replace(/^publish:\n(?:[ #].*\n|\n)*/m, "")}\npublish:\n  to: s3://${s3.bucket}/config\n  endpoint: ${s3.endpoint}\n  path_style: true\n  region: ${s3.region}\n  key: ${KEY}\n`,
  );
  const r = await cli(["publish"], cwd, creds());
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, new RegExp(`^published to s3://${s3.bucket}/config \\(deb/stable\\): 1 added`));
  assert.equal((await fetch(s3.url("config/deb/dists/stable/Release"))).status, 200);

  const denied = await cli(["publish", "--to", `s3://${s3.bucket}/denied`], cwd, {
    AWS_ACCESS_KEY_ID: "WRONG",
    AWS_SECRET_ACCESS_KEY: "wrong",
  });
  assert.equal(denied.status, 1);
  assert.ok(isOneParagraph(denied.stderr), denied.stderr);
  assert.match(denied.stderr, /\[RepoError ACCESS_DENIED\]\n$/);
});

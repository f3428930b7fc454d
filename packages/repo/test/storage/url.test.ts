import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { storageFromUrl } from "../../src/storage/url.ts";
import { rejectsWith } from "./contract.ts";

const refused = (target: string): Promise<void> =>
  rejectsWith(
    (async () => storageFromUrl(target))(),
    "INVALID_SETTING",
    target === "" ? /empty/ : new RegExp(target.replaceAll(".", "\\.").replaceAll("/", "\\/")),
  );

describe("storageFromUrl", () => {
  it("reads s3://bucket and s3://bucket/prefix", () => {
    assert.equal(storageFromUrl("s3://packages").description, "s3://packages");
    assert.equal(storageFromUrl("s3://packages/").description, "s3://packages");
    assert.equal(storageFromUrl("s3://packages/apt/stable/").description, "s3://packages/apt/stable");
    assert.equal(
      storageFromUrl("s3://packages/apt", { endpoint: "http://127.0.0.1:9000", pathStyle: true, region: "x" })
        .description,
      "s3://packages/apt at http://127.0.0.1:9000",
    );
  });

  it("takes anything else for a folder, relative to cwd", () => {
    assert.equal(storageFromUrl("public", { cwd: "/srv/www" }).description, "folder /srv/www/public");
    assert.equal(storageFromUrl("../repo", { cwd: "/srv/www" }).description, "folder /srv/repo");
    assert.equal(storageFromUrl("/abs/repo", { cwd: "/srv/www" }).description, "folder /abs/repo");
    assert.equal(storageFromUrl("file:///srv/repo").description, "folder /srv/repo");
    assert.equal(storageFromUrl("out").description, `folder ${join(process.cwd(), "out")}`);
  });

  it("refuses an empty target, a bucketless s3:// and other schemes", async () => {
    for (const target of ["", "s3://", "s3:///prefix", "https://example.com/repo", "gs://bucket/x"])
      await refused(target);
    await rejectsWith((async () => storageFromUrl("s3://b/../x"))(), "INVALID_SETTING");
  });
});

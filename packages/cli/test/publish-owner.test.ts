/**
 * `packyard publish` (and `packyard repo refresh`) pointed at a repository the packyard server hosts — one
 * whose `.packyard/owner.json` the server's publish wrote — is refused: REPO_OWNED_BY_SERVER, exit 1, one
 * paragraph naming the server's URL, and nothing in the folder changes.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { test } from "node:test";
import { fileSource, loadOpenPGPSigner, readPackage } from "@packyard/formats";
import { folderStorage, OWNER_KEY, publish, readOwner } from "@packyard/repo";
import { builtExample, cli, DEB, KEY } from "./publish/support.ts";
import { isOneParagraph } from "./run-cli.ts";
import { tempDirs } from "./temp-dirs.ts";

const tmp = tempDirs("packyard-publish-owner-");

/** Every file under `dir` with the SHA-256 of its bytes. */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const path = join(e.parentPath, e.name);
    out[relative(dir, path)] = createHash("sha256").update(readFileSync(path)).digest("hex");
  }
  return out;
}

test("publish --to a server-owned folder: REPO_OWNED_BY_SERVER naming the server, exit 1, nothing written", async () => {
  const cwd = await builtExample(tmp());
  const repo = join(tmp(), "repo");
  // What the server does: its publish, with its owner marker.
  const storage = folderStorage(repo);
  const source = await fileSource(join(cwd, "dist", DEB));
  await publish(storage, {
    add: [{ info: await readPackage(source, DEB), source }],
    signers: [await loadOpenPGPSigner(readFileSync(KEY, "utf8"))],
    owner: { kind: "server", url: "https://packyard.example.com" },
  });
  assert.deepEqual(await readOwner(storage), { kind: "server", url: "https://packyard.example.com" });
  assert.ok(OWNER_KEY in tree(repo));
  const before = tree(repo);

  for (const args of [
    ["publish", "--to", repo, "--key", KEY],
    ["publish", "--to", repo, "--key", KEY, "--no-lock"],
    ["repo", "refresh", "--to", repo, "--key", KEY],
  ]) {
    const r = await cli(args, cwd);
    assert.equal(r.status, 1, `${args.join(" ")}: ${r.stderr}`);
    assert.ok(isOneParagraph(r.stderr), r.stderr);
    assert.match(r.stderr, /hosted by the packyard server at https:\/\/packyard\.example\.com/);
    assert.match(r.stderr, /\[RepoError REPO_OWNED_BY_SERVER\]\n$/);
    assert.deepEqual(tree(repo), before, `${args.join(" ")}: nothing written`);
  }
});

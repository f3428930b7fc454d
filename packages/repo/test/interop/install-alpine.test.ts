/**
 * The Alpine install instructions, as far as they can run here (apk-tools is not on the test hosts, so
 * `apk update` and `apk add` are verified by construction only): install.json's `alpine-3.22` key and
 * repository steps run with the root paths rewritten (`/etc/apk/` is `<root>/etc/apk/`) and `wget` run
 * as busybox's, the wget Alpine has; then the key file they saved is named exactly as the APKINDEX
 * signature names its key (`.SIGN.RSA256.<name>`, read from the index's first gzip member by Python's
 * zlib and tar, and verified with openssl against the saved file), and the line they added to
 * `/etc/apk/repositories`, with `/<arch>/APKINDEX.tar.gz` after it (how apk builds the index URL), is a
 * file of the published folder that the server hands out.
 */
import assert from "node:assert/strict";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { shellQuote } from "@packyard/repo";
import { verifyApkSignature } from "@packyard/testkit/signatures";
import { needTool } from "@packyard/testkit/tools";
import { APK_KEY_NAME, type InstallRepo, publishExample, rewriteCommand, runSteps } from "./install-repo.ts";

let shared: Promise<InstallRepo> | undefined;
after(async () => {
  if (shared !== undefined) await (await shared).dispose();
});

test("Alpine: the saved key is named as the index signature names it; the repository line leads to APKINDEX.tar.gz", async (t) => {
  if (!needTool(t, "busybox", "python3", "openssl", "tar")) return;
  const start = performance.now();
  shared ??= publishExample(["apk"]);
  const repo = await shared;
  const target = repo.target("alpine-3.22");
  assert.equal(target.manager, "apk");
  assert.deepEqual(target.architectures, ["x86_64"]);

  const dir = mkdtempSync(join(tmpdir(), "packyard-install-alpine-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const root = join(dir, "root");
  // what an Alpine system has: the keys folder and a repositories file listing its own mirror
  mkdirSync(join(root, "etc/apk/keys"), { recursive: true });
  const mirror = "https://dl-cdn.alpinelinux.org/alpine/v3.22/main\n";
  writeFileSync(join(root, "etc/apk/repositories"), mirror);

  // the steps up to the first apk command: apk itself cannot run here
  const firstApk = target.steps.findIndex((s) => /(^|[|;&]\s*)apk /.test(s.command));
  assert.ok(firstApk > 0, target.steps.map((s) => s.command).join("\n"));
  const steps = target.steps.slice(0, firstApk);
  const r = shellQuote(root);
  const rewrite = (command: string) =>
    rewriteCommand(command, "wget", "busybox wget").replaceAll(" /etc/apk/", ` ${r}/etc/apk/`);
  await runSteps(t, steps, rewrite);
  // twice: the line is not added again
  await runSteps(t, steps, rewrite);

  const saved = readdirSync(join(root, "etc/apk/keys"));
  assert.deepEqual(saved, [APK_KEY_NAME], "one key file, under the name the publish signed with");
  assert.equal(
    readFileSync(join(root, "etc/apk/keys", saved[0]!), "utf8"),
    readFileSync(join(repo.folder, "keys", APK_KEY_NAME), "utf8"),
    "the saved key is the published key file",
  );
  const index = join(repo.folder, "alpine/v3.22/main/x86_64/APKINDEX.tar.gz");
  const work = join(dir, "judge");
  mkdirSync(work);
  const { keyName } = verifyApkSignature(index, join(root, "etc/apk/keys", saved[0]!), work);
  assert.equal(keyName, saved[0], "the index signature's key name is the saved file's name");

  const lines = readFileSync(join(root, "etc/apk/repositories"), "utf8");
  assert.ok(lines.startsWith(mirror), lines);
  const added = lines
    .slice(mirror.length)
    .split("\n")
    .filter((l) => l !== "");
  assert.equal(added.length, 1, lines);
  const url = `${added[0]}/${target.architectures[0]}/APKINDEX.tar.gz`;
  assert.ok(url.startsWith(`${repo.server.url}/`), url);
  const path = join(repo.folder, url.slice(repo.server.url.length + 1));
  assert.ok(existsSync(path), `${url} is ${path}, a file of the published folder`);
  const served = await fetch(url);
  assert.equal(served.status, 200, url);
  assert.deepEqual(new Uint8Array(await served.arrayBuffer()), new Uint8Array(readFileSync(path)));
  t.diagnostic(`case: ${Math.round(performance.now() - start)} ms`);
});

/**
 * zypper judges an RPM-MD repository published for el-9 x86_64 (RSA key), over HTTP: with the repository
 * key imported into the root's rpm database, and nothing auto-imported, a plain `zypper refresh` accepts
 * the signed repomd.xml, `zypper search` finds the packages and `zypper install` installs one with its
 * requires. The same refresh fails when repomd.xml.asc is a valid signature by another key.
 */
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import type { OpenPGPSigner } from "@packyard/formats";
import { folderStorage, publish } from "@packyard/repo";
import { type FolderServer, serveFolder } from "@packyard/testkit/http";
import { openpgpTestKey } from "@packyard/testkit/keyrings";
import {
  parseRpmQuery,
  RPM_QUERY_FORMAT,
  relatedRpm,
  type ScratchZypper,
  scratchZypper,
  stubRpm,
} from "@packyard/testkit/rpms";
import { needRoot, needTool } from "@packyard/testkit/tools";

const ROOT = "rpm/el/9/x86_64";

interface Shared {
  dir: string;
  server: FolderServer;
  signer: OpenPGPSigner;
  other: OpenPGPSigner;
}

let shared: Promise<Shared> | undefined;
const cleanups: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

/** `<dir>/good`: the published repository; `<dir>/foreign`: a copy whose repomd.xml.asc is by `other`. */
async function setup(): Promise<Shared> {
  const dir = mkdtempSync(join(tmpdir(), "packyard-rpm-zypper-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const [{ signer }, { signer: other }] = await Promise.all([
    openpgpTestKey({ type: "rsa", rsaBits: 2048 }),
    openpgpTestKey({ type: "rsa", rsaBits: 2048 }),
  ]);
  const server = await serveFolder(dir);
  cleanups.push(() => server.stop());
  const packages = [
    await stubRpm(),
    await relatedRpm({
      name: "yard-tool",
      version: "2:1.5-3",
      arch: "x86_64",
      relations: { depends: [[{ name: "packyard-stub" }]] },
      files: ["/usr/bin/yard-tool"],
    }),
  ];
  const good = join(dir, "good");
  await publish(folderStorage(good), {
    add: packages.map((p) => ({ info: p.info, source: p.source, name: p.name })),
    signers: [signer],
    rpm: { targets: ["el-9"], architectures: ["x86_64"], baseUrl: `${server.url}/good` },
  });
  const foreign = join(dir, "foreign");
  cpSync(good, foreign, { recursive: true });
  const repomd = join(foreign, ROOT, "repodata/repomd.xml");
  writeFileSync(
    `${repomd}.asc`,
    await other.detached(readFileSync(repomd), { armor: true, date: new Date() }),
  );
  return { dir, server, signer, other };
}

async function repository(t: Parameters<typeof needTool>[0]): Promise<Shared | undefined> {
  if (!needTool(t, "zypper", "rpm", "busybox")) return undefined;
  if (!needRoot(t, "zypper and rpm work in a scratch root")) return undefined;
  shared ??= setup();
  return shared;
}

function output(what: string, r: { code: number; stdout: string; stderr: string }): string {
  return `${what}: exit ${r.code}\n${r.stdout}\n${r.stderr}`;
}

/** A scratch zypper trusting the repository key (rpm --import), with `which` added as `packyard`. */
async function zypperFor(
  t: { after(fn: () => void): void },
  s: Shared,
  which: string,
): Promise<ScratchZypper> {
  const z = scratchZypper();
  t.after(() => z.dispose());
  const imported = await z.rpm(["--import", join(s.dir, "good/keys/RPM-GPG-KEY-repository")]);
  assert.equal(imported.code, 0, output("rpm --import", imported));
  const added = await z.zypper(["addrepo", "--refresh", `${s.server.url}/${which}/${ROOT}`, "packyard"]);
  assert.equal(added.code, 0, output("zypper addrepo", added));
  return z;
}

test("zypper refresh accepts the signed repomd; search finds the packages; install installs one", async (t) => {
  const s = await repository(t);
  if (s === undefined) return;
  const z = await zypperFor(t, s, "good");
  const refresh = await z.zypper(["refresh"]);
  assert.equal(refresh.code, 0, output("zypper refresh", refresh));
  assert.match(
    refresh.stdout,
    /^All repositories have been refreshed\.$/m,
    output("zypper refresh", refresh),
  );
  assert.doesNotMatch(refresh.stdout + refresh.stderr, /unknown key|verification failed/i);

  // every package of the repository (the root's rpm database is empty), then one by name
  for (const [term, names] of [
    [[], ["packyard-stub", "yard-tool"]],
    [["yard-tool"], ["yard-tool"]],
  ] as const) {
    const search = await z.zypper(["search", ...term]);
    assert.equal(search.code, 0, output("zypper search", search));
    const rows = search.stdout
      .split("\n")
      .map((l) => l.split("|").map((c) => c.trim()))
      .filter((c) => c.length === 4 && c[3] === "package");
    assert.deepEqual(rows.map((c) => c[1]).sort(), names, output("zypper search", search));
  }

  const install = await z.zypper(["install", "yard-tool"]);
  assert.equal(install.code, 0, output("zypper install", install));
  const installed = await z.rpm(["-qa", "--qf", RPM_QUERY_FORMAT]);
  const got = parseRpmQuery(installed.stdout)
    .filter((p) => p.name !== "gpg-pubkey")
    .map((p) => `${p.name}-${p.epoch}:${p.version}-${p.release}.${p.arch}`)
    .sort();
  assert.deepEqual(got, ["packyard-stub-0:1.0-1.x86_64", "yard-tool-2:1.5-3.x86_64"], installed.stdout);
  const verify = await z.rpm(["-Va"]);
  assert.equal(verify.code, 0, output("rpm -Va", verify));
  assert.equal(verify.stdout, "", output("rpm -Va", verify));
  const sig = await z.rpm(["-q", "--qf", "%{RSAHEADER:pgpsig}", "yard-tool"]);
  assert.match(sig.stdout, new RegExp(`, Key ID ${s.signer.keyId.toLowerCase()}$`), sig.stdout);
});

test("zypper refresh fails when repomd.xml.asc is a valid signature by another key", async (t) => {
  const s = await repository(t);
  if (s === undefined) return;
  const z = await zypperFor(t, s, "foreign");
  const refresh = await z.zypper(["refresh"]);
  const all = output("zypper refresh", refresh);
  // ZYPPER_EXIT_ERR_ZYPP: the repository could not be refreshed
  assert.equal(refresh.code, 4, all);
  const keyId = s.other.keyId.toUpperCase();
  assert.match(
    refresh.stdout,
    new RegExp(`File 'repomd\\.xml' from repository 'packyard' is signed with an unknown key '${keyId}'`),
    all,
  );
  assert.match(refresh.stderr, /Signature verification failed for repomd\.xml/, all);
  assert.match(refresh.stderr, /^Could not refresh the repositories because of errors\.$/m, all);
  // nothing of the repository reached the cache
  const search = await z.zypper(["search", "yard-tool"]);
  assert.notEqual(search.code, 0, output("zypper search", search));
});

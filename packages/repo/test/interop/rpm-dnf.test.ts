/**
 * dnf 4 judges an RPM-MD repository published for el-9 (x86_64 and aarch64, RSA key), through the `.repo`
 * file the publish wrote, with gpgcheck=1 and repo_gpgcheck=1, over `file:`, over HTTP and from an S3
 * bucket URL: the signed repomd verifies, repoquery lists every package with the EVR, requires and provides
 * the package files declare, an install resolves a noarch package's requires through an epoch package's
 * provides down to the stub, `rpm -V` is clean and every installed package carries the repository key's
 * signature. The aarch64 root serves the noarch package from the one pool file.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import type { OpenPGPSigner } from "@packyard/formats";
import { folderStorage, publish, readObject, type Storage } from "@packyard/repo";
import type { TestDeb } from "@packyard/testkit/debs";
import { type FolderServer, serveFolder } from "@packyard/testkit/http";
import { openpgpTestKey } from "@packyard/testkit/keyrings";
import {
  queryRpmFiles,
  type RpmQueryRecord,
  RPM_QUERY_FORMAT,
  parseRpmQuery,
  relatedRpm,
  type ScratchDnf,
  scratchDnf,
  stubRpm,
} from "@packyard/testkit/rpms";
import { type S3Server, startS3 } from "@packyard/testkit/s3";
import { needRoot, needTool } from "@packyard/testkit/tools";

const REPO_FILE = "rpm/el/9/repository.repo";

/** What every test of this file shares, made on first use (after the tools are checked). */
interface Shared {
  dir: string;
  server: FolderServer;
  s3: S3Server;
  s3Storage: Storage;
  signer: OpenPGPSigner;
  packages: TestDeb[];
  /** What `rpm -qp` says each package file declares, by name. */
  declared: Map<string, RpmQueryRecord>;
}

let shared: Promise<Shared> | undefined;
const cleanups: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function setup(): Promise<Shared> {
  const dir = mkdtempSync(join(tmpdir(), "packyard-rpm-dnf-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const { signer } = await openpgpTestKey({ type: "rsa", rsaBits: 2048 });
  const packages = [
    await stubRpm(),
    await relatedRpm({
      name: "yard-tool",
      version: "2:1.5-3",
      arch: "x86_64",
      relations: {
        depends: [[{ name: "packyard-stub" }]],
        provides: [[{ name: "yard-engine", op: "=", version: "1.5" }]],
      },
      files: ["/usr/bin/yard-tool"],
    }),
    await relatedRpm({
      name: "yard-data",
      version: "1.0-1",
      arch: "noarch",
      relations: { depends: [[{ name: "yard-engine", op: ">=", version: "1.0" }]] },
    }),
  ];
  const files = packages.map((p) => {
    const path = join(dir, p.name);
    writeFileSync(path, p.bytes);
    return path;
  });
  const declared = new Map((await queryRpmFiles(files)).map((r) => [r.name, r]));
  const add = packages.map((p) => ({ info: p.info, source: p.source, name: p.name }));
  const rpm = { targets: ["el-9"], architectures: ["x86_64", "aarch64"] };

  const folder = join(dir, "repo");
  const server = await serveFolder(folder);
  cleanups.push(() => server.stop());
  await publish(folderStorage(folder), { add, signers: [signer], rpm: { ...rpm, baseUrl: server.url } });

  const s3 = await startS3();
  cleanups.push(() => s3.stop());
  const s3Storage = s3.storage("rpm-judge");
  await publish(s3Storage, { add, signers: [signer], rpm: { ...rpm, baseUrl: s3.url("rpm-judge") } });
  return { dir, server, s3, s3Storage, signer, packages, declared };
}

/** The shared repository, or undefined when the judges are missing (the test is then skipped). */
async function repository(t: Parameters<typeof needTool>[0]): Promise<Shared | undefined> {
  if (!needTool(t, "dnf", "rpm", "busybox")) return undefined;
  shared ??= setup();
  return shared;
}

function output(what: string, r: { code: number; stdout: string; stderr: string }): string {
  return `${what}: exit ${r.code}\n${r.stdout}\n${r.stderr}`;
}

/** A scratch dnf reading `repoText`, removed after the test. */
function dnfFor(t: { after(fn: () => void): void }, repoText: string, arch = "x86_64"): ScratchDnf {
  const dnf = scratchDnf(undefined, repoText, { arch });
  t.after(() => dnf.dispose());
  return dnf;
}

/** The published .repo must ask for both checks, or every dnf run below would prove nothing about them. */
function assertChecksOn(repoText: string): void {
  assert.match(repoText, /^gpgcheck=1$/m, repoText);
  assert.match(repoText, /^repo_gpgcheck=1$/m, repoText);
  assert.match(repoText, /^gpgkey=\S+\/keys\/RPM-GPG-KEY-repository$/m, repoText);
}

/** Sorted copy, for lists whose order is the tool's business. */
const sorted = (xs: readonly string[]) => [...xs].sort();

/**
 * makecache, repoquery (compared with what the package files declare), install of the noarch package
 * (which needs yard-tool's provides, which needs the stub), rpm -V, and the signature of every installed
 * package.
 */
async function judge(t: { after(fn: () => void): void }, s: Shared, repoText: string): Promise<void> {
  assertChecksOn(repoText);
  const dnf = dnfFor(t, repoText);
  const cache = await dnf.dnf(["-q", "makecache"]);
  assert.equal(cache.code, 0, output("dnf makecache", cache));

  const query = await dnf.repoquery();
  assert.equal(query.code, 0, output("dnf repoquery", query));
  assert.deepEqual(
    query.packages.map((p) => p.name).sort(),
    s.packages.map((p) => p.info.name).sort(),
    output("dnf repoquery", query),
  );
  for (const got of query.packages) {
    const want = s.declared.get(got.name)!;
    assert.deepEqual(
      { epoch: got.epoch, version: got.version, release: got.release, arch: got.arch },
      { epoch: want.epoch, version: want.version, release: want.release, arch: want.arch },
      `${got.name}: EVR and arch`,
    );
    // createrepo_c and dnf leave out rpm's own rpmlib() features; everything else must match.
    assert.deepEqual(
      sorted(got.requires),
      sorted(want.requires.filter((r) => !r.startsWith("rpmlib("))),
      `${got.name}: requires`,
    );
    assert.deepEqual(sorted(got.provides), sorted(want.provides), `${got.name}: provides`);
  }
  // the epoch is the one the package declares, and the version strings the inputs were written with
  const tool = query.packages.find((p) => p.name === "yard-tool");
  assert.equal(`${tool?.epoch}:${tool?.version}-${tool?.release}`, "2:1.5-3");

  const install = await dnf.dnf(["-q", "install", "yard-data"]);
  assert.equal(install.code, 0, output("dnf install yard-data", install));
  const installed = await dnf.rpm(["-qa", "--qf", RPM_QUERY_FORMAT]);
  assert.equal(installed.code, 0, output("rpm -qa", installed));
  const names = parseRpmQuery(installed.stdout)
    .map((p) => p.name)
    .filter((n) => n !== "gpg-pubkey")
    .sort();
  assert.deepEqual(names, ["packyard-stub", "yard-data", "yard-tool"], "installed through the requires");
  const verify = await dnf.rpm(["-Va"]);
  assert.equal(verify.code, 0, output("rpm -Va", verify));
  assert.equal(verify.stdout, "", output("rpm -Va", verify));

  const keyId = s.signer.keyId.toLowerCase();
  const sigs = await dnf.rpm(["-q", "--qf", "%{NAME} %{RSAHEADER:pgpsig}\n", ...names]);
  assert.equal(sigs.code, 0, output("rpm -q RSAHEADER", sigs));
  for (const name of names)
    assert.match(sigs.stdout, new RegExp(`^${name} RSA/SHA256, .*, Key ID ${keyId}$`, "m"), sigs.stdout);
  const pubkeys = await dnf.rpm(["-q", "--qf", "%{VERSION}\n", "gpg-pubkey"]);
  assert.equal(pubkeys.stdout, `${keyId.slice(-8)}\n`, "the one key dnf imported is the repository's");
}

test("over file: dnf verifies, lists, installs the published packages", async (t) => {
  const s = await repository(t);
  if (s === undefined || !needRoot(t, "dnf installs into a scratch root")) return;
  const folder = join(s.dir, "repo");
  const published = readFileSync(join(folder, REPO_FILE), "utf8");
  // the same .repo with every URL pointing at the folder
  const text = published.replaceAll(s.server.url, `file://${folder}`);
  assert.match(text, new RegExp(`^baseurl=file://${folder}/rpm/el/9/\\$basearch/$`, "m"), text);
  assert.doesNotMatch(text, /http:/, text);
  await judge(t, s, text);
});

test("over HTTP: dnf verifies, lists, installs the published packages, fetched from the shared pool", async (t) => {
  const s = await repository(t);
  if (s === undefined || !needRoot(t, "dnf installs into a scratch root")) return;
  const published = readFileSync(join(s.dir, "repo", REPO_FILE), "utf8");
  assert.match(published, new RegExp(`^baseurl=${s.server.url}/rpm/el/9/\\$basearch/$`, "m"));
  const before = s.server.log.length;
  await judge(t, s, published);
  const fetched = s.server.log
    .slice(before)
    .filter((r) => r.path.endsWith(".rpm"))
    .map((r) => `${r.status} ${r.path}`)
    .sort();
  assert.deepEqual(fetched, [
    "200 /rpm/pool/p/packyard-stub/packyard-stub-1.0-1.x86_64.rpm",
    "200 /rpm/pool/y/yard-data/yard-data-1.0-1.noarch.rpm",
    "200 /rpm/pool/y/yard-tool/yard-tool-1.5-3.x86_64.rpm",
  ]);
});

test("from an S3 bucket URL: dnf verifies, lists, installs the published packages", async (t) => {
  const s = await repository(t);
  if (s === undefined || !needRoot(t, "dnf installs into a scratch root")) return;
  const repo = await readObject(s.s3Storage, REPO_FILE);
  assert.ok(repo !== undefined, `${REPO_FILE} in the bucket`);
  const text = new TextDecoder().decode(repo);
  assert.match(text, new RegExp(`^baseurl=${s.s3.url("rpm-judge")}/rpm/el/9/\\$basearch/$`, "m"));
  await judge(t, s, text);
});

test("the aarch64 root lists the noarch package only, from the same pool file, stored once", async (t) => {
  const s = await repository(t);
  if (s === undefined) return;
  const published = readFileSync(join(s.dir, "repo", REPO_FILE), "utf8");
  const locations = new Map<string, string>();
  for (const arch of ["x86_64", "aarch64"]) {
    const dnf = dnfFor(t, published, arch);
    const query = await dnf.repoquery(["yard-data"]);
    assert.equal(query.code, 0, output(`dnf --forcearch ${arch} repoquery`, query));
    const [data, ...more] = query.packages;
    assert.deepEqual(more, [], query.stdout);
    assert.equal(`${data?.name}-${data?.version}-${data?.release}.${data?.arch}`, "yard-data-1.0-1.noarch");
    const base = `${s.server.url}/rpm/el/9/${arch}/`;
    locations.set(arch, new URL(data?.location ?? "", base).href);
    if (arch === "aarch64") {
      const all = await dnf.repoquery();
      assert.deepEqual(
        all.packages.map((p) => `${p.name}.${p.arch}`),
        ["yard-data.noarch"],
        output("aarch64 repoquery", all),
      );
    }
  }
  assert.equal(locations.get("aarch64"), locations.get("x86_64"), "both roots point at one file");
  for (const storage of [folderStorage(join(s.dir, "repo")), s.s3Storage]) {
    const keys: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await storage.list("rpm/", cursor === undefined ? {} : { cursor });
      keys.push(...page.objects.map((o) => o.key));
      cursor = page.cursor;
    } while (cursor !== undefined);
    assert.deepEqual(
      keys.filter((k) => k.endsWith("/yard-data-1.0-1.noarch.rpm")),
      ["rpm/pool/y/yard-data/yard-data-1.0-1.noarch.rpm"],
    );
    assert.equal(keys.filter((k) => k.endsWith(".rpm")).length, 3, keys.join("\n"));
  }
});

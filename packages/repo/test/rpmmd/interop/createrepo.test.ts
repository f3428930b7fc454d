/**
 * packyard's RPM-MD against the real createrepo_c: the same rpms (built by rpmbuild, plus one from
 * packyard's own writer) indexed by `createrepo_c --no-database --changelog-limit 10`
 * and by rpmIndexInfo + buildRpmMetadata. primary, filelists and other are compared element by element
 * and attribute by attribute, keyed by pkgid (only `time file` and `location href` may differ, and the test
 * gives both sides the same ones), then as whole documents: the uncompressed XML must be byte-identical,
 * so repomd's open-checksum and open-size agree. repomd.xml must have the same structure.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type TestContext, test } from "node:test";
import { gunzipSync } from "node:zlib";
import { fileSource, readPackage, writePackage } from "@packyard/formats";
import { exampleSpec } from "@packyard/testkit/example";
import { needTool, run } from "@packyard/testkit/tools";
import { rpmIndexInfo } from "../../../src/rpmmd/info.ts";
import { buildRpmMetadata, type RpmMetadata } from "../../../src/rpmmd/repomd.ts";
import type { RpmMdPackage } from "../../../src/rpmmd/types.ts";
import { attr, child, elements, parseXml, textOf, type XmlElement, type XmlNode } from "../xml-parse.ts";
import { rpmbuild } from "./rpmbuild.ts";
import { SPECS, TRANS_SPEC } from "./specs.ts";

const TYPES = ["primary", "filelists", "other"] as const;
type MdType = (typeof TYPES)[number];

/** Differences createrepo_c and packyard may legitimately have (the caller chooses them). */
const ALLOWED = [/\/time@file$/, /\/location@href$/];

function scratch(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), "packyard-rpmmd-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** createrepo_c's documents in `repo`: repomd.xml and the three decompressed XML texts. */
function createrepo(repo: string): { repomd: string; xml: Record<MdType, string> } {
  run("createrepo_c", ["--no-database", "--changelog-limit", "10", "--quiet", repo]);
  const repomd = readFileSync(join(repo, "repodata", "repomd.xml"), "utf8");
  const xml = {} as Record<MdType, string>;
  for (const d of elements(parseXml(repomd), "data")) {
    const type = attr(d, "type") as MdType;
    const href = attr(child(d, "location"), "href")!;
    assert.ok(href.endsWith(".gz"), `createrepo_c 0.17 compresses with gzip: ${href}`);
    xml[type] = gunzipSync(readFileSync(join(repo, href))).toString("utf8");
  }
  return { repomd, xml };
}

/** packyard's view of the same files: one RpmMdPackage per .rpm, in createrepo_c's order (by file name). */
async function packyard(repo: string, sub: string): Promise<RpmMdPackage[]> {
  const names = readdirSync(join(repo, sub)).filter((n) => n.endsWith(".rpm"));
  names.sort((a, b) => (Buffer.from(a) < Buffer.from(b) ? -1 : 1));
  const out: RpmMdPackage[] = [];
  for (const name of names) {
    const path = join(repo, sub, name);
    const bytes = readFileSync(path);
    const info = await readPackage(await fileSource(path), path);
    out.push({
      info: rpmIndexInfo(info, { changelogLimit: 10 }),
      pkgid: createHash("sha256").update(bytes).digest("hex"),
      size: bytes.length,
      href: `${sub}/${name}`,
      fileTime: Math.floor(statSync(path).mtimeMs / 1000),
    });
  }
  return out;
}

function decompress(md: RpmMetadata, type: MdType): string {
  return gunzipSync(md.files.find((f) => f.type === type)!.bytes).toString("utf8");
}

/** A package's key in its document: pkgid (primary: the checksum element's text). */
function keyOf(type: MdType, pkg: XmlElement): string {
  return type === "primary" ? textOf(child(pkg, "checksum")) : attr(pkg, "pkgid")!;
}

const isElement = (n: XmlNode): n is XmlElement => typeof n !== "string";
/** Children that matter: elements, and text unless it is the indentation between elements. */
function significant(el: XmlElement): XmlNode[] {
  const hasElements = el.children.some(isElement);
  return el.children.filter((c) => isElement(c) || !hasElements || c.trim() !== "");
}

/** Every difference between two element trees as `path: ours ≠ theirs`. */
function compareTrees(ours: XmlElement, theirs: XmlElement, path: string, out: string[]): void {
  if (ours.name !== theirs.name) {
    out.push(`${path}: element ${ours.name} ≠ ${theirs.name}`);
    return;
  }
  const attrNames = (e: XmlElement) => e.attrs.map(([n]) => n).join(",");
  if (attrNames(ours) !== attrNames(theirs))
    out.push(`${path}: attributes [${attrNames(ours)}] ≠ [${attrNames(theirs)}]`);
  for (const [name, value] of theirs.attrs) {
    const mine = attr(ours, name);
    if (mine !== undefined && mine !== value)
      out.push(`${path}@${name}: ${JSON.stringify(mine)} ≠ ${JSON.stringify(value)}`);
  }
  const a = significant(ours);
  const b = significant(theirs);
  if (a.length !== b.length) out.push(`${path}: ${a.length} children ≠ ${b.length}`);
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (isElement(x) && isElement(y)) compareTrees(x, y, `${path}/${y.name}[${i}]`, out);
    else if (typeof x === "string" && typeof y === "string") {
      if (x !== y) out.push(`${path}/text(): ${JSON.stringify(x)} ≠ ${JSON.stringify(y)}`);
    } else out.push(`${path}[${i}]: ${isElement(x) ? x.name : "text"} ≠ ${isElement(y) ? y.name : "text"}`);
  }
}

/** Compares one document of both sides keyed by pkgid; returns the differences not allowed. */
function compareDocument(type: MdType, ours: string, theirs: string): string[] {
  const a = parseXml(ours);
  const b = parseXml(theirs);
  const out: string[] = [];
  if (a.name !== b.name) out.push(`${type}: root ${a.name} ≠ ${b.name}`);
  if (JSON.stringify(a.attrs) !== JSON.stringify(b.attrs)) out.push(`${type}: root attributes differ`);
  const mine = new Map(elements(a, "package").map((p) => [keyOf(type, p), p]));
  const theirsByKey = new Map(elements(b, "package").map((p) => [keyOf(type, p), p]));
  assert.deepEqual([...mine.keys()].sort(), [...theirsByKey.keys()].sort(), `${type}: the same packages`);
  for (const [key, pkg] of theirsByKey) compareTrees(mine.get(key)!, pkg, `${type}/${key.slice(0, 12)}`, out);
  return out.filter((d) => !ALLOWED.some((re) => re.test(d.split(":")[0]!)));
}

/** repomd.xml structure: root, data types in order, element names and attributes (values differ). */
function repomdShape(text: string): unknown {
  const root = parseXml(text);
  return {
    root: [root.name, root.attrs],
    children: elements(root).map((e) =>
      e.name === "data"
        ? [e.name, e.attrs, elements(e).map((c) => [c.name, c.attrs.map(([n]) => n)])]
        : [e.name, e.attrs.map(([n]) => n)],
    ),
  };
}

/** open-checksum and open-size per type. */
function openDigests(text: string): Record<string, [string, string]> {
  const out: Record<string, [string, string]> = {};
  for (const d of elements(parseXml(text), "data"))
    out[attr(d, "type")!] = [textOf(child(d, "open-checksum")), textOf(child(d, "open-size"))];
  return out;
}

/** createrepo_c's version as [major, minor, patch]. */
function createrepoVersion(): number[] {
  const m = /Version:\s*(\d+)\.(\d+)\.(\d+)/.exec(run("createrepo_c", ["--version"]));
  assert.ok(m, "createrepo_c --version prints its version");
  return m.slice(1).map(Number);
}

test("createrepo_c and packyard write the same primary, filelists and other for the same rpms", async (t) => {
  if (!needTool(t, "rpmbuild", "createrepo_c")) return;
  const dir = scratch(t);
  const repo = join(dir, "repo");
  const packages = join(repo, "Packages");
  mkdirSync(packages, { recursive: true });
  for (const [name, spec] of Object.entries(SPECS))
    for (const rpm of rpmbuild(join(dir, "build", name), spec))
      copyFileSync(rpm, join(packages, rpm.split("/").pop()!));
  // packyard's own writer: the example project (primary /usr/bin and /etc files, %config, scriptlets).
  const parts: Uint8Array[] = [];
  for await (const chunk of writePackage("rpm", exampleSpec())) parts.push(chunk);
  writeFileSync(join(packages, "hello-packyard-1.0.0-1.noarch.rpm"), Buffer.concat(parts));
  assert.ok(readdirSync(packages).length >= 12, "at least ten rpmbuild packages and packyard's");

  const theirs = createrepo(repo);
  const pkgs = await packyard(repo, "Packages");
  const ours = await buildRpmMetadata(pkgs, { compression: "gz", revision: 1, timestamp: 1 });

  for (const type of TYPES) {
    const mine = decompress(ours, type);
    assert.deepEqual(compareDocument(type, mine, theirs.xml[type]), [], `${type}: element by element`);
    assert.equal(mine, theirs.xml[type], `${type}: byte for byte`);
  }
  assert.deepEqual(repomdShape(ours.repomd), repomdShape(theirs.repomd), "repomd.xml: same structure");
  assert.deepEqual(
    openDigests(ours.repomd),
    openDigests(theirs.repomd),
    "repomd.xml: same open-checksum and open-size",
  );

  // The cases the specs are for did happen (a silent rpmbuild change would otherwise empty the test).
  const primary = parseXml(theirs.xml.primary);
  const byName = new Map(
    elements(primary, "package").map((p) => [`${textOf(child(p, "name"))}.${textOf(child(p, "arch"))}`, p]),
  );
  const requires = (n: string) =>
    elements(child(child(byName.get(n)!, "format"), "rpm:requires"), "rpm:entry").map((e) => attr(e, "name"));
  assert.ok(requires("filedeps.noarch").includes("/opt/filedeps/data"));
  assert.ok(!requires("filedeps.noarch").includes("/usr/bin/filedeps-tool"));
  assert.equal(requires("libc.x86_64").at(-1), "libc.so.6(GLIBC_2.14)(64bit)");
  const other = parseXml(theirs.xml.other);
  const changelog = elements(other, "package").find((p) => attr(p, "name") === "changelog")!;
  assert.equal(elements(changelog, "changelog").length, 10);
});

test("pretrans/posttrans requirements are pre=1, as createrepo_c ≥ 1.1.1 writes them", async (t) => {
  if (!needTool(t, "rpmbuild", "createrepo_c")) return;
  const dir = scratch(t);
  const repo = join(dir, "repo");
  mkdirSync(join(repo, "Packages"), { recursive: true });
  for (const rpm of rpmbuild(join(dir, "build"), TRANS_SPEC))
    copyFileSync(rpm, join(repo, "Packages", rpm.split("/").pop()!));
  const theirs = createrepo(repo);
  const ours = await buildRpmMetadata(await packyard(repo, "Packages"), {
    compression: "gz",
    revision: 1,
    timestamp: 1,
  });
  const entries = (xml: string) =>
    elements(child(child(elements(parseXml(xml), "package")[0]!, "format"), "rpm:requires"), "rpm:entry").map(
      (e) => [attr(e, "name"), attr(e, "pre")] as const,
    );
  const mine = entries(decompress(ours, "primary"));
  // rpmbuild adds `Requires(pretrans,posttrans): /bin/sh` for the two scriptlets.
  assert.deepEqual(mine, [
    ["/bin/sh", "1"],
    ["preun-dep", undefined],
    ["pto-dep", "1"],
    ["ptr-dep", "1"],
  ]);
  const [major = 0, minor = 0, patch = 0] = createrepoVersion();
  const modern = major > 1 || (major === 1 && (minor > 1 || (minor === 1 && patch >= 1)));
  if (modern) {
    assert.equal(decompress(ours, "primary"), theirs.xml.primary);
  } else {
    // createrepo_c 0.x leaves pre off exactly the transaction-only requirements; the rest is the same.
    const transOnly = new Set(["/bin/sh", "pto-dep", "ptr-dep"]);
    const old = mine.map(([n, pre]) => [n, transOnly.has(n!) ? undefined : pre] as const);
    assert.deepEqual(entries(theirs.xml.primary), old);
    assert.equal(
      decompress(ours, "primary").replaceAll(' pre="1"', ""),
      theirs.xml.primary.replaceAll(' pre="1"', ""),
    );
  }
  for (const type of ["filelists", "other"] as const) assert.equal(decompress(ours, type), theirs.xml[type]);
});

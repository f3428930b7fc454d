/**
 * apk judged without apk-tools (not installable here): Python's zlib splits the members, GNU tar lists
 * the concatenated stream, Python's tarfile reads the pax records, openssl verifies the signatures over
 * the raw control member, sha256sum checks datahash, sha1sum the per-file checksums.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { apkFormat } from "../../src/apk/index.ts";
import { bytesSource, collect } from "../../src/bytes/bytes.ts";
import { ROOT } from "../../src/spec/types.ts";
import { exampleSpec } from "@packyard/testkit/example";
import { REPO } from "@packyard/testkit/repo";
import { exampleSigner, GOLDEN_NAME } from "../apk/example-signer.ts";
import { needTool, run, tryRun } from "@packyard/testkit/tools";

/** Splits FILE into gzip members with zlib, writes member i as DIR/m<i>.gz and its tar as DIR/m<i>.tar, and walks each tar's header chain. */
const SPLIT = `
import json, sys, zlib
data = open(sys.argv[1], 'rb').read(); out = sys.argv[2]; pos = 0; res = []
while pos < len(data):
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    tar = d.decompress(data[pos:]) + d.flush()
    end = len(data) - len(d.unused_data)
    i = len(res)
    open(f"{out}/m{i}.gz", "wb").write(data[pos:end]); open(f"{out}/m{i}.tar", "wb").write(tar)
    p = 0; ending = "cut"
    while p < len(tar):
        h = tar[p:p+512]
        if h == bytes(512): ending = "ended"; break
        size = int(h[124:136].strip(b"\\0 ") or b"0", 8)
        p += 512 + (size + 511) // 512 * 512
    res.append({"start": pos, "end": end, "ending": ending})
    pos = end
print(json.dumps(res))
`;

/** Lists the concatenated tar with Python's tarfile: name, type, pax checksum record. */
const PAX = `
import json, sys, tarfile
t = tarfile.open(sys.argv[1])
print(json.dumps([{"name": m.name, "type": m.type.decode(), "linkname": m.linkname, "sha1": m.pax_headers.get("APK-TOOLS.checksum.SHA1")} for m in t.getmembers()]))
`;

interface Member {
  start: number;
  end: number;
  ending: string;
}

function judge(
  file: string,
  dir: string,
  pub: string | undefined,
): {
  members: Member[];
  listing: string;
  pax: Array<{ name: string; type: string; linkname: string; sha1: string | null }>;
} {
  const members = JSON.parse(run("python3", ["-c", SPLIT, file, dir])) as Member[];
  const signed = members.length === 3;
  assert.equal(members.length, pub === undefined ? 2 : 3, "gzip members");
  assert.deepEqual(
    members.map((m) => m.ending),
    signed ? ["cut", "cut", "ended"] : ["cut", "ended"],
  );
  const c = signed ? 1 : 0;
  const d = signed ? 2 : 1;
  // datahash = sha256 of the raw data member
  const pkginfo = run("tar", ["-xOf", join(dir, `m${c}.tar`), ".PKGINFO"]);
  const datahash = /^datahash = ([0-9a-f]{64})$/m.exec(pkginfo)?.[1];
  assert.equal(run("sha256sum", [join(dir, `m${d}.gz`)]).split(" ")[0], datahash);
  if (signed && pub !== undefined) {
    writeFileSync(join(dir, "key.pub"), pub);
    const names = run("tar", ["-tf", join(dir, "m0.tar")])
      .trim()
      .split("\n");
    for (const name of names) {
      const algo = name.startsWith(".SIGN.RSA256.")
        ? "-sha256"
        : name.startsWith(".SIGN.RSA.")
          ? "-sha1"
          : undefined;
      assert.ok(algo, name);
      writeFileSync(join(dir, "sig"), readTarMember(join(dir, "m0.tar"), name));
      assert.match(
        run("openssl", [
          "dgst",
          algo,
          "-verify",
          join(dir, "key.pub"),
          "-signature",
          join(dir, "sig"),
          join(dir, `m${c}.gz`),
        ]),
        /Verified OK/,
      );
    }
  }
  const listing = tryRun("sh", ["-c", `zcat '${file}' | tar -tvv`]);
  assert.equal(listing.status, 0, listing.stderr);
  const pax = JSON.parse(run("python3", ["-c", PAX, file]));
  return { members, listing: listing.stdout + listing.stderr, pax };
}

/** Raw bytes of a tar member (tar -xO through a file, so binary signatures survive). */
function readTarMember(tar: string, name: string): Buffer {
  const out = join(tar, "..", "member.bin");
  run("sh", ["-c", `tar -xOf '${tar}' '${name}' > '${out}'`]);
  return readFileSync(out);
}

/** Extracts the data and checks every pax SHA-1 with sha1sum (files) and against the link target (symlinks). */
function checkSha1s(
  file: string,
  dir: string,
  pax: Array<{ name: string; type: string; linkname: string; sha1: string | null }>,
): number {
  const root = join(dir, "root");
  run("sh", [
    "-c",
    `mkdir -p '${root}' && zcat '${file}' | tar --warning=no-unknown-keyword -x -C '${root}'`,
  ]);
  let checked = 0;
  for (const m of pax) {
    if (m.name.startsWith(".")) continue;
    if (m.type === "0") {
      assert.equal(run("sha1sum", [join(root, m.name)]).split(" ")[0], m.sha1, m.name);
      checked++;
    } else if (m.type === "2") {
      assert.equal(
        run("sh", ["-c", `printf '%s' "$(readlink '${join(root, m.name)}')" | sha1sum`]).split(" ")[0],
        m.sha1,
        m.name,
      );
      checked++;
    } else {
      assert.equal(m.sha1, null, `${m.name} (type ${m.type}) carries no checksum`);
    }
  }
  return checked;
}

test("golden example project: zlib splits three members, openssl verifies, sha256sum = datahash, sha1sum = pax records", (t) => {
  if (!needTool(t, "python3", "openssl", "sha256sum", "sha1sum", "tar", "zcat")) return;
  const dir = mkdtempSync(join(tmpdir(), "apk-judge-"));
  try {
    const file = `${REPO}fixtures/apk/${GOLDEN_NAME}`;
    const { listing, pax } = judge(file, dir, exampleSigner().publicKeyPem());
    for (const line of [
      /-rw-r--r-- root\/root\s+\d+ \S+ \S+ \.PKGINFO/,
      /-rwxr-xr-x root\/root\s+\d+ \S+ \S+ \.pre-install/,
      /-rwxr-xr-x root\/root\s+\d+ \S+ \S+ \.pre-deinstall/,
      /drwxr-xr-x root\/root\s+0 \S+ \S+ usr\/bin\//,
      /-rwxr-xr-x root\/root\s+390 \S+ \S+ usr\/bin\/hello\n/,
      /-rw-r--r-- root\/root\s+79 \S+ \S+ etc\/hello-packyard\/hello\.conf/,
      /lrwxrwxrwx root\/root\s+0 \S+ \S+ usr\/bin\/hello-packyard -> hello/,
      /lrwxrwxrwx root\/root\s+0 \S+ \S+ usr\/share\/man\/man1\/hello-packyard\.1\.gz -> hello\.1\.gz/,
      /drwxr-xr-x root\/root\s+0 \S+ \S+ var\/lib\/hello-packyard\//,
      /Ignoring unknown extended header keyword 'APK-TOOLS\.checksum\.SHA1'/,
    ]) {
      assert.match(listing, line);
    }
    assert.ok(!/\.\//.test(listing.replace(/\.\.\//g, "")), "no ./ names");
    // hello, hello.conf, README.md, hello.1.gz and the two symlinks
    assert.equal(checkSha1s(file, dir, pax), 6);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("long, unicode and deep paths, hardlinks, legacy SHA-1 signature: judged the same way", async (t) => {
  if (!needTool(t, "python3", "openssl", "sha256sum", "sha1sum", "tar", "zcat")) return;
  const dir = mkdtempSync(join(tmpdir(), "apk-judge-"));
  try {
    const enc = (s: string) => bytesSource(new TextEncoder().encode(s));
    const long = `/usr/share/${"d".repeat(120)}/${"f".repeat(99)}`;
    const spec = exampleSpec({
      entries: [
        { type: "file", path: long, mode: 0o644, owner: ROOT, group: ROOT, content: enc("long\n") },
        {
          type: "file",
          path: "/usr/share/naïve/ünïcode.txt",
          mode: 0o600,
          owner: { name: "daemon", id: 2 },
          group: { name: "daemon", id: 2 },
          content: enc("ü\n"),
        },
        {
          type: "file",
          path: "/usr/lib/app/big.bin",
          mode: 0o755,
          owner: ROOT,
          group: ROOT,
          content: bytesSource(new Uint8Array(300_000).map((_, i) => (i * 7919) % 251)),
        },
        {
          type: "hardlink",
          path: "/usr/lib/app/alias.bin",
          target: "/usr/lib/app/big.bin",
          mode: 0o755,
          owner: ROOT,
          group: ROOT,
        },
        {
          type: "symlink",
          path: "/usr/lib/app/far",
          target: `../${"t".repeat(140)}`,
          mode: 0o777,
          owner: ROOT,
          group: ROOT,
        },
      ],
    });
    const signer = exampleSigner();
    const bytes = await collect(apkFormat.write(spec, { signature: { legacySha1: true } }, { signer }));
    const file = join(dir, "pkg.apk");
    writeFileSync(file, bytes);
    const { pax } = judge(file, dir, signer.publicKeyPem());
    assert.equal(checkSha1s(file, dir, pax), 4);
    const names = pax.map((m) => m.name);
    assert.ok(names.includes(long.slice(1)) && names.includes("usr/share/naïve/ünïcode.txt"));
    assert.equal(pax.find((m) => m.name === "usr/lib/app/alias.bin")?.type, "1");
    // every parent directory precedes its children
    const seen = new Set<string>();
    for (const m of pax.filter((m) => !m.name.startsWith("."))) {
      const parent = m.name.replace(/\/$/, "").split("/").slice(0, -1).join("/");
      if (parent !== "") assert.ok(seen.has(parent), `${m.name} after ${parent}/`);
      if (m.type === "5") seen.add(m.name.replace(/\/$/, ""));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("unsigned package: two members, the control cut, judged without signatures", async (t) => {
  if (!needTool(t, "python3", "sha256sum", "tar", "zcat")) return;
  const dir = mkdtempSync(join(tmpdir(), "apk-judge-"));
  try {
    const file = join(dir, "pkg.apk");
    writeFileSync(file, await collect(apkFormat.write(exampleSpec(), {})));
    judge(file, dir, undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

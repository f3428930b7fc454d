// An Alpine index published by the server (issue 19, "Keys" and "Real clients over HTTP": APKINDEX verified
// with openssl), on both databases. The example's .apk is uploaded through the API, the repository set to an
// Alpine target and published; Python's zlib and tarfile split the published APKINDEX.tar.gz into its gzip
// members, and openssl verifies each `.SIGN.RSA256.<name>` entry over the second member as stored, with the
// public key the keys API serves (`GET …/keys/<id>.rsa.pub`); the entry's name is the key name the API lists.
// After an apk key rotation and a publish that adds nothing, the index carries one signature per key, each
// verified by its own key (and not by the other's).
import assert from "node:assert/strict";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { readObject } from "@packyard/repo";
import { type Scratch, scratch } from "@packyard/testkit/keyrings";
import { needTool, run, tryRun } from "@packyard/testkit/tools";
import { bearer, secretsNeverLeak } from "../app-harness.ts";
import { eachDb } from "../dbs.ts";
import { examplePackage, listAll, type RepoSetup, repoSetup, uploadArtifact } from "../repos-support.ts";

const DAY = 24 * 3600_000;

/**
 * argv: FILE OUT. Reads FILE as consecutive gzip members (one zlib decompressobj per member); for member i
 * writes OUT/<i>.gz (its bytes as stored) and OUT/<i>.<entry> for each regular tar entry it holds; prints a
 * JSON list with, per member, the tar entry names (null when the member is no tar).
 */
const MEMBERS = `
import io, json, sys, tarfile, zlib
raw = open(sys.argv[1], 'rb').read(); out = sys.argv[2]; at = 0; found = []
while at < len(raw):
    z = zlib.decompressobj(zlib.MAX_WBITS | 16)
    body = z.decompress(raw[at:]) + z.flush()
    if not z.eof: raise SystemExit('gzip member at %d is truncated' % at)
    end = len(raw) - len(z.unused_data)
    open('%s/%d.gz' % (out, len(found)), 'wb').write(raw[at:end])
    names = None
    try:
        with tarfile.open(fileobj=io.BytesIO(body), mode='r:') as tar:
            names = []
            for info in tar.getmembers():
                names.append(info.name)
                if info.isfile():
                    open('%s/%d.%s' % (out, len(found), info.name), 'wb').write(tar.extractfile(info).read())
    except tarfile.ReadError:
        pass
    found.append(names)
    at = end
print(json.dumps(found))
`;

interface ApkKey {
  id: string;
  purpose: string;
  state: string;
  fingerprint: string;
  apkKeyName: string | null;
}

async function apkKeys(s: RepoSetup): Promise<ApkKey[]> {
  const r = await s.h.request({ method: "GET", url: `${s.base}/keys`, headers: bearer(s.viewer) });
  assert.equal(r.statusCode, 200, r.body);
  return (r.json() as ApkKey[]).filter((k) => k.purpose === "apk");
}

/** The key's public PEM as the keys API serves it, written to the scratch folder; returns its path. */
async function publicKeyFile(s: RepoSetup, sc: Scratch, key: ApkKey): Promise<string> {
  const r = await s.h.request({ method: "GET", url: `${s.base}/keys/${key.id}.rsa.pub` });
  assert.equal(r.statusCode, 200, r.body);
  assert.match(r.body, /^-----BEGIN PUBLIC KEY-----\n/, r.body);
  return sc.file(`${key.id}.rsa.pub`, r.body);
}

let splits = 0;

/** The published APKINDEX.tar.gz split: the signature entries (name → file) and the signed member's file. */
async function splitIndex(
  s: RepoSetup,
  sc: Scratch,
): Promise<{ key: string; signatures: Map<string, string>; signed: string }> {
  const indexes = (await listAll(s.h.storage, "repos/demo/main/")).filter((k) =>
    k.endsWith("/APKINDEX.tar.gz"),
  );
  assert.equal(indexes.length, 1, `one Alpine index published: ${indexes.join(", ")}`);
  const key = indexes[0]!;
  assert.match(key, /^repos\/demo\/main\/alpine\/v3\.22\/main\/[a-z0-9_]+\/APKINDEX\.tar\.gz$/, key);
  const out = join(sc.dir, `split-${++splits}`);
  mkdirSync(out);
  const file = sc.file(`APKINDEX-${splits}.tar.gz`, (await readObject(s.h.storage, key))!);
  const members = JSON.parse(run("python3", ["-c", MEMBERS, file, out])) as (string[] | null)[];
  assert.equal(members.length, 2, `signatures, then the signed index: ${JSON.stringify(members)}`);
  assert.deepEqual(members[1], ["DESCRIPTION", "APKINDEX"], JSON.stringify(members));
  const signatures = new Map<string, string>();
  for (const name of members[0] ?? []) {
    const m = /^\.SIGN\.RSA256\.(.+)$/.exec(name);
    assert.ok(m !== null, `a signature entry, .SIGN.RSA256.<key name>: ${name}`);
    signatures.set(m[1]!, join(out, `0.${name}`));
  }
  return { key, signatures, signed: join(out, "1.gz") };
}

/** openssl's verdict on `signature` over `data` with the public key file `key`. */
function opensslVerifies(key: string, signature: string, data: string): { ok: boolean; said: string } {
  const r = tryRun("openssl", ["dgst", "-sha256", "-verify", key, "-signature", signature, data]);
  const said = `openssl dgst -sha256 -verify ${key}: exit ${r.status}\n${r.stdout}${r.stderr}`;
  return { ok: r.status === 0 && /^Verified OK$/m.test(r.stdout), said };
}

eachDb((_kind, fresh) => {
  test("the published APKINDEX is signed under the listed key name; after an apk rotation both keys sign it", async (t) => {
    if (!needTool(t, "python3", "openssl")) return;
    const s = await repoSetup(t, fresh);
    if (s === undefined) return;
    const sc = scratch("packyard-apk-index-");
    t.after(() => sc.dispose());
    // The clock also moves while a publish runs: a publish that re-signs roots it has just written (the
    // server refreshes every root when the keys changed) waits for a Date later than the one it wrote.
    const ticking = setInterval(() => s.h.clock.advance(1000), 20);
    t.after(() => clearInterval(ticking));
    const publish = async (payload: object) => {
      s.h.clock.advance(60_000); // each publish later than the last
      const r = await s.h.request({
        method: "POST",
        url: `${s.base}/repository/publish`,
        headers: bearer(s.maintainer),
        payload,
      });
      assert.equal(r.statusCode, 200, r.body);
    };
    const settings = await s.h.request({
      method: "PUT",
      url: `${s.base}/repository`,
      headers: bearer(s.owner),
      payload: { alpine: { targets: ["alpine-3.22"] } },
    });
    assert.equal(settings.statusCode, 200, settings.body);
    await uploadArtifact(s, "1.0.0", await examplePackage("apk"));
    await publish({ add: [{ package: "hello", version: "1.0.0" }] });

    const [first, ...others] = await apkKeys(s);
    assert.ok(first !== undefined && others.length === 0, "one apk key before the rotation");
    assert.equal(first.state, "active");
    assert.ok(first.apkKeyName?.endsWith(".rsa.pub") === true, first.apkKeyName ?? "");
    const firstPem = await publicKeyFile(s, sc, first);
    const before = await splitIndex(s, sc);
    assert.deepEqual([...before.signatures.keys()], [first.apkKeyName], "signed under the listed key name");
    const one = opensslVerifies(firstPem, before.signatures.get(first.apkKeyName)!, before.signed);
    assert.ok(one.ok, one.said);
    // The published key file of that name is the one the API serves (what users save in /etc/apk/keys).
    const published = await readObject(s.h.storage, `repos/demo/main/keys/${first.apkKeyName}`);
    assert.ok(published !== undefined, `keys/${first.apkKeyName} is published`);
    assert.equal(
      run("openssl", ["pkey", "-pubin", "-in", sc.file("published.pub", published)]),
      run("openssl", ["pkey", "-pubin", "-in", firstPem]),
    );

    // An apk rotation, then a publish adding nothing: the index is signed again, by both keys.
    const rotate = await s.h.request({
      method: "POST",
      url: `${s.base}/keys/rotate`,
      headers: bearer(s.owner),
      payload: { purpose: "apk" },
    });
    assert.equal(rotate.statusCode, 200, rotate.body);
    s.h.clock.advance(DAY);
    await publish({});
    const after = await apkKeys(s);
    const next = after.find((k) => k.state === "active")!;
    assert.equal(after.find((k) => k.id === first.id)?.state, "retiring", JSON.stringify(after));
    assert.ok(next.apkKeyName !== null && next.apkKeyName !== first.apkKeyName, JSON.stringify(after));
    const nextPem = await publicKeyFile(s, sc, next);
    const during = await splitIndex(s, sc);
    assert.deepEqual(
      [...during.signatures.keys()].sort(),
      [first.apkKeyName, next.apkKeyName].sort(),
      "two .SIGN.RSA256. entries, one per key",
    );
    for (const [key, pem, other] of [
      [first, firstPem, nextPem],
      [next, nextPem, firstPem],
    ] as const) {
      const signature = during.signatures.get(key.apkKeyName!)!;
      const own = opensslVerifies(pem, signature, during.signed);
      assert.ok(own.ok, `${key.apkKeyName}: ${own.said}`);
      const foreign = opensslVerifies(other, signature, during.signed);
      assert.ok(!foreign.ok, `${key.apkKeyName} verified by the other key: ${foreign.said}`);
    }
    // The signatures cover the index as stored: a changed byte of it is refused.
    const signedBytes = new Uint8Array(readFileSync(during.signed));
    signedBytes[signedBytes.length >> 1]! ^= 0x01;
    const flipped = opensslVerifies(
      nextPem,
      during.signatures.get(next.apkKeyName!)!,
      sc.file("flipped.gz", signedBytes),
    );
    assert.ok(!flipped.ok, flipped.said);
  });
});

secretsNeverLeak();

// The publish engine's pacman roots on the memory driver: the layout of archlinux/<repo>/os/<arch>/ (the
// signed .db/.files with their .tar.gz copies, every package with its .sig in each folder that lists it,
// `any` packages in every folder), the repository name, package signatures (made, kept, foreign, armored,
// not matching), one version per name with the grace period of replaced files, conflicts, removal, new
// architectures, and bad input — each failure typed, and the repository unchanged by it. The databases
// are read back with gunzip and the formats tar reader, and signatures checked with the public key.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { before, describe, test } from "node:test";
import { bytesSource, FormatError, type OpenPGPSigner, readPackage, verifyDetached } from "@packyard/formats";
import { compressBytes } from "@packyard/formats/compress";
import { writeTar } from "@packyard/formats/container/tar";
import {
  isRepoError,
  memoryStorage,
  pacmanTopKeys,
  publish,
  readObject,
  readRepository,
  type Storage,
  verifyRepository,
} from "@packyard/repo";
import { testDeb } from "@packyard/testkit/debs";
import { openpgpTestKey } from "@packyard/testkit/keyrings";
import { listAll } from "../../src/publish/state-io.ts";
import {
  archSignature,
  descFields,
  inputOf,
  pacmanDatabase,
  type TestPackage,
  testArch,
} from "./arch-apk-support.ts";
import { clockAt, rejectsWith } from "./engine-support.ts";
import { snapshot } from "./storage-snapshot.ts";

let signer: OpenPGPSigner;
let other: OpenPGPSigner;
before(async () => {
  signer = (await openpgpTestKey()).signer;
  other = (await openpgpTestKey({ name: "Someone Else", email: "else@packyard.invalid" })).signer;
});

const X86 = "archlinux/repository/os/x86_64";
const ARM = "archlinux/repository/os/aarch64";
const BOTH = { architectures: ["x86_64", "aarch64"] };

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const md5 = (b: Uint8Array) => createHash("md5").update(b).digest("hex");

async function bytesAt(s: Storage, key: string): Promise<Uint8Array> {
  const b = await readObject(s, key);
  assert.ok(b !== undefined, `${key} exists`);
  return b;
}

/** The database of a root read back: entry folder → its desc fields. */
async function dbOf(s: Storage, root: string): Promise<Map<string, Map<string, string[]>>> {
  const entries = await pacmanDatabase(await bytesAt(s, pacmanTopKeys(root).db));
  return new Map([...entries].map(([k, v]) => [k, descFields(v)]));
}

/** `name version` of every package a root's database lists, sorted. */
async function listed(s: Storage, root: string): Promise<string[]> {
  return [...(await dbOf(s, root)).values()]
    .map((d) => `${d.get("NAME")![0]} ${d.get("VERSION")![0]}`)
    .sort();
}

/** Whether `signature` verifies over `data` with `key` (a refusal to read it counts as no). */
async function verifies(data: Uint8Array, signature: Uint8Array, key: OpenPGPSigner): Promise<boolean> {
  try {
    return (await verifyDetached(data, signature, key.publicKeyArmored())).valid;
  } catch {
    return false;
  }
}

function isBinarySignature(b: Uint8Array): boolean {
  // An OpenPGP packet header has its top bit set; armor starts with "-----BEGIN PGP".
  return (
    b.length > 0 && (b[0]! & 0x80) !== 0 && !new TextDecoder().decode(b.subarray(0, 16)).includes("-----")
  );
}

/** The stored .sig of the package a root lists under `name`. */
async function storedSignature(s: Storage, root: string, name: string): Promise<Uint8Array> {
  const state = (await readRepository(s)).find((x) => x.root === root)!;
  const record = state.packages.find((p) => p.name === name)!;
  assert.equal(record.signature?.key, `${record.key}.sig`);
  return bytesAt(s, `${record.key}.sig`);
}

/** Publish options with the repository key, plus `extra`. */
function o(extra: Omit<Parameters<typeof publish>[1], "signers"> = {}): Parameters<typeof publish>[1] {
  return { signers: [signer], ...extra };
}

describe("publish to pacman roots", () => {
  test("x86_64 and any packages: signed databases with .tar.gz copies, every package and .sig in each folder listing it", async () => {
    const s = memoryStorage();
    const hello = await testArch({ name: "hello" });
    const docs = await testArch({ name: "docs", arch: "any" });
    const r = await publish(s, {
      add: [hello, docs].map(inputOf),
      archlinux: BOTH,
      ...o({ clock: clockAt() }),
    });
    assert.deepEqual(r.roots.sort(), [ARM, X86]);
    assert.deepEqual(r.added.map((a) => `${a.root} ${a.name}`).sort(), [
      `${ARM} docs`,
      `${X86} docs`,
      `${X86} hello`,
    ]);
    for (const [root, arch] of [
      [X86, "x86_64"],
      [ARM, "aarch64"],
    ] as const) {
      const dir = `archlinux/repository/os/${arch}/repository`;
      const files = Object.fromEntries(
        await Promise.all(
          [
            ".db",
            ".db.sig",
            ".db.tar.gz",
            ".db.tar.gz.sig",
            ".files",
            ".files.sig",
            ".files.tar.gz",
            ".files.tar.gz.sig",
          ].map(async (ext) => [ext, await bytesAt(s, `${dir}${ext}`)] as const),
        ),
      );
      assert.deepEqual(files[".db"], files[".db.tar.gz"], ".db.tar.gz is a real copy of .db");
      assert.deepEqual(files[".db.sig"], files[".db.tar.gz.sig"]);
      assert.deepEqual(files[".files"], files[".files.tar.gz"]);
      assert.deepEqual(files[".files.sig"], files[".files.tar.gz.sig"]);
      for (const [data, sig] of [
        [".db", ".db.sig"],
        [".files", ".files.sig"],
      ] as const) {
        assert.ok(isBinarySignature(files[sig]!), `${dir}${sig} is a binary signature`);
        assert.ok(await verifies(files[data]!, files[sig]!, signer), `${dir}${sig} verifies over ${data}`);
        assert.ok(!(await verifies(files[data]!, files[sig]!, other)), "and not with another key");
      }
      // Every desc entry names a file of this folder, with its size and digests; the .sig beside it verifies.
      const db = await dbOf(s, root);
      const names = [...db.values()].map((d) => d.get("NAME")![0]).sort();
      assert.deepEqual(names, arch === "x86_64" ? ["docs", "hello"] : ["docs"]);
      for (const desc of db.values()) {
        const filename = desc.get("FILENAME")![0]!;
        const stored = await bytesAt(s, `${root}/${filename}`);
        assert.equal(desc.get("CSIZE")![0], String(stored.length), `${filename} CSIZE`);
        assert.equal(desc.get("SHA256SUM")![0], sha256(stored), `${filename} SHA256SUM`);
        assert.equal(desc.get("MD5SUM")![0], md5(stored), `${filename} MD5SUM`);
        const original = desc.get("NAME")![0] === "docs" ? docs : hello;
        assert.deepEqual(stored, original.bytes, "the package is stored byte for byte");
        const sig = await bytesAt(s, `${root}/${filename}.sig`);
        assert.ok(isBinarySignature(sig));
        assert.ok(await verifies(stored, sig, signer), `${filename}.sig verifies`);
      }
    }
    // Nothing else under the folders: packages, their .sig and the eight database files.
    assert.equal((await listAll(s, `${X86}/`)).length, 4 + 8);
    assert.equal((await listAll(s, `${ARM}/`)).length, 2 + 8);
    assert.deepEqual(await verifyRepository(s, { publicKeys: [signer.publicKeyArmored()] }), []);
  });

  test("the repository name: the key name by default, archlinux.repo, refused names, one of several must be named", async () => {
    const s = memoryStorage();
    const clock = clockAt();
    await publish(s, { add: [inputOf(await testArch({ name: "a" }))], ...o({ clock }) });
    assert.ok(await readObject(s, `${X86}/repository.db`), "the default name is the key name, repository");
    const acme = memoryStorage();
    await publish(acme, { add: [inputOf(await testArch({ name: "a" }))], keyName: "acme", ...o({ clock }) });
    assert.deepEqual(
      (await listAll(acme, "archlinux/")).filter((k) => k.endsWith(".db")),
      ["archlinux/acme/os/x86_64/acme.db"],
    );
    // An existing repository is used whatever the key name.
    await publish(acme, { add: [inputOf(await testArch({ name: "b" }))], keyName: "other", ...o({ clock }) });
    assert.deepEqual(await listed(acme, "archlinux/acme/os/x86_64"), ["a 1.0-1", "b 1.0-1"]);

    for (const repo of ["bad/name", "local", "-x", "with space"]) {
      await rejectsWith(s, "INVALID_SETTING", async () =>
        publish(s, { add: [inputOf(await testArch({ name: "x" }))], archlinux: { repo }, ...o({ clock }) }),
      );
    }
    const r = await publish(s, {
      add: [inputOf(await testArch({ name: "c" }))],
      archlinux: { repo: "extra" },
      ...o({ clock }),
    });
    assert.deepEqual(r.roots, ["archlinux/extra/os/x86_64"]);
    assert.deepEqual(await listed(s, "archlinux/extra/os/x86_64"), ["c 1.0-1"]);
    assert.deepEqual(await listed(s, X86), ["a 1.0-1"], "the other repository is untouched");
    await rejectsWith(s, "INVALID_SETTING", async () =>
      publish(s, { add: [inputOf(await testArch({ name: "d" }))], ...o({ clock }) }),
    );
    await assert.rejects(
      async () => publish(s, { add: [inputOf(await testArch({ name: "d" }))], ...o({ clock }) }),
      /archlinux\.repo: .*\(extra, repository\)/,
      "the message names the repositories to choose from",
    );
  });

  test("an unsigned package gets a .sig by the first key; a binary .sig by a repository key is kept byte for byte", async () => {
    const s = memoryStorage();
    const clock = clockAt();
    const a = await testArch({ name: "a" });
    const r = await publish(s, { add: [inputOf(a)], signers: [signer, other], clock });
    assert.equal(r.warnings, undefined);
    const made = await storedSignature(s, X86, "a");
    assert.ok(isBinarySignature(made));
    assert.ok(await verifies(a.bytes, made, signer), "made with the first key");
    assert.ok(!(await verifies(a.bytes, made, other)));
    // A .sig by the second key (the old one, while rotating) is kept as given.
    const b = await testArch({ name: "b" });
    const bySecond = await archSignature(b, other);
    await publish(s, { add: [inputOf({ ...b, signature: bySecond })], signers: [signer, other], clock });
    assert.deepEqual(await storedSignature(s, X86, "b"), bySecond);
    // One by the first key too; and a .sig read with the package (PackageInfo.raw.signature) counts as given.
    const c = await testArch({ name: "c" });
    const byFirst = await archSignature(c, signer, new Date("2025-06-01T00:00:00Z"));
    const read = await readPackage(c.source, c.name, { detachedSignature: byFirst });
    assert.equal(read.raw.format === "archlinux" && read.raw.signature !== undefined, true);
    await publish(s, { add: [{ info: read, source: c.source, name: c.name }], signers: [signer], clock });
    assert.deepEqual(await storedSignature(s, X86, "c"), byFirst);
    assert.deepEqual(
      await verifyRepository(s, { publicKeys: [signer.publicKeyArmored(), other.publicKeyArmored()] }),
      [],
    );
    // Once the second key stops signing, its package signatures are a warning.
    const w = await publish(s, { add: [inputOf(await testArch({ name: "d" }))], signers: [signer], clock });
    assert.deepEqual(
      w.warnings?.map((x) => [x.code, x.root]),
      [["PACMAN_KEY_NOT_SIGNING", X86]],
    );
    assert.match(w.warnings![0]!.message, new RegExp(other.primaryFingerprint));
    assert.match(w.warnings![0]!.message, /b-1\.0-1/);
  });

  test("armored, foreign and non-matching package signatures are refused; resign replaces the first two", async () => {
    const s = memoryStorage();
    const clock = clockAt();
    await publish(s, { add: [inputOf(await testArch({ name: "base" }))], ...o({ clock }) });
    const a = await testArch({ name: "a" });
    const armored = new TextEncoder().encode(
      await signer.detached(a.bytes, { date: new Date("2025-01-01T00:00:00Z"), armor: true }),
    );
    await rejectsWith(s, "REPO_FOREIGN_SIGNATURE", () =>
      publish(s, { add: [inputOf({ ...a, signature: armored })], ...o({ clock }) }),
    );
    const foreign = await archSignature(a, other);
    await rejectsWith(s, "REPO_FOREIGN_SIGNATURE", () =>
      publish(s, { add: [inputOf({ ...a, signature: foreign })], ...o({ clock }) }),
    );
    // Our key, but over other bytes: the package changed after it was signed.
    const elsewhere = await archSignature(await testArch({ name: "a", payload: "other bytes" }), signer);
    await rejectsWith(s, "CORRUPT_PACKAGE", () =>
      publish(s, { add: [inputOf({ ...a, signature: elsewhere })], ...o({ clock }) }),
    );
    // resign: the armored one is replaced by a binary signature of the repository key.
    await publish(s, {
      add: [inputOf({ ...a, signature: armored })],
      archlinux: { resign: true },
      ...o({ clock }),
    });
    const stored = await storedSignature(s, X86, "a");
    assert.ok(isBinarySignature(stored));
    assert.ok(await verifies(a.bytes, stored, signer));
    const b = await testArch({ name: "b" });
    await publish(s, {
      add: [inputOf({ ...b, signature: await archSignature(b, other) })],
      archlinux: { resign: true },
      ...o({ clock }),
    });
    const resigned = await storedSignature(s, X86, "b");
    assert.ok(await verifies(b.bytes, resigned, signer));
    assert.ok(!(await verifies(b.bytes, resigned, other)));
    assert.deepEqual(await verifyRepository(s, { publicKeys: [signer.publicKeyArmored()] }), []);
  });

  test("one version per name: a newer one replaces the held one, whose files go after the grace period; an older one is a warning", async () => {
    const s = memoryStorage();
    const clock = clockAt();
    const grace = { graceMs: 3600_000, clock };
    await publish(s, { add: [inputOf(await testArch({ name: "hello", version: "1.0-1" }))], ...o(grace) });
    const old = `${X86}/hello-1.0-1-x86_64.pkg.tar.zst`;
    assert.ok(await readObject(s, old));
    const r = await publish(s, {
      add: [inputOf(await testArch({ name: "hello", version: "1.0-2" }))],
      ...o(grace),
    });
    assert.deepEqual(
      r.removed.map((x) => `${x.name} ${x.version}`),
      ["hello 1.0-1"],
    );
    assert.deepEqual(await listed(s, X86), ["hello 1.0-2"]);
    assert.ok(await readObject(s, old), "the replaced file stays for the grace period");
    assert.ok(await readObject(s, `${old}.sig`), "so does its signature");
    // Still within the grace period: a publish keeps it.
    await publish(s, { add: [inputOf(await testArch({ name: "x" }))], ...o(grace) });
    assert.ok(await readObject(s, old));
    clock.jump(2 * 3600_000);
    const later = await publish(s, { add: [inputOf(await testArch({ name: "y" }))], ...o(grace) });
    assert.deepEqual(later.deleted.filter((k) => k.includes("hello")).sort(), [old, `${old}.sig`]);
    assert.equal(await readObject(s, old), undefined);
    assert.equal(await readObject(s, `${old}.sig`), undefined);

    // An older version is not added: a warning, and nothing changes.
    const db = await bytesAt(s, pacmanTopKeys(X86).db);
    const before = await snapshot(s);
    const older = await publish(s, {
      add: [inputOf(await testArch({ name: "hello", version: "1.0-1" }))],
      ...o(grace),
    });
    assert.deepEqual(
      older.warnings?.map((w) => [w.code, w.root]),
      [["PACMAN_NOT_NEWEST", X86]],
    );
    assert.match(older.warnings![0]!.message, /holds hello 1\.0-2, newer than 1\.0-1/);
    assert.deepEqual(older.added, []);
    assert.deepEqual(older.written, []);
    assert.deepEqual(await bytesAt(s, pacmanTopKeys(X86).db), db);
    assert.deepEqual(await snapshot(s), before);
    assert.deepEqual(await verifyRepository(s, { publicKeys: [signer.publicKeyArmored()] }), []);
  });

  test("two versions of a name in one publish: only the newest is listed and written", async () => {
    const s = memoryStorage();
    const r = await publish(s, {
      add: [
        inputOf(await testArch({ name: "hello", version: "1.0-1" })),
        inputOf(await testArch({ name: "hello", version: "1.0-3" })),
        inputOf(await testArch({ name: "hello", version: "1.0-2" })),
      ],
      ...o({ clock: clockAt() }),
    });
    assert.deepEqual(await listed(s, X86), ["hello 1.0-3"]);
    assert.deepEqual(
      r.added.map((x) => x.version),
      ["1.0-3"],
    );
    assert.deepEqual(
      r.warnings?.map((w) => w.code),
      ["PACMAN_NOT_NEWEST"],
      "1.0-2 came after 1.0-3",
    );
    assert.deepEqual((await listAll(s, `${X86}/hello-`)).sort(), [
      `${X86}/hello-1.0-3-x86_64.pkg.tar.zst`,
      `${X86}/hello-1.0-3-x86_64.pkg.tar.zst.sig`,
    ]);
  });

  test("the same version with other bytes is REPO_CONFLICT; replace stores it under a content-qualified name", async () => {
    const s = memoryStorage();
    const clock = clockAt();
    const first = await testArch({ name: "hello", version: "1.0-2" });
    await publish(s, { add: [inputOf(first)], ...o({ clock }) });
    const rebuilt = await testArch({ name: "hello", version: "1.0-2", payload: "rebuilt" });
    assert.notEqual(rebuilt.info.artifact.digests.sha256, first.info.artifact.digests.sha256);
    await rejectsWith(s, "REPO_CONFLICT", () => publish(s, { add: [inputOf(rebuilt)], ...o({ clock }) }));
    const r = await publish(s, { add: [inputOf(rebuilt)], replace: true, ...o({ clock }) });
    assert.deepEqual(
      r.added.map((x) => `${x.name} ${x.version}`),
      ["hello 1.0-2"],
    );
    const [desc] = (await dbOf(s, X86)).values();
    const filename = desc!.get("FILENAME")![0]!;
    assert.match(filename, /^hello-1\.0-2-x86_64\.[0-9a-f]{16}\.pkg\.tar\.zst$/);
    assert.deepEqual(await bytesAt(s, `${X86}/${filename}`), rebuilt.bytes);
    assert.deepEqual(
      await bytesAt(s, `${X86}/hello-1.0-2-x86_64.pkg.tar.zst`),
      first.bytes,
      "the name that held other bytes is not reused",
    );
    assert.deepEqual(await verifyRepository(s, { publicKeys: [signer.publicKeyArmored()] }), []);

    // The identical package again: a no-op that writes nothing.
    const before = await snapshot(s);
    const again = await publish(s, { add: [inputOf(rebuilt)], ...o({ clock }) });
    assert.deepEqual(again.written, []);
    assert.deepEqual(again.roots, []);
    assert.deepEqual(
      again.unchanged.map((x) => `${x.root} ${x.name} ${x.version}`),
      [`${X86} hello 1.0-2`],
    );
    assert.deepEqual(await snapshot(s), before);
  });

  test("an epoch version is listed as is, under a file name without ':'", async () => {
    const s = memoryStorage();
    const pkg = await testArch({ name: "epochal", version: "1:2.0-1", arch: "any" });
    assert.equal(pkg.info.versionString, "1:2.0-1");
    await publish(s, { add: [inputOf(pkg)], ...o({ clock: clockAt() }) });
    const [desc] = (await dbOf(s, X86)).values();
    assert.equal(desc!.get("VERSION")![0], "1:2.0-1");
    const filename = desc!.get("FILENAME")![0]!;
    assert.ok(!filename.includes(":"), filename);
    assert.match(filename, /^epochal-1.+2\.0-1-any\.pkg\.tar\.zst$/);
    const keys = await listAll(s, "archlinux/");
    assert.ok(
      keys.every((k) => !k.includes(":")),
      keys.join("\n"),
    );
    assert.deepEqual(await bytesAt(s, `${X86}/${filename}`), pkg.bytes);
  });

  test("the database embeds package signatures when asked (%PGPSIG%)", async () => {
    const s = memoryStorage();
    await publish(s, {
      add: [inputOf(await testArch({ name: "hello" }))],
      archlinux: { includeSignatures: true },
      ...o({ clock: clockAt() }),
    });
    const [desc] = (await dbOf(s, X86)).values();
    const sig = await bytesAt(s, `${X86}/${desc!.get("FILENAME")![0]}.sig`);
    assert.deepEqual(desc!.get("PGPSIG"), [Buffer.from(sig).toString("base64")]);
  });

  test("remove by name for the pacman family only; a later architecture gets copies of the any packages", async () => {
    const s = memoryStorage();
    const clock = clockAt();
    const docs = await testArch({ name: "docs", arch: "any" });
    await publish(s, {
      add: [inputOf(await testArch({ name: "hello" })), inputOf(docs), await testDeb({ name: "hello" })],
      ...o({ clock }),
    });
    assert.deepEqual(await listed(s, X86), ["docs 1.0-1", "hello 1.0-1"]);
    const r = await publish(s, { remove: [{ name: "hello", family: "archlinux" }], ...o({ clock }) });
    assert.deepEqual(r.roots, [X86]);
    assert.deepEqual(
      r.removed.map((x) => `${x.root} ${x.name}`),
      [`${X86} hello`],
    );
    assert.deepEqual(await listed(s, X86), ["docs 1.0-1"]);
    const deb = (await readRepository(s)).find((x) => x.root === "deb/stable")!;
    assert.deepEqual(
      deb.packages.map((p) => p.name),
      ["hello"],
      "the APT suite keeps its hello",
    );

    const x86Docs = `${X86}/docs-1.0-1-any.pkg.tar.zst`;
    const added = await publish(s, { archlinux: { architectures: ["aarch64"] }, ...o({ clock }) });
    assert.deepEqual(added.roots, [ARM], "the x86_64 folder is not rewritten");
    assert.deepEqual(await listed(s, ARM), ["docs 1.0-1"]);
    assert.deepEqual(await bytesAt(s, `${ARM}/docs-1.0-1-any.pkg.tar.zst`), docs.bytes);
    assert.deepEqual(
      await bytesAt(s, `${ARM}/docs-1.0-1-any.pkg.tar.zst.sig`),
      await bytesAt(s, `${x86Docs}.sig`),
    );
    assert.deepEqual(await verifyRepository(s, { publicKeys: [signer.publicKeyArmored()] }), []);
  });

  test("bad input is a typed error and leaves the repository unchanged", async () => {
    const s = memoryStorage();
    const clock = clockAt();
    await publish(s, { add: [inputOf(await testArch({ name: "hello" }))], ...o({ clock }) });
    // A package file made by hand whose .PKGINFO has no pkgname: the reader refuses it.
    const enc = new TextEncoder();
    const pkginfo = enc.encode("pkgver = 1.0-1\narch = x86_64\nbuilddate = 1700000000\n");
    const data = enc.encode("x\n");
    const header = (name: string, size: number) => ({
      name,
      type: "file" as const,
      mode: 0o644,
      uid: 0,
      gid: 0,
      uname: "root",
      gname: "root",
      size,
      mtime: 1700000000,
    });
    const tar: Uint8Array[] = [];
    for await (const c of writeTar(
      [
        { header: header(".PKGINFO", pkginfo.length), content: pkginfo },
        { header: header("usr/share/x/data", data.length), content: data },
      ],
      { flavour: "pax" },
    ))
      tar.push(c);
    const crafted = await compressBytes(Buffer.concat(tar), { algo: "zstd" });
    await assert.rejects(
      () => readPackage(bytesSource(crafted), "x-1.0-1-x86_64.pkg.tar.zst"),
      (e: unknown) => e instanceof FormatError && /pkgname/.test(e.message),
    );
    // The same, as a PackageInfo whose .PKGINFO lost its pkgname (or holds a '/') after reading.
    const good = await testArch({ name: "broken" });
    const raw = good.info.raw as Extract<TestPackage["info"]["raw"], { format: "archlinux" }>;
    for (const pkginfo of [
      raw.pkginfo.replace(/^pkgname = .*\n/m, ""),
      raw.pkginfo.replace(/^pkgname = .*$/m, "pkgname = a/b"),
    ]) {
      assert.notEqual(pkginfo, raw.pkginfo);
      await rejectsWith(s, "CORRUPT_PACKAGE", () =>
        publish(s, {
          add: [{ ...inputOf(good), info: { ...good.info, raw: { ...raw, pkginfo } } }],
          ...o({ clock }),
        }),
      );
    }
    // Sizes that do not match what was read; architectures the repository or pacman does not serve.
    await rejectsWith(s, "CHECKSUM_MISMATCH", () =>
      publish(s, {
        add: [{ ...inputOf(good), source: bytesSource(good.bytes.subarray(1)) }],
        ...o({ clock }),
      }),
    );
    await rejectsWith(s, "ARCH_NOT_IN_REPO", async () =>
      publish(s, { add: [inputOf(await testArch({ name: "arm", arch: "aarch64" }))], ...o({ clock }) }),
    );
    await rejectsWith(s, "INVALID_SETTING", async () =>
      publish(s, {
        add: [inputOf(await testArch({ name: "x" }))],
        archlinux: { architectures: ["sparc64"] },
        ...o({ clock }),
      }),
    );
    // A deb's PackageInfo labelled as an Arch package is not one.
    const deb = await testDeb({ name: "dd" });
    await rejectsWith(s, "UNSUPPORTED_PACKAGE", () =>
      publish(s, { add: [{ ...deb, info: { ...deb.info, format: "archlinux" } }], ...o({ clock }) }),
    );
    // No OpenPGP key at all.
    await rejectsWith(s, "MISSING_KEY", async () =>
      publish(s, { add: [inputOf(await testArch({ name: "x" }))], signers: [], clock }),
    );
  });

  test("a package whose bytes changed after it was read (same size) is refused, and no database names it", async () => {
    const s = memoryStorage();
    const a = await testArch({ name: "hello" });
    const changed = Buffer.from(a.bytes);
    changed[changed.length - 40]! ^= 0xff;
    await assert.rejects(
      () =>
        publish(s, { add: [{ ...inputOf(a), source: bytesSource(changed) }], ...o({ clock: clockAt() }) }),
      (e: unknown) => isRepoError(e) && ["CHECKSUM_MISMATCH", "CORRUPT_PACKAGE"].includes(e.code),
    );
    assert.equal(await readObject(s, pacmanTopKeys(X86).db), undefined);
    assert.equal(await readObject(s, `${X86}/hello-1.0-1-x86_64.pkg.tar.zst`), undefined);
  });
});

/**
 * verify/pacman without external tools: databases written here by hand (tar by @packyard/formats' writer,
 * gzip by its compressor, signatures by an openpgp.js test key; package bytes are opaque to the verifier),
 * so each case can break one rule — a tampered .db, an armored or missing .sig, a wrong %CSIZE% or
 * %SHA256SUM%, a folder name or %ARCH% pacman would refuse, a files database out of step — and check
 * finding roots, reading packages once, and verifyRepository. The expected sizes and hashes are computed
 * here with node:crypto over the bytes the test wrote, never taken from the verifier.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { before, test } from "node:test";
import type { OpenPGPSigner } from "@packyard/formats";
import { compressBytes } from "@packyard/formats/compress";
import { type TarWriteEntry, writeTar } from "@packyard/formats/container/tar";
import { CHUNK_SIZES, chunked } from "@packyard/testkit/chunked";
import { openpgpTestKey } from "@packyard/testkit/keyrings";
import { isRepoError } from "../../src/errors.ts";
import { memoryStorage } from "../../src/storage/memory.ts";
import { collectBytes, readObject } from "../../src/storage/read.ts";
import type { Storage } from "../../src/storage/storage.ts";
import type { VerifyProblem } from "../../src/verify/apt.ts";
import { verifyPacmanRoot } from "../../src/verify/pacman.ts";
import { listPacmanRoots, verifyRepository } from "../../src/verify/repository.ts";
import { DATE, utf8 } from "../apt/support.ts";

const ROOT = "archlinux/tools/os/x86_64";
const DB = `${ROOT}/tools.db`;
const FILES = `${ROOT}/tools.files`;

let signer: OpenPGPSigner;
let other: OpenPGPSigner;
let publicKeys: string[];

before(async () => {
  signer = (await openpgpTestKey()).signer;
  other = (await openpgpTestKey({ name: "Someone Else" })).signer;
  publicKeys = [signer.publicKeyArmored()];
});

/** One package of a hand-written database; `desc` edits the fields before they are written. */
interface HandPackage {
  name: string;
  version: string;
  arch: string;
  bytes: Uint8Array;
  /** The folder name in the databases (default name-version). */
  dir?: string;
  desc?: (fields: Record<string, string[]>) => void;
  /** Leave the package's .sig out. */
  unsigned?: boolean;
}

function hex(bytes: Uint8Array, algo = "sha256"): string {
  return createHash(algo).update(bytes).digest("hex");
}

function fileName(p: HandPackage): string {
  return `${p.name}-${p.version}-${p.arch}.pkg.tar.zst`;
}

function pkg(name: string, overrides: Partial<HandPackage> = {}): HandPackage {
  return { name, version: "1.0-1", arch: "x86_64", bytes: utf8(`the bytes of ${name}`), ...overrides };
}

/** A desc as repo-add writes it: `%FIELD%`, values, a blank line after each block. */
function descOf(p: HandPackage): string {
  const fields: Record<string, string[]> = {
    FILENAME: [fileName(p)],
    NAME: [p.name],
    VERSION: [p.version],
    DESC: [`the ${p.name} tool`],
    CSIZE: [String(p.bytes.length)],
    ISIZE: ["4096"],
    MD5SUM: [hex(p.bytes, "md5")],
    SHA256SUM: [hex(p.bytes)],
    ARCH: [p.arch],
    BUILDDATE: ["1700000000"],
    DEPENDS: ["glibc", "zlib"],
  };
  p.desc?.(fields);
  return Object.entries(fields)
    .map(([k, v]) => `%${k}%\n${v.join("\n")}\n\n`)
    .join("");
}

function fileEntry(name: string, content: Uint8Array): TarWriteEntry {
  return {
    header: { name, type: "file", mode: 0o644, uid: 0, gid: 0, size: content.length, mtime: 1700000000 },
    content,
  };
}

function dirEntry(name: string): TarWriteEntry {
  return { header: { name, type: "dir", mode: 0o755, uid: 0, gid: 0, size: 0, mtime: 1700000000 } };
}

/** A database archive: a folder per package with desc (and files in the files database), gzipped. */
async function database(packages: HandPackage[], withFiles: boolean): Promise<Uint8Array> {
  const entries: TarWriteEntry[] = [];
  for (const p of packages) {
    const dir = p.dir ?? `${p.name}-${p.version}`;
    entries.push(dirEntry(`${dir}/`), fileEntry(`${dir}/desc`, utf8(descOf(p))));
    if (withFiles)
      entries.push(fileEntry(`${dir}/files`, utf8(`%FILES%\nusr/\nusr/bin/\nusr/bin/${p.name}\n`)));
  }
  const tar = await collectBytes(writeTar(entries, { flavour: "pax" }));
  return compressBytes(tar, { algo: "gzip" });
}

async function sign(bytes: Uint8Array, by = signer): Promise<Uint8Array> {
  return by.detached(bytes, { date: DATE });
}

/** Writes a root: the packages and their .sig, both databases, their .tar.gz copies and every signature. */
async function handRepo(storage: Storage, root: string, packages: HandPackage[]): Promise<void> {
  for (const p of packages) {
    await storage.put(`${root}/${fileName(p)}`, p.bytes);
    if (p.unsigned !== true) await storage.put(`${root}/${fileName(p)}.sig`, await sign(p.bytes));
  }
  const repo = root.split("/")[1]!;
  for (const kind of ["db", "files"] as const) {
    const bytes = await database(packages, kind === "files");
    const sig = await sign(bytes);
    for (const name of [`${repo}.${kind}`, `${repo}.${kind}.tar.gz`]) {
      await storage.put(`${root}/${name}`, bytes);
      await storage.put(`${root}/${name}.sig`, sig);
    }
  }
}

async function repo(packages: HandPackage[], root = ROOT): Promise<Storage> {
  const storage = memoryStorage();
  await handRepo(storage, root, packages);
  return storage;
}

/** Asserts exactly one problem, on `key`, whose text matches `pattern`. */
function one(problems: VerifyProblem[], key: string, pattern: RegExp): void {
  assert.equal(problems.length, 1, JSON.stringify(problems, null, 1));
  assert.equal(problems[0]?.key, key);
  assert.match(problems[0]?.problem ?? "", pattern);
}

/** Replaces the .db (and its .tar.gz copy and both signatures) with a database of `packages`; the .files too with `both`. */
async function rewriteDb(storage: Storage, packages: HandPackage[], both = false): Promise<void> {
  for (const [base, withFiles] of both
    ? ([
        [DB, false],
        [FILES, true],
      ] as const)
    : ([[DB, false]] as const)) {
    const bytes = await database(packages, withFiles);
    const sig = await sign(bytes);
    for (const name of [base, `${base}.tar.gz`]) {
      await storage.put(name, bytes);
      await storage.put(`${name}.sig`, sig);
    }
  }
}

const strict = () => ({ publicKeys, strict: true });

test("a hand-written repository verifies clean, with and without keys; so does an empty one", async () => {
  const packages = [pkg("hello"), pkg("tool", { arch: "any", version: "2:3.1-4" })];
  const storage = await repo(packages);
  assert.deepEqual(await verifyPacmanRoot(storage, ROOT, strict()), []);
  assert.deepEqual(await verifyPacmanRoot(storage, `${ROOT}/`, {}), []);
  assert.deepEqual(await verifyPacmanRoot(await repo([]), ROOT, strict()), []);
  // The rules below are checked on this very repository: the clean result is not an empty check.
  await storage.delete(`${ROOT}/${fileName(packages[0]!)}`);
  one(
    await verifyPacmanRoot(storage, ROOT, strict()),
    `${ROOT}/${fileName(packages[0]!)}`,
    /^missing: .*tools\.db lists it for hello-1\.0-1$/,
  );
});

test("a .db tampered after signing fails its signature; with no keys given, only the form is checked", async () => {
  const storage = await repo([pkg("hello")]);
  // The same entries compressed at another level: other bytes, the same database.
  const tar = await collectBytes(
    writeTar([dirEntry("hello-1.0-1/"), fileEntry("hello-1.0-1/desc", utf8(descOf(pkg("hello"))))], {
      flavour: "pax",
    }),
  );
  const tampered = await compressBytes(tar, { algo: "gzip", level: 1 });
  assert.notDeepEqual(tampered, await readObject(storage, DB));
  await storage.put(DB, tampered);
  one(
    await verifyPacmanRoot(storage, ROOT, { publicKeys }),
    `${DB}.sig`,
    /^does not verify with the given keys .*, over archlinux\/tools\/os\/x86_64\/tools\.db$/,
  );
  // The .tar.gz copy still holds the signed bytes: strict reports that it no longer equals the .db.
  const problems = await verifyPacmanRoot(storage, ROOT, strict());
  assert.deepEqual(
    problems.map((p) => p.key),
    [`${DB}.sig`, `${DB}.tar.gz`],
  );
  assert.match(problems[1]!.problem, /^differs from .*tools\.db \(size \d+, SHA256 [0-9a-f]{16}…; .*\)$/);
  assert.deepEqual(await verifyPacmanRoot(storage, ROOT, {}), []);
  // A signature by another key.
  await storage.put(DB, (await readObject(storage, `${DB}.tar.gz`))!);
  await storage.put(`${DB}.sig`, await sign((await readObject(storage, DB))!, other));
  one(
    await verifyPacmanRoot(storage, ROOT, { publicKeys }),
    `${DB}.sig`,
    /^does not verify with the given keys/,
  );
  // Either key of several will do.
  assert.deepEqual(
    await verifyPacmanRoot(storage, ROOT, {
      publicKeys: [signer.publicKeyArmored(), other.publicKeyArmored()],
    }),
    [],
  );
});

test("a .db that is no archive: corrupt gzip, or a symlink stub uploaded as a text file", async () => {
  const storage = await repo([pkg("hello")]);
  const bytes = (await readObject(storage, DB))!.slice();
  bytes[bytes.length - 12]! ^= 0xff;
  await storage.put(DB, bytes);
  await storage.put(`${DB}.sig`, await sign(bytes));
  one(
    await verifyPacmanRoot(storage, ROOT, { publicKeys }),
    DB,
    /^not an archive pacman reads \(gzip, zstd, xz, bzip2 or plain tar\): /,
  );

  const stub = utf8("tools.db.tar.gz");
  await storage.put(DB, stub);
  await storage.put(`${DB}.sig`, await sign(stub));
  one(
    await verifyPacmanRoot(storage, ROOT, { publicKeys }),
    DB,
    /^a 15-byte text "tools\.db\.tar\.gz", not an archive: a symlink uploaded as a file\? pacman says "Unrecognized archive format"$/,
  );
});

test("a plain (uncompressed) tar and a zstd one are databases pacman reads", async () => {
  const storage = await repo([pkg("hello")]);
  const tar = await collectBytes(
    writeTar([dirEntry("hello-1.0-1/"), fileEntry("hello-1.0-1/desc", utf8(descOf(pkg("hello"))))], {
      flavour: "pax",
    }),
  );
  for (const bytes of [tar, await compressBytes(tar, { algo: "zstd" })]) {
    await storage.put(DB, bytes);
    await storage.put(`${DB}.sig`, await sign(bytes));
    assert.deepEqual(await verifyPacmanRoot(storage, ROOT, { publicKeys }), []);
  }
});

test("signature files: missing, armored, not OpenPGP — for the database, the files database and a package", async () => {
  const p = pkg("hello");
  const pkgSig = `${ROOT}/${fileName(p)}.sig`;
  for (const key of [`${DB}.sig`, `${FILES}.sig`, pkgSig, `${DB}.tar.gz.sig`]) {
    const storage = await repo([p]);
    const signedKey = key.slice(0, -4);
    await storage.delete(key);
    one(await verifyPacmanRoot(storage, ROOT, strict()), key, /^missing beside/);
    const signed = (await readObject(storage, signedKey))!;
    await storage.put(key, utf8(await signer.detached(signed, { date: DATE, armor: true })));
    one(
      await verifyPacmanRoot(storage, ROOT, strict()),
      key,
      /^ASCII-armored \("-----BEGIN PGP SIGNATURE-----"\): pacman verifies binary signatures only/,
    );
    await storage.put(key, utf8("<html>404</html>"));
    one(
      await verifyPacmanRoot(storage, ROOT, strict()),
      key,
      /^not an OpenPGP signature: the first byte 0x3c is no packet header/,
    );
    await storage.put(key, new Uint8Array([0x88, 0x05, 1, 2]));
    one(await verifyPacmanRoot(storage, ROOT, strict()), key, /^not a readable OpenPGP signature: /);
  }
});

test("a package signed by another key, or its .sig over other bytes, fails; %PGPSIG% must be the .sig", async () => {
  const p = pkg("hello");
  const storage = await repo([p]);
  const sigKey = `${ROOT}/${fileName(p)}.sig`;
  await storage.put(sigKey, await sign(p.bytes, other));
  one(
    await verifyPacmanRoot(storage, ROOT, { publicKeys }),
    sigKey,
    /^does not verify with the given keys .*, over .*hello-1\.0-1-x86_64\.pkg\.tar\.zst$/,
  );
  await storage.put(sigKey, await sign(utf8("other bytes")));
  one(await verifyPacmanRoot(storage, ROOT, { publicKeys }), sigKey, /^does not verify with the given keys/);

  const sig = await sign(p.bytes);
  await storage.put(sigKey, sig);
  const embedded = pkg("hello", { desc: (f) => void (f.PGPSIG = [Buffer.from(sig).toString("base64")]) });
  await rewriteDb(storage, [embedded], true);
  assert.deepEqual(await verifyPacmanRoot(storage, ROOT, { publicKeys }), []);
  await rewriteDb(storage, [pkg("hello", { desc: (f) => void (f.PGPSIG = ["AAAA"]) })], true);
  one(
    await verifyPacmanRoot(storage, ROOT, { publicKeys }),
    DB,
    /^hello-1\.0-1\/desc: %PGPSIG% is not the base64 of .*\.sig$/,
  );
});

test("a package whose size, SHA-256 or MD5 disagrees with its desc is reported on the package", async () => {
  const cases: [(f: Record<string, string[]>) => void, RegExp][] = [
    [(f) => void (f.CSIZE = ["999"]), /^size 18, .*tools\.db gives %CSIZE% 999 for hello-1\.0-1$/],
    [
      (f) => void (f.SHA256SUM = ["0".repeat(64)]),
      /^SHA256 [0-9a-f]{16}…, .* gives %SHA256SUM% 0{16}… for hello-1\.0-1 \(pacman: "invalid or corrupted package \(checksum\)"\)$/,
    ],
    [(f) => void (f.MD5SUM = ["f".repeat(32)]), /^MD5 [0-9a-f]{16}…, .* gives %MD5SUM% f{16}…/],
  ];
  for (const [edit, pattern] of cases) {
    const p = pkg("hello", { desc: edit });
    assert.equal(p.bytes.length, 18);
    one(await verifyPacmanRoot(await repo([p]), ROOT, { publicKeys }), `${ROOT}/${fileName(p)}`, pattern);
  }
});

test("desc rules: required fields, folder name, one version per name, arch, field syntax", async () => {
  const cases: [HandPackage[], RegExp][] = [
    [[pkg("hello", { desc: (f) => void delete f.SHA256SUM })], /^hello-1\.0-1\/desc: no %SHA256SUM%$/],
    [
      [pkg("hello", { desc: (f) => void (f.ARCH = ["x86_64", "any"]) })],
      /^hello-1\.0-1\/desc: %ARCH% has 2 values; expected one$/,
    ],
    [
      [pkg("hello", { dir: "hello-1.0-2" })],
      /^hello-1\.0-2\/desc: %NAME%-%VERSION% is hello-1\.0-1, not the folder's name \(pacman: "database is inconsistent"\)$/,
    ],
    [
      [pkg("hello", { arch: "aarch64" })],
      /^hello-1\.0-1\/desc: %ARCH% aarch64 in the x86_64 folder; expected x86_64 or any$/,
    ],
    [
      [pkg("hello", { desc: (f) => void (f.CSIZE = ["12k"]) })],
      /^hello-1\.0-1\/desc: %CSIZE% "12k" is not a size in bytes$/,
    ],
    [
      [pkg("hello", { desc: (f) => void (f.SHA256SUM = ["abc"]) })],
      /%SHA256SUM% "abc" is not 64 hex digits$/,
    ],
    [
      [pkg("hello", { desc: (f) => void (f.FILENAME = ["../x.pkg.tar.zst"]) })],
      /%FILENAME% "\.\.\/x\.pkg\.tar\.zst" is not a file name in the database's folder$/,
    ],
  ];
  for (const [packages, pattern] of cases) {
    const problems = await verifyPacmanRoot(await repo(packages), ROOT, { publicKeys });
    one(problems, DB, pattern);
  }
  const two = await verifyPacmanRoot(await repo([pkg("hello"), pkg("hello", { version: "2.0-1" })]), ROOT, {
    publicKeys,
  });
  one(
    two,
    DB,
    /^hello is listed twice \(hello-1\.0-1, hello-2\.0-1\): a sync database holds one version per name$/,
  );
});

test("a database entry of another shape, or a desc line outside a block, is reported", async () => {
  const storage = await repo([pkg("hello")]);
  const desc = utf8(descOf(pkg("hello")));
  const cases: [TarWriteEntry[], RegExp][] = [
    [
      [fileEntry("hello-1.0-1/desc", desc), fileEntry("hello-1.0-1/depends", utf8("%DEPENDS%\n"))],
      /^holds file "hello-1\.0-1\/depends"; expected <name>-<version>\/ folders holding desc$/,
    ],
    [
      [fileEntry("hello-1.0-1/desc", utf8(`stray\n${descOf(pkg("hello"))}`))],
      /^hello-1\.0-1\/desc: line 1: expected a %FIELD% line, found "stray"$/,
    ],
    [
      [dirEntry("hello-1.0-1/"), dirEntry("other-1-1/"), fileEntry("hello-1.0-1/desc", desc)],
      /^other-1-1\/ has no desc$/,
    ],
  ];
  for (const [entries, pattern] of cases) {
    const bytes = await compressBytes(await collectBytes(writeTar(entries, { flavour: "pax" })), {
      algo: "gzip",
    });
    await storage.put(DB, bytes);
    await storage.put(`${DB}.sig`, await sign(bytes));
    const problems = (await verifyPacmanRoot(storage, ROOT, { publicKeys })).filter((p) => p.key === DB);
    one(problems, DB, pattern);
  }
});

test("the files database must list the same packages with the same desc and a files list each", async () => {
  const storage = await repo([pkg("hello"), pkg("tool")]);
  // A .db one package ahead of .files (a publish stopped between the two).
  await rewriteDb(storage, [pkg("hello"), pkg("tool"), pkg("new")]);
  await storage.put(`${ROOT}/${fileName(pkg("new"))}`, pkg("new").bytes);
  await storage.put(`${ROOT}/${fileName(pkg("new"))}.sig`, await sign(pkg("new").bytes));
  one(
    await verifyPacmanRoot(storage, ROOT, { publicKeys }),
    FILES,
    /^lacks new-1\.0-1\/, which .*tools\.db lists$/,
  );
  await rewriteDb(storage, [pkg("hello")]);
  one(
    await verifyPacmanRoot(storage, ROOT, { publicKeys }),
    FILES,
    /^lists tool-1\.0-1\/, which .*tools\.db does not$/,
  );
  await rewriteDb(storage, [pkg("hello", { desc: (f) => void (f.DESC = ["newer"]) }), pkg("tool")]);
  one(
    await verifyPacmanRoot(storage, ROOT, { publicKeys }),
    FILES,
    /^hello-1\.0-1\/desc differs from the one in .*tools\.db$/,
  );

  const noList = await compressBytes(
    await collectBytes(
      writeTar([fileEntry("hello-1.0-1/desc", utf8(descOf(pkg("hello"))))], { flavour: "pax" }),
    ),
    { algo: "gzip" },
  );
  await rewriteDb(storage, [pkg("hello")]);
  await storage.put(FILES, noList);
  await storage.put(`${FILES}.sig`, await sign(noList));
  one(await verifyPacmanRoot(storage, ROOT, { publicKeys }), FILES, /^hello-1\.0-1\/ has no files list$/);
  await storage.delete(FILES);
  one(
    await verifyPacmanRoot(storage, ROOT, { publicKeys }),
    FILES,
    /^missing \(pacman -Fy fetches <repo>\.files\)$/,
  );
});

test("strict: the .tar.gz copies must exist, equal their database and carry a good signature", async () => {
  const storage = await repo([pkg("hello")]);
  await storage.delete(`${FILES}.tar.gz`);
  await storage.delete(`${FILES}.tar.gz.sig`);
  one(
    await verifyPacmanRoot(storage, ROOT, strict()),
    `${FILES}.tar.gz`,
    /^missing: a copy of .*tools\.files/,
  );
  assert.deepEqual(await verifyPacmanRoot(storage, ROOT, { publicKeys }), []);
  // A copy that differs and whose signature is over its own bytes: only the difference is reported.
  const stale = await database([], true);
  await storage.put(`${FILES}.tar.gz`, stale);
  await storage.put(`${FILES}.tar.gz.sig`, await sign(stale));
  one(await verifyPacmanRoot(storage, ROOT, strict()), `${FILES}.tar.gz`, /^differs from /);
  await storage.put(`${FILES}.tar.gz.sig`, await sign((await readObject(storage, FILES))!));
  const problems = await verifyPacmanRoot(storage, ROOT, strict());
  assert.deepEqual(
    problems.map((p) => p.key),
    [`${FILES}.tar.gz`, `${FILES}.tar.gz.sig`],
  );
});

test("a missing .db is reported once, however much else is there", async () => {
  const storage = await repo([pkg("hello")]);
  await storage.delete(DB);
  one(
    await verifyPacmanRoot(storage, ROOT, { publicKeys }),
    DB,
    /^missing \(pacman -Sy fetches <repo>\.db; the \.db\.tar\.gz name alone gives a 404\)$/,
  );
});

test("each package and each .sig is read once, even when two entries name the same file", async () => {
  const storage = await repo([pkg("hello"), pkg("tool")]);
  const gets = new Map<string, number>();
  const counting: Storage = {
    ...storage,
    async get(key, options) {
      gets.set(key, (gets.get(key) ?? 0) + 1);
      return storage.get(key, options);
    },
  };
  assert.deepEqual(await verifyPacmanRoot(counting, ROOT, strict()), []);
  for (const p of [pkg("hello"), pkg("tool")]) {
    assert.equal(gets.get(`${ROOT}/${fileName(p)}`), 1, fileName(p));
    assert.equal(gets.get(`${ROOT}/${fileName(p)}.sig`), 1);
  }
  gets.clear();
  // A second entry naming hello's file (another name, so only the desc rules it breaks are reported).
  await rewriteDb(storage, [
    pkg("hello"),
    pkg("alias", { desc: (f) => void (f.FILENAME = [fileName(pkg("hello"))]) }),
  ]);
  const problems = await verifyPacmanRoot(counting, ROOT, { publicKeys });
  assert.equal(gets.get(`${ROOT}/${fileName(pkg("hello"))}`), 1);
  assert.ok(
    problems.some((p) => p.key === `${ROOT}/${fileName(pkg("hello"))}` && /alias-1\.0-1/.test(p.problem)),
  );
});

test("caller errors: a root of another shape, a public key that is not one", async () => {
  const storage = await repo([pkg("hello")]);
  for (const [root, options] of [
    ["archlinux/tools/x86_64", {}],
    [ROOT, { publicKeys: ["not a key"] }],
    [
      ROOT,
      { publicKeys: ["-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nAAAA\n-----END PGP PUBLIC KEY BLOCK-----\n"] },
    ],
  ] as const) {
    await assert.rejects(
      verifyPacmanRoot(storage, root, options),
      (e) => isRepoError(e) && e.code === "INVALID_SETTING",
    );
  }
});

test("listPacmanRoots finds roots by their .db or .db.sig; verifyRepository checks each", async () => {
  const storage = await repo([pkg("hello")]);
  await handRepo(storage, "archlinux/tools/os/aarch64", [pkg("hello", { arch: "aarch64" })]);
  await handRepo(storage, "archlinux/extra/os/x86_64", [pkg("tool")]);
  await storage.delete("archlinux/extra/os/x86_64/extra.db");
  await storage.put("archlinux/tools/os/riscv64/other.db", utf8("stray"));
  assert.deepEqual(await listPacmanRoots(storage), [
    "archlinux/extra/os/x86_64",
    "archlinux/tools/os/aarch64",
    "archlinux/tools/os/x86_64",
  ]);
  const problems = await verifyRepository(storage, { publicKeys });
  assert.deepEqual(problems, [{ key: "archlinux/extra/os/x86_64/extra.db", problem: problems[0]!.problem }]);
  assert.match(problems[0]!.problem, /^missing/);
});

test("packages and databases read in 1-, 7- and 321-byte chunks give the same verdicts", async () => {
  const storage = await repo([pkg("hello"), pkg("tool", { desc: (f) => void (f.CSIZE = ["1"]) })]);
  const whole = await verifyPacmanRoot(storage, ROOT, strict());
  assert.equal(whole.length, 1);
  for (const size of CHUNK_SIZES) {
    const cut: Storage = {
      ...storage,
      async get(key, options) {
        const stream = await storage.get(key, options);
        return stream === undefined ? undefined : chunked(await collectBytes(stream), size);
      },
    };
    assert.deepEqual(await verifyPacmanRoot(cut, ROOT, strict()), whole, `${size}-byte chunks`);
  }
});

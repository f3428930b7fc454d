/**
 * buildPacmanDatabases: the members, order, headers and compression of `<repo>.db` and `<repo>.files`,
 * read back with node:zlib and @packyard/formats' tar reader; determinism. bsdtar and pacman read them in
 * interop/repo-add.test.ts.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { gunzipSync } from "node:zlib";
import { readTar, type TarHeader, writeTar } from "@packyard/formats/container/tar";
import { fastTar } from "../../src/pacman/database.ts";
import { buildPacmanDatabases, pacmanDescText, pacmanFilesText } from "../../src/pacman/index.ts";
import type { PacmanEntry } from "../../src/pacman/types.ts";
import { fullEntry, fullIndexInfo } from "./support.ts";

interface Member {
  header: TarHeader;
  text: string;
}

async function members(gz: Uint8Array): Promise<Member[]> {
  const tar = new Uint8Array(gunzipSync(gz));
  const out: Member[] = [];
  async function* once() {
    yield tar;
  }
  for await (const e of readTar(once())) {
    out.push({ header: e.header, text: new TextDecoder().decode(await e.bytes()) });
  }
  return out;
}

const SIG = new Uint8Array([1, 2, 3, 4]);

function entries(): PacmanEntry[] {
  const b = fullEntry(fullIndexInfo({ name: "bravo", version: "1.0-1", builddate: "1700000999" }), SIG);
  const a = fullEntry(fullIndexInfo({ name: "alpha", version: "2:0.1-5" }));
  delete a.info.builddate;
  const z = fullEntry(fullIndexInfo({ name: "Zulu", version: "3-1", files: [] }));
  return [b, a, z];
}

test(".db: a folder and its desc per package, by name in byte order; .files adds files", async () => {
  const list = entries();
  const { db, files } = await buildPacmanDatabases(list, { includeSignatures: true });
  const dbm = await members(db);
  assert.deepEqual(
    dbm.map((m) => m.header.name),
    [
      "Zulu-3-1/",
      "Zulu-3-1/desc",
      "alpha-2:0.1-5/",
      "alpha-2:0.1-5/desc",
      "bravo-1.0-1/",
      "bravo-1.0-1/desc",
    ],
  );
  const fm = await members(files);
  assert.deepEqual(
    fm.map((m) => m.header.name),
    [
      "Zulu-3-1/",
      "Zulu-3-1/desc",
      "Zulu-3-1/files",
      "alpha-2:0.1-5/",
      "alpha-2:0.1-5/desc",
      "alpha-2:0.1-5/files",
      "bravo-1.0-1/",
      "bravo-1.0-1/desc",
      "bravo-1.0-1/files",
    ],
  );
  const byName = new Map(list.map((e) => [`${e.info.name}-${e.info.version}`, e]));
  for (const m of [...dbm, ...fm]) {
    const [folder, file] = m.header.name.split("/") as [string, string];
    const e = byName.get(folder)!;
    if (file === "desc") assert.equal(m.text, pacmanDescText(e, true), m.header.name);
    else if (file === "files") assert.equal(m.text, pacmanFilesText(e.info), m.header.name);
    else assert.equal(m.header.type, "dir");
    assert.equal(m.header.uid, 0);
    assert.equal(m.header.gid, 0);
    assert.equal(m.header.mode, m.header.type === "dir" ? 0o755 : 0o644);
    assert.equal(m.header.mtime, Number(e.info.builddate ?? 0), "the build date, 0 without one");
  }
  assert.ok(fm.find((m) => m.header.name === "Zulu-3-1/files")!.text === "%FILES%\n");
});

test("includeSignatures: %PGPSIG% in both databases only when asked", async () => {
  const on = await buildPacmanDatabases(entries(), { includeSignatures: true });
  const off = await buildPacmanDatabases(entries(), { includeSignatures: false });
  for (const gz of [on.db, on.files])
    assert.equal((await members(gz)).filter((m) => m.text.includes("%PGPSIG%\nAQIDBA==\n")).length, 1);
  for (const gz of [off.db, off.files])
    assert.equal((await members(gz)).filter((m) => m.text.includes("%PGPSIG%")).length, 0);
});

test("deterministic: the same entries in any order give the same bytes; a change gives other bytes", async () => {
  const a = await buildPacmanDatabases(entries(), { includeSignatures: true });
  const b = await buildPacmanDatabases(entries().reverse(), { includeSignatures: true });
  const shuffled = entries();
  shuffled.push(shuffled.shift()!);
  const c = await buildPacmanDatabases(shuffled, { includeSignatures: true });
  for (const x of [b, c]) {
    assert.deepEqual(x.db, a.db);
    assert.deepEqual(x.files, a.files);
  }
  const changed = entries();
  changed[0]!.csize++;
  const d = await buildPacmanDatabases(changed, { includeSignatures: true });
  assert.notDeepEqual(d.db, a.db);
});

test("gzip without file name or time, Unix OS byte", async () => {
  const { db, files } = await buildPacmanDatabases(entries(), { includeSignatures: false });
  for (const gz of [db, files]) {
    assert.deepEqual([...gz.subarray(0, 3)], [0x1f, 0x8b, 8], "gzip, deflate");
    assert.equal(gz[3], 0, "FLG: no FNAME, FCOMMENT or FEXTRA");
    assert.deepEqual([...gz.subarray(4, 8)], [0, 0, 0, 0], "MTIME 0");
    assert.equal(gz[9], 3, "OS Unix");
  }
});

test("no entries: empty but valid databases", async () => {
  const { db, files } = await buildPacmanDatabases([], { includeSignatures: true });
  assert.deepEqual(await members(db), []);
  assert.deepEqual(await members(files), []);
  assert.equal(gunzipSync(db).length, 1024, "just the two end blocks");
});

test("fastTar writes the bytes of @packyard/formats' writeTar (pax flavour) for database members", async () => {
  const text = (n: number) => new TextEncoder().encode("%NAME%\nx\n\n".repeat(n));
  const member = (name: string, type: "dir" | "file", content: Uint8Array | undefined, mtime: number) => ({
    header: {
      name,
      type,
      mode: type === "dir" ? 0o755 : 0o644,
      uid: 0,
      gid: 0,
      uname: "root",
      gname: "root",
      size: content?.length ?? 0,
      mtime,
    },
    ...(content !== undefined ? { content } : {}),
  });
  // Sizes around the block boundary, an empty file, mtimes from 0 to the largest ustar holds, and a name of
  // exactly 100 bytes.
  const long = `${"a".repeat(95)}-1.0/`;
  assert.equal(long.length, 100);
  const members = [
    member("hello-1.0-1/", "dir", undefined, 0),
    member("hello-1.0-1/desc", "file", text(1), 1_700_000_000),
    member("hello-1.0-1/files", "file", new Uint8Array(0), 0o77777777777),
    member("big-2:3.4-5/", "dir", undefined, 1),
    member("big-2:3.4-5/desc", "file", new Uint8Array(512).fill(0x41), 12345),
    member("big-2:3.4-5/files", "file", new Uint8Array(513).fill(0x42), 7),
    member(long, "dir", undefined, 99),
  ];
  const parts: Uint8Array[] = [];
  for await (const c of writeTar(members, { flavour: "pax" })) parts.push(c);
  const expected = Buffer.concat(parts);
  const fast = fastTar(members);
  assert.ok(fast !== undefined, "the fast path applies to plain names");
  assert.equal(Buffer.compare(Buffer.from(fast), expected), 0, "same bytes as writeTar");
  // A name that needs a pax record or a ustar prefix is left to writeTar.
  assert.equal(fastTar([member(`${"b".repeat(101)}/`, "dir", undefined, 0)]), undefined);
  assert.equal(fastTar([member("héllo-1.0/", "dir", undefined, 0)]), undefined);
  assert.equal(fastTar([member("neg/", "dir", undefined, -1)]), undefined);
  // No members: two zero blocks, as writeTar ends.
  assert.deepEqual(fastTar([]), new Uint8Array(1024));
});

test("entries given their name and version: sorted by them, and info read only for the packages whose text is made", async () => {
  const { createHash } = await import("node:crypto");
  const read = new Set<string>();
  const many = (counted: boolean): PacmanEntry[] =>
    Array.from({ length: 400 }, (_, i) => {
      const info = fullIndexInfo({ name: `pkg${String(i).padStart(3, "0")}`, version: "1.0-1" });
      const plain = fullEntry(info);
      plain.sha256 = createHash("sha256").update(info.name).digest("hex");
      if (!counted) return plain;
      const { info: _info, ...rest } = plain;
      return {
        ...rest,
        name: info.name,
        version: info.version,
        get info() {
          read.add(info.name);
          return info;
        },
      };
    }).reverse();
  // What the engine gives as ids (its records as stored): here the fields that change.
  const withIds = (list: PacmanEntry[]): PacmanEntry[] => {
    for (const e of list) e.id = new TextEncoder().encode(`${e.filename} ${e.csize}`);
    return list;
  };
  const first = await buildPacmanDatabases(withIds(many(false)), { includeSignatures: false });
  assert.ok(first.dbTable !== undefined && first.dbTable.pieces.length > 3, "several pieces");
  const previous = async (which: "db" | "files") =>
    which === "db"
      ? { bytes: first.db, table: first.dbTable! }
      : { bytes: first.files, table: first.filesTable! };
  // Nothing changed: the same bytes, and no info read at all.
  const same = await buildPacmanDatabases(withIds(many(true)), { includeSignatures: false, previous });
  assert.deepEqual([same.db, same.files], [first.db, first.files]);
  assert.equal(read.size, 0);
  // One package changed: only the packages of its piece are made.
  const changed = many(true);
  changed[7]!.csize++;
  const plainChanged = many(false);
  plainChanged[7]!.csize++;
  const again = await buildPacmanDatabases(withIds(changed), { includeSignatures: false, previous });
  const expected = await buildPacmanDatabases(withIds(plainChanged), { includeSignatures: false });
  assert.deepEqual(gunzipSync(again.db), gunzipSync(expected.db));
  assert.deepEqual(gunzipSync(again.files), gunzipSync(expected.files));
  assert.ok(read.has(changed[7]!.name!) && read.size < 400, `info read of ${read.size} of 400 entries`);
});

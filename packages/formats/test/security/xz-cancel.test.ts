/**
 * A reader that stops early on an xz stream must not wedge later xz reads in the same process.
 * xz-decompress's XzReadableStream holds a process-wide lock from its first byte to its end, so one
 * dropped decoder (a tar error half-way through data.tar.xz, a consumer that stopped) made every later
 * xz read wait forever. All cases run in one process, one after the other, each with a timeout so a
 * regression fails instead of hanging.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { readArchlinuxBuildDate } from "../../src/archlinux/build-date.ts";
import { readArchlinux, writeArchlinux } from "../../src/archlinux/index.ts";
import { bytesSource, collect } from "../../src/bytes/bytes.ts";
import { compressBytes } from "../../src/compress/compress.ts";
import { decompress, decompressBytes } from "../../src/compress/decompress.ts";
import { writeAr } from "../../src/container/ar.ts";
import { readTar, TAR_END_BLOCKS, writeTar } from "../../src/container/tar.ts";
import { readDeb } from "../../src/deb/reader.ts";
import { writeDeb } from "../../src/deb/writer.ts";
import { FormatError } from "../../src/errors.ts";
import { helloSpec as archSpec } from "../archlinux/hello.ts";
import { exampleSpec as debSpec } from "@packyard/testkit/example";

const enc = (s: string) => new TextEncoder().encode(s);
/** Generous: the whole file takes a few seconds; a wedged read never finishes. */
const TIMEOUT = { timeout: 30_000 };

/** 4 MiB that xz shrinks but not to nothing, so the decoder is mid-stream when the tar layer fails. */
function noise(n: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = 7;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = 0x61 + ((x >>> 24) & 0x0f);
  }
  return out;
}

async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

/** A .deb whose data.tar.xz is a valid xz stream of a tar whose first header is garbage. */
async function debWithCorruptXzTar(): Promise<Uint8Array> {
  const control = "Package: bad\nVersion: 1.0\nArchitecture: all\nMaintainer: x <x@x>\nDescription: bad\n";
  const controlTar = await compressBytes(
    await collect(
      writeTar(
        [
          {
            header: {
              name: "./control",
              type: "file",
              mode: 0o644,
              uid: 0,
              gid: 0,
              size: enc(control).length,
              mtime: 0,
            },
            content: enc(control),
          },
        ],
        { flavour: "gnu" },
      ),
    ),
    { algo: "gzip" },
  );
  const badTar = new Uint8Array(512 + 4 * 1024 * 1024);
  badTar.fill(0x41, 0, 512); // a header block of "A"s: the checksum field is not octal
  badTar.set(noise(4 * 1024 * 1024), 512);
  const dataTar = await compressBytes(badTar, { algo: "xz" });
  const members = [
    { name: "debian-binary", content: enc("2.0\n") },
    { name: "control.tar.gz", content: controlTar },
    { name: "data.tar.xz", content: dataTar },
  ];
  return collect(writeAr(members.map((m) => ({ ...m, size: m.content.length }))));
}

test(
  "a deb whose data.tar.xz holds a corrupt tar fails typed; xz debs and Arch packages read after it",
  TIMEOUT,
  async () => {
    const bad = await debWithCorruptXzTar();
    await assert.rejects(
      readDeb(bytesSource(bad)),
      (e: unknown) => e instanceof FormatError && e.code === "BAD_HEADER",
    );
    // Twice, so a second failure after the first does not wedge either.
    await assert.rejects(readDeb(bytesSource(bad)), FormatError);

    const deb = await collect(writeDeb(debSpec(), { compression: { algo: "xz" } }));
    const debInfo = await readDeb(bytesSource(deb));
    assert.ok(debInfo.files.some((f) => f.path === "/usr/bin/hello-packyard"));

    const arch = await collect(writeArchlinux(archSpec(), { compression: { algo: "xz" } }));
    assert.equal(arch[0], 0xfd, "the Arch package is xz");
    const archInfo = await readArchlinux(bytesSource(arch));
    assert.ok(archInfo.files.length > 0);
  },
);

test("an Arch build-date read stops after .PKGINFO; the next xz read is not held up", TIMEOUT, async () => {
  const arch = await collect(writeArchlinux(archSpec(), { compression: { algo: "xz" } }));
  for (let i = 0; i < 3; i++)
    assert.equal(typeof (await readArchlinuxBuildDate(bytesSource(arch))), "number");
  assert.ok((await readArchlinux(bytesSource(arch))).files.length > 0);
});

test(
  "xz: stopping after the first chunk, or dropping the decoder unfinished, leaves later decodes free",
  TIMEOUT,
  async () => {
    const plain = noise(1024 * 1024);
    const xz = await compressBytes(plain, { algo: "xz" });
    // return(): for-await's break
    for await (const chunk of decompress(once(xz), "xz")) {
      assert.ok(chunk.length > 0 && chunk.length < plain.length);
      break;
    }
    assert.deepEqual(await decompressBytes(xz, "xz"), plain);
    // throw() into the generator
    const thrown = decompress(once(xz), "xz");
    await thrown.next();
    await assert.rejects(thrown.throw(new Error("consumer gave up")), /consumer gave up/);
    assert.deepEqual(await decompressBytes(xz, "xz"), plain);
    // neither: one chunk taken, then the generator is simply dropped (what a reader does when it throws)
    await decompress(once(xz), "xz").next();
    assert.deepEqual(await decompressBytes(xz, "xz"), plain);
    // two decodes interleaved: the second does not wait for the first to end
    const a = decompress(once(xz), "xz");
    const b = decompress(once(xz), "xz");
    assert.equal((await a.next()).done, false);
    assert.equal((await b.next()).done, false);
    await a.return(undefined);
    await b.return(undefined);
  },
);

test("readTar returns its input when it stops: at an error, at the end blocks, on an early break", async () => {
  const closed: string[] = [];
  async function* input(name: string, bytes: Uint8Array): AsyncGenerator<Uint8Array> {
    try {
      yield bytes.subarray(0, 512);
      yield bytes.subarray(512);
      yield new Uint8Array(4096); // padding after the end blocks, never read
    } finally {
      closed.push(name);
    }
  }
  const bad = new Uint8Array(2048).fill(0x41);
  await assert.rejects(async () => {
    for await (const _ of readTar(input("error", bad))) {
      // the first header fails
    }
  }, FormatError);

  const file = {
    header: { name: "a", type: "file" as const, mode: 0o644, uid: 0, gid: 0, size: 1, mtime: 0 },
    content: enc("a"),
  };
  const tar = await collect(
    writeTar([file, { ...file, header: { ...file.header, name: "b" } }], { flavour: "gnu" }),
  );
  assert.deepEqual(tar.subarray(tar.length - 1024), TAR_END_BLOCKS);
  for await (const _ of readTar(input("end", tar))) {
    // read through to the end blocks
  }
  for await (const _ of readTar(input("break", tar))) break;
  assert.deepEqual(closed, ["error", "end", "break"]);
});

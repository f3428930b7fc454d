/**
 * The reader on a package packyard did not write: fixtures/apk/gnu-hello-1.0_rc2-r3.apk, built by
 * fixtures/apk/make.sh with GNU tar, gzip and openssl in abuild's layout (GNU pax headers, 512-byte
 * blocking, per-entry pax records, a .PKGINFO comment line).
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { apkFormat } from "../../src/apk/index.ts";
import { bytesSource } from "../../src/bytes/bytes.ts";
import { gzipMembers } from "../../src/compress/gzip-members.ts";
import { FormatError } from "../../src/errors.ts";
import { REPO } from "@packyard/testkit/repo";

const bytes = new Uint8Array(readFileSync(`${REPO}fixtures/apk/gnu-hello-1.0_rc2-r3.apk`));
const pub = readFileSync(`${REPO}fixtures/keys/openssl-pkcs8.rsa.pub`, "utf8");
const other = readFileSync(`${REPO}fixtures/keys/openssl-pkcs1.rsa.pub`, "utf8");

test("reads a GNU-tar-built apk: metadata, relations, files with verified SHA-1s, signature", async () => {
  const info = await apkFormat.read(bytesSource(bytes), { publicKeys: [pub] });
  assert.equal(info.name, "gnu-hello");
  assert.equal(info.versionString, "1.0_rc2-r3");
  assert.deepEqual(info.version, { upstream: "1.0", prerelease: "rc.2", release: "3" });
  assert.equal(info.archString, "x86_64");
  assert.equal(info.arch, "amd64");
  assert.equal(info.installedSize, 48);
  assert.deepEqual(info.relations, {
    depends: [[{ name: "musl" }]],
    conflicts: [[{ name: "gnu-hello-old" }]],
    provides: [[{ name: "hello", op: "=", version: "1.0" }]],
  });
  assert.deepEqual(
    info.files.map((f) => [f.path, f.type, f.mode.toString(8), f.target ?? "", f.digests.sha1 ?? ""]),
    [
      ["/usr", "dir", "755", "", ""],
      ["/usr/bin", "dir", "755", "", ""],
      [
        "/usr/bin/gnu-hello",
        "file",
        "755",
        "",
        createHash("sha1").update("#!/bin/sh\necho hello from GNU tar\n").digest("hex"),
      ],
      ["/usr/bin/hello", "symlink", "777", "gnu-hello", createHash("sha1").update("gnu-hello").digest("hex")],
      ["/usr/share", "dir", "755", "", ""],
      ["/usr/share/gnu-hello", "dir", "755", "", ""],
      [
        "/usr/share/gnu-hello/data.txt",
        "file",
        "644",
        "",
        createHash("sha1").update("greeting data\n").digest("hex"),
      ],
    ],
  );
  assert.deepEqual(info.scripts.postinstall, { interpreter: "/bin/sh", body: 'echo post-install "$@"\n' });
  assert.deepEqual(info.signatures, [
    {
      kind: "rsa",
      location: ".SIGN.RSA256.fixtures@packyard.example-openssl.rsa.pub",
      keyId: "fixtures@packyard.example-openssl.rsa.pub",
      hash: "sha256",
      verified: true,
    },
  ]);
  const wrong = await apkFormat.read(bytesSource(bytes), { publicKeys: [other] });
  assert.equal(wrong.signatures[0]?.verified, false);
});

test("a changed byte in the data member's gzip header (its mtime, which inflate ignores) is caught by datahash", async () => {
  const members = [];
  for await (const m of gzipMembers(bytes)) members.push(m);
  const data = members[2]!;
  const copy = bytes.slice();
  copy[data.start + 4] = (copy[data.start + 4] as number) ^ 0x01;
  await assert.rejects(
    apkFormat.read(bytesSource(copy)),
    (e: unknown) => e instanceof FormatError && e.code === "DIGEST_MISMATCH" && e.data.offset === data.start,
  );
});

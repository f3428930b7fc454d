/** The reader on packages made by dpkg-deb itself (fixtures/deb/make.sh; provenance in PROVENANCE.txt). */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { bytesSource } from "../../src/bytes/bytes.ts";
import { chunkedSource } from "@packyard/testkit/chunked";
import { readDeb } from "../../src/deb/reader.ts";

const md5 = (s: string) => createHash("md5").update(s).digest("hex");
const root = { name: "root", id: 0 };
const T = 1704067200;

/** What make.sh put in: every path, mode and content restated from the script. */
const FILES = [
  ["/etc", "dir", 0o755, 0, undefined],
  ["/etc/foo", "dir", 0o755, 0, undefined],
  ["/etc/foo/foo.conf", "file", 0o644, 4, "a=1\n"],
  ["/usr", "dir", 0o755, 0, undefined],
  ["/usr/bin", "dir", 0o755, 0, undefined],
  ["/usr/bin/foo", "file", 0o755, 19, "#!/bin/sh\necho foo\n"],
  ["/usr/share", "dir", 0o755, 0, undefined],
  ["/usr/share/doc", "dir", 0o755, 0, undefined],
  ["/usr/share/doc/foo", "dir", 0o755, 0, undefined],
  ["/usr/share/doc/foo/copyright", "file", 0o644, 20, "Copyright: 2024 Foo\n"],
  // dpkg-deb (src/deb/build.c) puts symlinks after every other entry
  ["/usr/bin/foo-link", "symlink", 0o777, 0, undefined],
] as const;

for (const z of ["gzip", "xz", "zstd", "none"]) {
  test(`reads dpkg-deb's ${z} package (fed in 7-byte chunks)`, async () => {
    const bytes = new Uint8Array(
      readFileSync(new URL(`../../../../fixtures/deb/foo-${z}.deb`, import.meta.url)),
    );
    const info = await readDeb(chunkedSource(bytes, 7));
    assert.equal(info.name, "foo");
    assert.equal(info.versionString, "1:2.0~rc1-3");
    assert.deepEqual(info.version, { upstream: "2.0", prerelease: "rc1", epoch: 1, release: "3" });
    assert.equal(info.archString, "amd64");
    assert.equal(info.arch, "amd64");
    assert.equal(info.maintainer, "Foo Maintainer <foo@example.org>");
    assert.equal(info.summary, "fixture package");
    assert.equal(info.description, "Built by dpkg-deb for packyard's reader tests.\n\nSecond paragraph.");
    assert.equal(info.installedSize, 20 * 1024);
    assert.deepEqual(info.relations, {
      depends: [
        [{ name: "libc6", op: ">=", version: "2.34" }],
        [
          { name: "bar", archQualifier: "any" },
          { name: "baz", op: "<", version: "2" },
        ],
      ],
    });
    assert.deepEqual(info.scripts, {
      postinstall: { interpreter: "/bin/sh", body: "#!/bin/sh\nset -e\nexit 0\n" },
    });
    assert.deepEqual(
      info.files,
      FILES.map(([path, type, mode, size, content]) => ({
        path,
        type,
        mode,
        owner: root,
        group: root,
        size,
        mtime: T,
        digests: content === undefined ? {} : { md5: md5(content) },
        ...(type === "symlink" ? { target: "foo" } : {}),
        ...(path === "/etc/foo/foo.conf" ? { flags: { config: true } } : {}),
      })),
    );
    assert.deepEqual(info.signatures, []);
    // dpkg-deb 1.21 compresses control.tar like data.tar (`ar t` of the fixtures)
    const suffix = { gzip: ".gz", xz: ".xz", zstd: ".zst", none: "" }[z];
    assert.deepEqual(info.raw.format === "deb" && info.raw.members, [
      "debian-binary",
      `control.tar${suffix}`,
      `data.tar${suffix}`,
    ]);
    assert.equal(info.artifact.digests.sha256, createHash("sha256").update(bytes).digest("hex"));
    // the same result from one big chunk
    assert.deepEqual(await readDeb(bytesSource(bytes)), info);
  });
}

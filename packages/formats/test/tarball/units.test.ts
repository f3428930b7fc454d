import assert from "node:assert/strict";
import { test } from "node:test";
import { bytesSource, encodeUtf8 } from "../../src/bytes/bytes.ts";
import { SpecError } from "../../src/errors.ts";
import { ROOT, type PackageSpec } from "../../src/spec/types.ts";
import { parseTarballConfig, resolveTarballConfig } from "../../src/tarball/config.ts";
import { crc32 } from "../../src/tarball/crc32.ts";
import { tarballFormat } from "../../src/tarball/format.ts";
import { planArchiveEntries } from "../../src/tarball/plan.ts";
import { archiveFileName, parseArchiveBaseName, renderNameTemplate } from "../../src/tarball/name.ts";
import { decodeDosDateTime, encodeDosDateTime } from "../../src/tarball/zip-layout.ts";

const spec: PackageSpec = {
  name: "hello",
  version: { upstream: "1.2.3", prerelease: "rc.1", release: "2" },
  arch: "arm64",
  date: 1_700_000_000,
  relations: {},
  scripts: {},
  changelog: [],
  entries: [
    {
      type: "file",
      path: "/usr/bin/hello",
      mode: 0o755,
      owner: ROOT,
      group: ROOT,
      content: bytesSource(encodeUtf8("x")),
    },
  ],
};

function specError(code: string, field?: string) {
  return (e: unknown) => {
    assert.ok(e instanceof SpecError, String(e));
    assert.equal(e.code, code, e.message);
    if (field !== undefined) assert.equal(e.data.field, field);
    return true;
  };
}

test("CRC-32 check value (123456789 -> cbf43926) and incremental use", () => {
  assert.equal(crc32(encodeUtf8("123456789")), 0xcbf43926);
  assert.equal(crc32(encodeUtf8("6789"), crc32(encodeUtf8("12345"))), 0xcbf43926);
  assert.equal(crc32(new Uint8Array(0)), 0);
});

test("DOS date/time: UTC, even seconds, clamped to 1980..2107", () => {
  // 2023-11-14 22:13:20 UTC
  const d = encodeDosDateTime(1_700_000_000);
  assert.equal(d.date, ((2023 - 1980) << 9) | (11 << 5) | 14);
  assert.equal(d.time, (22 << 11) | (13 << 5) | 10);
  assert.equal(decodeDosDateTime(d.date, d.time), 1_700_000_000);
  assert.equal(
    decodeDosDateTime(encodeDosDateTime(0).date, encodeDosDateTime(0).time),
    Date.UTC(1980, 0, 1) / 1000,
  );
  const late = encodeDosDateTime(5_000_000_000);
  assert.equal(decodeDosDateTime(late.date, late.time), Date.UTC(2107, 11, 31, 23, 59, 58) / 1000);
  const odd = encodeDosDateTime(1_700_000_001);
  assert.equal(decodeDosDateTime(odd.date, odd.time), 1_700_000_000);
});

test("name templates: packyard and GoReleaser spellings, unknown variables rejected", () => {
  assert.equal(archiveFileName(spec, {}), "hello_1.2.3-rc.1_linux_arm64.tar.gz");
  assert.equal(archiveFileName(spec, { format: "zip", os: "darwin" }), "hello_1.2.3-rc.1_darwin_arm64.zip");
  assert.equal(
    renderNameTemplate(
      "{{ .ProjectName }}-{{ .Version }}-{{.Os}}-{{ .Arch }}-{{release}}",
      { name: "a", version: "1", os: "linux", arch: "amd64", release: "2" },
      "f",
    ),
    "a-1-linux-amd64-2",
  );
  assert.throws(
    () => renderNameTemplate("{{nope}}", { name: "a" }, "archives.name_template"),
    specError("INVALID_FIELD", "archives.name_template"),
  );
  assert.throws(() => renderNameTemplate("{{name", { name: "a" }, "f"), specError("INVALID_FIELD"));
  assert.throws(() => archiveFileName(spec, { nameTemplate: "a/{{name}}" }), specError("INVALID_NAME"));
  assert.deepEqual(parseArchiveBaseName("my_tool_1.0.0_linux_amd64"), {
    name: "my_tool",
    version: "1.0.0",
    os: "linux",
    arch: "amd64",
  });
  assert.equal(parseArchiveBaseName("plain"), undefined);
});

test("layout: wrap folder, parents, extra files; duplicates and traversal rejected", () => {
  const entries = planArchiveEntries(spec, {
    wrapInDirectory: "top",
    files: [{ dst: "LICENSE", content: bytesSource(encodeUtf8("MIT")) }],
  });
  assert.deepEqual(
    entries.map((e) => `${e.type} ${e.mode.toString(8)} ${e.path}`),
    [
      "dir 755 top",
      "file 644 top/LICENSE",
      "dir 755 top/usr",
      "dir 755 top/usr/bin",
      "file 755 top/usr/bin/hello",
    ],
  );
  assert.deepEqual(
    planArchiveEntries(spec, {
      contents: "none",
      files: [{ dst: "a", content: bytesSource(new Uint8Array(0)) }],
    }).map((e) => e.path),
    ["a"],
  );
  assert.throws(
    () =>
      planArchiveEntries(spec, {
        files: [{ dst: "usr/bin/hello", content: bytesSource(new Uint8Array(0)) }],
      }),
    specError("DUPLICATE_PATH"),
  );
  assert.throws(
    () => planArchiveEntries(spec, { files: [{ dst: "../x", content: bytesSource(new Uint8Array(0)) }] }),
    specError("INVALID_PATH", "archives.files[0].dst"),
  );
  assert.throws(
    () => planArchiveEntries(spec, { files: [{ dst: "x", src: "x" }] }),
    specError("MISSING_SOURCE"),
  );
  assert.throws(
    () => tarballFormat.validate(spec, { format: "tar.zst", level: 30 }),
    specError("INVALID_FIELD", "archives.level"),
  );
  assert.throws(
    () => tarballFormat.validate(spec, { format: "rar" as "zip" }),
    specError("INVALID_FIELD", "archives.format"),
  );
});

test("archives: block parses GoReleaser keys, rejects unknown and unsupported keys by name", async () => {
  const ctx = { field: "archives", baseDir: "/p" };
  assert.deepEqual(parseTarballConfig(undefined, ctx), {});
  assert.deepEqual(
    parseTarballConfig(
      {
        formats: ["tar.gz", "zip", "tgz"],
        name_template: "{{name}}-{{version}}",
        wrap_in_directory: true,
        level: 9,
        files: [
          "README.md",
          {
            src: "docs/LICENSE",
            dst: "legal",
            strip_parent: true,
            info: { mode: "0o600", mtime: "2024-01-02T03:04:05Z" },
          },
        ],
      },
      ctx,
    ),
    {
      formats: ["tar.gz", "zip"],
      nameTemplate: "{{name}}-{{version}}",
      wrapInDirectory: true,
      level: 9,
      files: [
        { src: "README.md", dst: "README.md" },
        {
          src: "docs/LICENSE",
          dst: "legal/LICENSE",
          mode: 0o600,
          mtime: Date.UTC(2024, 0, 2, 3, 4, 5) / 1000,
        },
      ],
    },
  );
  assert.throws(() => parseTarballConfig({ colour: 1 }, ctx), specError("UNKNOWN_KEY", "archives.colour"));
  assert.throws(
    () => parseTarballConfig({ format_overrides: [] }, ctx),
    specError("UNSUPPORTED_KEY", "archives.format_overrides"),
  );
  assert.throws(
    () => parseTarballConfig({ formats: ["rar"] }, ctx),
    specError("INVALID_FIELD", "archives.formats[0]"),
  );
  assert.throws(
    () => parseTarballConfig({ files: ["*.md"] }, ctx),
    specError("UNSUPPORTED_FEATURE", "archives.files[0].src"),
  );
  assert.throws(
    () => parseTarballConfig({ files: [{ src: "a", info: { owner: "x" } }] }, ctx),
    specError("UNSUPPORTED_KEY", "archives.files[0].info.owner"),
  );
  const resolved = await resolveTarballConfig(parseTarballConfig({ files: ["README.md"] }, ctx), {
    ...ctx,
    readText: async () => "",
    readBytes: async (p) => encodeUtf8(`read ${p}`),
  });
  assert.equal(resolved.files?.[0]?.content?.size, "read README.md".length);
});

test("sniff claims archives, not Arch packages", () => {
  const zipHead = new Uint8Array([0x50, 0x4b, 3, 4, 0, 0]);
  const gzHead = new Uint8Array([0x1f, 0x8b, 8, 0, 0, 0]);
  assert.equal(tarballFormat.sniff(zipHead, "a.zip"), true);
  assert.equal(tarballFormat.sniff(gzHead, "a_1_linux_amd64.tar.gz"), true);
  assert.equal(tarballFormat.sniff(gzHead, "a-1-1-x86_64.pkg.tar.gz"), false);
  assert.equal(tarballFormat.sniff(gzHead, "a.deb"), false);
});

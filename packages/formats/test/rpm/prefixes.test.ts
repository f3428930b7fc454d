/**
 * rpm.prefixes: files outside every prefix are written, as rpmbuild writes them (only the files under a
 * prefix relocate; test/interop/rpm-prefixes.test.ts installs with rpm --prefix/--relocate).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { bytesSource, collect } from "../../src/bytes/bytes.ts";
import { headerStrings } from "../../src/rpm/header.ts";
import { writeRpm } from "../../src/rpm/index.ts";
import { TAG } from "../../src/rpm/tags.ts";
import { type PackageSpec, ROOT } from "../../src/spec/types.ts";
import { readMainHeader } from "./main-header.ts";

const own = { owner: ROOT, group: ROOT };
const spec: PackageSpec = {
  name: "relo",
  version: { upstream: "1.0", release: "1" },
  arch: "all",
  date: 1_700_000_000,
  description: "relocatable demo",
  license: "MIT",
  relations: {},
  entries: [
    {
      type: "file",
      path: "/opt/relo/bin/relo",
      mode: 0o755,
      ...own,
      content: bytesSource(new Uint8Array(3)),
    },
    { type: "file", path: "/etc/relo.conf", mode: 0o644, ...own, content: bytesSource(new Uint8Array(2)) },
  ],
  scripts: {},
  changelog: [],
};

test("a file outside every prefix is written; PREFIXES lists the prefixes without a trailing slash", async () => {
  const bytes = await collect(writeRpm(spec, { prefixes: ["/opt/relo/", "/srv/unused"] }));
  const { info, header } = await readMainHeader(bytes);
  assert.deepEqual(
    info.files.map((f) => f.path),
    ["/etc/relo.conf", "/opt/relo/bin/relo"],
  );
  assert.deepEqual(headerStrings(header, TAG.PREFIXES), ["/opt/relo", "/srv/unused"]);
});

test("a prefix must still be an absolute path", async () => {
  await assert.rejects(collect(writeRpm(spec, { prefixes: ["opt/relo"] })), {
    code: "INVALID_PATH",
    data: { field: "rpm.prefixes", found: "opt/relo" },
  });
});

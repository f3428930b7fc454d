/**
 * rpm.prefixes: files outside every prefix are written, as rpmbuild writes them (only the files under a
 * prefix relocate; test/interop/rpm-prefixes.test.ts installs with rpm --prefix/--relocate).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { collect } from "../../src/bytes/bytes.ts";
import { headerStrings } from "../../src/rpm/header.ts";
import { writeRpm } from "../../src/rpm/index.ts";
import { TAG } from "../../src/rpm/tags.ts";
import { readMainHeader } from "./main-header.ts";
import { reloSpec } from "./relo-spec.ts";

const spec = reloSpec();

test("a file outside every prefix is written; PREFIXES lists the prefixes without a trailing slash", async () => {
  const bytes = await collect(writeRpm(spec, { prefixes: ["/opt/relo/", "/srv/unused"] }));
  const { info, header } = await readMainHeader(bytes);
  assert.deepEqual(
    info.files.map((f) => f.path),
    ["/etc/relo.conf", "/opt/relo", "/opt/relo/bin/relo", "/usr/share/relo/README", "/var/lib/relo/state"],
  );
  assert.deepEqual(headerStrings(header, TAG.PREFIXES), ["/opt/relo", "/srv/unused"]);
});

test("a prefix must still be an absolute path", async () => {
  await assert.rejects(collect(writeRpm(spec, { prefixes: ["opt/relo"] })), {
    code: "INVALID_PATH",
    data: { field: "rpm.prefixes", found: "opt/relo" },
  });
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { bytesSource } from "../../src/bytes/bytes.ts";
import { validateDeb } from "../../src/deb/name.ts";
import { SpecError } from "../../src/errors.ts";
import { type PackageSpec, ROOT } from "../../src/spec/types.ts";

function spec(config: boolean): PackageSpec {
  const base = { owner: ROOT, group: ROOT };
  return {
    name: "conf",
    version: { upstream: "1.0", release: "1" },
    arch: "all",
    date: 0,
    relations: {},
    scripts: {},
    changelog: [],
    entries: [
      {
        ...base,
        type: "file",
        path: "/etc/conf/a.conf",
        mode: 0o644,
        content: bytesSource(new Uint8Array(3)),
        ...(config ? { flags: { config: true } } : {}),
      },
      { ...base, type: "hardlink", path: "/etc/conf/b.conf", mode: 0o644, target: "/etc/conf/a.conf" },
    ],
  };
}

test("a hardlink to a conffile is refused (dpkg would drop the admin's edit on upgrade)", () => {
  assert.throws(
    () => validateDeb(spec(true), {}),
    (e: unknown) =>
      e instanceof SpecError && e.code === "INVALID_PATH" && e.data.field === "entries[1].target",
  );
  assert.doesNotThrow(() => validateDeb(spec(false), {}));
});

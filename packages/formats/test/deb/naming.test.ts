import assert from "node:assert/strict";
import { test } from "node:test";
import { debArch } from "../../src/deb/arch.ts";
import { parseDebBlock } from "../../src/deb/config.ts";
import { debFormat } from "../../src/deb/format.ts";
import { debFileName, debNameProblem } from "../../src/deb/name.ts";
import type { DebOptions } from "../../src/deb/options.ts";
import { compareDebVersions, debVersion, debVersionProblem, versionFromDeb } from "../../src/deb/version.ts";
import { SpecError } from "../../src/errors.ts";
import { specErrorOf } from "../support/spec-error.ts";
import { exampleFromConfig } from "@packyard/testkit/example";

test("version translation: epoch, ~prerelease, +metadata, -release (nfpm's rule)", () => {
  assert.equal(
    debVersion({ upstream: "1.0.0", prerelease: "0.1.b1", metadata: "git.abcdefgh" }),
    "1.0.0~0.1.b1+git.abcdefgh",
  );
  assert.equal(debVersion({ epoch: 2, upstream: "1.2", release: "3" }), "2:1.2-3");
  assert.equal(debVersion({ epoch: 0, upstream: "1.2" }), "1.2");
  assert.deepEqual(versionFromDeb("2:1.2.3~rc.1+meta-4"), {
    epoch: 2,
    upstream: "1.2.3",
    prerelease: "rc.1",
    metadata: "meta",
    release: "4",
  });
});

test("versions dpkg rejects are rejected with the reason (deb-version(7), checked with dpkg 1.21)", () => {
  // dpkg 1.21.23: dpkg-deb --build refuses each of these ("bad syntax" from --compare-versions)
  for (const [v, reason] of [
    ["a1.0", /start with a digit/],
    ["1.0_1", /contains "_"/],
    ["1.0-", /revision .* empty/],
    ["x:1.0", /epoch/],
    ["1:", /nothing follows/],
    ["1.0-a_b", /contains "_"/],
    ["", /empty/],
  ] as const) {
    assert.match(debVersionProblem(v) ?? "accepted", reason, v);
  }
  for (const v of ["1.0", "1:1.0~rc1-1", "1.0-1-2", "1.0+dfsg-1.1~bpo1", "0"])
    assert.equal(debVersionProblem(v), undefined, v);
  assert.throws(
    () => debFormat.validate({ ...fakeSpec(), version: { upstream: "v1" } }, {}),
    (e: unknown) => e instanceof SpecError && e.code === "INVALID_VERSION",
  );
});

test("dpkg ordering examples from deb-version(7)", () => {
  const ordered = ["~~", "~~a", "~", "", "a"].map((s) => `1.0${s}`);
  for (let i = 1; i < ordered.length; i++)
    assert.ok(compareDebVersions(ordered[i - 1]!, ordered[i]!) < 0, `${ordered[i - 1]} < ${ordered[i]}`);
  assert.equal(compareDebVersions("1.0", "1.00"), 0);
  assert.equal(compareDebVersions("0:1.0", "1.0"), 0);
  assert.ok(compareDebVersions("1:0.1", "2.0") > 0);
  assert.ok(compareDebVersions("1.0-1", "1.0-1.1") < 0);
});

test("names dpkg-deb refuses are rejected; file name is name_version_arch.deb without the epoch", async () => {
  assert.equal(debNameProblem("hello-world+1.x"), undefined);
  for (const bad of ["a", "Hello", "-x", "foo_bar", "foo bar"])
    assert.notEqual(debNameProblem(bad), undefined, bad);
  assert.equal(debFileName("hello", "1:1.0-1", "amd64"), "hello_1.0-1_amd64.deb");
  // the name fixtures/example/README.md promises for `packyard build -p deb`
  const { spec, options } = await exampleFromConfig<DebOptions>("deb");
  assert.equal(debFormat.fileName(spec, options), "hello-packyard_1.0.0-1_all.deb");
  assert.equal(debArch("armv7"), "armhf");
  assert.equal(debArch("ppc64le"), "ppc64el");
});

function fakeSpec() {
  return {
    name: "foo",
    version: { upstream: "1.0" },
    arch: "all" as const,
    date: 0,
    relations: {},
    entries: [],
    scripts: {},
    changelog: [],
  };
}

test("validation: Provides only '=', relation names, conffiles must be files, extra fields", () => {
  assert.equal(
    specErrorOf(() =>
      debFormat.validate(
        { ...fakeSpec(), relations: { provides: [[{ name: "bar", op: ">=", version: "1" }]] } },
        {},
      ),
    ),
    "INVALID_RELATION relations.provides[0][0]",
  );
  assert.equal(
    specErrorOf(() =>
      debFormat.validate({ ...fakeSpec(), relations: { depends: [[{ name: "/bin/sh" }]] } }, {}),
    ),
    "INVALID_RELATION relations.depends[0][0]",
  );
  assert.equal(
    specErrorOf(() => debFormat.validate(fakeSpec(), { fields: { Package: "x" } })),
    "INVALID_FIELD deb.fields.Package",
  );
  assert.equal(
    specErrorOf(() => debFormat.validate(fakeSpec(), { fields: { "X-Multi": "a\nb" } })),
    "INVALID_FIELD deb.fields.X-Multi",
  );
  const dir = {
    type: "dir" as const,
    path: "/etc/x",
    mode: 0o755,
    owner: { name: "root", id: 0 },
    group: { name: "root", id: 0 },
    flags: { config: true },
  };
  assert.equal(
    specErrorOf(() => debFormat.validate({ ...fakeSpec(), entries: [dir] }, {})),
    "INVALID_FIELD entries[0].flags.config",
  );
  assert.equal(
    specErrorOf(() => debFormat.validate({ ...fakeSpec(), summary: "two\nlines" }, {})),
    "INVALID_FIELD summary",
  );
});

test("the deb: block: nfpm keys implemented, dpkg-sig and rules rejected by name, unknown keys rejected", () => {
  const ctx = { field: "deb", baseDir: "/tmp" };
  assert.deepEqual(
    parseDebBlock(
      {
        compression: "xz",
        arch_variant: "v3",
        breaks: ["foo (<< 2)"],
        predepends: ["dpkg (>= 1.17)"],
        fields: { Bugs: "https://bugs.example", Empty: "" },
        triggers: { interest_noawait: ["/usr/share/foo"] },
        signature: { key_file: "key.asc", key_id: "ABCDEF0123456789", type: "origin", method: "debsign" },
        scripts: { templates: "debian/templates" },
      },
      ctx,
    ),
    {
      compression: { algo: "xz" },
      archVariant: "amd64v3",
      breaks: [[{ name: "foo", op: "<", version: "2" }]],
      preDepends: [[{ name: "dpkg", op: ">=", version: "1.17" }]],
      fields: { Bugs: "https://bugs.example" },
      triggers: { interestNoawait: ["/usr/share/foo"] },
      signature: { keyFile: "key.asc", keyId: "ABCDEF0123456789", type: "origin" },
      signatureType: "origin",
      debconfFiles: { templates: "debian/templates" },
    },
  );
  const err = (raw: unknown) => specErrorOf(() => parseDebBlock(raw, ctx));
  assert.equal(err({ signature: { method: "dpkg-sig" } }), "UNSUPPORTED_KEY deb.signature.method");
  assert.equal(err({ signature: { signer: "me" } }), "UNSUPPORTED_KEY deb.signature.signer");
  assert.equal(err({ scripts: { rules: "x" } }), "UNSUPPORTED_KEY deb.scripts.rules");
  assert.equal(err({ metadata: "x" }), "UNSUPPORTED_KEY deb.metadata");
  assert.equal(err({ compresion: "xz" }), "UNKNOWN_KEY deb.compresion");
  assert.equal(err({ compression: "bzip2" }), "INVALID_FIELD deb.compression");
  assert.deepEqual(parseDebBlock(undefined, ctx), {});
});

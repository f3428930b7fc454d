/**
 * Writer and reader together: structure of what we write (members, cut segments, .PKGINFO, control
 * order, parents, checksums), round trips of generated specs through expectedInfo, chunked reads,
 * key naming, config block, determinism across processes, and the golden example.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { test } from "node:test";
import fc from "fast-check";
import { type ApkOptions, apkConfig, apkFormat, decodePkginfo, tarEnding } from "../../src/apk/index.ts";
import { bytesSource, collect } from "../../src/bytes/bytes.ts";
import { chunkedSource } from "@packyard/testkit/chunked";
import { decompressBytes } from "../../src/compress/decompress.ts";
import { gzipMembers } from "../../src/compress/gzip-members.ts";
import { readTar } from "../../src/container/tar.ts";
import { SpecError, SignError } from "../../src/errors.ts";
import type { Warning } from "../../src/format.ts";
import { loadRSASigner } from "../../src/sign/rsa.ts";
import { arbApkSpec } from "../support/arbitrary-apk.ts";
import { exampleFromConfig } from "@packyard/testkit/example";
import { exampleSpec } from "@packyard/testkit/example";
import { REPO } from "@packyard/testkit/repo";
import { exampleSigner, GOLDEN_NAME } from "./example-signer.ts";
import { expectedInfo } from "./expected.ts";
import { openpgpTestKey } from "@packyard/testkit/keyrings";

async function members(bytes: Uint8Array): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for await (const m of gzipMembers(bytes)) out.push(bytes.subarray(m.start, m.end));
  return out;
}

async function tarNames(
  gz: Uint8Array,
  cut: boolean,
): Promise<Array<{ name: string; mode: number; pax?: Record<string, string>; type: string }>> {
  const tar = await decompressBytes(gz, "gzip");
  const out = [];
  for await (const e of readTar(bytesSource(tar).open(), { allowMissingEnd: cut }))
    out.push({
      name: e.header.name,
      mode: e.header.mode,
      type: e.header.type,
      ...(e.header.pax ? { pax: e.header.pax } : {}),
    });
  return out;
}

/** The example project through the config loader, as `packyard build -p apk` builds it. */
const example = () => exampleFromConfig<ApkOptions>("apk");

test("signed example project: exactly three members, cut signature and control, .PKGINFO first, parents and checksums", async () => {
  const { spec, options } = await example();
  const bytes = await collect(apkFormat.write(spec, options, { signer: exampleSigner() }));
  const [sig, control, data, extra] = await members(bytes);
  assert.equal(extra, undefined);
  for (const [gz, cut] of [
    [sig!, "cut"],
    [control!, "cut"],
    [data!, "ended"],
  ] as const)
    assert.equal(tarEnding(await decompressBytes(gz, "gzip")), cut);
  const sigs = await tarNames(sig!, true);
  assert.deepEqual(
    sigs.map((s) => s.name),
    [".SIGN.RSA256.maintainers@packyard.example-" + exampleSigner().keyName.split("-").at(-1)],
  );
  const ctl = await tarNames(control!, true);
  assert.deepEqual(
    ctl.map((e) => [e.name, e.mode.toString(8)]),
    [
      [".PKGINFO", "644"],
      [".pre-install", "755"],
      [".post-install", "755"],
      [".pre-deinstall", "755"],
      [".post-deinstall", "755"],
    ],
  );
  const dataEntries = await tarNames(data!, false);
  assert.deepEqual(
    dataEntries.map((e) => e.name),
    [
      "etc/",
      "etc/hello-packyard/",
      "etc/hello-packyard/hello.conf",
      "usr/",
      "usr/bin/",
      "usr/bin/hello",
      "usr/bin/hello-packyard",
      "usr/share/",
      "usr/share/doc/",
      "usr/share/doc/hello-packyard/",
      "usr/share/doc/hello-packyard/README.md",
      "usr/share/man/",
      "usr/share/man/man1/",
      "usr/share/man/man1/hello-packyard.1.gz",
      "usr/share/man/man1/hello.1.gz",
      "var/",
      "var/lib/",
      "var/lib/hello-packyard/",
    ],
  );
  for (const e of dataEntries)
    assert.equal(e.pax?.["APK-TOOLS.checksum.SHA1"] !== undefined, e.type !== "dir", e.name);
  const pkginfoTar = await decompressBytes(control!, "gzip");
  const pkginfo = decodePkginfo(
    new TextDecoder().decode(
      pkginfoTar.subarray(
        512,
        512 + Number.parseInt(new TextDecoder().decode(pkginfoTar.subarray(124, 135)), 8),
      ),
    ),
  );
  assert.deepEqual(
    [...pkginfo.keys()],
    [
      "pkgname",
      "pkgver",
      "pkgdesc",
      "url",
      "builddate",
      "packager",
      "size",
      "arch",
      "origin",
      "maintainer",
      "license",
      "datahash",
    ],
  );
  assert.equal(pkginfo.get("pkgver")?.[0], "1.0.0-r1");
  assert.equal(pkginfo.get("arch")?.[0], "noarch");
  assert.equal(pkginfo.get("datahash")?.[0], createHash("sha256").update(data!).digest("hex"));
  assert.equal(apkFormat.fileName(spec, options), GOLDEN_NAME);
});

test("golden: the signed example project's sha256 and bytes (UPDATE_GOLDEN=1 rewrites them)", async () => {
  const { spec, options } = await example();
  const bytes = await collect(apkFormat.write(spec, options, { signer: exampleSigner() }));
  const sha = createHash("sha256").update(bytes).digest("hex");
  const path = `${REPO}fixtures/apk/example.sha256`;
  if (process.env.UPDATE_GOLDEN === "1") {
    writeFileSync(path, `${sha}  ${GOLDEN_NAME}\n`);
    writeFileSync(`${REPO}fixtures/apk/${GOLDEN_NAME}`, bytes);
  }
  assert.equal(sha, readFileSync(path, "utf8").split(" ")[0]);
  assert.deepEqual(bytes, new Uint8Array(readFileSync(`${REPO}fixtures/apk/${GOLDEN_NAME}`)));
});

test("round trip: read(write(spec)) equals expectedInfo(spec), read in odd chunk sizes", async () => {
  await fc.assert(
    fc.asyncProperty(arbApkSpec, fc.constantFrom([1], [7], [321], [5, 900, 13]), async (spec, sizes) => {
      const bytes = await collect(apkFormat.write(spec, {}));
      const info = await apkFormat.read(chunkedSource(bytes, sizes));
      const want = await expectedInfo(spec, "apk");
      const got = {
        format: info.format,
        name: info.name,
        versionString: info.versionString,
        archString: info.archString,
        relations: info.relations,
        files: info.files,
        scripts: info.scripts,
        installedSize: info.installedSize,
        ...(info.summary !== undefined ? { summary: info.summary } : {}),
      };
      assert.deepEqual(got, want);
      assert.equal(info.artifact.size, bytes.length);
      assert.equal(info.artifact.digests.sha256, createHash("sha256").update(bytes).digest("hex"));
      assert.equal(info.signatures.length, 0);
    }),
    { numRuns: 60 },
  );
});

test("signatures: verified with the right key, not with another; legacy SHA-1 on request; raw C: identity", async () => {
  const spec = exampleSpec();
  const signer = exampleSigner();
  const bytes = await collect(apkFormat.write(spec, { signature: { legacySha1: true } }, { signer }));
  const other = readFileSync(`${REPO}fixtures/keys/openssl-pkcs1.rsa.pub`, "utf8");
  const good = await apkFormat.read(bytesSource(bytes), { publicKeys: [signer.publicKeyPem()] });
  assert.deepEqual(
    good.signatures.map((s) => [s.location.split(".").slice(0, 3).join("."), s.hash, s.verified]),
    [
      [".SIGN.RSA256", "sha256", true],
      [".SIGN.RSA", "sha1", true],
    ],
  );
  const bad = await apkFormat.read(bytesSource(bytes), { publicKeys: [other] });
  assert.deepEqual(
    bad.signatures.map((s) => s.verified),
    [false, false],
  );
  const none = await apkFormat.read(bytesSource(bytes));
  assert.deepEqual(
    none.signatures.map((s) => s.verified),
    [undefined, undefined],
  );
  const [, control] = await members(bytes);
  assert.equal(
    good.raw.format === "apk" && good.raw.controlSha1,
    `Q1${createHash("sha1").update(control!).digest("base64")}`,
  );
});

test("key naming: option > chosen signer name > maintainer e-mail > anonymous", async () => {
  const pem = readFileSync(`${REPO}fixtures/keys/openssl-pkcs8.rsa`, "utf8");
  const name = async (opts: object, signerOpts: object, maintainer?: string) => {
    const spec = exampleSpec(
      maintainer === undefined ? { maintainer: undefined as unknown as string } : { maintainer },
    );
    if (maintainer === undefined) delete (spec as { maintainer?: string }).maintainer;
    const bytes = await collect(apkFormat.write(spec, opts, { signer: loadRSASigner(pem, signerOpts) }));
    return (await apkFormat.read(bytesSource(bytes))).signatures[0]!.location;
  };
  const anon = loadRSASigner(pem).keyName;
  assert.equal(
    await name({ signature: { keyName: "ops@example.org" } }, {}),
    ".SIGN.RSA256.ops@example.org.rsa.pub",
  );
  assert.equal(await name({}, { keyName: "chosen.rsa.pub" }), ".SIGN.RSA256.chosen.rsa.pub");
  assert.match(
    await name({}, {}, "Jane <jane@example.org>"),
    /^\.SIGN\.RSA256\.jane@example\.org-[0-9a-f]{8}\.rsa\.pub$/,
  );
  assert.equal(await name({}, {}, undefined), `.SIGN.RSA256.${anon}`);
});

test("re-signing an unsigned package gives the same bytes as signing at build time", async () => {
  const spec = exampleSpec();
  const signer = exampleSigner();
  const unsigned = await collect(apkFormat.write(spec, {}));
  const signed = await collect(apkFormat.write(spec, {}, { signer }));
  const resigned = await collect(apkFormat.sign!(bytesSource(unsigned), signer));
  assert.deepEqual(resigned, signed);
  const twice = await collect(apkFormat.sign!(bytesSource(signed), signer));
  assert.deepEqual(twice, signed, "re-signing with the same key replaces its signature");
});

test("OpenPGP signers are refused with KEY_UNSUPPORTED", async () => {
  const { signer } = await openpgpTestKey({ type: "ecc", name: "t", email: "t@example.org" });
  await assert.rejects(
    collect(apkFormat.write(exampleSpec(), {}, { signer })),
    (e: unknown) => e instanceof SignError && e.code === "KEY_UNSUPPORTED",
  );
});

test("spec rules: names, arches, relations, triggers, dot paths, warnings", async () => {
  const rejects = async (over: object, opts: object, code: string, field: string) => {
    const spec = exampleSpec(over);
    assert.throws(
      () => apkFormat.validate(spec, opts),
      (e: unknown) => e instanceof SpecError && e.code === code && e.data.field === field,
      `${code} ${field}`,
    );
    await assert.rejects(
      collect(apkFormat.write(spec, opts)),
      (e: unknown) => e instanceof SpecError && e.code === code,
    );
  };
  await rejects({ name: "-bad" }, {}, "INVALID_NAME", "name");
  await rejects({ arch: "armv5" }, {}, "INVALID_ARCH", "arch");
  await rejects(
    { version: { upstream: "1.0.0", prerelease: "nightly" } },
    {},
    "VERSION_UNREPRESENTABLE",
    "version.prerelease",
  );
  await rejects(
    { relations: { depends: [[{ name: "a" }, { name: "b" }]] } },
    {},
    "INVALID_RELATION",
    "relations.depends[0]",
  );
  await rejects(
    { relations: { provides: [[{ name: "a", op: ">=", version: "1" }]] } },
    {},
    "INVALID_RELATION",
    "relations.provides[0]",
  );
  await rejects({ scripts: { trigger: { body: "true" } } }, {}, "INVALID_SCRIPT", "scripts.trigger");
  await rejects({}, { triggers: ["/usr/share/foo"] }, "INVALID_SCRIPT", "apk.triggers");
  await rejects(
    {
      entries: [
        {
          type: "dir",
          path: "/.hidden",
          mode: 0o755,
          owner: { name: "root", id: 0 },
          group: { name: "root", id: 0 },
        },
      ],
    },
    {},
    "INVALID_PATH",
    "entries[0].path",
  );
  assert.equal(apkFormat.fileName(exampleSpec(), { arch: "x86_64" }), "hello-packyard-1.0.0-r1.apk");

  const warnings: Warning[] = [];
  const spec = exampleSpec({
    version: { upstream: "1.2.3", metadata: "git.abc" },
    relations: {
      recommends: [[{ name: "bash" }]],
      depends: [[{ name: "musl", op: ">=", version: "1.2.3-rc.1" }]],
      conflicts: [[{ name: "old", op: "<", version: "2" }]],
      replaces: [[{ name: "old" }]],
      provides: [[{ name: "hello", op: "=", version: "1.2.3" }]],
    },
    scripts: { pretrans: { body: "true" }, trigger: { body: "echo $@" } },
  });
  const bytes = await collect(
    apkFormat.write(
      spec,
      {
        triggers: ["/usr/share/hello/*"],
        installIf: ["foo", "bar>=1"],
        origin: "hello-src",
        commit: "abc123",
        providerPriority: 10,
      },
      { warn: (w) => warnings.push(w) },
    ),
  );
  assert.deepEqual(warnings.map((w) => w.code).sort(), [
    "APK_RELATION_DROPPED",
    "APK_SCRIPT_DROPPED",
    "APK_VERSION_METADATA_DROPPED",
  ]);
  const info = await apkFormat.read(bytesSource(bytes));
  const raw = info.raw.format === "apk" ? info.raw.pkginfo : "";
  for (const line of [
    "depend = musl>=1.2.3_rc1",
    "depend = !old<2",
    "replaces = old",
    "provides = hello=1.2.3",
    "install_if = foo bar>=1",
    "triggers = /usr/share/hello/*",
    "origin = hello-src",
    "commit = abc123",
    "provider_priority = 10",
    "pkgver = 1.2.3-r0",
  ]) {
    assert.ok(raw.split("\n").includes(line), `${line} in\n${raw}`);
  }
  assert.equal(info.scripts.trigger?.body, "echo $@\n");
});

test("config block: nfpm keys, packyard keys, unknown and unsupported keys by name", () => {
  const ctx = { field: "apk", baseDir: "/cfg" };
  assert.deepEqual(apkConfig.parse(undefined, ctx), {});
  const o = apkConfig.parse(
    {
      arch: "armv7",
      scripts: { preupgrade: "pre.sh", postupgrade: "post.sh" },
      signature: { key_file: "keys/k.rsa", key_name: "me@example.org", legacy_sha1: true },
      install_if: ["a", "b"],
      triggers: "/x /y",
      provider_priority: 5,
      compression: "gzip:6",
    },
    ctx,
  );
  assert.deepEqual(o, {
    arch: "armv7",
    installIf: ["a", "b"],
    triggers: ["/x", "/y"],
    providerPriority: 5,
    gzipLevel: 6,
    scriptFiles: { preupgrade: "pre.sh", postupgrade: "post.sh" },
    signature: { keyFile: "/cfg/keys/k.rsa", keyName: "me@example.org", legacySha1: true },
  });
  assert.deepEqual(apkConfig.scripts?.(o), { preupgrade: "pre.sh", postupgrade: "post.sh" });
  const bad = (raw: unknown, code: string, field: string) =>
    assert.throws(
      () => apkConfig.parse(raw, ctx),
      (e: unknown) => e instanceof SpecError && e.code === code && e.data.field === field,
      field,
    );
  bad({ nope: 1 }, "UNKNOWN_KEY", "apk.nope");
  bad({ signature: { key_id: "ABCDEF0123456789" } }, "UNSUPPORTED_KEY", "apk.signature.key_id");
  bad({ signature: { passphrase: "x" } }, "UNKNOWN_KEY", "apk.signature.passphrase");
  bad({ scripts: { preinstall: "x" } }, "UNKNOWN_KEY", "apk.scripts.preinstall");
  bad({ compression: "zstd" }, "INVALID_FIELD", "apk.compression");
  bad({ provider_priority: -1 }, "INVALID_FIELD", "apk.provider_priority");
  assert.ok((apkConfig.schema.properties as Record<string, unknown>).signature);
});

test("sniff: gzip or ADB magic with a .apk name; not Android zips", () => {
  assert.ok(apkFormat.sniff(new Uint8Array([0x1f, 0x8b, 8, 0]), "x.apk"));
  assert.ok(apkFormat.sniff(new TextEncoder().encode("ADBd"), "x.APK"));
  assert.ok(!apkFormat.sniff(new Uint8Array([0x50, 0x4b, 3, 4]), "app.apk"));
  assert.ok(!apkFormat.sniff(new Uint8Array([0x1f, 0x8b, 8, 0]), "x.tar.gz"));
});

test("determinism across processes: different TZ, umask and cwd give the same bytes", () => {
  const script = `
    import { apkFormat } from ${JSON.stringify(`${REPO}packages/formats/src/apk/index.ts`)};
    import { collect } from ${JSON.stringify(`${REPO}packages/formats/src/bytes/bytes.ts`)};
    import { exampleSpec } from ${JSON.stringify(`${REPO}packages/testkit/src/example.ts`)};
    import { exampleSigner } from ${JSON.stringify(`${REPO}packages/formats/test/apk/example-signer.ts`)};
    import { createHash } from "node:crypto";
    process.umask(Number(process.argv[1]));
    const b = await collect(apkFormat.write(exampleSpec(), {}, { signer: exampleSigner() }));
    process.stdout.write(createHash("sha256").update(b).digest("hex"));`;
  const runOnce = (tz: string, umask: string, cwd: string) => {
    const r = spawnSync(
      process.execPath,
      ["--conditions=@packyard/source", "--input-type=module", "-e", script, umask],
      { cwd, env: { ...process.env, TZ: tz }, encoding: "utf8" },
    );
    assert.equal(r.status, 0, r.stderr);
    return r.stdout;
  };
  const a = runOnce("UTC", "0o022", "/");
  const b = runOnce("Pacific/Chatham", "0o077", "/tmp");
  assert.match(a, /^[0-9a-f]{64}$/);
  assert.equal(a, b);
});

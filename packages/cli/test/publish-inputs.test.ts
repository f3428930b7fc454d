/**
 * What `packyard publish` adds, before the engine sees anything: the packages of packyard-build.json
 * (their PackageInfo taken from it, every file checked against its size and SHA-256, an Arch package
 * with its .sig, macOS packages and release archives too: they go to downloads/), or command-line files
 * sorted into packages, `.sig` files, checksums files (verified) and their `.asc` (checked with the
 * repository key).
 * rpms and apks pass whatever targets are configured: the engine settles those.
 */
import assert from "node:assert/strict";
import { appendFileSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { test } from "node:test";
import { IOError, parseBuildManifest } from "../src/formats.ts";
import { gatherInputs, inputsFromFiles } from "../src/publish-inputs.ts";
import { loadRepoSigners } from "../src/publish-keys.ts";
import { isRepoError } from "../src/repo.ts";
import { builtExample, DEB, KEY, OTHER_KEY, OTHER_PASSPHRASE, RSA_KEY } from "./publish/support.ts";
import { tempDirs } from "./temp-dirs.ts";

const tmp = tempDirs("packyard-publish-inputs-");
const signers = await loadRepoSigners([KEY], { cwd: "/", env: {}, command: "publish" });
const otherSigners = await loadRepoSigners([OTHER_KEY], {
  cwd: "/",
  env: { PACKYARD_REPO_PASSPHRASE: OTHER_PASSPHRASE },
  command: "publish",
});

/**
 * A built example with deb, rpm, archlinux, apk, macos, tar.gz and zip, its checksums and Arch package signed by KEY
 * (the Arch one as a .sig beside it), its apk by RSA_KEY.
 */
const project = await builtExample(
  tmp(),
  "deb,rpm,archlinux,apk,macos,tar.gz,zip",
  `checksum:\n  signature:\n    key_file: ${KEY}\narchlinux:\n  signature:\n    key_file: ${KEY}\napk:\n  signature:\n    key_file: ${RSA_KEY}\n`,
);
const dist = (name: string) => join(project, "dist", name);
/** The example's rpm, Arch package and apk, as `packyard build` names them. */
const RPM = "hello-packyard-1.0.0-1.noarch.rpm";
const ARCH = "hello-packyard-1.0.0-1-any.pkg.tar.zst";
const APK = "hello-packyard-1.0.0-r1.apk";
const TARBALL = "hello-packyard_1.0.0_linux_all.tar.gz";
const ZIP = "hello-packyard_1.0.0_linux_all.zip";
const MACOS = "hello-packyard-1.0.0.pkg";

/** Asserts that `promise` rejects with RepoError `code` whose message matches `pattern`. */
async function rejectsRepo(promise: Promise<unknown>, code: string, pattern: RegExp): Promise<void> {
  await assert.rejects(promise, (e: unknown) => {
    assert.ok(isRepoError(e), String(e));
    assert.equal(e.code, code, e.message);
    assert.match(e.message, pattern);
    return true;
  });
}

test("from the manifest: every package (deb, rpm, Arch with its .sig, apk, macOS, archives) with the manifest's PackageInfo", async () => {
  const got = await gatherInputs([], { cwd: project, signers });
  const manifest = parseBuildManifest(readFileSync(dist("packyard-build.json"), "utf8"));
  assert.deepEqual(
    got.inputs.map((i) => [i.name, i.info.format]).sort(),
    [
      [join("dist", ARCH), "archlinux"],
      [join("dist", RPM), "rpm"],
      [join("dist", APK), "apk"],
      [join("dist", DEB), "deb"],
      [join("dist", MACOS), "macos"],
      [join("dist", TARBALL), "tarball"],
      [join("dist", ZIP), "tarball"],
    ].sort(),
  );
  // The Arch package carries the .sig the build wrote beside it; the others carry theirs inside.
  const arch = got.inputs.find((i) => i.info.format === "archlinux")!;
  assert.deepEqual(arch.signature, new Uint8Array(readFileSync(dist(`${ARCH}.sig`))));
  for (const i of got.inputs.filter((x) => x.info.format !== "archlinux"))
    assert.equal(i.signature, undefined);
  for (const input of got.inputs) {
    const artifact = manifest.artifacts.find((a) => join("dist", a.file) === input.name)!;
    assert.deepEqual(input.info, artifact.info, "the manifest's PackageInfo, not a new reading");
    assert.equal(input.source.size, artifact.size);
  }
  assert.equal(
    manifest.artifacts.filter((a) => a.kind === "package").length,
    got.inputs.length,
    "no package of the manifest is left out",
  );
});

test("from the manifest: a package of a format publish has no place for is UNSUPPORTED_PACKAGE naming it", async () => {
  const cwd = await builtExample(tmp());
  const file = join(cwd, "dist/packyard-build.json");
  const manifest = JSON.parse(readFileSync(file, "utf8")) as { artifacts: { info?: { format: string } }[] };
  manifest.artifacts.find((a) => a.info !== undefined)!.info!.format = "snap";
  writeFileSync(file, JSON.stringify(manifest));
  await rejectsRepo(
    gatherInputs([], { cwd, signers }),
    "UNSUPPORTED_PACKAGE",
    new RegExp(
      `^dist/${DEB} \\(dist/packyard-build\\.json lists it\\): a package of format snap, which packyard publish does not publish \\(packyard publish writes APT, RPM-MD, pacman and Alpine repositories, and downloads of macOS packages and release archives\\)$`,
    ),
  );
});

test("from the manifest: a package changed after the build is CHECKSUM_MISMATCH (size, or same size and sha256)", async () => {
  const cwd = await builtExample(tmp());
  const path = join(cwd, "dist", DEB);
  const bytes = readFileSync(path);
  // Same size, one byte flipped: only the digest tells.
  const flipped = Buffer.from(bytes);
  flipped[flipped.length - 1]! ^= 0xff;
  writeFileSync(path, flipped);
  await rejectsRepo(
    gatherInputs([], { cwd, signers }),
    "CHECKSUM_MISMATCH",
    new RegExp(
      `^dist/${DEB}: dist/packyard-build.json lists ${bytes.length} bytes with sha256 [0-9a-f]{64}, but the file has ${bytes.length} bytes with sha256 [0-9a-f]{64}; it changed after the build`,
    ),
  );
  appendFileSync(path, "x");
  await rejectsRepo(
    gatherInputs([], { cwd, signers }),
    "CHECKSUM_MISMATCH",
    new RegExp(`but the file has ${bytes.length + 1} bytes; it changed after the build`),
  );
});

test("no files and no manifest: NOT_FOUND saying to build first or name the packages", async () => {
  await assert.rejects(gatherInputs([], { cwd: tmp(), signers }), (e: unknown) => {
    assert.ok(e instanceof IOError);
    assert.equal(e.code, "NOT_FOUND");
    assert.match(
      e.message,
      /^dist\/packyard-build\.json not found: run packyard build first, or name the packages/,
    );
    return true;
  });
});

test("files: a .deb and an .rpm are read once into PackageInfo; a .sig travels with its package; a folder means its manifest", async () => {
  writeFileSync(dist(`${DEB}.sig`), "signature bytes");
  const got = await inputsFromFiles([`dist/${DEB}`, `dist/${DEB}.sig`, `dist/${RPM}`], {
    cwd: project,
    signers,
  });
  assert.deepEqual(
    got.inputs.map((i) => [i.name, i.info.format, i.info.name, i.info.versionString, i.info.archString]),
    [
      [`dist/${DEB}`, "deb", "hello-packyard", "1.0.0-1", "all"],
      [`dist/${RPM}`, "rpm", "hello-packyard", "1.0.0-1", "noarch"],
    ],
  );
  assert.deepEqual(got.inputs[0]!.signature, new TextEncoder().encode("signature bytes"));
  assert.equal(got.inputs[1]!.signature, undefined);
  // An rpm alone is an input too: no RPM-MD target is asked for here, the engine settles that.
  const rpmOnly = await inputsFromFiles([`dist/${RPM}`], { cwd: project, signers });
  assert.deepEqual(
    rpmOnly.inputs.map((i) => i.info.format),
    ["rpm"],
  );
  const viaFolder = await inputsFromFiles(["dist"], { cwd: project, signers });
  assert.deepEqual(
    viaFolder.inputs.map((i) => i.name).sort(),
    [DEB, RPM, ARCH, APK, MACOS, TARBALL, ZIP].map((f) => join("dist", f)).sort(),
  );
});

test("files: an Arch package takes its .sig, named or only beside it; an apk is read into PackageInfo", async () => {
  const sig = new Uint8Array(readFileSync(dist(`${ARCH}.sig`)));
  const named = await inputsFromFiles([`dist/${ARCH}`, `dist/${ARCH}.sig`, `dist/${APK}`], {
    cwd: project,
    signers,
  });
  assert.deepEqual(
    named.inputs.map((i) => [i.name, i.info.format, i.info.name, i.info.versionString, i.info.archString]),
    [
      [`dist/${ARCH}`, "archlinux", "hello-packyard", "1.0.0-1", "any"],
      [`dist/${APK}`, "apk", "hello-packyard", "1.0.0-r1", "noarch"],
    ],
  );
  assert.deepEqual(named.inputs[0]!.signature, sig);
  assert.equal(named.inputs[1]!.signature, undefined, "an apk's signature is inside it");
  // `dist/*.pkg.tar.zst` leaves the .sig out: the one beside the package travels all the same.
  const beside = await inputsFromFiles([`dist/${ARCH}`], { cwd: project, signers });
  assert.deepEqual(beside.inputs[0]!.signature, sig);
  // Without one beside it, the package goes unsigned (the engine signs it with the repository key).
  const cwd = tmp();
  writeFileSync(join(cwd, ARCH), readFileSync(dist(ARCH)));
  const bare = await inputsFromFiles([ARCH], { cwd, signers });
  assert.equal(bare.inputs[0]!.info.format, "archlinux");
  assert.equal(bare.inputs[0]!.signature, undefined);
});

test("files: a macOS .pkg and release archives are read into PackageInfo like the others", async () => {
  const got = await inputsFromFiles([`dist/${MACOS}`, `dist/${TARBALL}`, `dist/${ZIP}`], {
    cwd: project,
    signers,
  });
  // Archives carry no metadata (downloads/ takes the name and version from the file name): only the
  // container says what they are.
  assert.deepEqual(
    got.inputs.map((i) => [i.name, i.info.format, i.info.name, i.info.versionString]),
    [
      [`dist/${MACOS}`, "macos", "hello-packyard", "1.0.0"],
      [`dist/${TARBALL}`, "tarball", "", ""],
      [`dist/${ZIP}`, "tarball", "", ""],
    ],
  );
  assert.deepEqual(
    got.inputs.map((i) => (i.info.raw as { container?: string }).container),
    [undefined, "tar", "zip"],
  );
  for (const i of got.inputs) {
    assert.equal(i.source.size, readFileSync(dist(basename(i.name!))).length);
    assert.equal(i.signature, undefined);
  }
});

test("files: not a package is NOT_A_PACKAGE naming what is read", async () => {
  await rejectsRepo(
    inputsFromFiles(["packyard.yml"], { cwd: project, signers }),
    "NOT_A_PACKAGE",
    /^packyard\.yml: not a package packyard reads \(expected a \.deb, \.rpm, \.pkg\.tar\.zst, \.apk, macOS \.pkg or release archive \(\.tar\.gz, /,
  );
  // A .sig without its package beside it is no package either.
  writeFileSync(join(project, "stray.deb.sig"), "x");
  await rejectsRepo(
    inputsFromFiles(["stray.deb.sig"], { cwd: project, signers }),
    "NOT_A_PACKAGE",
    /^stray\.deb\.sig: /,
  );
  await rejectsRepo(
    inputsFromFiles(["dist/SHA256SUMS.asc"], { cwd: project, signers }),
    "NOT_A_PACKAGE",
    /^dist\/SHA256SUMS\.asc: the signature of a checksums file, but SHA256SUMS is not among the files/,
  );
});

test("files: SHA256SUMS is checked against the given files and not published; its .asc with the key", async () => {
  const files = [`dist/${DEB}`, "dist/SHA256SUMS", "dist/SHA256SUMS.asc"];
  const good = await inputsFromFiles(files, { cwd: project, signers });
  assert.equal(good.inputs.length, 1, "only the package is an input");
  assert.equal(good.notes[0], "dist/SHA256SUMS: 1 of the given files listed, and their checksums match");
  assert.match(
    good.notes[1]!,
    new RegExp(`^dist/SHA256SUMS\\.asc: good signature by ${signers[0]!.fingerprint}$`),
  );
  const other = await inputsFromFiles(files, { cwd: project, signers: otherSigners });
  assert.match(
    other.notes[1]!,
    /^dist\/SHA256SUMS\.asc: signed by key [0-9A-F]+, not a repository key: signature not checked$/,
  );
  const none = await inputsFromFiles(files, { cwd: project, signers: [] });
  assert.equal(none.notes[1], "dist/SHA256SUMS.asc: not checked (no key)");
});

test("files: a listed sum that differs, or a signature by the key over other sums, is CHECKSUM_MISMATCH", async () => {
  const cwd = await builtExample(tmp(), "deb", `checksum:\n  signature:\n    key_file: ${KEY}\n`);
  const sums = join(cwd, "dist/SHA256SUMS");
  const text = readFileSync(sums, "utf8");
  // Another file listed: the given deb still matches, but the signature is over the old text.
  writeFileSync(sums, `${text}${"0".repeat(64)}  other.deb\n`);
  const files = [`dist/${DEB}`, "dist/SHA256SUMS", "dist/SHA256SUMS.asc"];
  await rejectsRepo(
    inputsFromFiles(files, { cwd, signers }),
    "CHECKSUM_MISMATCH",
    new RegExp(
      `^dist/SHA256SUMS\\.asc: the signature by the repository key ${signers[0]!.fingerprint} does not match dist/SHA256SUMS`,
    ),
  );
  const [digest] = text.split(" ");
  writeFileSync(sums, text.replace(digest!, "f".repeat(64)));
  await rejectsRepo(
    inputsFromFiles(files.slice(0, 2), { cwd, signers }),
    "CHECKSUM_MISMATCH",
    new RegExp(`^dist/${DEB}: dist/SHA256SUMS lists sha256 f{64}, but the file has ${digest}$`),
  );
});

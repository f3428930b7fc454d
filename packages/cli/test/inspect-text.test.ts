/**
 * `inspect`'s text summary speaks each format's own language: relations in the syntax the package's
 * control data uses (Debian `(<< 3.12)` and `:any`, rpm `< 3.12` and `(a or b)`, Arch and apk `<3.12`),
 * sizes for people. And `inspect --key` answers like gpgv: exit 1 unless the signatures verify.
 */
import assert from "node:assert/strict";
import { copyFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { FORMATS } from "../src/formats.ts";
import { relationText } from "../src/relation-text.ts";
import { isOneParagraph, REPO, runMain } from "./run-cli.ts";
import { tempDirs } from "./temp-dirs.ts";

const tmp = tempDirs("packyard-inspect-text-");

const fixture = (p: string) => join(REPO, "fixtures", p);

async function summary(path: string): Promise<Map<string, string>> {
  const r = await runMain(["inspect", path], REPO, FORMATS);
  assert.equal(r.status, 0, r.stderr);
  const rows = new Map<string, string>();
  for (const line of r.stdout.split("\n")) {
    const m = /^([A-Za-z-]+):\s+(.*)$/.exec(line);
    if (m) rows.set(m[1]!, m[2]!);
  }
  return rows;
}

test("relationText: each format's own operators and spacing", () => {
  const lt = [{ name: "python3", op: "<" as const, version: "3.12" }];
  assert.equal(relationText("deb", lt), "python3 (<< 3.12)");
  assert.equal(relationText("rpm", lt), "python3 < 3.12");
  assert.equal(relationText("archlinux", lt), "python3<3.12");
  assert.equal(relationText("apk", lt), "python3<3.12");
  assert.equal(relationText("deb", [{ name: "python3", op: ">", version: "3" }]), "python3 (>> 3)");
  assert.equal(relationText("deb", [{ name: "python3", archQualifier: "any" }]), "python3:any");
  assert.equal(relationText("rpm", [{ name: "a" }, { name: "b", op: ">=", version: "2" }]), "(a or b >= 2)");
  assert.equal(relationText("rpm", [{ name: "(bash >= 4.4 or fish)" }]), "(bash >= 4.4 or fish)");
  assert.equal(
    relationText("archlinux", [{ name: "python", description: "for the helper" }]),
    "python: for the helper",
  );
});

test("inspect's summary: relations as dpkg, rpm, makepkg and abuild wrote them; sizes in KiB/B", async () => {
  const deb = await summary(fixture("deb/foo-gzip.deb"));
  assert.equal(deb.get("depends"), "libc6 (>= 2.34), bar:any | baz (<< 2)");
  assert.equal(deb.get("Installed"), "20.0 KiB", "Installed-Size: 20 (KiB) is 20480 bytes");
  assert.equal(deb.get("Size"), "954 B");

  const rpm = await summary(fixture("rpm/rpmbuild-gzip.rpm"));
  assert.equal(rpm.get("depends"), "(coreutils or busybox), /bin/sh");
  assert.equal(rpm.get("provides"), "fixture-api = 2");
  assert.equal(rpm.get("recommends"), "less >= 1");
  assert.equal(rpm.get("Installed"), "55 B");

  const arch = await summary(fixture("archlinux/hello-makepkg.pkg.tar.zst"));
  assert.equal(arch.get("depends"), "bash, glibc>=2.30");
  assert.equal(arch.get("provides"), "greeter=1.0");
  assert.equal(arch.get("recommends"), "python: for the helper, perl");

  const apk = await summary(fixture("apk/gnu-hello-1.0_rc2-r3.apk"));
  assert.equal(apk.get("provides"), "hello=1.0");
  assert.equal(apk.get("Installed"), "48 B");
  assert.equal(apk.get("Size"), "1.1 KiB");
});

test("inspect --key: exit 0 when the signatures verify, 1 when one does not or none does (as gpgv)", async () => {
  const cwd = tmp();
  const env = { SOURCE_DATE_EPOCH: "1700000000" };
  const key = fixture("keys/gpg-plain.secret.asc");
  const pub = fixture("keys/gpg-plain.asc");
  const other = fixture("keys/gpg-subkey.asc");
  copyFileSync(fixture("deb/foo-gzip.deb"), join(cwd, "foo.deb"));
  copyFileSync(fixture("archlinux/hello-makepkg.pkg.tar.zst"), join(cwd, "hello.pkg.tar.zst"));
  copyFileSync(fixture("deb/foo-gzip.deb"), join(cwd, "unsigned.deb"));
  for (const pkg of ["foo.deb", "hello.pkg.tar.zst"]) {
    const signed = await runMain(["sign", pkg, "--key", key], cwd, FORMATS, env);
    assert.equal(signed.status, 0, signed.stderr);

    const good = await runMain(["inspect", pkg, "--key", pub], cwd, FORMATS);
    assert.equal(good.status, 0, good.stderr);
    assert.match(good.stdout, /^Signature: +openpgp .*, verified$/m);
    const either = await runMain(["inspect", pkg, "--key", other, "--key", pub], cwd, FORMATS);
    assert.equal(either.status, 0, `one of the keys is the signer's: ${either.stderr}`);

    for (const args of [
      ["inspect", pkg, "--key", other],
      ["inspect", pkg, "--key", other, "--json"],
    ]) {
      const bad = await runMain(args, cwd, FORMATS);
      assert.equal(bad.status, 1, `${args.join(" ")}: ${bad.stderr}`);
      assert.ok(bad.stdout.length > 0, "what was read is still printed");
      assert.ok(isOneParagraph(bad.stderr), bad.stderr);
      assert.match(
        bad.stderr,
        new RegExp(
          `^error: ${pkg.replaceAll(".", "\\.")}: openpgp signature at .* does not verify with the given keys.*\\[SignError VERIFY_FAILED\\]\\n$`,
        ),
      );
    }
    // Without --key nothing is checked, and that is not a failure.
    assert.equal((await runMain(["inspect", pkg], cwd, FORMATS)).status, 0);
  }
  const unsigned = await runMain(["inspect", "unsigned.deb", "--key", pub], cwd, FORMATS);
  assert.equal(unsigned.status, 1);
  assert.match(
    unsigned.stderr,
    /unsigned\.deb: expected a signature to verify with the given keys, found none/,
  );
});

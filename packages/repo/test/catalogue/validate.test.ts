/** catalogue/validate: each kind of bad entry is caught, with its field path; good lists pass. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { CATALOGUE, catalogueTarget, validateCatalogue } from "../../src/catalogue/index.ts";
import { isRepoError } from "../../src/errors.ts";

type Entry = Record<string, unknown> & {
  layout: Record<string, unknown>;
  install: Record<string, unknown>;
  osRelease: Record<string, unknown>;
};

/** A mutable copy of a built-in target. */
function copy(id: string): Entry {
  return structuredClone(catalogueTarget(id)) as unknown as Entry;
}

interface Problem {
  field: string;
  expected: string;
  found: unknown;
}

/** The problems validateCatalogue reports for `list` (fails the test when it accepts it). */
function problems(list: unknown): Problem[] {
  try {
    validateCatalogue(list);
  } catch (e) {
    assert.ok(isRepoError(e), String(e));
    assert.equal(e.code, "INVALID_SETTING");
    const found = e.data.problems as Problem[];
    assert.ok(found.length > 0);
    for (const p of found) assert.ok(e.message.includes(p.field), `message lacks ${p.field}`);
    return found;
  }
  assert.fail(`accepted ${JSON.stringify(list)}`);
}

/** Asserts the list is refused with exactly one problem, at a field ending in `field`. */
function refused(list: unknown, field: string): Problem {
  const found = problems(list);
  assert.equal(found.length, 1, JSON.stringify(found));
  assert.ok(found[0]!.field.endsWith(field), `${found[0]!.field} does not end in ${field}`);
  return found[0]!;
}

test("good lists pass: the built-in one, a copy, a subset, an empty list", () => {
  validateCatalogue(CATALOGUE);
  validateCatalogue(structuredClone(CATALOGUE));
  validateCatalogue([copy("el-9"), copy("debian-12")]);
  validateCatalogue([]);
});

test("not a list, or an entry that is not an object", () => {
  refused({ id: "x" }, "catalogue");
  refused([copy("el-9"), "debian-12"], "catalogue[1]");
  refused([null], "catalogue[0]");
});

test("duplicate ids", () => {
  const again = copy("el-9");
  again.layout = { path: "el/9-again" };
  const p = refused([copy("el-9"), again], "catalogue[1] (el-9).id");
  assert.match(p.expected, /catalogue\[0\]/);
});

test("bad id syntax", () => {
  for (const id of ["Debian-12", "-x", ".x", "a b", "a/b", "a_b", "", "é"]) {
    const t = copy("el-9");
    t.id = id;
    refused([t], ".id");
  }
  const t = copy("el-9");
  t.id = 9;
  refused([t], ".id");
});

test("family/format mismatch and unknown family", () => {
  const t = copy("debian-12");
  t.format = "rpm";
  refused([t], ".format");
  const a = copy("alpine-3.21");
  a.format = "alpine";
  refused([a], ".format");
  const f = copy("el-9");
  f.family = "redhat";
  refused([f], ".family");
});

test("empty, duplicated or foreign architectures", () => {
  const empty = copy("el-9");
  empty.architectures = [];
  refused([empty], ".architectures");
  const dup = copy("el-9");
  dup.architectures = ["x86_64", "x86_64"];
  refused([dup], ".architectures[1]");
  const dpkgNameInRpm = copy("el-9");
  dpkgNameInRpm.architectures = ["x86_64", "amd64"];
  refused([dpkgNameInRpm], ".architectures[1]");
  const rpmNameInDeb = copy("debian-12");
  rpmNameInDeb.architectures = ["aarch64"];
  refused([rpmNameInDeb], ".architectures[0]");
  const apkNameInPacman = copy("arch");
  apkNameInPacman.architectures = ["armv7"];
  refused([apkNameInPacman], ".architectures[0]");
  const notList = copy("arch");
  notList.architectures = "x86_64";
  refused([notList], ".architectures");
});

test("rpm paths: exactly two segments, no '.' or '..', lowercase", () => {
  for (const path of [
    "el",
    "el/9/x86_64",
    "../9",
    "el/..",
    "./9",
    "el/.",
    "/el/9",
    "el/9/",
    "EL/9",
    "el//9",
    "el\\9",
  ]) {
    const t = copy("el-9");
    t.layout = { path };
    refused([t], ".layout.path");
  }
});

test("layouts of another family, extra fields, bad suite and branch names", () => {
  const wrongFamily = copy("el-9");
  wrongFamily.layout = { suite: "bookworm", component: "main" };
  const found = problems([wrongFamily]);
  assert.deepEqual(found.map((p) => p.field.replace(/^.*\.layout/, "layout")).sort(), [
    "layout.component",
    "layout.path",
    "layout.suite",
  ]);
  const suite = copy("debian-12");
  suite.layout = { suite: "Bookworm", component: "main" };
  refused([suite], ".layout.suite");
  const component = copy("debian-12");
  component.layout = { suite: "bookworm", component: "" };
  refused([component], ".layout.component");
  const branch = copy("alpine-3.21");
  branch.layout = { branch: "3.21" };
  refused([branch], ".layout.branch");
  const repo = copy("arch");
  repo.layout = { repo: ".." };
  refused([repo], ".layout.repo");
  const missing = copy("arch");
  missing.layout = undefined as never;
  refused([missing], ".layout");
});

test("two targets at one location", () => {
  const a = copy("el-9");
  const b = copy("el-10");
  b.layout = { path: "el/9" };
  const p = refused([a, b], "catalogue[1] (el-10).layout");
  assert.match(p.expected, /el-9 has it/);
  const d = copy("debian-13");
  d.layout = { suite: "bookworm", component: "main" };
  refused([copy("debian-12"), d], ".layout");
});

test("install facts that do not fit the family", () => {
  const apt = copy("el-9");
  apt.install = { ...apt.install, manager: "apt" };
  refused([apt], ".install.manager");
  const key = copy("alpine-3.21");
  key.install = { ...key.install, keyFormat: "openpgp-armored" };
  refused([key], ".install.keyFormat");
  const noDnf = copy("el-9");
  noDnf.install = { ...noDnf.install, dnf: undefined };
  refused([noDnf], ".install.dnf");
  const dnf6 = copy("fedora-41");
  dnf6.install = { ...dnf6.install, dnf: 6 };
  refused([dnf6], ".install.dnf");
  const zypperDnf = copy("opensuse-15.6");
  zypperDnf.install = { ...zypperDnf.install, dnf: 4 };
  refused([zypperDnf], ".install.dnf");
  const releasever = copy("el-9");
  releasever.install = { ...releasever.install, releaseverInBaseUrl: "yes" };
  refused([releasever], ".install.releaseverInBaseUrl");
  const verifier = copy("debian-12");
  verifier.install = { ...verifier.install, verifier: "gpg" };
  refused([verifier], ".install.verifier");
  const extra = copy("debian-12");
  extra.install = { ...extra.install, dnf: 4 };
  refused([extra], ".install.dnf");
});

test("key algorithms: known ones, not empty, RSA only for Alpine's PEM keys", () => {
  const eddsaApk = copy("alpine-3.21");
  eddsaApk.install = { ...eddsaApk.install, keyAlgorithms: ["rsa", "eddsa"] };
  refused([eddsaApk], ".install.keyAlgorithms[1]");
  const none = copy("el-9");
  none.install = { ...none.install, keyAlgorithms: [] };
  refused([none], ".install.keyAlgorithms");
  const dsa = copy("arch");
  dsa.install = { ...dsa.install, keyAlgorithms: ["dsa"] };
  refused([dsa], ".install.keyAlgorithms[0]");
});

test("os-release values: IDs, version rules, codename, platform", () => {
  const cases: [Record<string, unknown>, string][] = [
    [{ ids: [] }, ".osRelease.ids"],
    [{ ids: ["Debian"] }, ".osRelease.ids[0]"],
    [{ ids: ["rhel"], idLike: [] }, ".osRelease.idLike"],
    [{ ids: ["rhel"], versionId: "9" }, ".osRelease.versionId"],
    [{ ids: ["rhel"], versionId: { exact: "9", series: "9" } }, ".osRelease.versionId"],
    [{ ids: ["rhel"], versionId: { prefix: "9" } }, ".osRelease.versionId"],
    [{ ids: ["rhel"], versionId: { series: "" } }, ".osRelease.versionId.series"],
    [{ ids: ["rhel"], codename: "Plow" }, ".osRelease.codename"],
    [{ ids: ["rhel"], platformId: "el9" }, ".osRelease.platformId"],
    [{ ids: ["rhel"], version: "9" }, ".osRelease.version"],
  ];
  for (const [osRelease, field] of cases) {
    const t = copy("el-9");
    t.osRelease = osRelease;
    refused([t], field);
  }
});

test("two targets no os-release can tell apart", () => {
  const twin = copy("debian-12");
  twin.id = "debian-12-bis";
  twin.layout = { suite: "bookworm-bis", component: "main" };
  const p = refused([copy("debian-12"), twin], "(debian-12-bis).osRelease");
  assert.match(p.expected, /debian-12/);
  const rolling = copy("arch");
  rolling.id = "arch-bis";
  rolling.layout = { repo: "arch-bis" };
  refused([copy("arch"), rolling], ".osRelease");
  // The same IDs with different releases are fine.
  validateCatalogue([copy("debian-12"), copy("debian-13"), copy("deb-any")]);
});

test("unknown fields, empty name, empty deprecation reason", () => {
  const extra = copy("el-9");
  extra.arch = ["x86_64"];
  refused([extra], ".arch");
  const name = copy("el-9");
  name.name = " ";
  refused([name], ".name");
  const deprecated = copy("el-9");
  deprecated.deprecated = "";
  refused([deprecated], ".deprecated");
});

test("every problem of a list is reported at once, each with its entry", () => {
  const a = copy("el-9");
  a.architectures = [];
  a.layout = { path: "el" };
  const b = copy("debian-12");
  b.format = "apk";
  const found = problems([a, b]);
  assert.deepEqual(
    found.map((p) => p.field),
    [
      "catalogue[0] (el-9).architectures",
      "catalogue[0] (el-9).layout.path",
      "catalogue[1] (debian-12).format",
    ],
  );
});

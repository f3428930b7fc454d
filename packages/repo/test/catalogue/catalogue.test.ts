/** catalogue: the built-in data, lookups by id and family, and UNKNOWN_TARGET. */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  CATALOGUE,
  type CatalogueTarget,
  catalogueTarget,
  type Family,
  FAMILY_ARCHITECTURES,
  FAMILY_FORMAT,
  targetsOf,
  validateCatalogue,
} from "../../src/catalogue/index.ts";
import { isRepoError, type RepoError } from "../../src/errors.ts";

/** The ids the catalogue was asked to have (the brief's list). */
const REQUIRED = [
  "debian-11",
  "debian-12",
  "debian-13",
  "ubuntu-20.04",
  "ubuntu-22.04",
  "ubuntu-24.04",
  "deb-any",
  "fedora-41",
  "fedora-42",
  "el-8",
  "el-9",
  "el-10",
  "amazonlinux-2023",
  "opensuse-15.6",
  "opensuse-tumbleweed",
  "sles-15",
  "arch",
  "alpine-3.20",
  "alpine-3.21",
  "alpine-edge",
];
const FAMILIES: Family[] = ["deb", "rpm", "archlinux", "alpine"];

function unknown(id: string): RepoError {
  try {
    catalogueTarget(id);
  } catch (e) {
    assert.ok(isRepoError(e), String(e));
    assert.equal(e.code, "UNKNOWN_TARGET");
    return e;
  }
  assert.fail(`${id} was found`);
}

test("the built-in catalogue passes validation and holds every required id", () => {
  validateCatalogue(CATALOGUE);
  const ids = CATALOGUE.map((t) => t.id);
  for (const id of REQUIRED) assert.ok(ids.includes(id), id);
});

test("every id is found, as the same object", () => {
  for (const t of CATALOGUE) assert.equal(catalogueTarget(t.id), t);
});

test("targetsOf partitions the catalogue by family, in catalogue order", () => {
  const all = FAMILIES.flatMap((f) => targetsOf(f));
  assert.equal(all.length, CATALOGUE.length);
  for (const f of FAMILIES) {
    const list = targetsOf(f);
    assert.ok(list.length > 0, f);
    assert.ok(list.every((t) => t.family === f));
    assert.deepEqual(
      list.map((t) => t.id),
      CATALOGUE.filter((t) => t.family === f).map((t) => t.id),
    );
  }
  // A new array each time: callers may sort it.
  assert.notEqual(targetsOf("rpm"), targetsOf("rpm"));
  assert.throws(() => targetsOf("debian" as Family), { code: "INVALID_SETTING" });
});

test("the catalogue is frozen all the way down", () => {
  assert.ok(Object.isFrozen(CATALOGUE));
  const el9 = catalogueTarget("el-9");
  assert.ok(Object.isFrozen(el9) && Object.isFrozen(el9.layout) && Object.isFrozen(el9.architectures));
  assert.throws(() => {
    (el9.architectures as string[]).push("i386");
  }, TypeError);
});

test("the RPM-MD roots are rpm/<path>/<basearch>/ with the paths the layout expects", () => {
  const path = (id: string) => {
    const t = catalogueTarget(id);
    assert.equal(t.family, "rpm");
    return t.family === "rpm" ? t.layout.path : "";
  };
  assert.equal(path("el-9"), "el/9");
  assert.equal(path("fedora-41"), "fedora/41");
  assert.equal(path("opensuse-15.6"), "opensuse/15.6");
  assert.equal(path("amazonlinux-2023"), "amazonlinux/2023");
});

test("install facts the instructions rely on", () => {
  const rpm = (id: string) => {
    const t = catalogueTarget(id);
    assert.equal(t.family, "rpm");
    return t.install as Extract<CatalogueTarget, { family: "rpm" }>["install"];
  };
  // §3.7: $releasever on Amazon Linux 2023 is a full build version.
  assert.equal(rpm("amazonlinux-2023").releaseverInBaseUrl, false);
  assert.equal(rpm("el-9").releaseverInBaseUrl, true);
  assert.equal(rpm("fedora-41").dnf, 5);
  assert.equal(rpm("el-9").dnf, 4);
  assert.equal(rpm("opensuse-15.6").manager, "zypper");
  assert.equal(rpm("opensuse-15.6").dnf, undefined);
  // rpm 4.14 (EL 8, SUSE 15) has no EdDSA (§1.1).
  for (const id of ["el-8", "sles-15", "opensuse-15.6"]) assert.deepEqual(rpm(id).keyAlgorithms, ["rsa"]);
  const debian13 = catalogueTarget("debian-13");
  assert.ok(debian13.family === "deb" && debian13.install.verifier === "sqv");
  const alpine = catalogueTarget("alpine-3.21");
  assert.ok(alpine.family === "alpine" && alpine.install.keyFormat === "rsa-pem");
});

test("each target uses its family's format and only the family's architecture names", () => {
  for (const t of CATALOGUE) {
    assert.equal(t.format, FAMILY_FORMAT[t.family], t.id);
    for (const a of t.architectures) assert.ok(FAMILY_ARCHITECTURES[t.family].includes(a), `${t.id}: ${a}`);
  }
});

test("an unknown id names the guessed family's ids and suggests the one it seems to mean", () => {
  const cases: [string, Family, string | undefined][] = [
    ["rocky-9", "rpm", "el-9"],
    ["el9", "rpm", "el-9"],
    ["rhel-8.10", "rpm", "el-8"],
    ["opensuse-leap-15.6", "rpm", "opensuse-15.6"],
    ["debian-bookworm", "deb", "debian-12"],
    ["Debian-12", "deb", "debian-12"],
    ["ubuntu-noble", "deb", "ubuntu-24.04"],
    ["ubuntu-18.04", "deb", undefined],
    ["alpine-v3.21", "alpine", "alpine-3.21"],
    ["alpine-3.22.1", "alpine", "alpine-3.22"],
  ];
  for (const [id, family, suggestion] of cases) {
    const e = unknown(id);
    const ids = targetsOf(family).map((t) => t.id);
    assert.deepEqual(e.data.expected, ids, id);
    assert.equal(e.data.found, id);
    assert.equal(e.data.family, family, id);
    assert.equal(e.data.suggestion, suggestion, id);
    for (const known of ids) assert.ok(e.message.includes(known), `${id}: message lacks ${known}`);
    assert.ok(e.message.includes(JSON.stringify(id)), e.message);
    if (suggestion !== undefined) assert.ok(e.message.includes(`did you mean ${suggestion}?`), e.message);
  }
});

test("an unknown id with no family to guess lists every id", () => {
  for (const id of ["", "windows-11", "mac", "x"]) {
    const e = unknown(id);
    const all = CATALOGUE.map((t) => t.id);
    assert.deepEqual(e.data.expected, all, id);
    assert.equal(e.data.family, undefined);
    for (const known of all) assert.ok(e.message.includes(known), `${id}: message lacks ${known}`);
  }
});

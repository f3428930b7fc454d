/** catalogue/os-release: parsing os-release files and finding the target of a host. */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { test } from "node:test";
import {
  CATALOGUE,
  type CatalogueTarget,
  matchOsRelease,
  parseOsRelease,
} from "../../src/catalogue/index.ts";
import { matchTarget, versionMatches } from "../../src/catalogue/os-release.ts";
import { SAMPLES } from "./os-release-samples.ts";

/** This machine's /etc/os-release (Debian 12), copied when the test was written. */
const DEBIAN_12 = readFileSync(new URL("./fixtures/debian-12.os-release", import.meta.url), "utf8");

test("parseOsRelease: quotes, escapes, comments, blank and malformed lines", () => {
  const text = [
    "# a comment",
    "",
    'NAME="Some \\"Linux\\""',
    "ID=some",
    "VERSION_ID='1.0'",
    'PRETTY_NAME="cost: \\$5 \\\\ \\`x\\`"',
    '  ID_LIKE="debian ubuntu"  ',
    "not an assignment",
    "lower_case=ok",
    "BAD-KEY=x",
    "CRLF=yes\r",
  ].join("\n");
  const fields = parseOsRelease(text);
  assert.deepEqual(
    { ...fields },
    {
      NAME: 'Some "Linux"',
      ID: "some",
      VERSION_ID: "1.0",
      PRETTY_NAME: "cost: $5 \\ `x`",
      ID_LIKE: "debian ubuntu",
      lower_case: "ok",
      CRLF: "yes",
    },
  );
});

test("parseOsRelease: a __proto__ key is an ordinary key", () => {
  const fields = parseOsRelease("__proto__=x\nID=debian\n");
  assert.equal(fields.__proto__, "x");
  assert.equal(Object.getPrototypeOf(fields), null);
  assert.equal(fields.ID, "debian");
});

test("this machine's Debian 12 os-release matches debian-12, as text and as variables", () => {
  assert.equal(matchOsRelease(DEBIAN_12)?.id, "debian-12");
  assert.equal(matchOsRelease(parseOsRelease(DEBIAN_12))?.id, "debian-12");
});

test("the live /etc/os-release, when it is a catalogued distro, matches a target naming its ID", (t) => {
  // CI runs on Debian 12, which the catalogue has: there the live file must match. Elsewhere a host
  // outside the catalogue (or without the file) has nothing to check.
  const ci = process.env.CI === "true";
  if (!existsSync("/etc/os-release")) {
    assert.ok(!ci, "CI=true: /etc/os-release is missing");
    return t.skip("no /etc/os-release here");
  }
  const fields = parseOsRelease(readFileSync("/etc/os-release", "utf8"));
  const target = matchOsRelease(fields);
  if (target === undefined) {
    assert.ok(!ci, `CI=true: ${fields.ID} ${fields.VERSION_ID} is not in the catalogue`);
    return t.skip(`${fields.ID ?? "linux"} ${fields.VERSION_ID ?? ""} is not in the catalogue`);
  }
  const like = (fields.ID_LIKE ?? "").split(/\s+/);
  assert.ok(
    target.osRelease.ids.includes(fields.ID ?? "") || like.some((l) => target.osRelease.idLike?.includes(l)),
    `${target.id} does not name ${fields.ID}`,
  );
});

for (const s of SAMPLES) {
  test(`sample ${s.label} → ${s.expected ?? "no target"}`, () => {
    assert.equal(matchOsRelease(s.text)?.id, s.expected);
  });
}

test("every sample's expected target exists (a renamed id cannot pass silently)", () => {
  const ids = new Set(CATALOGUE.map((t) => t.id));
  for (const s of SAMPLES) if (s.expected !== undefined) assert.ok(ids.has(s.expected), s.expected);
});

/** The os-release a host of this target would have, built from the target's own rules. */
function hostOf(t: CatalogueTarget): Record<string, string> {
  const m = t.osRelease;
  const fields: Record<string, string> = { ID: m.ids[0]! };
  const v = m.versionId;
  if (v !== undefined)
    fields.VERSION_ID =
      "exact" in v ? v.exact : "series" in v ? `${v.series}.1` : `9.9.0${v.contains}20990101`;
  if (m.codename !== undefined) fields.VERSION_CODENAME = m.codename;
  return fields;
}

test("a host built from each target's own values matches that target and no other", () => {
  for (const t of CATALOGUE) assert.equal(matchOsRelease(hostOf(t))?.id, t.id, JSON.stringify(hostOf(t)));
});

test("each clone ID of a target is recognised with the target's release", () => {
  for (const t of CATALOGUE) {
    for (const id of t.osRelease.ids) {
      const host = { ...hostOf(t), ID: id };
      const found = matchOsRelease(host);
      // deb-any lists debian and ubuntu, whose own releases win over it.
      if (t.id === "deb-any") assert.ok(found !== undefined && found.family === "deb");
      else assert.equal(found?.id, t.id, JSON.stringify(host));
    }
  }
});

test("a derivative's VERSION_ID alone does not select a release that has a codename", () => {
  // A Mint-like host whose own version equals an Ubuntu release number but that follows another one.
  const host = { ID: "somemint", ID_LIKE: "ubuntu debian", VERSION_ID: "24.04", UBUNTU_CODENAME: "jammy" };
  assert.equal(matchOsRelease(host)?.id, "ubuntu-22.04");
  assert.equal(matchOsRelease({ ...host, UBUNTU_CODENAME: "plucky" })?.id, "deb-any");
});

test("ID and ID_LIKE are compared case-insensitively and ID defaults to linux", () => {
  assert.equal(matchOsRelease({ ID: "Debian", VERSION_ID: "12" })?.id, "debian-12");
  assert.equal(matchOsRelease({ VERSION_ID: "12" }), undefined);
  assert.equal(matchOsRelease(""), undefined);
});

test("ties go to the earlier catalogue entry", () => {
  const a = CATALOGUE.find((t) => t.id === "debian-12")!;
  const b = { ...a, id: "debian-12-copy" } as CatalogueTarget;
  assert.equal(matchTarget([a, b], DEBIAN_12)?.id, "debian-12");
  assert.equal(matchTarget([b, a], DEBIAN_12)?.id, "debian-12-copy");
});

test("versionMatches: exact, series (numbers only after the series), contains", () => {
  assert.ok(versionMatches({ exact: "12" }, "12"));
  assert.ok(!versionMatches({ exact: "12" }, "12.1"));
  assert.ok(versionMatches({ series: "9" }, "9"));
  assert.ok(versionMatches({ series: "9" }, "9.4"));
  assert.ok(versionMatches({ series: "3.21" }, "3.21.4"));
  assert.ok(!versionMatches({ series: "9" }, "90"));
  assert.ok(!versionMatches({ series: "9" }, "9."));
  assert.ok(!versionMatches({ series: "3.21" }, "3.21.0_alpha20240606"));
  assert.ok(versionMatches({ contains: "_alpha" }, "3.21.0_alpha20240606"));
  assert.ok(!versionMatches({ contains: "_alpha" }, "3.21.4"));
});

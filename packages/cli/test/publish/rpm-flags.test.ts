/**
 * The RPM-MD side of `packyard publish` before the engine: `--rpm-target`, `--rpm-arch`, `--rpm-zstd`,
 * `--changelog-limit`, `--base-url` and `--resign` over the `publish.rpm:` block; usage errors naming the
 * flag; the engine request (rpms passed with or without a target, each family's settings only with its
 * packages); the help; and the summary line over several roots. Nothing here publishes an rpm.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { parseArgs } from "node:util";
import { bytesSource } from "@packyard/formats";
import type { Flags } from "../../src/command.ts";
import { publishCommand } from "../../src/commands/publish.ts";
import { FORMATS, type PackageInfo, type PublishConfig } from "../../src/formats.ts";
import { findPublishConfig } from "../../src/publish-config.ts";
import { publishRequest, summaryLine } from "../../src/publish-run.ts";
import { repoSettings } from "../../src/publish-settings.ts";
import type { PublishInput, PublishResult } from "../../src/repo.ts";
import { UsageError } from "../../src/usage-error.ts";
import { runMain } from "../run-cli.ts";
import { tempDirs } from "../temp-dirs.ts";
import { KEY } from "./support.ts";

const tmp = tempDirs("packyard-rpm-flags-");

/** `packyard publish ARGS` parsed as main() parses it. */
function flags(...args: string[]): Flags {
  return parseArgs({ args, options: publishCommand.options, allowPositionals: true, strict: true })
    .values as Flags;
}

const CONFIG: PublishConfig = {
  to: "public",
  rpm: {
    targets: ["el-9"],
    architectures: ["x86_64"],
    zstd: false,
    changelogLimit: 20,
    baseUrl: "https://config.example.org/repo",
    name: "example",
    resign: false,
  },
};

test("the publish.rpm block gives the RPM-MD settings; each flag given overrides its key, the others stay", () => {
  assert.deepEqual(repoSettings(flags(), CONFIG, "publish").rpm, CONFIG.rpm);
  const over = repoSettings(
    flags(
      "--rpm-target",
      "fedora-41, opensuse-15.6",
      "--rpm-target",
      "el-10",
      "--rpm-zstd",
      "--changelog-limit",
      "3",
      "--base-url",
      "http://127.0.0.1:8080/",
      "--resign",
    ),
    CONFIG,
    "publish",
  );
  assert.deepEqual(over.rpm, {
    targets: ["fedora-41", "opensuse-15.6", "el-10"],
    architectures: ["x86_64"],
    zstd: true,
    changelogLimit: 3,
    baseUrl: "http://127.0.0.1:8080/",
    name: "example",
    resign: true,
  });
  assert.deepEqual(
    repoSettings(flags("--rpm-arch", "aarch64,ppc64le"), CONFIG, "publish").rpm.architectures,
    ["aarch64", "ppc64le"],
  );
  // The APT settings are untouched by the rpm flags, and --arch is not --rpm-arch.
  const both = repoSettings(flags("--arch", "arm64", "--rpm-arch", "aarch64"), CONFIG, "publish");
  assert.deepEqual(both.apt, { architectures: ["arm64"] });
  assert.deepEqual(both.rpm.architectures, ["aarch64"]);
});

test("target ids and architectures are passed as given: the engine checks them against its catalogue", () => {
  const s = repoSettings(
    flags("--to", "r", "--rpm-target", "nosuch-1", "--rpm-arch", "amd64"),
    undefined,
    "publish",
  );
  assert.deepEqual(s.rpm, { targets: ["nosuch-1"], architectures: ["amd64"] });
});

test("usage errors name the flag: --changelog-limit not a whole number, --base-url not an http(s) URL", () => {
  const usage = (args: string[], pattern: RegExp) =>
    assert.throws(
      () => repoSettings(flags("--to", "r", ...args), undefined, "publish"),
      (e: unknown) => {
        assert.ok(e instanceof UsageError, String(e));
        assert.match(e.message, pattern);
        return true;
      },
      args.join(" "),
    );
  assert.equal(
    repoSettings(flags("--to", "r", "--changelog-limit", "0"), undefined, "publish").rpm.changelogLimit,
    0,
  );
  for (const n of ["-1", "two", "1.5", ""]) {
    usage(
      [`--changelog-limit=${n}`],
      new RegExp(`^--changelog-limit: expected a whole number, 0 or more, found '${n.replace(".", "\\.")}'$`),
    );
  }
  for (const url of [
    "packages.example.org",
    "ftp://example.org/repo",
    "https://example.org/repo?x=1",
    "https://example.org/#top",
    "",
  ]) {
    usage(
      [`--base-url=${url}`],
      /^--base-url: expected a public http\(s\) URL without user:password@, \?query or #fragment, such as https:\/\/packages\.example\.org\/repo, found '/,
    );
  }
  // The URL goes into public files: credentials are refused, and not echoed.
  usage(["--base-url=https://me:s3cret@example.org/r"], /found 'https:\/\/…@example\.org\/r'$/);
});

test("through the command: a bad --changelog-limit is a usage error (exit 2) naming the flag", async () => {
  const cwd = tmp();
  const r = await runMain(
    ["publish", "--to", join(cwd, "repo"), "--key", KEY, "--changelog-limit", "many"],
    cwd,
    FORMATS,
    {},
  );
  assert.equal(r.status, 2, r.stderr);
  assert.match(
    r.stderr,
    /^error: --changelog-limit: expected a whole number, 0 or more, found 'many'\nSee 'packyard publish --help'\.\n$/,
  );
});

test("packyard.yml's publish.rpm block reaches the settings through the config loader", async () => {
  const cwd = tmp();
  writeFileSync(
    join(cwd, "packyard.yml"),
    "name: a\nversion: 1.0.0\narch: all\npublish:\n  to: public\n  rpm:\n    targets: [el-9, fedora-41]\n    base_url: https://packages.example.org\n    changelog_limit: 5\n",
  );
  const io = {
    out() {},
    err() {},
    env: {},
    cwd,
    debug: false,
    color: false,
    tty: false,
    formats: FORMATS,
  };
  const config = await findPublishConfig({}, io);
  assert.deepEqual(repoSettings(flags("--rpm-target", "el-8"), config, "publish").rpm, {
    targets: ["el-8"],
    baseUrl: "https://packages.example.org",
    changelogLimit: 5,
  });
});

/** A package input of `format` (the request looks at nothing else). */
function input(format: string, name: string): PublishInput {
  return {
    info: { format } as PackageInfo,
    source: bytesSource(new Uint8Array()),
    name,
  };
}

test("the engine request: rpms go with the RPM-MD settings, with no target when none is configured", () => {
  const deb = input("deb", "dist/a.deb");
  const rpm = input("rpm", "dist/a.rpm");
  const bare = repoSettings(flags("--to", "r"), undefined, "publish");
  // No target anywhere: the rpm is passed all the same (the engine uses the repository's targets or refuses).
  assert.deepEqual(publishRequest(bare, [rpm]), { add: [rpm], rpm: {}, replace: false });
  const s = repoSettings(
    flags(
      "--to",
      "r",
      "--suite",
      "testing",
      "--rpm-target",
      "el-9",
      "--keep",
      "2",
      "--grace",
      "1h",
      "--key-name",
      "ex",
    ),
    undefined,
    "publish",
  );
  const common = { replace: false, keep: 2, graceMs: 3_600_000, keyName: "ex" };
  assert.deepEqual(publishRequest(s, [deb, rpm]), {
    add: [deb, rpm],
    apt: { suite: "testing" },
    rpm: { targets: ["el-9"], name: "ex" },
    ...common,
  });
  // One family's settings do not make an empty suite or root of the other.
  assert.deepEqual(publishRequest(s, [deb]), { add: [deb], apt: { suite: "testing" }, ...common });
  assert.deepEqual(publishRequest(s, [rpm]), {
    add: [rpm],
    rpm: { targets: ["el-9"], name: "ex" },
    ...common,
  });
});

test("the help: every rpm flag and config key, targets, signing at publish, --base-url for the .repo file", () => {
  const help = publishCommand.help;
  for (const flag of [
    "--rpm-target ID",
    "--rpm-arch A",
    "--rpm-zstd",
    "--changelog-limit N",
    "--base-url URL",
    "--resign",
  ]) {
    assert.ok(help.includes(`\n      ${flag} `), flag);
  }
  for (const key of ["targets", "architectures", "zstd", "changelog_limit", "base_url", "name", "resign"]) {
    assert.match(help, new RegExp(`rpm: block with [^)]*\\b${key}\\b`), key);
  }
  assert.match(help, /el-9, fedora-44, opensuse-16\.0/);
  assert.match(help, /signed with the repository key as it is published/);
  assert.match(help, /With --base-url .* \.repo file/s);
  assert.match(publishCommand.summary, /APT, RPM-MD, pacman and Alpine/);
});

test("the summary line names every root the publish changed", () => {
  const result: PublishResult = {
    added: [
      { name: "hello", version: "1.0-1", arch: "all", component: "main" },
      { name: "hello", version: "1.0-1", arch: "noarch", target: "el-9" },
      { name: "hello", version: "1.0-1", arch: "noarch", target: "el-9" },
    ],
    unchanged: [],
    removed: [],
    changedKeys: [
      "deb/dists/stable/InRelease",
      "rpm/el/9/x86_64/repodata/repomd.xml",
      "rpm/el/9/aarch64/repodata/repomd.xml",
    ],
    deleted: [],
    written: ["rpm/pool/h/hello-1.0-1.noarch.rpm"],
    roots: ["deb/stable", "rpm/el/9/x86_64", "rpm/el/9/aarch64"],
  };
  assert.equal(
    summaryLine("published to", "public/", result),
    "published to public/ (deb/stable, rpm/el/9/x86_64, rpm/el/9/aarch64): 3 added, 0 unchanged, 0 removed; 3 files changed\n",
  );
});

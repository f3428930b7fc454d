/**
 * The settings of `packyard publish` and `packyard repo`: flags parsed (durations, counts, repeated and
 * comma-separated lists), the `publish:` block under them, flags winning; package selectors; and the
 * summary and progress lines. Pure functions: no repository is touched.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { publishCommand } from "../src/commands/publish.ts";
import { parseCommandArgs } from "../src/main.ts";
import type { Flags } from "../src/command.ts";
import type { PublishConfig } from "../src/formats.ts";
import { parseSelector, selectorText } from "../src/package-selector.ts";
import { publishProgressLine } from "../src/publish-progress.ts";
import { summaryLine } from "../src/publish-run.ts";
import { repoSettings } from "../src/publish-settings.ts";
import { UsageError } from "../src/usage-error.ts";

/** `packyard publish ARGS` parsed as main() parses it. */
function flags(...args: string[]): Flags {
  return parseCommandArgs(publishCommand, args).flags;
}

function usageError(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof UsageError, String(e));
    assert.match(e.message, pattern);
    return true;
  });
}

test("flags alone: every publish flag lands in its setting; durations in ms or seconds as the engine takes them", () => {
  const s = repoSettings(
    flags(
      "--to",
      "s3://bucket/apt",
      "--endpoint",
      "http://127.0.0.1:9000",
      "--region",
      "eu-west-1",
      "--path-style",
      "--key",
      "a.asc",
      "--key",
      "b.asc",
      "--key-name",
      "example",
      "--passphrase-env",
      "REPO_PASS",
      "--suite",
      "testing",
      "--codename",
      "trixie",
      "--component",
      "contrib",
      "--origin",
      "Example",
      "--label",
      "Example repo",
      "--arch",
      "amd64,arm64",
      "--arch",
      "i386",
      "--xz",
      "--contents",
      "--sha512",
      "--valid-for",
      "7d",
      "--change-identity",
      "--rpm-target",
      "el-9,fedora-41",
      "--rpm-target",
      "opensuse-15.6",
      "--rpm-arch",
      "x86_64",
      "--rpm-arch",
      "aarch64",
      "--rpm-zstd",
      "--changelog-limit",
      "0",
      "--base-url",
      "https://packages.example.org/repo",
      "--resign",
      "--pacman-repo",
      "example-arch",
      "--pacman-arch",
      "x86_64,aarch64",
      "--pacman-embed-signatures",
      "--apk-key",
      "apk.rsa",
      "--apk-key-name",
      "dev@example.org-1234abcd.rsa.pub",
      "--apk-target",
      "alpine-3.22",
      "--apk-target",
      "alpine-edge,alpine-3.21",
      "--apk-repo",
      "community",
      "--apk-arch",
      "aarch64",
      "--apk-description",
      "Example packages",
      "--apk-sha1",
      "--keep",
      "3",
      "--replace",
      "--grace",
      "1h30m",
      "--lock-timeout",
      "90s",
      "--no-lock",
      "--after-publish",
      "./purge.sh",
    ),
    undefined,
    "publish",
  );
  assert.deepEqual(s, {
    target: {
      to: "s3://bucket/apt",
      endpoint: "http://127.0.0.1:9000",
      region: "eu-west-1",
      pathStyle: true,
    },
    keys: ["a.asc", "b.asc"],
    keyName: "example",
    passphraseEnv: "REPO_PASS",
    apt: {
      suite: "testing",
      codename: "trixie",
      component: "contrib",
      origin: "Example",
      label: "Example repo",
      architectures: ["amd64", "arm64", "i386"],
      xz: true,
      contents: true,
      sha512: true,
      validFor: 604_800,
      changeIdentity: true,
    },
    rpm: {
      targets: ["el-9", "fedora-41", "opensuse-15.6"],
      architectures: ["x86_64", "aarch64"],
      zstd: true,
      changelogLimit: 0,
      baseUrl: "https://packages.example.org/repo",
      name: "example",
      resign: true,
    },
    archlinux: {
      repo: "example-arch",
      architectures: ["x86_64", "aarch64"],
      includeSignatures: true,
      resign: true,
    },
    alpine: {
      targets: ["alpine-3.22", "alpine-edge", "alpine-3.21"],
      repo: "community",
      architectures: ["aarch64"],
      description: "Example packages",
      legacySha1: true,
    },
    apkKey: "apk.rsa",
    apkKeyName: "dev@example.org-1234abcd.rsa.pub",
    keep: 3,
    replace: true,
    lock: false,
    lockTimeoutMs: 90_000,
    graceMs: 5_400_000,
    afterPublish: "./purge.sh",
    // --base-url is the repository's public URL: the install files and the .repo files use it.
    baseUrl: "https://packages.example.org/repo",
  });
});

test("--base-url with user:password@ is refused: the install page and .repo files are public", () => {
  assert.throws(
    () =>
      repoSettings(
        flags("--to", "repo", "--base-url", "https://u:secret@example.org/r"),
        undefined,
        "publish",
      ),
    (e: Error) => /without user:password@/.test(e.message) && !e.message.includes("secret"),
  );
});

test("the bare minimum: --to; the lock on, nothing else set", () => {
  assert.deepEqual(repoSettings(flags("--to", "repo"), undefined, "publish"), {
    target: { to: "repo" },
    keys: [],
    apt: {},
    rpm: {},
    archlinux: {},
    alpine: {},
    replace: false,
    lock: true,
  });
});

test("the publish: block gives the settings; a flag given overrides its key, the others stay", () => {
  const config: PublishConfig = {
    to: "s3://from-config/apt",
    region: "us-east-1",
    keys: ["config.secret.asc"],
    keyName: "config-key",
    suite: "stable",
    component: "main",
    architectures: ["amd64"],
    keep: 5,
    xz: true,
    validForSeconds: 86_400,
    lockTimeoutSeconds: 60,
    graceSeconds: 3600,
    afterPublish: "echo config",
  };
  const fromConfig = repoSettings(flags(), config, "publish");
  assert.deepEqual(fromConfig, {
    target: { to: "s3://from-config/apt", region: "us-east-1" },
    keys: ["config.secret.asc"],
    keyName: "config-key",
    apt: { suite: "stable", component: "main", architectures: ["amd64"], xz: true, validFor: 86_400 },
    rpm: { name: "config-key" },
    archlinux: { repo: "config-key" },
    alpine: {},
    keep: 5,
    replace: false,
    lock: true,
    lockTimeoutMs: 60_000,
    graceMs: 3_600_000,
    afterPublish: "echo config",
  });
  const over = repoSettings(
    flags(
      "--to",
      "out/repo",
      "--key",
      "flag.asc",
      "--suite",
      "testing",
      "--arch",
      "arm64",
      "--keep",
      "1",
      "--valid-for",
      "0",
      "--grace",
      "0",
      "--after-publish",
      "echo flag",
    ),
    config,
    "publish",
  );
  assert.deepEqual(over, {
    target: { to: "out/repo", region: "us-east-1" },
    keys: ["flag.asc"],
    keyName: "config-key",
    apt: { suite: "testing", component: "main", architectures: ["arm64"], xz: true, validFor: 0 },
    rpm: { name: "config-key" },
    archlinux: { repo: "config-key" },
    alpine: {},
    keep: 1,
    replace: false,
    lock: true,
    lockTimeoutMs: 60_000,
    graceMs: 0,
    afterPublish: "echo flag",
  });
});

test("usage errors name the flag: no target, bad durations and counts, three keys", () => {
  usageError(() => repoSettings(flags(), undefined, "publish"), /missing --to .*publish\.to/);
  usageError(() => repoSettings(flags(), { suite: "x" }, "publish"), /missing --to/);
  for (const [flag, value] of [
    ["--valid-for", "7"],
    ["--grace", "2 days"],
    ["--lock-timeout", "-1m"],
    ["--lock-timeout", "1.5h"],
  ] as const) {
    usageError(
      () => repoSettings(flags("--to", "r", `${flag}=${value}`), undefined, "publish"),
      new RegExp(
        `^${flag}: expected a duration such as 90s, 10m, 2h, 7d or 1h30m, found '${value.replace(".", "\\.")}'$`,
      ),
    );
  }
  for (const keep of ["0", "-1", "two", "1.5", ""]) {
    usageError(
      () => repoSettings(flags("--to", "r", `--keep=${keep}`), undefined, "publish"),
      /^--keep: expected a whole number, 1 or more/,
    );
  }
  usageError(
    () => repoSettings(flags("--to", "r", "--key", "a,b", "--key", "c"), undefined, "publish"),
    /^--key: expected one key, or two while rotating keys, found 3$/,
  );
});

test("package selectors: NAME, NAME=VERSION, NAME/ARCH, NAME=VERSION/ARCH; empty parts are usage errors", () => {
  assert.deepEqual(parseSelector("hello", "repo"), { name: "hello" });
  assert.deepEqual(parseSelector("hello=1:1.0~rc1-1", "repo"), { name: "hello", version: "1:1.0~rc1-1" });
  assert.deepEqual(parseSelector("hello/arm64", "repo", "main"), {
    name: "hello",
    arch: "arm64",
    component: "main",
  });
  assert.deepEqual(parseSelector("hello=1.0-1/all", "repo"), {
    name: "hello",
    version: "1.0-1",
    arch: "all",
  });
  assert.equal(selectorText({ name: "hello", version: "1.0-1", arch: "all" }), "hello=1.0-1/all");
  for (const bad of ["", "=1.0", "hello=", "hello/", "hello=1.0/", "/amd64", "he llo"]) {
    usageError(() => parseSelector(bad, "repo"), /expected a package as NAME, NAME=VERSION/);
  }
});

test("the summary line counts what changed; the progress line names the step, writes and bytes", () => {
  const result = {
    added: [{ name: "hello", version: "1.0-1", arch: "all", component: "main" }],
    unchanged: [],
    removed: [],
    changedKeys: ["deb/dists/stable/InRelease", "deb/dists/stable/Release"],
    deleted: ["deb/pool/main/h/hello/hello_0.9-1_all.deb"],
    written: ["deb/pool/main/h/hello/hello_1.0-1_all.deb"],
    roots: ["deb/stable"],
  };
  assert.equal(
    summaryLine("published to", "repo", result),
    "published to repo (deb/stable): 1 added, 0 unchanged, 0 removed; 2 files changed, 1 old file deleted\n",
  );
  assert.equal(
    summaryLine("published to", "repo", {
      ...result,
      added: [],
      changedKeys: [],
      deleted: [],
      written: [],
      roots: [],
    }),
    "published to repo: 0 added, 0 unchanged, 0 removed; 0 files changed (nothing to change)\n",
  );
  assert.equal(
    publishProgressLine({ step: "blobs", done: 2, total: 5, bytes: 3 * 1024 * 1024, key: "deb/pool/x.deb" }),
    "writing files           2/5  3.0 MiB written  deb/pool/x.deb",
  );
});

test("--no-NAME turns a boolean setting off over the publish: block; --no-lock keeps its meaning", () => {
  const config = {
    to: "public",
    xz: true,
    contents: true,
    sha512: true,
    rpm: { zstd: true },
  } as PublishConfig;
  const s = repoSettings(
    flags("--no-xz", "--no-contents", "--sha512", "--no-rpm-zstd", "--no-lock"),
    config,
    "publish",
  );
  assert.equal(s.apt.xz, false);
  assert.equal(s.apt.contents, false);
  assert.equal(s.apt.sha512, true);
  assert.equal(s.rpm.zstd, false);
  assert.equal(s.lock, false);
  const kept = repoSettings(flags(), config, "publish");
  assert.equal(kept.apt.xz, true, "without the flag the config stands");
  usageError(() => flags("--no-to", "x"), /--no-to/);
  usageError(() => flags("--no-help"), /unknown option '--no-help'/);
});

test("the .repo name: publish.rpm.name, else the key name, else the project's name", () => {
  assert.equal(repoSettings(flags("--to", "r"), undefined, "publish", "hello").rpm.name, "hello");
  assert.equal(
    repoSettings(flags("--to", "r", "--key-name", "acme"), undefined, "publish", "hello").rpm.name,
    "acme",
  );
  const config = { keyName: "k", rpm: { name: "n" } } as PublishConfig;
  assert.equal(repoSettings(flags("--to", "r"), config, "publish", "hello").rpm.name, "n");
  assert.equal(repoSettings(flags("--to", "r"), undefined, "publish").rpm.name, undefined);
});

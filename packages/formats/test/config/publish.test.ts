// The `publish:` block: every key read into PublishConfig, durations in seconds, $VAR expanded, and one
// exact error code and field per kind of bad input; and the duration grammar it shares with the CLI.
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseDuration } from "../../src/config/duration.ts";
import { loadConfig } from "../../src/config/load.ts";
import { configJsonSchema } from "../../src/config/schema.ts";
import { SpecError } from "../../src/errors.ts";
import { FAKE_FORMATS } from "./fake-format.ts";

interface JsonSchemaNode {
  description?: string;
  pattern?: string;
  additionalProperties?: boolean;
  items?: JsonSchemaNode;
  properties?: Record<string, JsonSchemaNode>;
}

const HEAD = "name: app\nversion: 1.0.0\narch: amd64\n";
const load = (body: string, env: Record<string, string> = {}) =>
  loadConfig({ text: HEAD + body, path: "packyard.yml", baseDir: "/tmp", env, formats: FAKE_FORMATS });

test("durations: units s m h d w, parts from the largest down, a bare 0; anything else is undefined", () => {
  const cases: [string, number | undefined][] = [
    ["90s", 90],
    ["10m", 600],
    ["2h", 7200],
    ["2d", 172_800],
    ["1w", 604_800],
    ["1h30m", 5400],
    ["1D", 86_400],
    [" 7d ", 604_800],
    ["0", 0],
    ["0s", 0],
    ["300", undefined],
    ["", undefined],
    ["10", undefined],
    ["1.5h", undefined],
    ["-1d", undefined],
    ["30m1h", undefined],
    ["1m1m", undefined],
    ["10 m", undefined],
    ["5ms", undefined],
    ["1y", undefined],
    [`${"9".repeat(30)}w`, undefined],
  ];
  for (const [text, expected] of cases) assert.equal(parseDuration(text), expected, JSON.stringify(text));
});

test("publish: every key, snake_case in, camelCase out, $VAR expanded", () => {
  const c = load(
    `publish:
  to: s3://$BUCKET/repo
  endpoint: http://127.0.0.1:9000
  region: eu-west-1
  path_style: true
  key: keys/repo.secret.asc
  key_name: example
  suite: testing
  codename: trixie
  component: contrib
  origin: Example
  label: Example Repo
  architectures: [amd64, arm64]
  keep: 3
  xz: true
  contents: true
  sha512: false
  valid_for: 7d
  lock_timeout: 90s
  grace: 0
  after_publish: ./purge.sh
  rpm:
    targets: [el-9, fedora-41, opensuse-15.6]
    architectures: [x86_64, aarch64]
    zstd: true
    changelog_limit: 0
    base_url: $BASE_URL
    name: example.repo-1
    resign: false
`,
    { BUCKET: "apt-bucket", BASE_URL: "https://packages.example.org/repo" },
  );
  assert.deepEqual(c.publish, {
    to: "s3://apt-bucket/repo",
    endpoint: "http://127.0.0.1:9000",
    region: "eu-west-1",
    pathStyle: true,
    keys: ["keys/repo.secret.asc"],
    keyName: "example",
    suite: "testing",
    codename: "trixie",
    component: "contrib",
    origin: "Example",
    label: "Example Repo",
    architectures: ["amd64", "arm64"],
    keep: 3,
    xz: true,
    contents: true,
    sha512: false,
    validForSeconds: 604_800,
    lockTimeoutSeconds: 90,
    graceSeconds: 0,
    afterPublish: "./purge.sh",
    rpm: {
      targets: ["el-9", "fedora-41", "opensuse-15.6"],
      architectures: ["x86_64", "aarch64"],
      zstd: true,
      changelogLimit: 0,
      baseUrl: "https://packages.example.org/repo",
      name: "example.repo-1",
      resign: false,
    },
  });
});

test("publish: absent block leaves publish undefined; an empty one is {}; two keys while rotating", () => {
  assert.equal(load("").publish, undefined);
  assert.deepEqual(load("publish:\n").publish, undefined);
  assert.deepEqual(load("publish: {}\n").publish, {});
  assert.deepEqual(load("publish:\n  key: [old.asc, new.asc]\n").publish, { keys: ["old.asc", "new.asc"] });
  assert.deepEqual(load("publish:\n  rpm:\n").publish, {});
  assert.deepEqual(load("publish:\n  rpm: {}\n").publish, { rpm: {} });
  assert.deepEqual(load("publish:\n  rpm:\n    targets: [el-9]\n").publish, { rpm: { targets: ["el-9"] } });
  assert.deepEqual(load("publish:\n  rpm:\n    base_url: http://127.0.0.1:8080/\n").publish, {
    rpm: { baseUrl: "http://127.0.0.1:8080/" },
  });
});

test("publish: bad values are INVALID_FIELD / UNKNOWN_KEY naming the field; never under overrides", () => {
  const cases: [string, string, string][] = [
    ["publish:\n  tos: x\n", "UNKNOWN_KEY", "publish.tos"],
    ["publish:\n  valid_for: 7\n", "INVALID_FIELD", "publish.valid_for"],
    ["publish:\n  lock_timeout: soon\n", "INVALID_FIELD", "publish.lock_timeout"],
    ["publish:\n  keep: 0\n", "INVALID_FIELD", "publish.keep"],
    ["publish:\n  keep: two\n", "INVALID_FIELD", "publish.keep"],
    ["publish:\n  xz: yes please\n", "INVALID_FIELD", "publish.xz"],
    ["publish:\n  architectures: amd64\n", "INVALID_FIELD", "publish.architectures"],
    ["publish:\n  architectures: [amd64, '']\n", "INVALID_FIELD", "publish.architectures[1]"],
    ["publish:\n  key: [a, b, c]\n", "INVALID_FIELD", "publish.key"],
    ["publish:\n  to: ''\n", "INVALID_FIELD", "publish.to"],
    ["publish: s3://bucket\n", "INVALID_FIELD", "publish"],
    ["overrides:\n  deb:\n    publish:\n      to: x\n", "UNKNOWN_KEY", "overrides.deb.publish"],
    ["publish:\n  rpm: el-9\n", "INVALID_FIELD", "publish.rpm"],
    ["publish:\n  rpm:\n    target: [el-9]\n", "UNKNOWN_KEY", "publish.rpm.target"],
    ["publish:\n  rpm:\n    targets: el-9\n", "INVALID_FIELD", "publish.rpm.targets"],
    ["publish:\n  rpm:\n    targets: [el-9, EL 8]\n", "INVALID_FIELD", "publish.rpm.targets[1]"],
    ["publish:\n  rpm:\n    targets: [-9]\n", "INVALID_FIELD", "publish.rpm.targets[0]"],
    ["publish:\n  rpm:\n    targets: [9]\n", "INVALID_FIELD", "publish.rpm.targets[0]"],
    ["publish:\n  rpm:\n    architectures: x86_64\n", "INVALID_FIELD", "publish.rpm.architectures"],
    ["publish:\n  rpm:\n    architectures: [x86-64]\n", "INVALID_FIELD", "publish.rpm.architectures[0]"],
    [
      "publish:\n  rpm:\n    architectures: [x86_64, noarch]\n",
      "INVALID_FIELD",
      "publish.rpm.architectures[1]",
    ],
    ["publish:\n  rpm:\n    zstd: 'true'\n", "INVALID_FIELD", "publish.rpm.zstd"],
    ["publish:\n  rpm:\n    resign: 1\n", "INVALID_FIELD", "publish.rpm.resign"],
    ["publish:\n  rpm:\n    changelog_limit: -1\n", "INVALID_FIELD", "publish.rpm.changelog_limit"],
    ["publish:\n  rpm:\n    changelog_limit: 2.5\n", "INVALID_FIELD", "publish.rpm.changelog_limit"],
    ["publish:\n  rpm:\n    changelog_limit: '5'\n", "INVALID_FIELD", "publish.rpm.changelog_limit"],
    ["publish:\n  rpm:\n    base_url: packages.example.org\n", "INVALID_FIELD", "publish.rpm.base_url"],
    ["publish:\n  rpm:\n    base_url: ftp://example.org/repo\n", "INVALID_FIELD", "publish.rpm.base_url"],
    ["publish:\n  rpm:\n    base_url: https://example.org/?x=1\n", "INVALID_FIELD", "publish.rpm.base_url"],
    ["publish:\n  rpm:\n    base_url: ''\n", "INVALID_FIELD", "publish.rpm.base_url"],
    ["publish:\n  rpm:\n    name: my repo\n", "INVALID_FIELD", "publish.rpm.name"],
    ["publish:\n  rpm:\n    name: ../x\n", "INVALID_FIELD", "publish.rpm.name"],
  ];
  for (const [body, code, field] of cases) {
    assert.throws(
      () => load(body),
      (e: unknown) => {
        assert.ok(e instanceof SpecError, String(e));
        assert.equal(e.code, code, `${body}: ${e.message}`);
        assert.equal(e.data.field, field, `${body}: ${e.message}`);
        return true;
      },
      body,
    );
  }
});

test("the schema describes the publish block with the keys the parser takes", () => {
  const schema = configJsonSchema(FAKE_FORMATS) as {
    properties: Record<string, { properties?: Record<string, unknown>; additionalProperties?: boolean }>;
  };
  const block = schema.properties.publish;
  assert.equal(block?.additionalProperties, false);
  const keys = Object.keys(block?.properties ?? {}).sort();
  assert.deepEqual(keys, [
    "after_publish",
    "alpine",
    "apk_key",
    "architectures",
    "archlinux",
    "base_url",
    "codename",
    "component",
    "contents",
    "endpoint",
    "grace",
    "keep",
    "key",
    "key_name",
    "label",
    "lock_timeout",
    "origin",
    "path_style",
    "region",
    "rpm",
    "sha512",
    "suite",
    "to",
    "valid_for",
    "xz",
  ]);
  // Every key the schema lists is one the parser accepts.
  for (const k of keys) {
    if (["rpm", "archlinux", "alpine"].includes(k)) continue; // mappings: their keys are checked below
    const value =
      k === "keep"
        ? "1"
        : k === "base_url"
          ? "https://packages.example.org/repo"
          : k === "architectures"
            ? "[amd64]"
            : ["path_style", "xz", "contents", "sha512"].includes(k)
              ? "true"
              : ["valid_for", "lock_timeout", "grace"].includes(k)
                ? "1d"
                : "x";
    assert.doesNotThrow(() => load(`publish:\n  ${k}: ${value}\n`), k);
  }
});

test("the schema's rpm sub-block: the parser's keys, with patterns that agree with the parser", () => {
  const schema = configJsonSchema(FAKE_FORMATS) as {
    properties: { publish: { properties: { rpm: JsonSchemaNode } } };
  };
  const rpm = schema.properties.publish.properties.rpm;
  assert.equal(rpm.additionalProperties, false);
  const props = rpm.properties ?? {};
  const examples: Record<string, string> = {
    architectures: "[x86_64, aarch64]",
    base_url: "https://packages.example.org/repo",
    changelog_limit: "0",
    name: "example",
    resign: "true",
    targets: "[el-9, opensuse-15.6]",
    zstd: "true",
  };
  assert.deepEqual(Object.keys(props).sort(), Object.keys(examples));
  for (const [k, value] of Object.entries(examples)) {
    assert.ok(typeof props[k]?.description === "string", `${k} has a description`);
    assert.doesNotThrow(() => load(`publish:\n  rpm:\n    ${k}: ${value}\n`), k);
  }
  // A string the schema's pattern takes is one the parser takes, and the other way round.
  const patterns: [string, "items" | "value", string[]][] = [
    [
      "targets",
      "items",
      ["el-9", "opensuse-15.6", "opensuse-tumbleweed", "EL-9", "el 9", "-9", ".x", "el_9"],
    ],
    ["architectures", "items", ["x86_64", "aarch64", "i686", "x86-64", "X86_64"]],
    ["name", "value", ["example", "my.repo_1-x", "my repo", "../x", ".hidden"]],
    [
      "base_url",
      "value",
      [
        "https://example.org/repo",
        "HTTP://127.0.0.1:8080",
        "ftp://example.org",
        "example.org",
        "https://x/?a",
      ],
    ],
  ];
  for (const [k, where, values] of patterns) {
    const node = where === "items" ? props[k]?.items : props[k];
    assert.ok(node?.pattern !== undefined, `${k} has a pattern`);
    const re = new RegExp(node.pattern);
    for (const v of values) {
      const yaml = where === "items" ? `[${JSON.stringify(v)}]` : JSON.stringify(v);
      let parsed = true;
      try {
        load(`publish:\n  rpm:\n    ${k}: ${yaml}\n`);
      } catch {
        parsed = false;
      }
      assert.equal(re.test(v), parsed, `${k}: ${v}`);
    }
  }
});

test("the schema's archlinux and alpine sub-blocks list the keys the parser takes, and the parser checks them", () => {
  const schema = configJsonSchema(FAKE_FORMATS) as {
    properties: { publish: { properties: Record<string, JsonSchemaNode> } };
  };
  const examples: Record<string, Record<string, string>> = {
    archlinux: {
      repo: "example",
      architectures: "[x86_64, aarch64]",
      embed_signatures: "true",
      resign: "false",
    },
    alpine: {
      targets: "[alpine-3.22, alpine-edge]",
      repo: "main",
      architectures: "[x86_64]",
      description: "Example tools",
      legacy_sha1: "true",
      key_name: "dev@example.org-0badc0de.rsa.pub",
    },
  };
  for (const [block, values] of Object.entries(examples)) {
    const node = schema.properties.publish.properties[block]!;
    assert.equal(node.additionalProperties, false, block);
    assert.deepEqual(Object.keys(node.properties ?? {}).sort(), Object.keys(values).sort(), block);
    for (const [k, v] of Object.entries(values))
      assert.doesNotThrow(() => load(`publish:\n  ${block}:\n    ${k}: ${v}\n`), `${block}.${k}`);
  }
  const bad: [string, string][] = [
    ["publish:\n  archlinux:\n    repo: a/b\n", "publish.archlinux.repo"],
    ["publish:\n  archlinux:\n    architectures: [any]\n", "publish.archlinux.architectures[0]"],
    ["publish:\n  archlinux:\n    sign: true\n", "publish.archlinux.sign"],
    ["publish:\n  alpine:\n    targets: alpine-3.22\n", "publish.alpine.targets"],
    ["publish:\n  alpine:\n    key_name: a/b.rsa.pub\n", "publish.alpine.key_name"],
    ["publish:\n  alpine:\n    architectures: [noarch]\n", "publish.alpine.architectures[0]"],
    ["publish:\n  apk_key: [a]\n", "publish.apk_key"],
  ];
  for (const [body, field] of bad) {
    assert.throws(
      () => load(body),
      (e: unknown) => e instanceof SpecError && e.data.field === field,
      `${body} → ${field}`,
    );
  }
});

test("publish.base_url: a public http(s) URL; credentials are refused without echoing them", () => {
  assert.equal(
    load("publish:\n  base_url: https://packages.example.org/repo\n").publish?.baseUrl,
    "https://packages.example.org/repo",
  );
  assert.throws(
    () => load("publish:\n  base_url: https://u:secret@example.org/r\n"),
    (e: Error) => /without user:password@/.test(e.message) && !e.message.includes("secret"),
  );
});

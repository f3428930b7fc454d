// The `publish:` block: every key read into PublishConfig, durations in seconds, $VAR expanded, and one
// exact error code and field per kind of bad input; and the duration grammar it shares with the CLI.
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseDuration } from "../../src/config/duration.ts";
import { loadConfig } from "../../src/config/load.ts";
import { configJsonSchema } from "../../src/config/schema.ts";
import { SpecError } from "../../src/errors.ts";
import { FAKE_FORMATS } from "./fake-format.ts";

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
`,
    { BUCKET: "apt-bucket" },
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
  });
});

test("publish: absent block leaves publish undefined; an empty one is {}; two keys while rotating", () => {
  assert.equal(load("").publish, undefined);
  assert.deepEqual(load("publish:\n").publish, undefined);
  assert.deepEqual(load("publish: {}\n").publish, {});
  assert.deepEqual(load("publish:\n  key: [old.asc, new.asc]\n").publish, { keys: ["old.asc", "new.asc"] });
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
    "architectures",
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
    "sha512",
    "suite",
    "to",
    "valid_for",
    "xz",
  ]);
  // Every key the schema lists is one the parser accepts.
  for (const k of keys) {
    const value =
      k === "keep"
        ? "1"
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

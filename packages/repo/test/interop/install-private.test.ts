/**
 * The credential steps of a private repository, run by a real POSIX sh (dash or bash as /bin/sh) with the
 * paths moved under a temporary folder: each file is created with mode 0600 before the token is written
 * (so the placeholder's file is never readable by others), holds exactly the contents the step declares,
 * and running the step twice leaves the same file.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { needTool, run } from "@packyard/testkit/tools";
import { catalogueTarget } from "../../src/catalogue/index.ts";
import { targetSteps } from "../../src/install/steps.ts";
import { READ_TOKEN_PLACEHOLDER } from "../../src/install/types.ts";

const BASE = "https://pkgs.example.com/r/acme/main";

test("credential files: made 0600 by sh, with the declared contents, twice the same", (t) => {
  if (!needTool(t, "sh", "install")) return;
  const root = mkdtempSync(join(tmpdir(), "packyard-private-"));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const secretSteps = ["debian-12", "el-9", "opensuse-15.6"].flatMap((id) =>
    targetSteps({
      target: catalogueTarget(id),
      baseUrl: BASE,
      root: "x",
      architectures: [],
      package: "hello",
      name: "acme",
      repoName: "acme",
      openpgp: {
        name: "acme",
        fingerprints: ["0123456789ABCDEF0123456789ABCDEF01234567"],
        asc: `${BASE}/a.asc`,
        gpg: `${BASE}/a.gpg`,
      },
      private: { username: "reader", token: READ_TOKEN_PLACEHOLDER },
    }).filter((s) => s.file?.mode === "0600"),
  );
  assert.equal(secretSteps.length, 3, "apt's auth file, the .repo, zypper's credentials");
  for (const step of secretSteps) {
    // Only /etc/ paths, each a quoted word or a here-document line: moved wholesale under the root.
    const command = step.command.replaceAll("/etc/", `${root}/etc/`);
    const path = `${root}${step.file!.path}`;
    for (const round of [1, 2]) {
      run("sh", ["-c", `mkdir -p ${root}/etc/yum.repos.d && ${command}`]);
      assert.equal(statSync(path).mode & 0o777, 0o600, `${step.file!.path} round ${round}`);
      assert.equal(readFileSync(path, "utf8"), step.file!.contents, `${step.file!.path} round ${round}`);
    }
  }
});

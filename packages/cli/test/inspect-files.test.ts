/**
 * `inspect` and `sign` at the edges of the file system and of the output pipe: a reader that goes away
 * (`packyard inspect x.deb | head -1`) is not an error; a folder, a missing file or a path through a file
 * is one paragraph naming the path with an IOError code; a broken package's error starts with the file
 * name and names the member it came from.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { FORMATS } from "../src/formats.ts";
import { main } from "../src/main.ts";
import { type CliResult, isOneParagraph, LAUNCHER, REPO, runMain } from "./run-cli.ts";
import { tempDirs } from "./temp-dirs.ts";

const tmp = tempDirs("packyard-cli-files-");

const DEB = join(REPO, "fixtures/deb/foo-gzip.deb");

/**
 * Spawns the launcher and closes the read end of its stdout at once, before the CLI (still starting)
 * has written anything: every write it makes then fails with EPIPE, as under `| head -1`.
 */
function spawnWithClosedStdout(args: string[]): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [LAUNCHER, ...args], {
      env: { ...process.env, NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout.destroy();
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (s: string) => (stderr += s));
    child.on("error", reject);
    child.on("close", (status) => resolve({ status: status ?? -1, stdout: "", stderr }));
  });
}

test("a reader that closes the pipe early is not an error: exit 0, nothing on stderr (text and --json)", async () => {
  for (const args of [["inspect", DEB], ["inspect", DEB, "--json"], ["--help"]]) {
    const r = await spawnWithClosedStdout(args);
    assert.equal(r.status, 0, `${args.join(" ")}: ${r.stderr}`);
    assert.equal(r.stderr, "", args.join(" "));
  }
});

test("a stdout that fails for another reason than EPIPE is reported, exit 1", async () => {
  let stderr = "";
  const status = await main(
    ["inspect", DEB],
    { NO_COLOR: "1" },
    {
      stdout: {
        write: () => {
          throw Object.assign(new Error("EIO: i/o error, write"), { code: "EIO" });
        },
      },
      stderr: { write: (s: string) => (stderr += s) },
    },
    REPO,
    FORMATS,
  );
  assert.equal(status, 1);
  assert.ok(isOneParagraph(stderr), stderr);
  assert.match(stderr, /cannot write to stdout: EIO.*\[IOError WRITE_FAILED\]/);
});

function assertIOError(r: CliResult, code: "READ_FAILED" | "NOT_FOUND", path: string): void {
  assert.equal(r.status, 1, r.stderr);
  assert.equal(r.stdout, "");
  assert.ok(isOneParagraph(r.stderr), r.stderr);
  assert.equal(r.stderr.trimEnd().split("\n").length, 1, r.stderr);
  assert.ok(r.stderr.includes(path), `names ${path}: ${r.stderr}`);
  assert.match(r.stderr, new RegExp(`\\[IOError ${code}\\]\n$`), r.stderr);
}

test("inspect and sign on a folder, a missing file, a dangling link or a path through a file: IOError naming it", async () => {
  const cwd = tmp();
  mkdirSync(join(cwd, "pkgs"));
  writeFileSync(join(cwd, "plain.deb"), readFileSync(DEB));
  symlinkSync(join(cwd, "gone.deb"), join(cwd, "dangling.deb"));
  const cases: [string, "READ_FAILED" | "NOT_FOUND", RegExp][] = [
    ["pkgs", "READ_FAILED", /is a folder/],
    ["nope.deb", "NOT_FOUND", /no such file/],
    ["dangling.deb", "NOT_FOUND", /no such file/],
    ["plain.deb/x", "READ_FAILED", /not a folder/],
  ];
  for (const [path, code, why] of cases) {
    const inspect = await runMain(["inspect", path], cwd, FORMATS);
    assertIOError(inspect, code, path);
    assert.match(inspect.stderr, why);
    const sign = await runMain(["sign", path, "--key", "any.asc"], cwd, FORMATS);
    assertIOError(sign, code, path);
  }
  const key = await runMain(["inspect", "plain.deb", "--key", "missing.asc"], cwd, FORMATS);
  assertIOError(key, "NOT_FOUND", "missing.asc");
});

/** `DEB` with 40 bytes inside its data.tar.gz member flipped. */
function corruptData(): Uint8Array {
  const b = new Uint8Array(readFileSync(DEB));
  const at = Buffer.from(b).indexOf("data.tar.gz") + 60 + 20;
  for (let i = at; i < at + 40; i++) b[i]! ^= 0x55;
  return b;
}

test("a reader's error starts with the file name and names the member (data.tar.gz)", async () => {
  const cwd = tmp();
  writeFileSync(join(cwd, "broken.deb"), corruptData());
  const r = await runMain(["inspect", "broken.deb"], cwd, FORMATS);
  assert.equal(r.status, 1, r.stderr);
  assert.ok(isOneParagraph(r.stderr), r.stderr);
  assert.ok(r.stderr.startsWith("error: broken.deb: "), r.stderr);
  assert.match(r.stderr, /data\.tar\.gz/);
  assert.match(r.stderr, /\[FormatError CORRUPT_COMPRESSED_DATA\]\n$/);

  // A truncated package: the file is named even where the error data has no member.
  writeFileSync(join(cwd, "cut.deb"), readFileSync(DEB).subarray(0, 800));
  const cut = await runMain(["inspect", "cut.deb"], cwd, FORMATS);
  assert.ok(cut.stderr.startsWith("error: cut.deb: "), cut.stderr);
  assert.match(cut.stderr, /\[FormatError TRUNCATED\]/);

  // Bytes no format takes: named once, not twice.
  writeFileSync(join(cwd, "notes.txt"), "hello\n");
  const junk = await runMain(["inspect", "notes.txt"], cwd, FORMATS);
  assert.ok(junk.stderr.startsWith("error: notes.txt: expected a package"), junk.stderr);
  assert.equal(junk.stderr.split("notes.txt").length - 1, 1, junk.stderr);

  const sign = await runMain(
    ["sign", "cut.deb", "--key", join(REPO, "fixtures/keys/gpg-plain.secret.asc")],
    cwd,
    FORMATS,
    {
      SOURCE_DATE_EPOCH: "1700000000",
    },
  );
  assert.equal(sign.status, 1, sign.stderr);
  assert.ok(isOneParagraph(sign.stderr), sign.stderr);
  assert.ok(sign.stderr.startsWith("error: cut.deb: "), sign.stderr);
  assert.match(sign.stderr, /\[FormatError TRUNCATED\]/);
});

/**
 * Colour: the CLI colours one thing, the `error:` label on stderr (report.ts), and only when stderr is a
 * terminal, NO_COLOR is unset or empty and TERM is not "dumb" (main.ts). stdout is never coloured, so piped
 * output and --json stay plain.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { FORMATS } from "../src/formats.ts";
import { main } from "../src/main.ts";
import { REPO } from "./run-cli.ts";
import { tempDirs } from "./temp-dirs.ts";

const tmp = tempDirs("packyard-cli-color-");

const ESC = "\x1b[";
const RED_LABEL = "\x1b[1;31merror:\x1b[0m";

/** Runs main() with streams that say whether they are terminals, and exactly the given environment. */
async function runTty(
  args: string[],
  env: Record<string, string>,
  tty: boolean,
  cwd: string,
): Promise<{ status: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const status = await main(
    args,
    env,
    {
      stdout: { write: (s: string) => (stdout += s), isTTY: tty },
      stderr: { write: (s: string) => (stderr += s), isTTY: tty },
    },
    cwd,
    FORMATS,
  );
  return { status, stdout, stderr };
}

test("on a terminal without NO_COLOR the error label is red; nothing else is coloured", async () => {
  const cwd = tmp();
  const missing = await runTty(["inspect", "nope.deb"], {}, true, cwd);
  assert.equal(missing.status, 1, missing.stderr);
  assert.ok(missing.stderr.startsWith(`${RED_LABEL} `), JSON.stringify(missing.stderr));
  // exactly one escape sequence pair: the label's colour and its reset
  assert.equal(missing.stderr.split(ESC).length - 1, 2, JSON.stringify(missing.stderr));
  const usage = await runTty(["frobnicate"], {}, true, cwd);
  assert.equal(usage.status, 2);
  assert.ok(usage.stderr.startsWith(`${RED_LABEL} `), JSON.stringify(usage.stderr));
});

test("NO_COLOR with any non-empty value turns the colour off on a terminal; NO_COLOR= (empty) does not", async () => {
  const cwd = tmp();
  for (const value of ["1", "true", "0", " "]) {
    const r = await runTty(["inspect", "nope.deb"], { NO_COLOR: value }, true, cwd);
    assert.equal(r.status, 1, r.stderr);
    assert.ok(r.stderr.startsWith("error: "), `NO_COLOR=${value}: ${JSON.stringify(r.stderr)}`);
    assert.ok(!r.stderr.includes("\x1b"), `NO_COLOR=${value}: no escapes in ${JSON.stringify(r.stderr)}`);
  }
  // no-color.org: "when present and not an empty string"
  const empty = await runTty(["inspect", "nope.deb"], { NO_COLOR: "" }, true, cwd);
  assert.equal(empty.status, 1);
  assert.ok(empty.stderr.startsWith(`${RED_LABEL} `), JSON.stringify(empty.stderr));
});

test("no colour when stderr is not a terminal or TERM=dumb", async () => {
  const cwd = tmp();
  const piped = await runTty(["inspect", "nope.deb"], {}, false, cwd);
  assert.equal(piped.status, 1);
  assert.ok(
    piped.stderr.startsWith("error: ") && !piped.stderr.includes("\x1b"),
    JSON.stringify(piped.stderr),
  );
  const dumb = await runTty(["inspect", "nope.deb"], { TERM: "dumb" }, true, cwd);
  assert.ok(dumb.stderr.startsWith("error: ") && !dumb.stderr.includes("\x1b"), JSON.stringify(dumb.stderr));
});

test("stdout is never coloured, even on a terminal without NO_COLOR (help, inspect summary and --json)", async () => {
  const cwd = tmp();
  const deb = join(REPO, "fixtures/deb/foo-gzip.deb");
  for (const args of [["--help"], ["inspect", "--help"], ["inspect", deb], ["inspect", deb, "--json"]]) {
    const r = await runTty(args, {}, true, cwd);
    assert.equal(r.status, 0, `${args.join(" ")}: ${r.stderr}`);
    assert.ok(r.stdout.length > 0, args.join(" "));
    assert.ok(!r.stdout.includes("\x1b"), `${args.join(" ")}: escapes on stdout`);
    assert.equal(r.stderr, "", args.join(" "));
  }
});

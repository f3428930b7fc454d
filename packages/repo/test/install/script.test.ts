// install.sh as text: its shape, that it is deterministic, that the document's values are in it exactly
// (read back with a small POSIX sh lexer written here, not with shellQuote), and that hostile values only
// ever sit inside single quotes or one-line comments. Running it is test/interop/install-script.test.ts.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { InstallDocument, InstallTarget } from "@packyard/repo";
import { installScript } from "../../src/install/script.ts";
import { HOSTILE, sampleInstallDocument } from "@packyard/testkit/install-document";

type Region = "code" | "single" | "double" | "comment";

/**
 * Which region each character of a sh text is in. Enough sh for what install.sh holds (no here-documents
 * outside single quotes, no `$'…'`): backslash escapes, single and double quotes, `#` comments at the
 * start of a word.
 */
function regions(text: string): Region[] {
  const out: Region[] = new Array(text.length);
  let i = 0;
  let state: Region = "code";
  while (i < text.length) {
    const c = text[i]!;
    if (state === "code") {
      if (c === "\\") {
        out[i] = "code";
        out[i + 1] = "code";
        i += 2;
        continue;
      }
      if (c === "'") state = "single";
      else if (c === '"') state = "double";
      else if (c === "#" && (i === 0 || /[\s;&|()]/.test(text[i - 1]!))) state = "comment";
      out[i++] = state === "comment" ? "comment" : "code";
      continue;
    }
    if (state === "single") {
      if (c === "'") {
        out[i++] = "code";
        state = "code";
      } else out[i++] = "single";
      continue;
    }
    if (state === "double") {
      if (c === "\\") {
        out[i] = "double";
        out[i + 1] = "double";
        i += 2;
        continue;
      }
      if (c === '"') {
        out[i++] = "code";
        state = "code";
      } else out[i++] = "double";
      continue;
    }
    // comment
    if (c === "\n") {
      out[i++] = "code";
      state = "code";
    } else out[i++] = "comment";
  }
  return out;
}

/** The shell word starting at `text[start]` (plain characters, `\x`, `'…'`, no expansions), decoded. */
function readWord(text: string, start: number): string {
  let out = "";
  let i = start;
  while (i < text.length && !/[\s;&|()<>]/.test(text[i]!)) {
    const c = text[i]!;
    if (c === "'") {
      const end = text.indexOf("'", i + 1);
      assert.ok(end > i, `unterminated single quote at ${i}`);
      out += text.slice(i + 1, end);
      i = end + 1;
    } else if (c === "\\") {
      out += text[i + 1];
      i += 2;
    } else {
      assert.ok(!/[$`"*?[]/.test(c), `unquoted ${c} in a data word at ${i}: ${text.slice(start, i + 20)}`);
      out += c;
      i++;
    }
  }
  return out;
}

/** The assignments of function `name` (`  key=word` lines) and its `step 'title' 'command'` calls. */
function functionBody(script: string, name: string): { vars: Record<string, string>; steps: string[][] } {
  const start = script.indexOf(`\n${name}() {\n`);
  assert.ok(start >= 0, `no function ${name}`);
  const vars: Record<string, string> = {};
  const steps: string[][] = [];
  let i = start + name.length + 6;
  for (;;) {
    while (script[i] === " " || script[i] === "\n") i++;
    if (script[i] === "}") break;
    if (script.startsWith("step ", i)) {
      const title = readWord(script, i + 5);
      // Past the title word: skip to the line continuation, then read the command word.
      const next = script.indexOf("\\\n", i);
      let j = next + 2;
      while (script[j] === " ") j++;
      const command = readWord(script, j);
      steps.push([title, command]);
      i = skipWord(script, j);
    } else if (script.startsWith(":", i)) {
      i++;
    } else {
      const eq = script.indexOf("=", i);
      const key = script.slice(i, eq);
      assert.match(key, /^[a-z_]+$/, `odd line in ${name}: ${script.slice(i, i + 40)}`);
      vars[key] = readWord(script, eq + 1);
      i = skipWord(script, eq + 1);
    }
  }
  return { vars, steps };
}

function skipWord(text: string, start: number): number {
  let i = start;
  while (i < text.length && !/[\s;]/.test(text[i]!)) {
    if (text[i] === "'") i = text.indexOf("'", i + 1) + 1;
    else if (text[i] === "\\") i += 2;
    else i++;
  }
  return i;
}

/** The document with every string a repository supplies replaced by `f(value)`. */
function mapStrings(doc: InstallDocument, f: (s: string) => string): InstallDocument {
  const target = (t: InstallTarget): InstallTarget => ({
    ...t,
    id: f(t.id),
    name: f(t.name),
    ...(t.deprecated === undefined ? {} : { deprecated: f(t.deprecated) }),
    steps: t.steps.map((s) => ({ ...s, title: f(s.title), command: f(s.command) })),
  });
  return {
    ...doc,
    name: f(doc.name),
    description: f(doc.description ?? ""),
    baseUrl: f(doc.baseUrl),
    json: f(doc.json),
    updated: f(doc.updated),
    script: { ...doc.script, command: f(doc.script.command) },
    targets: doc.targets.map(target),
  };
}

test("install.sh has the shape users read: shebang, strict mode, one data and one steps function per target, main last", () => {
  const doc = sampleInstallDocument();
  const script = installScript(doc);
  assert.ok(script.startsWith("#!/bin/sh\n"));
  assert.match(script, /^set -eu$/m);
  assert.match(script, /^set -f$/m);
  assert.ok(script.endsWith('\nmain "$@"\n'), "main runs last, so a truncated download does nothing");
  assert.match(script, /^# {3}Repository: Hello$/m);
  assert.match(script, /^# {3}Base URL: {3}https:\/\/example\.com\/repo$/m);
  assert.match(script, /^# {3}curl -fsSL https:\/\/example\.com\/repo\/install\.sh \| sh$/m);
  assert.match(script, /^# .*Generated by packyard/m);
  assert.match(script, new RegExp(`^target_count=${doc.targets.length}$`, "m"));
  assert.equal(script.match(/^target_\d+\(\) \{$/gm)?.length, doc.targets.length);
  assert.equal(script.match(/^steps_\d+\(\) \{$/gm)?.length, doc.targets.length);
  // Never source a file, never eval, never a global trust store.
  assert.doesNotMatch(script, /\beval\b/);
  assert.doesNotMatch(script, /^\s*(\.|source)\s/m);
  assert.doesNotMatch(script, /apt-key|TrustAll|gpgcheck=0|trusted=yes/);
  // POSIX only: no bash arrays, [[, local, function keyword, $'…'.
  assert.doesNotMatch(script, /\[\[|\blocal\s|^function\s|\$'|\w+=\(/m);
});

test("install.sh is deterministic: the same document (or a copy of it) gives the same bytes", () => {
  const a = installScript(sampleInstallDocument({ rotation: true }));
  const b = installScript(structuredClone(sampleInstallDocument({ rotation: true })));
  assert.equal(a, b);
  assert.notEqual(a, installScript(sampleInstallDocument()), "the rotation's extra step shows");
});

test("each target's data and steps are embedded exactly, read back by a sh lexer", () => {
  const doc = sampleInstallDocument({ rotation: true });
  const script = installScript(doc);
  doc.targets.forEach((t, i) => {
    const data = functionBody(script, `target_${i + 1}`);
    const v = t.osRelease.versionId;
    assert.deepEqual(data.vars, {
      t_id: t.id,
      t_name: t.name,
      t_family: t.family,
      t_deprecated: t.deprecated ?? "",
      t_arches: t.architectures.join(" "),
      t_ids: t.osRelease.ids.join(" "),
      t_like: (t.osRelease.idLike ?? []).join(" "),
      t_version_rule: v === undefined ? "" : Object.keys(v)[0],
      t_version: v === undefined ? "" : Object.values(v)[0],
      t_codename: t.osRelease.codename ?? "",
      t_platform: t.osRelease.platformId ?? "",
      t_steps: String(t.steps.length),
    });
    const steps = functionBody(script, `steps_${i + 1}`).steps;
    assert.deepEqual(
      steps,
      t.steps.map((s) => [s.title, s.command]),
    );
  });
  assert.ok(
    doc.targets.some((t) => t.steps.some((s) => s.command.includes("\n"))),
    "a multi-line command is covered",
  );
});

test("hostile values only ever sit inside single quotes or one-line comments", () => {
  const other = `x'y $(touch /tmp/pwned3) \`id\` "z" \\ \n$(touch /tmp/pwned4)\n#{2}`;
  const docs = [
    sampleInstallDocument({ hostile: true }),
    mapStrings(sampleInstallDocument({ hostile: true }), (s) => `${s} ${HOSTILE}`),
    mapStrings(sampleInstallDocument(), (s) => `${s}${other}`),
  ];
  for (const doc of docs) {
    const script = installScript(doc);
    const where = regions(script);
    assert.ok(script.includes("$(touch /tmp/pwned"), "the hostile value is embedded");
    for (const needle of ["$(touch /tmp/pwned", "`touch /tmp/pwned2`", "`id`"]) {
      for (let at = script.indexOf(needle); at >= 0; at = script.indexOf(needle, at + 1))
        for (let k = at; k < at + needle.length; k++)
          assert.ok(
            where[k] === "single" || where[k] === "comment",
            `${JSON.stringify(needle)} at ${at} is in ${where[k]}: ${JSON.stringify(script.slice(at - 30, at + 30))}`,
          );
    }
    // A line break in a value never starts a line of code: every line starting with `$(` is inside quotes.
    let offset = 0;
    for (const line of script.split("\n")) {
      if (line.startsWith("$(") || line.startsWith("#{")) assert.equal(where[offset], "single");
      offset += line.length + 1;
    }
  }
});

test("values change no code: two hostile documents differ only inside single quotes and comments", () => {
  const skeleton = (script: string): string => {
    const where = regions(script);
    return [...script].filter((_, k) => where[k] === "code" || where[k] === "double").join("");
  };
  const base = sampleInstallDocument({ rotation: true });
  const a = installScript(mapStrings(base, (s) => `${s} ${HOSTILE}`));
  const b = installScript(mapStrings(base, (s) => `${s} '\n\`uname\` $(id) "" \\'`));
  assert.notEqual(a, b);
  assert.equal(skeleton(a), skeleton(b));
});

test("comments carry values on one line", () => {
  const doc = sampleInstallDocument();
  doc.name = "Two\nlines\r\u2028$(touch /tmp/pwned)";
  const script = installScript(doc);
  assert.match(script, /^# {3}Repository: Two lines {2}\$\(touch \/tmp\/pwned\)$/m);
  assert.match(script, /^repo_name='Two\nlines\r\u2028\$\(touch \/tmp\/pwned\)'$/m);
});

test("a target with no steps and a document with no targets still give a valid script", () => {
  const doc = sampleInstallDocument();
  doc.targets = [{ ...doc.targets[0]!, steps: [] }];
  const script = installScript(doc);
  assert.match(script, /^steps_1\(\) \{\n {2}:\n\}$/m);
  doc.targets = [];
  assert.match(installScript(doc), /^target_count=0$/m);
});

test("duplicate target ids and word lists with white space are refused", () => {
  const doc = sampleInstallDocument();
  doc.targets = [doc.targets[0]!, doc.targets[0]!];
  assert.throws(() => installScript(doc), {
    code: "INVALID_SETTING",
    message: /two targets have the id "debian-12"/,
  });
  const arch = sampleInstallDocument();
  arch.targets[0]!.architectures = ["amd64", "arm 64"];
  assert.throws(() => installScript(arch), { code: "INVALID_SETTING", message: /architectures .*"arm 64"/ });
  const ids = sampleInstallDocument();
  ids.targets[0]!.osRelease = { ids: [""] };
  assert.throws(() => installScript(ids), { code: "INVALID_SETTING", message: /osRelease\.ids/ });
});

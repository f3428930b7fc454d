/**
 * index.html as text (the interop test opens it in Chromium): hostile values never appear raw, every
 * attribute is double-quoted and none is an event handler or a style, the CSP carries the hashes of the
 * inline style and script (computed here independently), nothing loads from elsewhere, the commands of
 * every step are there verbatim once the five entities are decoded, and the same document gives the same
 * bytes. Node has no HTML parser: a tag lexer here reads the markup, strictly enough for this page.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";
import { escapeHtml, formatFingerprint, installPage } from "../../src/install/page.ts";
import { HOSTILE, sampleInstallDocument } from "@packyard/testkit/install-document";

const DECODE: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', "#39": "'" };

function decode(value: string): string {
  return value.replace(/&(amp|lt|gt|quot|#39);/g, (_, name: string) => DECODE[name]!);
}

interface Tag {
  name: string;
  closing: boolean;
  attributes: [string, string | undefined][];
}

const RAW_TEXT = new Set(["style", "script"]);

/**
 * The tags of `page`, read strictly: every `<` outside the style and script blocks must open a tag whose
 * attributes are bare names or `name="value"` (no single quotes, no unquoted values), every `&` must start
 * one of the five references escapeHtml writes.
 */
function lex(page: string): { tags: Tag[]; problems: string[]; blocks: Record<string, string[]> } {
  const tags: Tag[] = [];
  const problems: string[] = [];
  const blocks: Record<string, string[]> = { style: [], script: [] };
  const tag = /<(\/?)([a-zA-Z][a-zA-Z0-9]*)((?:\s+[a-zA-Z-]+(?:="[^"<>]*")?)*)\s*>/y;
  let i = page.indexOf("<html");
  assert.equal(page.slice(0, i), "<!doctype html>\n");
  while (i < page.length) {
    const c = page[i]!;
    if (c === "<") {
      tag.lastIndex = i;
      const m = tag.exec(page);
      if (m === null) {
        problems.push(`a < that opens no well-formed tag at ${i}: ${page.slice(i, i + 40)}`);
        i++;
        continue;
      }
      const [whole, closing, name, attrs = ""] = m;
      const attributes = [...attrs.matchAll(/([a-zA-Z-]+)(?:="([^"]*)")?/g)].map(
        (a) => [a[1]!, a[2]] as [string, string | undefined],
      );
      for (const [, value] of attributes)
        if (value !== undefined && /&(?!(?:amp|lt|gt|quot|#39);)/.test(value))
          problems.push(`raw & in <${name}>`);
      tags.push({ name: name!.toLowerCase(), closing: closing === "/", attributes });
      i += whole.length;
      if (closing === "" && RAW_TEXT.has(name!)) {
        const end = page.indexOf(`</${name}>`, i);
        blocks[name!]!.push(page.slice(i, end));
        i = end;
      }
    } else if (c === "&") {
      if (!/^&(?:amp|lt|gt|quot|#39);/.test(page.slice(i))) problems.push(`raw & at ${i}`);
      i++;
    } else i++;
  }
  return { tags, problems, blocks };
}

const ELEMENTS = new Set(
  "html head meta title link style body header h1 h2 h3 h4 p main section div pre code button ol ul li table thead tbody tr th td a strong span time footer script".split(
    " ",
  ),
);

test("the lexer is not a rubber stamp", () => {
  const wrap = (body: string) => `<!doctype html>\n<html>${body}</html>`;
  assert.deepEqual(lex(wrap(`<p title="a &amp; b">x</p>`)).problems, []);
  assert.notDeepEqual(lex(wrap(`<p title='a'>x</p>`)).problems, []);
  assert.notDeepEqual(lex(wrap(`<p title=a>x</p>`)).problems, []);
  assert.notDeepEqual(lex(wrap(`<p>a & b</p>`)).problems, []);
  assert.notDeepEqual(lex(wrap(`<p>a < b</p>`)).problems, []);
  assert.equal(lex(wrap(`<b>x</b>`)).tags[1]!.name, "b");
});

test("hostile values stay text: no element, attribute or raw character of theirs", () => {
  const doc = sampleInstallDocument({ hostile: true, rotation: true });
  const page = installPage(doc);
  const { tags, problems } = lex(page);
  assert.deepEqual(problems, []);
  assert.ok(!page.includes(HOSTILE), "the hostile text appears unescaped");
  assert.ok(!/<b[\s>]/i.test(page), "a <b> element appears");
  for (const t of tags) {
    assert.ok(ELEMENTS.has(t.name), `unexpected element <${t.name}>`);
    for (const [name] of t.attributes) {
      assert.ok(!/^on/i.test(name), `event handler attribute ${name} on <${t.name}>`);
      assert.notEqual(name, "style", `style attribute on <${t.name}>`);
    }
  }
  // shown where a name and a description go, escaped
  assert.ok(page.includes(`<title>Install ${escapeHtml(HOSTILE)}</title>`));
  assert.ok(page.includes(`<h1>Install ${escapeHtml(HOSTILE)}</h1>`));
  assert.ok(page.includes(`<p class="lead">${escapeHtml(HOSTILE)}</p>`));
});

test("escapeHtml writes the five references and nothing else changes", () => {
  assert.equal(
    escapeHtml(`<a href="x">Tom & 'Jerry'</a>`),
    "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;",
  );
  assert.equal(decode(escapeHtml(HOSTILE)), HOSTILE);
  assert.equal(escapeHtml("plain $(x) `y` #{z}"), "plain $(x) `y` #{z}");
});

test("a URL that is not http(s) or file: is never a link (javascript:, s3://)", () => {
  const doc = sampleInstallDocument();
  doc.script.url = "javascript:alert(1)";
  doc.json = "s3://bucket/repo/install.json";
  doc.downloads[0]!.files[0]!.url = "JavaScript:alert(2)";
  const page = installPage(doc);
  const hrefs = lex(page)
    .tags.flatMap((t) => t.attributes)
    .filter(([name]) => name === "href")
    .map(([, value]) => decode(value ?? ""));
  assert.ok(hrefs.length > 5);
  for (const href of hrefs) assert.match(href, /^(https:\/\/example\.com\/repo\/|data:,$)/, href);
  assert.ok(page.includes("<code>javascript:alert(1)</code>"));
  assert.ok(page.includes("<code>s3://bucket/repo/install.json</code>"));
});

test("the CSP allows exactly the one inline style and the one inline script, by their SHA-256", () => {
  const page = installPage(sampleInstallDocument());
  const { tags, blocks } = lex(page);
  assert.equal(blocks.style!.length, 1);
  assert.equal(blocks.script!.length, 1);
  const meta = tags.find(
    (t) =>
      t.name === "meta" &&
      t.attributes.some(([n, v]) => n === "http-equiv" && v === "Content-Security-Policy"),
  );
  assert.ok(meta !== undefined);
  const csp = decode(meta.attributes.find(([n]) => n === "content")![1]!);
  const hash = (text: string) => `'sha256-${createHash("sha256").update(text).digest("base64")}'`;
  const directives = Object.fromEntries(
    csp.split("; ").map((d) => [d.split(" ")[0], d.split(" ").slice(1).join(" ")]),
  );
  assert.deepEqual(directives, {
    "default-src": "'none'",
    "style-src": hash(blocks.style![0]!),
    "script-src": hash(blocks.script![0]!),
    "img-src": "'self' data:",
    "base-uri": "'none'",
    "form-action": "'none'",
  });
  // the meta comes before the blocks it governs
  assert.ok(page.indexOf("Content-Security-Policy") < page.indexOf("<style>"));
  // the hashes do not depend on the document (the blocks hold no value of it)
  assert.equal(
    lex(installPage(sampleInstallDocument({ hostile: true }))).blocks.script![0],
    blocks.script![0],
  );
});

test("nothing is loaded from elsewhere: no src, no stylesheet link, no url() or @import in the style", () => {
  const page = installPage(sampleInstallDocument());
  const { tags, blocks } = lex(page);
  for (const t of tags) {
    assert.ok(!t.attributes.some(([n]) => n === "src" || n === "srcset"), `<${t.name}> loads something`);
    if (t.name === "link")
      assert.deepEqual(t.attributes, [
        ["rel", "icon"],
        ["href", "data:,"],
      ]);
  }
  assert.ok(!/url\(|@import/.test(blocks.style![0]!));
  assert.ok(
    !/fetch\(|XMLHttpRequest|innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(/.test(
      blocks.script![0]!,
    ),
  );
});

test("every step's sudo command is in its code element verbatim, with a copy button naming it", () => {
  const doc = sampleInstallDocument({ rotation: true });
  const page = installPage(doc);
  const codes = new Map(
    [...page.matchAll(/<code id="([^"]+)">([^<]*)<\/code>/g)].map((m) => [m[1]!, decode(m[2]!)]),
  );
  const copied = [...page.matchAll(/data-copy="([^"]+)"/g)].map((m) => m[1]!);
  const shown: string[] = [];
  doc.targets.forEach((target, t) => {
    assert.ok(page.includes(`>${escapeHtml(target.name)}</h4>`), target.name);
    target.steps.forEach((step, s) => {
      assert.equal(codes.get(`t${t}-s${s}`), step.sudo, `${target.id} step ${s}`);
      shown.push(`t${t}-s${s}`);
    });
    assert.ok(copied.includes(target.steps.map((_, s) => `t${t}-s${s}`).join(" ")), `copy all ${target.id}`);
  });
  assert.equal(codes.get("script"), doc.script.command);
  for (const id of shown) assert.ok(copied.includes(id), `a copy button for ${id}`);
  for (const ids of copied)
    for (const id of ids.split(" ")) assert.ok(codes.has(id), `data-copy names ${id}`);
  assert.ok(page.includes(escapeHtml(doc.targets[1]!.deprecated!)));
});

test("fingerprints in groups of four (both during a rotation), keys, downloads and the not-public notice", () => {
  assert.equal(
    formatFingerprint("0123456789ABCDEF0123456789ABCDEF01234567"),
    "0123 4567 89AB CDEF 0123  4567 89AB CDEF 0123 4567",
  );
  const rotating = installPage(sampleInstallDocument({ rotation: true }));
  assert.ok(rotating.includes("0123 4567 89AB CDEF 0123  4567 89AB CDEF 0123 4567"));
  assert.ok(rotating.includes("89AB CDEF 0123 4567 89AB  CDEF 0123 4567 89AB CDEF"));
  const doc = sampleInstallDocument();
  const page = installPage(doc);
  assert.ok(!page.includes("89AB CDEF 0123 4567 89AB  CDEF"));
  for (const url of [
    doc.keys.openpgp!.asc,
    doc.keys.openpgp!.gpg,
    doc.keys.apk!.url,
    doc.script.url,
    doc.json,
  ])
    assert.ok(page.includes(`href="${escapeHtml(url)}"`), url);
  const release = doc.downloads[0]!;
  for (const url of [
    release.checksums,
    release.checksumsSignature!,
    release.cask!,
    ...release.files.map((f) => f.url),
  ])
    assert.ok(page.includes(`href="${escapeHtml(url)}"`), url);
  for (const file of release.files)
    assert.ok(page.includes(file.sha256) && page.includes(`(${file.size} bytes)`));
  assert.ok(page.includes("sha256sum -c") && page.includes("gpg --verify SHA256SUMS.asc SHA256SUMS"));
  assert.ok(page.includes("rpm -K") && page.includes("pacman-key --verify"));
  assert.ok(!page.includes('id="not-public"'));
  const local = installPage({ ...sampleInstallDocument({ base: "file:///srv/repo" }), public: false });
  assert.ok(local.includes('id="not-public"') && local.includes("<code>file:///srv/repo</code>"));
});

test("one tab per family served, in a fixed order, each controlling its section", () => {
  const doc = sampleInstallDocument();
  const tabs = (page: string) => [
    ...page.matchAll(/<button type="button" id="tab-(\w+)" aria-controls="(\w+)">/g),
  ];
  const all = tabs(installPage(doc));
  assert.deepEqual(
    all.map((m) => m[1]),
    ["deb", "rpm", "archlinux", "alpine", "downloads"],
  );
  for (const m of all) assert.equal(m[1], m[2]);
  const some = { ...doc, targets: doc.targets.filter((t) => t.family === "alpine"), downloads: [] };
  const page = installPage(some);
  assert.deepEqual(
    tabs(page).map((m) => m[1]),
    ["alpine"],
  );
  assert.ok(!page.includes("sha256sum -c") && !page.includes("rpm -K"));
});

test("deterministic: equal documents give equal bytes", () => {
  const a = installPage(sampleInstallDocument({ rotation: true }));
  const b = installPage(sampleInstallDocument({ rotation: true }));
  assert.equal(a, b);
  assert.notEqual(a, installPage(sampleInstallDocument()));
});

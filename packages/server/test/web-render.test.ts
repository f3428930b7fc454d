// The web rendering base and the public install page, without a browser (issue 21 items 1 and 4): the
// renderer escapes hostile text in text and attributes, data islands cannot close their script element,
// dangerouslySetInnerHTML lives in web/html.ts only, Layout has its landmarks; on the app (both databases):
// the pages' CSP header, the static files' ETag and 304, and /p/<project> for a project publishing deb, rpm,
// pacman and apk packages — one section per family, each block's text the document's steps, fingerprints
// grouped by four, hostile display name and package summary escaped, the repository files byte for byte,
// the static page's CSP header from its own <meta>, and 404 pages for unknown and private projects.
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import type { InstallDocument } from "@packyard/repo";
import { html, jsonIsland, renderPage } from "../src/web/html.ts";
import { blockId, blockText, groupFingerprint } from "../src/web/install-page.ts";
import { Layout } from "../src/web/layout.ts";
import { PAGE_CSP_DIRECTIVES } from "../src/web/security.ts";
import { bearer, secretsNeverLeak } from "./app-harness.ts";
import { eachDb } from "./dbs.ts";
import { examplePackage, repoSetup, uploadArtifact } from "./repos-support.ts";

const HOSTILE = [
  `<script>window.__pwned=1</script>`,
  `"><img src=x onerror="window.__pwned=2">`,
  `</script>`,
];
const ATTACK = HOSTILE.join(" ");

/** Text of HTML with the five references the renderer writes decoded (an independent small decoder). */
function decode(text: string): string {
  return text
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, "&");
}

/** Whether a tag of `page` carries an inline event handler or style (attribute values removed first). */
function inlineCode(page: string): boolean {
  return /<[a-z][^>]*\s(on[a-z]+|style)=/i.test(page.replace(/"[^"]*"/g, '""'));
}

/** The tags of an HTML string, by name (lowercase), counted. */
function tagCount(page: string, name: string): number {
  return (page.match(new RegExp(`<${name}[\\s/>]`, "gi")) ?? []).length;
}

test("text and attribute values are escaped by the renderer: no element or attribute of theirs", () => {
  for (const value of HOSTILE) {
    const out = renderPage(html`<div><p title=${value} data-x=${value}>${value}</p></div>`);
    assert.equal(tagCount(out, "script"), 0, out);
    assert.equal(tagCount(out, "img"), 0, out);
    // attribute values stay inside their double quotes: the only quotes are the attributes' own
    const attrs = /<p title="([^"]*)" data-x="([^"]*)">(.*)<\/p>/.exec(out);
    assert.ok(attrs !== null, out);
    assert.equal(decode(attrs[1]!), value);
    assert.equal(decode(attrs[2]!), value);
    assert.equal(decode(attrs[3]!), value);
  }
  assert.equal(
    renderPage(html`<p title=${'"><img onerror=x>'}>${"<script>"}</p>`),
    '<!doctype html><p title="&quot;>&lt;img onerror=x>">&lt;script></p>',
  );
});

test("jsonIsland: JSON type, < > & escaped, parses back to the same value, cannot close its element", () => {
  const data = { name: ATTACK, n: 7, list: ["</script><script>x</script>", "a&b", "\u2028"] };
  const out = renderPage(jsonIsland("island", data));
  const m = /^<!doctype html><script type="application\/json" id="island">(.*)<\/script>$/s.exec(out);
  assert.ok(m !== null, out);
  assert.doesNotMatch(m[1]!, /[<>&]/, "no raw <, > or & inside the island");
  assert.match(m[1]!, /\\u003c\/script\\u003e/);
  assert.deepEqual(JSON.parse(m[1]!), data);
  assert.equal(tagCount(out, "script"), 1);
  assert.equal(
    renderPage(jsonIsland("u", undefined)),
    '<!doctype html><script type="application/json" id="u">null</script>',
  );
});

test("dangerouslySetInnerHTML appears in packages/server/src/web/html.ts only", () => {
  const root = new URL("../../", import.meta.url).pathname;
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (name === "node_modules" || name === "dist") continue;
      if (statSync(path).isDirectory()) walk(path);
      else if (
        /\.(ts|js|mjs|tsx|jsx)$/.test(name) &&
        readFileSync(path, "utf8").includes("dangerouslySetInnerHTML")
      )
        found.push(path.slice(root.length));
    }
  };
  for (const pkg of readdirSync(root)) {
    const src = join(root, pkg, "src");
    if (statSync(join(root, pkg)).isDirectory() && readdirSync(join(root, pkg)).includes("src")) walk(src);
  }
  assert.deepEqual(found, ["server/src/web/html.ts"]);
});

test("Layout: lang, title, stylesheet and module script, skip link, header/nav/main/footer, sign-out form", () => {
  const out = renderPage(
    html`<${Layout}
      title=${ATTACK}
      user=${{ slug: "ada", isAdmin: true }}
      csrfToken="tok-123"
      nav=${[
        { href: "/projects", label: "Projects", current: true },
        { href: "/settings", label: "Settings" },
      ]}
      ><p>${ATTACK}</p><//
    >`,
  );
  assert.match(out, /^<!doctype html><html lang="en"><head>/);
  assert.match(out, /<meta charset="utf-8"\/>/);
  assert.match(out, /<meta name="viewport" content="width=device-width, initial-scale=1"\/>/);
  const title = /<title>(.*)<\/title>/.exec(out);
  assert.equal(decode(title![1]!), `${ATTACK} · packyard`);
  assert.match(out, /<link rel="stylesheet" href="\/static\/style.css"\/>/);
  assert.match(out, /<script type="module" src="\/static\/app.js"><\/script>/);
  assert.equal(tagCount(out, "script"), 1, "the module script only");
  assert.equal(tagCount(out, "img"), 0);
  assert.equal(inlineCode(out), false, "no inline event handler or style");
  assert.equal(inlineCode('<p class="a" onclick="x">'), true, "the check finds one");
  assert.match(out, /<body><a class="skip-link" href="#main">Skip to content<\/a><header/);
  assert.equal(tagCount(out, "header"), 1);
  assert.equal(tagCount(out, "footer"), 1);
  assert.match(out, /<nav aria-label="Main">/);
  assert.match(out, /<a href="\/projects" aria-current="page">Projects<\/a>/);
  assert.match(out, /<a href="\/settings">Settings<\/a>/);
  assert.match(out, /<main id="main" tabindex="-1"><p>/);
  assert.match(out, /<a class="site-name" href="\/">packyard<\/a>/);
  assert.match(
    out,
    /<button type="button" class="theme-toggle" data-theme-toggle aria-pressed="false" hidden>/,
  );
  assert.match(
    out,
    /<form method="post" action="\/sign-out" class="sign-out"><input type="hidden" name="_csrf" value="tok-123"\/><button type="submit">Sign out<\/button><\/form>/,
  );
  assert.match(out, /Signed in as <strong>ada<\/strong>/);
  assert.match(out, /aria-live="polite"/);
  const publicPage = renderPage(html`<${Layout} title="Hi"><p>x</p><//>`);
  assert.doesNotMatch(publicPage, /sign-out|_csrf|Signed in/);
});

test("groupFingerprint: groups of four", () => {
  assert.equal(groupFingerprint("0123456789abcdef0123"), "0123 4567 89AB CDEF 0123");
});

/** The CSP header value the pages get, written out by hand from the brief (not from security.ts). */
const EXPECTED_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "script-src-attr 'none'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join(";");

eachDb((_kind, fresh) => {
  test("static files, CSP header, the install page of a deb+rpm+pacman+apk project, its files, 404 pages", async (t) => {
    assert.equal(Object.keys(PAGE_CSP_DIRECTIVES).length, 12);
    const s = await repoSetup(t, fresh, { publicUrl: "https://pkgs.example.org" });
    if (s === undefined) return;
    const { h } = s;

    // Static files: type, cache-control, ETag from the bytes, 304 for a matching If-None-Match.
    for (const [name, type] of [
      ["app.js", "text/javascript; charset=utf-8"],
      ["style.css", "text/css; charset=utf-8"],
    ] as const) {
      const r = await h.request({ method: "GET", url: `/static/${name}` });
      assert.equal(r.statusCode, 200);
      assert.equal(r.headers["content-type"], type);
      assert.equal(r.headers["cache-control"], "public, max-age=300");
      const bytes = readFileSync(new URL(`../src/web/static/${name}`, import.meta.url));
      assert.deepEqual(r.rawPayload, bytes);
      const etag = String(r.headers.etag);
      assert.match(etag, /^"[A-Za-z0-9_-]{20,}"$/);
      const again = await h.request({
        method: "GET",
        url: `/static/${name}`,
        headers: { "if-none-match": etag },
      });
      assert.equal(again.statusCode, 304);
      assert.equal(again.body, "");
      const other = await h.request({
        method: "GET",
        url: `/static/${name}`,
        headers: { "if-none-match": '"x"' },
      });
      assert.equal(other.statusCode, 200);
    }
    const etags = new Set<string>();
    for (const name of ["app.js", "style.css"])
      etags.add(String((await h.request({ method: "GET", url: `/static/${name}` })).headers.etag));
    assert.equal(etags.size, 2, "different files, different ETags");

    // An unknown project: the Layout-framed 404 page, with the pages' headers.
    const missing = await h.request({ method: "GET", url: "/p/nope" });
    assert.equal(missing.statusCode, 404);
    assert.equal(missing.headers["content-type"], "text/html; charset=utf-8");
    assert.equal(missing.headers["content-security-policy"], EXPECTED_CSP);
    assert.equal(missing.headers["x-frame-options"], "SAMEORIGIN");
    assert.equal(missing.headers["x-content-type-options"], "nosniff");
    assert.match(missing.body, /^<!doctype html><html lang="en">/);
    assert.match(missing.body, /<main id="main"[^>]*><h1>No install page here<\/h1>/);
    const hostileSlug = await h.request({ method: "GET", url: `/p/${encodeURIComponent(ATTACK)}` });
    assert.equal(hostileSlug.statusCode, 404);
    assert.equal(tagCount(hostileSlug.body, "img"), 0);
    assert.equal(tagCount(hostileSlug.body, "script"), 1);
    // The API is not under the pages' policy.
    const api = await h.request({ method: "GET", url: "/api/v1/projects", headers: bearer(s.owner) });
    assert.equal(api.headers["content-security-policy"], undefined);

    // Nothing published yet: 404 too.
    assert.equal((await h.request({ method: "GET", url: "/p/demo" })).statusCode, 404);

    // A project publishing the four families, with a hostile display name and package summary.
    await h.db.query("UPDATE projects SET display_name = $1 WHERE slug = 'demo'", [ATTACK]);
    const summary = `${HOSTILE[0]} ${HOSTILE[1]}`;
    for (const format of ["deb", "rpm", "archlinux", "apk"] as const)
      await uploadArtifact(s, "1.0.0", await examplePackage(format, { summary }));
    const settings = await h.request({
      method: "PUT",
      url: `${s.base}/repository`,
      headers: bearer(s.owner),
      payload: {
        apt: { suite: "stable" },
        rpm: { targets: ["el-9", "opensuse-15.6"] },
        archlinux: {},
        alpine: { targets: ["alpine-3.22"] },
      },
    });
    assert.equal(settings.statusCode, 200, settings.body);
    const pub = await h.request({
      method: "POST",
      url: `${s.base}/repository/publish`,
      headers: bearer(s.maintainer),
      payload: { add: [{ package: "hello", version: "1.0.0" }] },
    });
    assert.equal(pub.statusCode, 200, pub.body);

    const page = await h.request({ method: "GET", url: "/p/demo" });
    assert.equal(page.statusCode, 200, page.body);
    assert.equal(page.headers["content-type"], "text/html; charset=utf-8");
    assert.equal(page.headers["content-security-policy"], EXPECTED_CSP);
    const body = page.body;
    assert.equal(tagCount(body, "script"), 1, "the module script only");
    assert.equal(tagCount(body, "img"), 1, "the badge only");
    assert.match(body, /<img src="\/p\/demo\/badge.svg" alt="[^"]*"\/>/);
    assert.equal(inlineCode(body), false);
    assert.equal(decode(/<h1>(.*?)<\/h1>/.exec(body)![1]!), `Install ${ATTACK}`);

    const json = await h.request({ method: "GET", url: "/p/demo/install.json" });
    assert.equal(json.statusCode, 200);
    const doc = JSON.parse(json.body) as InstallDocument;
    const stored = await h.storage.get("repos/demo/main/install.json");
    assert.ok(stored !== undefined);

    // One section per family present, in order, each target's block the document's steps.
    const sections = [...body.matchAll(/<h2 id="family-([a-z]+)">([^<]*)<\/h2>/g)].map((m) => m[1]);
    assert.deepEqual(sections, ["debian", "fedora", "opensuse", "arch", "alpine"]);
    assert.ok(doc.targets.length >= 5, doc.targets.map((x) => x.id).join(", "));
    for (const target of doc.targets) {
      const code = new RegExp(`<code id="${blockId(target)}">([^<]*)</code>`).exec(body);
      assert.ok(code !== null, `${target.id} block`);
      const expected = target.steps.map((step) => step.sudo).join("\n");
      assert.equal(decode(code[1]!), expected, target.id);
      assert.equal(blockText(target), expected);
      assert.match(body, new RegExp(`data-copy-target="${blockId(target)}"`));
    }
    assert.match(body, /<code id="install-script">([^<]*)<\/code>/);
    assert.equal(decode(/<code id="install-script">([^<]*)<\/code>/.exec(body)![1]!), doc.script.command);
    assert.match(
      doc.script.command,
      /^curl -fsSL https:\/\/pkgs\.example\.org\/r\/demo\/main\/install\.sh \| sh$/,
    );
    const fingerprint = doc.keys.openpgp!.fingerprints[0]!;
    const grouped = fingerprint.match(/.{4}/g)!.join(" ");
    assert.ok(body.includes(`<span class="fingerprint">${grouped}</span>`), `fingerprint ${grouped}`);
    assert.ok(body.includes(doc.keys.apk!.name));
    // latest versions with the hostile summary as text
    const rows = [
      ...body.matchAll(
        /<tr><td><code>hello-packyard<\/code><\/td><td>1\.0\.0[^<]*<\/td><td>([a-z]+)<\/td><td>([^<]*)<\/td><\/tr>/g,
      ),
    ];
    assert.deepEqual(rows.map((r) => r[1]).sort(), ["alpine", "archlinux", "deb", "rpm"]);
    for (const r of rows) assert.equal(decode(r[2]!), summary);

    // The repository files under /p/demo/, byte for byte, with their content types.
    for (const [name, type] of [
      ["install.sh", /^text\/x-shellscript|^text\/plain|^application\/x-sh/],
      ["install.json", /^application\/json/],
      ["badge.svg", /^image\/svg\+xml/],
      ["index.html", /^text\/html/],
    ] as const) {
      const r = await h.request({ method: "GET", url: `/p/demo/${name}` });
      assert.equal(r.statusCode, 200, name);
      assert.match(String(r.headers["content-type"]), type, name);
      const bytes = await h.storage.get(`repos/demo/main/${name}`);
      const chunks: Uint8Array[] = [];
      for await (const c of bytes!) chunks.push(c);
      assert.deepEqual(r.rawPayload, Buffer.concat(chunks), name);
      if (name === "badge.svg") assert.equal(r.headers["cache-control"], "max-age=60");
    }
    // part 4's static page: the header policy is its own <meta> policy (hashes) and no framing
    const index = await h.request({ method: "GET", url: "/p/demo/index.html" });
    const meta = /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(index.body);
    assert.ok(meta !== null);
    const csp = String(index.headers["content-security-policy"]);
    assert.equal(csp, `${decode(meta[1]!)}; frame-ancestors 'none'`);
    assert.match(csp, /script-src 'sha256-[A-Za-z0-9+/=]+'/);

    // A private repository: the same 404 as an unknown project, its files too.
    const priv = await h.request({
      method: "PUT",
      url: `${s.base}/repository`,
      headers: bearer(s.owner),
      payload: {
        private: true,
        apt: { suite: "stable" },
        rpm: { targets: ["el-9", "opensuse-15.6"] },
        archlinux: {},
        alpine: { targets: ["alpine-3.22"] },
      },
    });
    assert.equal(priv.statusCode, 200, priv.body);
    for (const path of ["/p/demo", "/p/demo/install.sh", "/p/demo/badge.svg"]) {
      const r = await h.request({ method: "GET", url: path });
      assert.equal(r.statusCode, 404, path);
      assert.match(r.body, /No install page here/, path);
    }
  });
});

test("secrets never leak", () => secretsNeverLeak());

/**
 * The install page (`index.html` at the repository root): one static HTML file made from the install
 * document, that works from any static host and from `file:` with no server and no network.
 *
 * - Every value from the document goes through {@link escapeHtml}, in text and in (always double-quoted)
 *   attributes; a URL becomes a link only when it is http(s) or file:, else it is shown as text.
 * - The one `<style>` and the one `<script>` are constants; the page's `<meta>` Content-Security-Policy
 *   carries their SHA-256 hashes, so the page also works under the server's strict CSP, and no inline
 *   event handler or style attribute exists.
 * - Progressive enhancement: without JavaScript every family's section is shown one after another and the
 *   copy buttons stay hidden; the script turns the sections into WAI-ARIA tabs (arrow keys, Home, End)
 *   and shows the copy buttons, which copy the text of the code elements they name.
 * - Deterministic: the same document gives the same bytes (no clock, no random ids).
 */
import { createHash } from "node:crypto";
import type { Family } from "../catalogue/target.ts";
import { shellQuote } from "./shell.ts";
import type { DownloadRelease, InstallDocument, InstallStep, InstallTarget } from "./types.ts";

/**
 * `value` safe in HTML text and in a quoted attribute value: `&`, `<`, `>`, `"` and `'` as character
 * references.
 *
 * @example escapeHtml(`<b title="x">`) // &lt;b title=&quot;x&quot;&gt;
 */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

const ENTITIES: Readonly<Record<string, string>> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/** The page's stylesheet: CSS variables for the light and the dark scheme (colours meet WCAG AA in both). */
export const PAGE_STYLE = `
:root {
  color-scheme: light dark;
  --bg: #ffffff; --text: #1f2328; --muted: #59636e; --link: #0550ae; --border: #d1d9e0;
  --code-bg: #f3f5f7; --button-bg: #e9edf1; --button-border: #8c959f; --focus: #0969da;
  --note-bg: #fff8c5; --note-text: #3d2e00; --note-border: #d4a72c; --selected: #0969da;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0d1117; --text: #e6edf3; --muted: #9ea8b3; --link: #6cb6ff; --border: #3d444d;
    --code-bg: #161b22; --button-bg: #21262d; --button-border: #8b949e; --focus: #58a6ff;
    --note-bg: #2e2610; --note-text: #f0d98c; --note-border: #9e7c1a; --selected: #58a6ff;
  }
}
* { box-sizing: border-box; }
html { background: var(--bg); color: var(--text); }
body {
  margin: 0 auto; max-width: 62rem; padding: 1.5rem 1rem 3rem;
  font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  background: var(--bg); color: var(--text);
}
h1 { font-size: 2rem; margin: 0 0 .25rem; overflow-wrap: anywhere; }
h2 { font-size: 1.4rem; margin: 2rem 0 .75rem; }
h3 { font-size: 1.15rem; margin: 1.5rem 0 .5rem; }
h4 { font-size: 1.1rem; margin: 1.25rem 0 .5rem; }
.step { margin: 1rem 0 .25rem; font-weight: 600; }
p, li, td, th { overflow-wrap: anywhere; }
a { color: var(--link); }
a:hover { text-decoration-thickness: 2px; }
:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
.lead { font-size: 1.15rem; margin: 0 0 1rem; }
.muted { color: var(--muted); }
.note {
  background: var(--note-bg); color: var(--note-text); border: 1px solid var(--note-border);
  border-radius: 6px; padding: .75rem 1rem; margin: 1rem 0;
}
.note a { color: inherit; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; }
th, td { text-align: left; padding: .35rem .6rem; border-bottom: 1px solid var(--border); vertical-align: top; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace; font-size: .9rem; }
.command { display: flex; gap: .5rem; align-items: flex-start; margin: .25rem 0 .75rem; }
pre {
  flex: 1; margin: 0; padding: .6rem .8rem; background: var(--code-bg); color: var(--text);
  border: 1px solid var(--border); border-radius: 6px; white-space: pre-wrap; overflow-wrap: anywhere;
}
button {
  font: inherit; font-size: .9rem; color: var(--text); background: var(--button-bg);
  border: 1px solid var(--button-border); border-radius: 6px; padding: .3rem .8rem; cursor: pointer;
}
button:hover { border-color: var(--text); }
ol.steps { padding-left: 1.5rem; }
.target + .target { border-top: 1px solid var(--border); margin-top: 1.5rem; }
.fingerprint { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace; white-space: nowrap; }
.hash { font-size: .8rem; word-break: break-all; }
[role="tablist"] { display: flex; flex-wrap: wrap; gap: .25rem; border-bottom: 1px solid var(--border); margin-top: 1rem; }
[role="tab"] {
  border: 1px solid transparent; border-bottom: 3px solid transparent; border-radius: 6px 6px 0 0;
  background: transparent; padding: .5rem .9rem; font-size: 1rem;
}
[role="tab"][aria-selected="true"] { border-bottom-color: var(--selected); font-weight: 700; }
.tabs-on .family > h3 {
  position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap;
}
.visually-hidden {
  position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap;
}
footer { margin-top: 3rem; font-size: .9rem; }
`;

/**
 * The page's script: copy buttons (the text of the code elements named in `data-copy`, joined by
 * newlines, through `navigator.clipboard.writeText`, else selected for Ctrl+C) and the family tabs.
 * It reads no value from the document other than element text, and writes only text and attributes.
 */
export const PAGE_SCRIPT = `
"use strict";
(function () {
  var status = document.getElementById("status");
  function say(text) { if (status) status.textContent = text; }

  function codes(button) {
    return button.getAttribute("data-copy").split(" ").map(function (id) { return document.getElementById(id); });
  }
  function select(elements) {
    var selection = window.getSelection();
    if (!selection) return;
    var range = document.createRange();
    range.setStartBefore(elements[0]);
    range.setEndAfter(elements[elements.length - 1]);
    selection.removeAllRanges();
    selection.addRange(range);
  }
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var label = button.textContent;
    var timer = 0;
    button.hidden = false;
    button.addEventListener("click", function () {
      var elements = codes(button);
      var text = elements.map(function (e) { return e.textContent; }).join("\\n");
      function done() {
        button.textContent = "Copied";
        say("Copied to the clipboard.");
        clearTimeout(timer);
        timer = setTimeout(function () { button.textContent = label; }, 2000);
      }
      function fallback() {
        select(elements);
        say("Copying is not allowed here: the text is selected, press Ctrl+C (or Cmd+C) to copy it.");
      }
      if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(text).then(done, fallback);
      else fallback();
    });
  });

  var list = document.getElementById("tablist");
  if (!list) return;
  var tabs = Array.prototype.slice.call(list.querySelectorAll("button[aria-controls]"));
  if (tabs.length === 0) return;
  function panelOf(tab) { return document.getElementById(tab.getAttribute("aria-controls")); }
  function activate(tab, focus) {
    tabs.forEach(function (other) {
      var on = other === tab;
      other.setAttribute("aria-selected", on ? "true" : "false");
      other.tabIndex = on ? 0 : -1;
      panelOf(other).hidden = !on;
    });
    if (focus) tab.focus();
  }
  list.setAttribute("role", "tablist");
  list.setAttribute("aria-label", "Package manager");
  tabs.forEach(function (tab) {
    var panel = panelOf(tab);
    tab.setAttribute("role", "tab");
    panel.setAttribute("role", "tabpanel");
    panel.setAttribute("aria-labelledby", tab.id);
    tab.addEventListener("click", function () { activate(tab, false); });
    tab.addEventListener("keydown", function (event) {
      var i = tabs.indexOf(tab);
      var next = null;
      if (event.key === "ArrowRight") next = tabs[(i + 1) % tabs.length];
      else if (event.key === "ArrowLeft") next = tabs[(i - 1 + tabs.length) % tabs.length];
      else if (event.key === "Home") next = tabs[0];
      else if (event.key === "End") next = tabs[tabs.length - 1];
      if (next) {
        event.preventDefault();
        activate(next, true);
      }
    });
  });
  var wanted = tabs.filter(function (tab) { return "#" + tab.getAttribute("aria-controls") === location.hash; });
  activate(wanted[0] || tabs[0], false);
  list.hidden = false;
  document.documentElement.classList.add("tabs-on");
})();
`;

/** `'sha256-…'` of a CSP source expression for an inline block's exact text. */
function cspHash(text: string): string {
  return `'sha256-${createHash("sha256").update(text, "utf8").digest("base64")}'`;
}

/** The page's Content-Security-Policy: nothing but the inline style and script, by hash. */
export const PAGE_CSP = [
  "default-src 'none'",
  `style-src ${cspHash(PAGE_STYLE)}`,
  `script-src ${cspHash(PAGE_SCRIPT)}`,
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
].join("; ");

type Tab = Family | "downloads";

const TAB_LABELS: Readonly<Record<Tab, string>> = {
  deb: "Debian & Ubuntu",
  rpm: "Fedora, RHEL & SUSE",
  archlinux: "Arch Linux",
  alpine: "Alpine Linux",
  downloads: "Downloads",
};

const TAB_ORDER: readonly Tab[] = ["deb", "rpm", "archlinux", "alpine", "downloads"];

const LATEST_LABELS: Readonly<Record<Family | "download", string>> = {
  deb: "APT (.deb)",
  rpm: "RPM (.rpm)",
  archlinux: "pacman",
  alpine: "apk",
  download: "Download",
};

/** Text made safe by {@link escapeHtml}. Kept as a branded string so raw text cannot be concatenated in by mistake. */
type Html = string & { readonly __html: true };

function html(strings: TemplateStringsArray, ...values: (Html | readonly Html[])[]): Html {
  let out = strings[0]!;
  values.forEach((value, i) => {
    out += (Array.isArray(value) ? value.join("") : value) + strings[i + 1]!;
  });
  return out as Html;
}

function text(value: string | number): Html {
  return escapeHtml(String(value)) as Html;
}

/** A link when `url` is http(s) or file: (what a browser opens), else the URL as text (s3://, anything odd). */
function link(url: string, label: string = url): Html {
  if (/^(https?|file):/i.test(url)) return html`<a href="${text(url)}">${text(label)}</a>`;
  return label === url ? html`<code>${text(url)}</code>` : html`${text(label)} (<code>${text(url)}</code>)`;
}

/** A code block with its copy button; `id` names the code element the button copies. */
function command(id: string, value: string, what: string): Html {
  return html`<div class="command"><pre><code id="${text(id)}">${text(value)}</code></pre><button type="button" data-copy="${text(id)}" aria-label="${text(`Copy ${what}`)}" hidden>Copy</button></div>`;
}

/** `0123 4567 …  …` like gpg prints it: groups of four, two spaces between the halves. */
export function formatFingerprint(fingerprint: string): string {
  const groups = fingerprint.toUpperCase().match(/.{1,4}/g) ?? [];
  const half = Math.ceil(groups.length / 2);
  return groups.length === 10
    ? `${groups.slice(0, half).join(" ")}  ${groups.slice(half).join(" ")}`
    : groups.join(" ");
}

function formatSize(bytes: number): string {
  const units = ["KiB", "MiB", "GiB"];
  if (bytes < 1024) return `${bytes} bytes`;
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]} (${bytes} bytes)`;
}

function stepHtml(step: InstallStep, id: string): Html {
  return html`<li><p class="step">${text(step.title)}</p>${command(id, step.sudo, `the command: ${step.title}`)}</li>`;
}

function targetHtml(target: InstallTarget, t: number): Html {
  const ids = target.steps.map((_, s) => `t${t}-s${s}`);
  const deprecated =
    target.deprecated === undefined
      ? html``
      : html`<p class="note"><strong>Past its vendor's support:</strong> ${text(target.deprecated)}</p>`;
  const all =
    ids.length > 1
      ? html`<p><button type="button" data-copy="${text(ids.join(" "))}" aria-label="${text(`Copy all steps for ${target.name}`)}" hidden>Copy all steps</button></p>`
      : html``;
  return html`<section class="target" id="${text(`target-${t}`)}" aria-labelledby="${text(`target-${t}-name`)}">
<h4 id="${text(`target-${t}-name`)}">${text(target.name)}</h4>
${deprecated}<p class="muted">Architectures: ${text(target.architectures.join(", "))} · Package: <code>${text(target.package)}</code></p>
${all}<ol class="steps">
${target.steps.map((step, s) => stepHtml(step, ids[s]!))}
</ol>
</section>
`;
}

function downloadHtml(release: DownloadRelease): Html {
  const rows = release.files.map(
    (file) =>
      html`<tr><td>${link(file.url, file.name)}</td><td>${text(file.kind)}</td><td>${text(formatSize(file.size))}</td><td><code class="hash">${text(file.sha256)}</code></td></tr>
`,
  );
  const extra: Html[] = [html`<li>${link(release.checksums, "SHA256SUMS")}</li>`];
  if (release.checksumsSignature !== undefined)
    extra.push(html`<li>${link(release.checksumsSignature, "SHA256SUMS.asc")} (OpenPGP signature)</li>`);
  if (release.cask !== undefined)
    extra.push(
      html`<li>${link(release.cask, "Homebrew cask")} (for a tap: copy it to <code>Casks/</code>)</li>`,
    );
  return html`<section aria-label="${text(`${release.name} ${release.version}`)}">
<h4>${text(release.name)} ${text(release.version)}</h4>
<table>
<thead><tr><th scope="col">File</th><th scope="col">Kind</th><th scope="col">Size</th><th scope="col">SHA-256</th></tr></thead>
<tbody>
${rows}</tbody>
</table>
<ul>
${extra.map((item) => html`${item}\n`)}</ul>
</section>
`;
}

function keysHtml(doc: InstallDocument): Html {
  const parts: Html[] = [];
  const openpgp = doc.keys.openpgp;
  if (openpgp !== undefined) {
    const rotating = openpgp.fingerprints.length > 1;
    const fingerprints = openpgp.fingerprints.map((f, i) => {
      const label = !rotating ? "Fingerprint" : i === 0 ? "Current key (being retired)" : "New key";
      return html`<li>${text(label)}: <span class="fingerprint">${text(formatFingerprint(f))}</span></li>
`;
    });
    parts.push(html`<h3>OpenPGP (APT, RPM, pacman, downloads)</h3>
${rotating ? html`<p>The repository is changing its signing key: both keys are valid until the rotation ends, and the key files hold both.</p>\n` : html``}<ul>
${fingerprints}</ul>
<p>Key files: ${link(openpgp.asc, `${openpgp.name}.asc`)} (armored) · ${link(openpgp.gpg, `${openpgp.name}.gpg`)} (binary)</p>
`);
  }
  const apk = doc.keys.apk;
  if (apk !== undefined) {
    const rotation = doc.keys.apkRotation ?? [];
    const keyHtml = (
      k: typeof apk,
    ) => html`<p>Key file: ${link(k.url, k.name)}, installed as <code>${text(`/etc/apk/keys/${k.name}`)}</code></p>
<p>SHA-256: <code class="hash">${text(k.sha256)}</code></p>
`;
    parts.push(html`<h3>Alpine (apk)</h3>
${rotation.length > 0 ? html`<p>The repository is changing its Alpine key: the indexes are signed by each of these keys until the rotation ends; install them all.</p>\n` : html``}${[apk, ...rotation].map(keyHtml)}`);
  }
  if (parts.length === 0) return html``;
  return html`<section aria-labelledby="keys">
<h2 id="keys">Signing keys</h2>
${parts}</section>
`;
}

function verifyHtml(doc: InstallDocument, tabs: readonly Tab[]): Html {
  const items: Html[] = [];
  const openpgp = doc.keys.openpgp;
  const keyFile = openpgp === undefined ? "KEY.asc" : `${openpgp.name}.asc`;
  if (openpgp !== undefined)
    items.push(html`<li>Check that the key file holds the fingerprint${openpgp.fingerprints.length > 1 ? html`s` : html``} shown above:
${command("verify-key", `gpg --show-keys --with-fingerprint ${shellQuote(keyFile)}`, "the key check command")}</li>
`);
  if (tabs.includes("downloads")) {
    items.push(html`<li>Downloads: in the folder holding the files, <code>SHA256SUMS</code> and <code>SHA256SUMS.asc</code>, check the checksums, then the signature (after <code>gpg --import</code> of the key file):
${command("verify-sums", "sha256sum -c --ignore-missing SHA256SUMS", "the checksum command")}
${command("verify-sig", "gpg --verify SHA256SUMS.asc SHA256SUMS", "the signature command")}</li>
`);
  }
  if (tabs.includes("deb"))
    items.push(html`<li>APT: the <code>Signed-By:</code> line ties the repository to its own key file only (no global trust store); <code>apt-get update</code> refuses an index that key did not sign.</li>
`);
  if (tabs.includes("rpm"))
    items.push(html`<li>RPM: the repository file sets <code>gpgcheck=1</code> and <code>repo_gpgcheck=1</code>; check a downloaded package by hand with:
${command("verify-rpm", "rpm -K PACKAGE.rpm", "the rpm check command")}</li>
`);
  if (tabs.includes("archlinux"))
    items.push(html`<li>pacman: <code>SigLevel = Required DatabaseRequired</code> makes pacman check every package and database; check a package file by hand with:
${command("verify-pacman", "pacman-key --verify PACKAGE.pkg.tar.zst.sig", "the pacman check command")}</li>
`);
  if (tabs.includes("alpine") && doc.keys.apk !== undefined)
    items.push(html`<li>apk: compare the key file's checksum with the SHA-256 above:
${command("verify-apk", `sha256sum ${[doc.keys.apk, ...(doc.keys.apkRotation ?? [])].map((k) => shellQuote(`/etc/apk/keys/${k.name}`)).join(" ")}`, "the apk key check command")}</li>
`);
  if (items.length === 0) return html``;
  return html`<section aria-labelledby="verify">
<h2 id="verify">Verify</h2>
<ul>
${items}</ul>
</section>
`;
}

/**
 * `index.html` for `doc`: one self-contained file (inline style and script allowed by hash in its own
 * Content-Security-Policy), with the steps of every target under one tab per family, the keys, the
 * downloads, the `install.sh` one-liner and how to verify. Deterministic.
 *
 * @example await storage.put("index.html", new TextEncoder().encode(installPage(doc)));
 */
export function installPage(doc: InstallDocument): string {
  const tabs = TAB_ORDER.filter((tab) =>
    tab === "downloads" ? doc.downloads.length > 0 : doc.targets.some((t) => t.family === tab),
  );
  const notPublic = doc.public
    ? html``
    : html`<p class="note" id="not-public"><strong>Not published at a public URL yet.</strong> These instructions point at <code>${text(doc.baseUrl)}</code>, which only works where that location is reachable. Publish with a public base URL (<code>--base-url</code>) to give users instructions that work for them.</p>
`;
  const latestRows = doc.latest.map(
    (p) =>
      html`<tr><td>${text(LATEST_LABELS[p.family])}</td><td><code>${text(p.name)}</code></td><td>${text(p.version)}</td><td>${text(p.summary ?? "")}</td></tr>
`,
  );
  const latest =
    doc.latest.length === 0
      ? html``
      : html`<section aria-labelledby="latest">
<h2 id="latest">Latest versions</h2>
<table>
<thead><tr><th scope="col">Family</th><th scope="col">Package</th><th scope="col">Version</th><th scope="col">Summary</th></tr></thead>
<tbody>
${latestRows}</tbody>
</table>
</section>
`;
  const tabButtons = tabs.map(
    (tab) =>
      html`<button type="button" id="${text(`tab-${tab}`)}" aria-controls="${text(tab)}">${text(TAB_LABELS[tab])}</button>`,
  );
  const panels = tabs.map((tab) => {
    const body =
      tab === "downloads"
        ? doc.downloads.map(downloadHtml)
        : doc.targets.map((target, t) => (target.family === tab ? targetHtml(target, t) : html``));
    return html`<section class="family" id="${text(tab)}">
<h3>${text(TAB_LABELS[tab])}</h3>
${body}</section>
`;
  });
  const description =
    doc.description === undefined ? html`` : html`<p class="lead">${text(doc.description)}</p>\n`;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${text(PAGE_CSP)}">
<meta name="color-scheme" content="light dark">
<title>Install ${text(doc.name)}</title>
<link rel="icon" href="data:,">
<style>${PAGE_STYLE as Html}</style>
</head>
<body>
<header>
<h1>Install ${text(doc.name)}</h1>
${description}</header>
<main>
${notPublic}<section aria-labelledby="quick">
<h2 id="quick">Quick install</h2>
<p>The script detects your distribution, shows what it will run and asks before running it:</p>
${command("script", doc.script.command, "the install script command")}
<p class="muted">Script: ${link(doc.script.url, "install.sh")} · or follow the steps for your system below.</p>
</section>
${latest}<section aria-labelledby="systems">
<h2 id="systems">Step by step</h2>
<p class="muted">Each command is run as a user with <code>sudo</code>; as root, leave <code>sudo</code> out.</p>
<div id="tablist" hidden>${tabButtons}</div>
${panels}</section>
${keysHtml(doc)}${verifyHtml(doc, tabs)}<p id="status" class="visually-hidden" role="status" aria-live="polite"></p>
</main>
<footer class="muted">
<p>Updated <time datetime="${text(doc.updated)}">${text(doc.updated)}</time> · ${link(doc.json, "install.json")} (machine-readable) · ${link(doc.badge, "badge.svg")}</p>
</footer>
<script>${PAGE_SCRIPT as Html}</script>
</body>
</html>
`;
}

/**
 * The install page in a real browser: Debian's Chromium, driven by playwright-core, opens index.html from a
 * `file:` URL and over HTTP (127.0.0.1) and is judged on what a user gets: no console error and no CSP
 * violation (the detector is shown to see one on a tampered page), no request outside the page's folder,
 * every target's commands shown as install.json has them, every copy button putting exactly that text on
 * the clipboard, the tabs and buttons reachable from the keyboard (WAI-ARIA tabs: arrows, Home, End),
 * WCAG AA contrast in the light and the dark scheme, all sections shown without JavaScript, and hostile
 * values shown as text with no script run. Light and dark screenshots go to the OS temp folder; the
 * README's `docs/install-page.png` is rewritten only with UPDATE_SCREENSHOTS=1.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type TestContext, test } from "node:test";
import { pathToFileURL } from "node:url";
import type { InstallDocument } from "@packyard/repo";
import { serveFolder } from "@packyard/testkit/http";
import { needTool } from "@packyard/testkit/tools";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { HOSTILE, sampleInstallDocument } from "@packyard/testkit/install-document";
import { badgeFor } from "../../src/install/badge.ts";
import { installPage, PAGE_STYLE } from "../../src/install/page.ts";

const repoRoot = new URL("../../../../", import.meta.url);
const screenshot = new URL("docs/install-page.png", repoRoot);
const outputDir = join(tmpdir(), "packyard-test-output");

/** A page opened with everything it reports recorded. */
interface Opened {
  context: BrowserContext;
  page: Page;
  /** Console errors and warnings, page errors, CSP violations. */
  problems: string[];
  requests: string[];
  dialogs: string[];
}

const WATCH = `
window.__violations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__violations.push(e.violatedDirective + " " + e.blockedURI + " " + e.sample);
});
`;

async function open(
  browser: Browser,
  url: string,
  options: { origin?: string; javaScript?: boolean; colorScheme?: "light" | "dark" } = {},
): Promise<Opened> {
  const context = await browser.newContext({
    viewport: { width: 1024, height: 900 },
    javaScriptEnabled: options.javaScript ?? true,
    colorScheme: options.colorScheme ?? "light",
  });
  await context.grantPermissions(
    ["clipboard-read", "clipboard-write"],
    options.origin === undefined ? {} : { origin: options.origin },
  );
  await context.addInitScript(WATCH);
  if (options.origin !== undefined)
    // serveFolder answers every file as application/octet-stream; a static host sends text/html
    await context.route(`${options.origin}/**/*.html`, async (route) => {
      const response = await route.fetch();
      await route.fulfill({
        response,
        headers: { ...response.headers(), "content-type": "text/html; charset=utf-8" },
      });
    });
  const page = await context.newPage();
  const opened: Opened = { context, page, problems: [], requests: [], dialogs: [] };
  page.on("console", (m) => {
    if (m.type() === "error" || m.type() === "warning")
      opened.problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on("pageerror", (e) => opened.problems.push(`page error: ${e.message}`));
  page.on("request", (r) => opened.requests.push(r.url()));
  page.on("dialog", (d) => {
    opened.dialogs.push(`${d.type()}: ${d.message()}`);
    void d.dismiss();
  });
  await page.goto(url, { waitUntil: "load" });
  return opened;
}

async function js<T>(page: Page, expression: string): Promise<T> {
  return (await page.evaluate(expression)) as T;
}

/**
 * Waits until `expression` is true. Not page.waitForFunction: with a string it compiles it in the page,
 * which the page's CSP (no 'unsafe-eval') refuses, as it should.
 */
async function until(page: Page, expression: string): Promise<void> {
  for (let i = 0; i < 250; i++) {
    if ((await js(page, expression)) === true) return;
    await new Promise((ok) => setTimeout(ok, 20));
  }
  assert.fail(`still false after 5 s: ${expression}`);
}

/** Everything the page reported, CSP violations included. */
async function problems(opened: Opened): Promise<string[]> {
  const violations = await js<string[]>(opened.page, "window.__violations ?? ['no violation watcher']");
  return [...opened.problems, ...violations.map((v) => `CSP violation: ${v}`)];
}

const FAMILIES = ["deb", "rpm", "archlinux", "alpine", "downloads"];

/** What a copy button must put on the clipboard, from the document (not from the page). */
function expectedCopy(doc: InstallDocument, ids: string): string | undefined {
  if (ids === "script") return doc.script.command;
  const steps = ids.split(" ").map((id) => {
    const m = /^t(\d+)-s(\d+)$/.exec(id);
    return m === null ? undefined : doc.targets[Number(m[1])]!.steps[Number(m[2])]!.sudo;
  });
  return steps.every((s) => s !== undefined) ? steps.join("\n") : undefined;
}

async function selectTab(page: Page, family: string): Promise<void> {
  await page.click(`#tab-${family}`);
  assert.equal(await page.getAttribute(`#tab-${family}`, "aria-selected"), "true");
}

/** Each section shows its target's commands; each copy button copies exactly what install.json says. */
async function checkCommandsAndCopy(opened: Opened, doc: InstallDocument): Promise<number> {
  const { page } = opened;
  let clicks = 0;
  const copy = async (ids: string) => {
    await js(page, `navigator.clipboard.writeText("(nothing copied)")`);
    const button = page.locator(`button[data-copy="${ids}"]`);
    await button.click();
    await until(page, `document.querySelector('button[data-copy="${ids}"]').textContent === "Copied"`);
    const clipboard = await js<string>(page, "navigator.clipboard.readText()");
    const expected = expectedCopy(doc, ids) ?? (await page.locator(`[id="${ids}"]`).textContent());
    assert.equal(clipboard, expected, `copy button ${ids}`);
    clicks++;
  };
  for (const family of FAMILIES) {
    await selectTab(page, family);
    for (const other of FAMILIES)
      assert.equal(
        await page.isVisible(`section#${other}`),
        other === family,
        `${other} shown with ${family} selected`,
      );
    for (const [t, target] of doc.targets.entries()) {
      if (target.family !== family) continue;
      assert.equal(await page.textContent(`#target-${t}-name`), target.name);
      for (const [s, step] of target.steps.entries()) {
        const code = page.locator(`#t${t}-s${s}`);
        assert.ok(await code.isVisible(), `${target.id} step ${s} visible`);
        assert.equal(await code.textContent(), step.sudo, `${target.id} step ${s}`);
      }
    }
    const buttons = await page.locator(`section#${family} button[data-copy]`).all();
    for (const button of buttons) await copy((await button.getAttribute("data-copy"))!);
  }
  for (const button of await page.locator("main > section:not(:has(#tablist)) button[data-copy]").all())
    await copy((await button.getAttribute("data-copy"))!);
  return clicks;
}

/** Tab from the top of the page: which elements get focus, in order (until focus leaves the page). */
async function tabOrder(page: Page, limit = 150): Promise<string[]> {
  await js(page, "document.activeElement && document.activeElement.blur(), window.scrollTo(0, 0)");
  await page.focus("body");
  const seen: string[] = [];
  for (let i = 0; i < limit; i++) {
    await page.keyboard.press("Tab");
    const id = await js<string>(page, IDENTIFY_ACTIVE);
    if (id === "BODY" || id === seen[0]) break;
    seen.push(id);
  }
  return seen;
}

const IDENTIFY = `function (e) {
  return e.tagName + ":" + (e.getAttribute("data-copy") || e.id || e.getAttribute("href") || e.textContent);
}`;
const IDENTIFY_ACTIVE = `(${IDENTIFY})(document.activeElement)`;
/** Buttons and links a user can see, and the one tab in the tab sequence. */
const FOCUSABLE = `Array.from(document.querySelectorAll("a[href], button"))
  .filter(function (e) { return e.getClientRects().length > 0 && e.tabIndex >= 0; })
  .map(${IDENTIFY})`;

function luminance(rgb: number[]): number {
  const [r, g, b] = rgb.map((v) => {
    const c = v / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
}

function contrast(a: number[], b: number[]): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi! + 0.05) / (lo! + 0.05);
}

/** Text colour and the first opaque background behind it, for the elements that carry text. */
const COLOURS = `(function () {
  function rgb(s) { var m = s.match(/[\\d.]+/g).map(Number); return { rgb: m.slice(0, 3), alpha: m.length > 3 ? m[3] : 1 }; }
  function background(e) {
    for (; e; e = e.parentElement) {
      var c = rgb(getComputedStyle(e).backgroundColor);
      if (c.alpha > 0) return c.rgb;
    }
    return [255, 255, 255];
  }
  var selectors = ["h1", "p.lead", "p.muted", "a[href]", "pre code", "button[data-copy]", "p.note strong", "p.note",
    "[role=tab][aria-selected=true]", "[role=tab][aria-selected=false]", "th", "td", ".fingerprint", "p.step"];
  return selectors.map(function (s) {
    var e = Array.from(document.querySelectorAll(s)).filter(function (x) { return x.getClientRects().length > 0; })[0];
    if (!e) return { selector: s, missing: true };
    return { selector: s, color: rgb(getComputedStyle(e).color).rgb, background: background(e) };
  });
})()`;

async function checkContrast(page: Page, scheme: string): Promise<string> {
  const found = await js<{ selector: string; missing?: true; color: number[]; background: number[] }[]>(
    page,
    COLOURS,
  );
  for (const f of found) {
    assert.ok(f.missing !== true, `${scheme}: no visible ${f.selector}`);
    const ratio = contrast(f.color, f.background);
    assert.ok(
      ratio >= 4.5,
      `${scheme}: ${f.selector} rgb(${f.color}) on rgb(${f.background}) is ${ratio.toFixed(2)}:1`,
    );
  }
  return js<string>(page, "getComputedStyle(document.body).backgroundColor");
}

test("the install page in Chromium: file: and HTTP, copy buttons, keyboard, colour schemes, hostile values", async (t: TestContext) => {
  if (!needTool(t, "chromium")) return;
  const dir = mkdtempSync(join(tmpdir(), "packyard-page-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const write = (folder: string, name: string, text: string) => {
    mkdirSync(join(dir, folder), { recursive: true });
    writeFileSync(join(dir, folder, name), text);
    return join(dir, folder, name);
  };
  const server = await serveFolder(dir);
  t.after(() => server.stop());
  const doc = sampleInstallDocument({ rotation: true, base: `${server.url}/site` });
  const pagePath = write("site", "index.html", installPage(doc));
  write("site", "install.json", JSON.stringify(doc));
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
    env: { ...process.env, HOME: process.env.HOME ?? dir },
  });
  t.after(() => browser.close());

  const origins = [
    { how: "file:", url: pathToFileURL(pagePath).href, folder: pathToFileURL(join(dir, "site")).href },
    { how: "HTTP", url: `${server.url}/site/index.html`, folder: `${server.url}/site/`, origin: server.url },
  ];
  for (const { how, url, folder, origin } of origins) {
    await t.test(
      `${how}: clean load, commands as in install.json, every copy button copies them exactly`,
      async () => {
        const opened = await open(browser, url, origin === undefined ? {} : { origin });
        try {
          const clicks = await checkCommandsAndCopy(opened, doc);
          const copyButtons = doc.targets.reduce((n, target) => n + target.steps.length + 1, 1);
          assert.ok(
            clicks >= copyButtons,
            `${clicks} copy buttons clicked, expected at least ${copyButtons}`,
          );
          assert.deepEqual(await problems(opened), []);
          assert.deepEqual(
            opened.requests.filter((r) => !r.startsWith(folder) && !r.startsWith("data:")),
            [],
            `requests outside ${folder}`,
          );
          assert.deepEqual(opened.dialogs, []);
        } finally {
          await opened.context.close();
        }
        if (how === "HTTP")
          assert.deepEqual(
            server.log.map((r) => `${r.method} ${r.path} ${r.status}`),
            ["GET /site/index.html 200"],
          );
      },
    );
  }

  await t.test(
    "keyboard: Tab reaches every button and link and the selected tab; arrows, Home, End move between tabs",
    async () => {
      const { context, page } = await open(browser, origins[0]!.url);
      try {
        for (const [k, family] of FAMILIES.entries()) {
          if (k > 0) {
            await page.focus(`#tab-${FAMILIES[k - 1]}`);
            await page.keyboard.press("ArrowRight");
            assert.equal(await js(page, "document.activeElement.id"), `tab-${family}`);
            assert.equal(await page.getAttribute(`#tab-${family}`, "aria-selected"), "true");
          }
          const reachable = await js<string[]>(page, FOCUSABLE);
          const order = await tabOrder(page);
          const missed = reachable.filter((e) => !order.includes(e));
          assert.deepEqual(missed, [], `${family}: not reached by Tab`);
          const tabs = order.filter((e) => e.startsWith("BUTTON:tab-"));
          assert.deepEqual(tabs, [`BUTTON:tab-${family}`], "one tab stop for the tab list (roving tabindex)");
          assert.ok(
            order.some((e) => e.startsWith("BUTTON:t") || e.startsWith("A:")),
            `${family}: panel content`,
          );
        }
        // focus is visible on what the keyboard reached
        await page.focus("#tab-downloads");
        await page.keyboard.press("Home");
        assert.equal(await js(page, "document.activeElement.id"), "tab-deb");
        assert.equal(await js(page, "getComputedStyle(document.activeElement).outlineStyle"), "solid");
        await page.keyboard.press("ArrowLeft");
        assert.equal(
          await js(page, "document.activeElement.id"),
          "tab-downloads",
          "ArrowLeft wraps to the last tab",
        );
        await page.keyboard.press("ArrowRight");
        assert.equal(
          await js(page, "document.activeElement.id"),
          "tab-deb",
          "ArrowRight wraps to the first tab",
        );
        await page.keyboard.press("End");
        assert.equal(await js(page, "document.activeElement.id"), "tab-downloads");
        assert.ok(await page.isVisible("section#downloads"));
        assert.ok(!(await page.isVisible("section#deb")));
        // Enter on a copy button copies, as a click does
        await page.keyboard.press("Home");
        await page.keyboard.press("Tab");
        const focused = await js<string>(page, "document.activeElement.getAttribute('data-copy')");
        assert.equal(focused, "t0-s0 t0-s1 t0-s2 t0-s3 t0-s4");
        await page.keyboard.press("Enter");
        await until(page, `document.activeElement.textContent === "Copied"`);
        assert.equal(await js(page, "navigator.clipboard.readText()"), expectedCopy(doc, focused));
        assert.equal(
          await js(page, "document.querySelector('[role=tablist]').getAttribute('aria-label')"),
          "Package manager",
        );
        assert.equal(
          await js(page, "document.getElementById('deb').getAttribute('aria-labelledby')"),
          "tab-deb",
        );
      } finally {
        await context.close();
      }
    },
  );

  await t.test(
    "both colour schemes render with AA contrast and different backgrounds; screenshots",
    async () => {
      mkdirSync(outputDir, { recursive: true });
      const backgrounds: string[] = [];
      for (const scheme of ["light", "dark"] as const) {
        const opened = await open(browser, origins[0]!.url, { colorScheme: scheme });
        try {
          backgrounds.push(await checkContrast(opened.page, scheme));
          await opened.page.screenshot({
            path: join(outputDir, `install-page-${scheme}.png`),
            fullPage: true,
          });
          assert.deepEqual(await problems(opened), []);
        } finally {
          await opened.context.close();
        }
      }
      assert.notEqual(backgrounds[0], backgrounds[1], `light ${backgrounds[0]} and dark ${backgrounds[1]}`);
      t.diagnostic(`screenshots: ${join(outputDir, "install-page-light.png")}, install-page-dark.png`);
    },
  );

  await t.test("README screenshot docs/install-page.png (rewritten with UPDATE_SCREENSHOTS=1)", async () => {
    if (process.env.UPDATE_SCREENSHOTS === "1") {
      const readme = write("readme", "index.html", installPage(sampleInstallDocument()));
      const opened = await open(browser, pathToFileURL(readme).href);
      try {
        mkdirSync(new URL("docs/", repoRoot), { recursive: true });
        await opened.page.setViewportSize({ width: 1024, height: 1400 });
        await opened.page.screenshot({ path: screenshot.pathname });
      } finally {
        await opened.context.close();
      }
    }
    assert.ok(
      existsSync(screenshot),
      "docs/install-page.png is missing: run this test with UPDATE_SCREENSHOTS=1",
    );
  });

  await t.test(
    "without JavaScript every family's section and command is shown, the tab list and copy buttons are not",
    async () => {
      const { context, page } = await open(browser, origins[0]!.url, { javaScript: false });
      try {
        for (const family of FAMILIES) assert.ok(await page.isVisible(`section#${family}`), family);
        assert.ok(!(await page.isVisible("#tablist")));
        assert.equal(await page.locator("button:visible").count(), 0);
        for (const [t, target] of doc.targets.entries())
          for (const s of target.steps.keys())
            assert.ok(await page.isVisible(`#t${t}-s${s}`), `${target.id} ${s}`);
      } finally {
        await context.close();
      }
    },
  );

  await t.test(
    "hostile values are shown as text: no element of theirs, no script run, no dialog",
    async () => {
      const attack = `${HOSTILE}<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">`;
      const hostile = sampleInstallDocument({ hostile: true });
      hostile.name = attack;
      hostile.description = `"><svg onload="window.__pwned=3"></svg>' onmouseover='window.__pwned=4`;
      hostile.targets[0]!.name = `</code></pre><script>alert(1)</script>`;
      hostile.targets[0]!.steps[0]!.sudo = `echo '</code><button onclick=alert(2)>x</button>' $(id) \`id\``;
      hostile.script.url = "javascript:window.__pwned=5";
      hostile.latest[0]!.summary = `<iframe src="javascript:alert(3)"></iframe>`;
      const path = write("hostile", "index.html", installPage(hostile));
      const opened = await open(browser, pathToFileURL(path).href);
      const { page } = opened;
      try {
        await page.hover("h1");
        await page.click("text=install.sh"); // shown as text, not a javascript: link
        assert.equal(await js(page, "typeof window.__pwned"), "undefined");
        assert.deepEqual(opened.dialogs, []);
        assert.equal(await js(page, "document.querySelectorAll('b, img, iframe, svg').length"), 0);
        assert.equal(await js(page, "document.scripts.length"), 1);
        assert.equal(
          await js(page, "document.querySelectorAll('[onclick], [onerror], [onload], [onmouseover]').length"),
          0,
        );
        assert.equal(await page.textContent("h1"), `Install ${attack}`);
        assert.equal(await js(page, "document.title"), `Install ${attack}`);
        assert.equal(await page.textContent("p.lead"), hostile.description);
        assert.equal(await page.textContent("#target-0-name"), hostile.targets[0]!.name);
        assert.equal(await page.textContent("#t0-s0"), hostile.targets[0]!.steps[0]!.sudo);
        await page.click('button[data-copy="t0-s0"]');
        await until(page, `document.querySelector('button[data-copy="t0-s0"]').textContent === "Copied"`);
        assert.equal(await js(page, "navigator.clipboard.readText()"), hostile.targets[0]!.steps[0]!.sudo);
        assert.deepEqual(await problems(opened), []);
      } finally {
        await opened.context.close();
      }
    },
  );

  await t.test("the CSP is in force and its violations are seen: a tampered style is refused", async () => {
    const tampered = installPage(doc).replace(PAGE_STYLE, `${PAGE_STYLE} `);
    const path = write("tampered", "index.html", tampered);
    const opened = await open(browser, pathToFileURL(path).href);
    try {
      const found = await problems(opened);
      assert.ok(
        found.some((p) => /CSP violation: style-src/.test(p)),
        `expected a style-src violation, found ${JSON.stringify(found)}`,
      );
      // the style was not applied: the tab list keeps the browser's default display
      assert.notEqual(
        await js(opened.page, "getComputedStyle(document.getElementById('tablist')).display"),
        "flex",
      );
    } finally {
      await opened.context.close();
    }
  });

  await t.test("badge.svg parses as XML in Chromium, hostile text intact", async () => {
    const hostile = sampleInstallDocument({ hostile: true });
    const svg = badgeFor(hostile);
    const { context, page } = await open(browser, "about:blank");
    try {
      const parsed = await page.evaluate(
        `(function (text) {
          var d = new DOMParser().parseFromString(text, "image/svg+xml");
          return {
            error: d.getElementsByTagName("parsererror").length,
            root: d.documentElement.localName,
            title: d.querySelector("title").textContent,
            label: d.documentElement.getAttribute("aria-label"),
            elements: d.querySelectorAll("b").length,
          };
        })(${JSON.stringify(svg)})`,
      );
      assert.deepEqual(parsed, {
        error: 0,
        root: "svg",
        title: `${HOSTILE}: v1.0.0`,
        label: `${HOSTILE}: v1.0.0`,
        elements: 0,
      });
    } finally {
      await context.close();
    }
  });
});

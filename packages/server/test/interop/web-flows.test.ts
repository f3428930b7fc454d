// The signed-in dashboard in Chromium (issue 21 items 2 and 3), against a real server on 127.0.0.1
// (buildApp + listen, with the in-process build worker; PGlite only: the pages' service functions run on
// both adapters in web-sessions.test.ts; one browser and one server for the file's time budget):
// - the flow through the forms: sign in, create a project (display name holding markup), add a package by
//   uploading its packyard.yml (description holding markup), upload its source file, request a build, watch
//   the live log reach `succeeded` with no reload, open the public install page /p/<project> once the build
//   published, sign out (the session is gone: / goes back to the sign-in form);
// - every dashboard page in the light and the dark scheme: axe-core finds no serious or critical
//   violation; full-page screenshots into test-artifacts/ (dashboard-<page>-<scheme>.png), and the build
//   page as the committed docs/screenshots/dashboard.png with UPDATE_SCREENSHOTS=1;
// - escaping in the browser: on every page, no injected element (no <img>, no <b>, only the site's own
//   scripts), no script of the payload ran, and no CSP violation was reported (securitypolicyviolation
//   events and the console).
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import {
  axeCheck,
  colorScheme,
  describeViolations,
  launchBrowser,
  screenshot,
  CSP_WATCH,
  js,
  untilTrue,
} from "@packyard/testkit/browser";
import { freePort } from "@packyard/testkit/http";
import type { Page } from "playwright-core";
import { startWorkers } from "../../src/builds/worker.ts";
import { serverLogger } from "../../src/index.ts";
import { bearer, harness, secret, secretsNeverLeak, TEST_MASTER_KEY } from "../app-harness.ts";
import { eachDb } from "../dbs.ts";

const PASSWORD = secret("a dashboard password of some length");

/** Each payload sets window.__pwned if it ever runs; the bold tag shows up as an element if injected. */
const ATTACK = `<script>window.__pwned=1</script> "><img src=x onerror="window.__pwned=2"> </script><b>bold</b>`;

const SCRIPT = "#!/bin/sh\necho hello from the dashboard\n";

const CONFIG = `name: hello-web
version: 1.0.0
release: 1
arch: amd64
maintainer: Test <test@example.org>
description: ${JSON.stringify(ATTACK)}
license: MIT
contents:
  - src: hello.sh
    dst: /usr/bin/hello-web
    file_info:
      mode: 0755
`;

/** The page's own checks: no injected element, no payload ran, no CSP violation, only the site's scripts. */
async function assertClean(page: Page, where: string): Promise<void> {
  const found = await js<{
    injected: string[];
    bolds: number;
    pwned: unknown;
    violations: string[];
    scripts: string[];
  }>(
    page,
    `({
      injected: [...document.querySelectorAll("*")]
        .filter((e) => e.matches('img[src="x"]') || [...e.attributes].some((a) => a.name.startsWith("on")))
        .map((e) => e.outerHTML.slice(0, 120)),
      bolds: document.querySelectorAll("main b").length,
      pwned: window.__pwned,
      violations: window.__violations,
      scripts: [...document.scripts].map((s) => s.getAttribute("src") || s.type),
    })`,
  );
  assert.deepEqual(found.injected, [], `${where}: injected elements`);
  assert.equal(found.bolds, 0, `${where}: an injected <b>`);
  assert.equal(found.pwned, undefined, `${where}: a payload ran`);
  assert.deepEqual(found.violations, [], `${where}: CSP violations`);
  for (const s of found.scripts)
    assert.match(s, /^\/static\/app\.js$|^application\/json$/, `${where}: script ${s}`);
}

eachDb((kind, fresh) => {
  if (kind !== "pglite") return;
  test("the dashboard in Chromium: sign in, project, uploads, a build's live log to succeeded, install page, sign out; axe and escaping on every page in both themes", async (t) => {
    const started = Date.now();
    const laps: string[] = [];
    const lap = (what: string) => laps.push(`${what} ${Date.now() - started} ms`);
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const h = await harness(t, fresh, { publicUrl: url });
    if (h === undefined) return;
    const browser = await launchBrowser(t);
    if (browser === undefined) return;
    // The real time: cookie expiries and the repository's Release dates follow it.
    h.clock.now = () => new Date();
    await h.app.listen({ host: "127.0.0.1", port });
    lap("listening");
    const userId = await h.user("dana", { password: PASSWORD });

    // The in-process worker builds what the pages request and publishes it.
    const workRoot = await mkdtemp(join(tmpdir(), "packyard-web-flows-"));
    t.after(() => rm(workRoot, { recursive: true, force: true }));
    const workerLogs: string[] = [];
    const workers = startWorkers(
      {
        db: h.db,
        storage: h.storage,
        masterKey: TEST_MASTER_KEY,
        clock: h.clock,
        config: { publicUrl: url },
        logger: serverLogger({
          level: "info",
          destination: { write: (l: string) => void workerLogs.push(l) },
        }),
      },
      { count: 1, workRoot, queue: { leaseMs: 10_000, backoffBaseMs: 0 }, idleMs: { min: 20, max: 60 } },
    );
    t.after(() => workers.stop());

    const consoleErrors: string[] = [];
    await browser.context.addInitScript(CSP_WATCH);
    const page = await browser.page();
    page.on("console", (m) => {
      if (m.type() === "error" || /Content.Security.Policy/i.test(m.text())) consoleErrors.push(m.text());
    });
    page.on("pageerror", (e) => consoleErrors.push(String(e)));

    lap("browser ready");
    // Signed out, a page sends the browser to the sign-in form.
    await page.goto(`${url}/`);
    assert.equal(new URL(page.url()).pathname, "/sign-in");
    await page.getByLabel("Email").fill("dana@example.org");
    await page.getByLabel("Password").fill(PASSWORD);
    await Promise.all([page.waitForNavigation(), page.getByRole("button", { name: "Sign in" }).click()]);
    assert.equal(new URL(page.url()).pathname, "/", (await page.locator("main").textContent()) ?? "");
    await assertClean(page, "/");

    // A project whose display name holds markup.
    await page.getByLabel("Project name").fill("webflow");
    await page.getByLabel("Display name").fill(ATTACK);
    await Promise.all([
      page.waitForURL(`${url}/projects/webflow`),
      page.getByRole("button", { name: "Create project" }).click(),
    ]);
    assert.equal(await page.locator(".display-name").textContent(), ATTACK, "the name shown as text");
    await assertClean(page, "/projects/webflow");
    // Where builds publish (the dashboard has no repository settings form: the API's route, by token).
    const { token } = await h.token(userId, ["read", "write"]);
    const settings = await h.request({
      method: "PUT",
      url: "/api/v1/projects/webflow/repository",
      headers: bearer(token),
      payload: { apt: { suite: "bookworm" } },
    });
    assert.equal(settings.statusCode, 200, settings.body);

    // The package: its packyard.yml uploaded as a file through the form.
    await page.getByLabel("Package name").fill("hello-web");
    await page.getByLabel("packyard.yml file").setInputFiles({
      name: "packyard.yml",
      mimeType: "text/yaml",
      buffer: Buffer.from(CONFIG),
    });
    await Promise.all([
      page.waitForURL(`${url}/projects/webflow/packages/hello-web`),
      page.getByRole("button", { name: "Save package" }).click(),
    ]);
    assert.equal((await page.locator("pre.config").textContent())?.trim(), CONFIG.trim());
    // Its source file.
    await page.getByLabel("File", { exact: true }).setInputFiles({
      name: "hello.sh",
      mimeType: "application/octet-stream",
      buffer: Buffer.from(SCRIPT),
    });
    await Promise.all([
      page.waitForURL(`${url}/projects/webflow/packages/hello-web`),
      page.getByRole("button", { name: "Upload file" }).click(),
    ]);
    await page.getByRole("link", { name: "hello.sh" }).waitFor();
    await assertClean(page, "package page");

    // A build, requested through the form; its page follows the log live.
    await page.getByLabel("Version").fill("1.0.0");
    await page.getByLabel("debian-12", { exact: true }).check();
    await Promise.all([
      page.waitForURL(/\/builds\/\d+$/),
      page.getByRole("button", { name: "Request build" }).click(),
    ]);
    const buildPath = new URL(page.url()).pathname;
    // A mark on this document: a reload would lose it.
    await page.evaluate("window.__sameDocument = true");
    const initial = await page.locator("[data-build-state]").textContent();
    assert.notEqual(initial, "succeeded", "the page was rendered before the build finished");
    await untilTrue(page, `document.querySelector("[data-build-state]").textContent === "succeeded"`, 60_000);
    assert.equal(await js(page, "window.__sameDocument"), true, "no reload happened");
    const log = (await page.getByRole("log").textContent()) ?? "";
    assert.match(log, /hello\.sh/, `the log shows the build's lines:\n${log}`);
    // The live region announces the end (app.js writes it after a short pause).
    await untilTrue(
      page,
      `document.getElementById("live-status")?.textContent === "The build finished: succeeded."`,
    );
    await assertClean(page, buildPath);

    lap("build succeeded");
    // Every dashboard page, both schemes: axe, screenshots, escaping.
    const pages: [string, string][] = [
      ["projects", "/"],
      ["project", "/projects/webflow"],
      ["package", "/projects/webflow/packages/hello-web"],
      ["releases", "/projects/webflow/releases"],
      ["builds", "/projects/webflow/builds"],
      ["build", buildPath],
      ["keys", "/projects/webflow/keys"],
      ["repositories", "/projects/webflow/repositories"],
      ["settings", "/projects/webflow/settings"],
      ["tokens", "/settings/tokens"],
      ["plan", "/settings/plan"],
    ];
    // Four tabs at a time (axe takes seconds a page); each page in the light scheme, then the dark one.
    const violations: string[] = [];
    const checkPage = async ([name, path]: [string, string]) => {
      const tab = await browser.page();
      tab.on("pageerror", (e) => consoleErrors.push(`${path}: ${String(e)}`));
      tab.on("console", (m) => {
        if (m.type() === "error") consoleErrors.push(`${path}: ${m.text()}`);
      });
      const r = await tab.goto(`${url}${path}`);
      assert.equal(r?.status(), 200, path);
      for (const scheme of ["light", "dark"] as const) {
        await colorScheme(tab, scheme);
        await assertClean(tab, `${path} (${scheme})`);
        const found = describeViolations(await axeCheck(tab));
        violations.push(...found.map((v) => `${path} (${scheme}): ${v}`));
        await screenshot(tab, `dashboard-${name}-${scheme}`);
        if (name === "build" && scheme === "light") await screenshot(tab, "dashboard");
      }
      await tab.close();
      lap(name);
    };
    const queue = [...pages];
    await Promise.all(
      [1, 2, 3, 4].map(async () => {
        for (let next = queue.shift(); next !== undefined; next = queue.shift()) await checkPage(next);
      }),
    );
    assert.deepEqual(violations, [], violations.join("\n"));

    lap("pages checked");
    // The public install page renders once the build published.
    const install = await page.goto(`${url}/p/webflow`);
    assert.equal(install?.status(), 200);
    assert.match((await page.locator("main").textContent()) ?? "", /hello-web/);
    assert.match((await page.locator("main").textContent()) ?? "", /curl -fsSL .*\/install\.sh \| sh/);
    await assertClean(page, "/p/webflow");

    // Sign out: back to the form, and the old session opens nothing.
    await page.goto(`${url}/`);
    await Promise.all([
      page.waitForURL(`${url}/sign-in`),
      page.getByRole("button", { name: "Sign out", exact: true }).click(),
    ]);
    for (const scheme of ["light", "dark"] as const) {
      await colorScheme(page, scheme);
      await page.reload();
      assert.deepEqual(describeViolations(await axeCheck(page)), [], `/sign-in (${scheme})`);
      await screenshot(page, `dashboard-sign-in-${scheme}`);
    }
    await page.goto(`${url}/projects/webflow`);
    assert.equal(new URL(page.url()).pathname, "/sign-in");
    const { rows } = await h.db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM sessions WHERE revoked_at IS NULL",
    );
    assert.equal(rows[0]!.n, 0, "the session was revoked");
    assert.deepEqual(consoleErrors, [], consoleErrors.join("\n"));
    // Closed here, before the server: its keep-alive connections would hold the server's close.
    await browser.close();
    await workers.stop();
    lap("done");
    t.diagnostic(laps.join(", "));
  });
});

secretsNeverLeak();

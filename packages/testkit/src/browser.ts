/**
 * The browser the web tests drive: Debian's Chromium (`/usr/bin/chromium`) through playwright-core, with a
 * fresh user-data folder per launch (removed after the test) and the flags of issue 21 (headless, no
 * sandbox, no GPU, no QUIC, no background networking, component updates, sync or first-run screens), so a
 * test never reaches the network on its own. With CI=true a missing chromium fails the test (needTool).
 *
 * Also: {@link axeCheck} (axe-core's serious and critical violations only), {@link screenshot} (full page
 * into test-artifacts/, and the committed README screenshots refreshed with UPDATE_SCREENSHOTS=1) and
 * {@link colorScheme}.
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestContext } from "node:test";
import { fileURLToPath } from "node:url";
import { AxeBuilder } from "@axe-core/playwright";
import type { Result } from "axe-core";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { needTool } from "./tools.ts";

/** Where Debian installs Chromium. */
export const CHROMIUM_PATH = "/usr/bin/chromium";

/** The flags every launch passes (issue 21, "How it is checked"). */
export const CHROMIUM_ARGS: readonly string[] = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

/** The repository's top folder. */
const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));

/** Where screenshots are written (git-ignored). */
export const ARTIFACTS_DIR = join(REPO_ROOT, "test-artifacts");

/** Where the committed screenshots README shows live. */
export const COMMITTED_SCREENSHOTS_DIR = join(REPO_ROOT, "docs", "screenshots");

/** The screenshots kept in git (docs/screenshots/<name>.png), rewritten only with UPDATE_SCREENSHOTS=1. */
export const COMMITTED_SCREENSHOTS: readonly string[] = ["install-page", "dashboard"];

/** A launched browser: one persistent context on a fresh profile. */
export interface LaunchedBrowser {
  context: BrowserContext;
  /** A new tab. */
  page(): Promise<Page>;
  /** Closes the browser (also done in `t.after`); the profile folder is removed. */
  close(): Promise<void>;
}

/** An axe-core violation (serious or critical). */
export type AxeResult = Result;

/**
 * Launches Chromium for test `t` (closed in `t.after`), or undefined when the test was skipped because
 * chromium is missing (locally; CI=true fails instead). `options` go to playwright's persistent context
 * (viewport, permissions, colorScheme…).
 *
 * @example
 * const browser = await launchBrowser(t);
 * if (browser === undefined) return;
 * const page = await browser.page();
 */
export async function launchBrowser(
  t: TestContext,
  options: { viewport?: { width: number; height: number }; colorScheme?: "light" | "dark" } = {},
): Promise<LaunchedBrowser | undefined> {
  if (!needTool(t, "chromium")) return undefined;
  const profile = mkdtempSync(join(tmpdir(), "packyard-chromium-"));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: [...CHROMIUM_ARGS],
      viewport: options.viewport ?? { width: 1100, height: 900 },
      colorScheme: options.colorScheme ?? "light",
      env: { ...process.env, HOME: profile },
    });
  } catch (e) {
    rmSync(profile, { recursive: true, force: true });
    throw e;
  }
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await context.close().catch(() => {});
    rmSync(profile, { recursive: true, force: true });
  };
  t.after(close);
  return { context, page: () => context.newPage(), close };
}

/**
 * The page's serious and critical accessibility violations, as axe-core reports them (empty when none).
 *
 * @example assert.deepEqual(summary(await axeCheck(page)), []);
 */
export async function axeCheck(page: Page): Promise<AxeResult[]> {
  const results = await new AxeBuilder({ page }).analyze();
  return results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
}

/** One line per violation and node, for assertion messages. */
export function describeViolations(violations: readonly AxeResult[]): string[] {
  return violations.flatMap((v) =>
    v.nodes.map((n) => `${v.impact} ${v.id}: ${n.target.join(" ")} — ${n.failureSummary ?? v.help}`),
  );
}

/**
 * A full-page screenshot into test-artifacts/<name>.png; with UPDATE_SCREENSHOTS=1 and a name listed in
 * {@link COMMITTED_SCREENSHOTS}, also copied to docs/screenshots/<name>.png. Returns the artifact's path.
 *
 * @example await screenshot(page, "install-page-dark");
 */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const path = join(ARTIFACTS_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  if (process.env.UPDATE_SCREENSHOTS === "1" && COMMITTED_SCREENSHOTS.includes(name)) {
    mkdirSync(COMMITTED_SCREENSHOTS_DIR, { recursive: true });
    copyFileSync(path, join(COMMITTED_SCREENSHOTS_DIR, `${name}.png`));
  }
  return path;
}

/**
 * Emulates the light or the dark `prefers-color-scheme` for `page` (what the site's stylesheet follows
 * until its toggle stores a choice).
 */
export async function colorScheme(page: Page, scheme: "light" | "dark"): Promise<void> {
  await page.emulateMedia({ colorScheme: scheme });
}

/**
 * An init script (`context.addInitScript(CSP_WATCH)`) that collects the page's Content-Security-Policy
 * violations into `window.__violations` ("<directive> <blocked URI>"), from before any page script runs.
 */
export const CSP_WATCH = `
window.__violations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__violations.push(e.violatedDirective + " " + e.blockedURI);
});
`;

/** Evaluates `expression` in the page (through CDP: pages whose CSP has no eval still answer). */
export async function js<T>(page: Page, expression: string): Promise<T> {
  return (await page.evaluate(expression)) as T;
}

/** Waits until `expression` is true in the page (every 50 ms), or fails after `ms` naming it. */
export async function untilTrue(page: Page, expression: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if ((await js(page, expression)) === true) return;
    await new Promise((ok) => setTimeout(ok, 50));
  }
  throw new Error(`still false after ${ms} ms: ${expression}`);
}

/**
 * The frame of every page: document head (the site's stylesheet and its one script module), a skip link,
 * the header (site name, navigation, theme toggle, the signed-in user and sign-out), `<main id="main">`
 * and the footer. Light and dark follow `prefers-color-scheme` until the toggle stores a choice
 * (static/app.js keeps it in localStorage and sets `data-theme` on `<html>`).
 */
import type { ComponentChildren, VNode } from "preact";
import { html } from "./html.ts";

/** What {@link Layout} shows. */
export interface LayoutProps {
  /** The page's own title; the document title is "<title> · packyard". */
  title: string;
  /** The signed-in user; absent on public pages. */
  user?: { slug: string; isAdmin?: boolean };
  /** The session's CSRF token, for the sign-out form (needed when `user` is set). */
  csrfToken?: string;
  /** Navigation links; `current` marks the page shown (`aria-current="page"`). */
  nav?: { href: string; label: string; current?: boolean }[];
  children?: ComponentChildren;
}

/** The site's name, as the header and the document titles show it. */
export const SITE_NAME = "packyard";

/** Id of the page-wide polite live region that static/app.js announces results in. */
export const LIVE_REGION_ID = "live-status";

/**
 * A whole page.
 *
 * @example renderPage(html`<${Layout} title="Projects" user=${{ slug: "ada" }} csrfToken=${token}><h1>Projects</h1><//>`)
 */
export function Layout(p: LayoutProps): VNode {
  const nav = p.nav ?? [];
  return html`<html lang="en">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <meta name="color-scheme" content="light dark" />
      <title>${`${p.title} · ${SITE_NAME}`}</title>
      <link rel="icon" href="data:," />
      <link rel="stylesheet" href="/static/style.css" />
      <script type="module" src="/static/app.js"></script>
    </head>
    <body>
      <a class="skip-link" href="#main">Skip to content</a>
      <header class="site-header">
        <a class="site-name" href="/">${SITE_NAME}</a>
        ${
          nav.length > 0
            ? html`<nav aria-label="Main">
                <ul>
                  ${nav.map(
                    (item) =>
                      html`<li><a href=${item.href} aria-current=${item.current === true ? "page" : undefined}>${item.label}</a></li>`,
                  )}
                </ul>
              </nav>`
            : null
        }
        <div class="header-tools">
          <button type="button" class="theme-toggle" data-theme-toggle="" aria-pressed="false" hidden>
            Dark theme
          </button>
          ${
            p.user === undefined
              ? null
              : html`<span class="user">Signed in as <strong>${p.user.slug}</strong>${p.user.isAdmin === true ? " (administrator)" : ""}</span>
                  <form method="post" action="/sign-out" class="sign-out">
                    <input type="hidden" name="_csrf" value=${p.csrfToken ?? ""} />
                    <button type="submit">Sign out</button>
                  </form>`
          }
        </div>
      </header>
      <main id="main" tabindex="-1">${p.children}</main>
      <footer class="site-footer">
        <p>Served by ${SITE_NAME}.</p>
      </footer>
      <div id=${LIVE_REGION_ID} class="visually-hidden" aria-live="polite" aria-atomic="true"></div>
    </body>
  </html>`;
}

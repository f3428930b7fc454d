/**
 * Server-side rendering of the web pages: `htm` tagged templates over preact's `h`, rendered to a string
 * by preact-render-to-string. Text and attribute values are escaped by the renderer, never by hand; the
 * one way around that, `dangerouslySetInnerHTML`, is used here only, by {@link jsonIsland}, for JSON whose
 * `<` is escaped, so nothing in it can end the script element.
 */
import { html as preactHtml } from "htm/preact";
import type { VNode } from "preact";
import { render } from "preact-render-to-string";

/**
 * htm bound to preact's `h` (htm/preact): the tagged template that builds page trees (one root element
 * per template gives one VNode).
 *
 * @example html`<p class="lead">${project.name}</p>` // the name is escaped when rendered
 */
export const html: (strings: TemplateStringsArray, ...values: unknown[]) => VNode = preactHtml;

/**
 * A whole HTML document: the doctype and the rendered tree (normally a {@link Layout} page).
 *
 * @example sendHtml(reply, renderPage(html`<${Layout} title="Projects">…<//>`))
 */
export function renderPage(page: VNode): string {
  return `<!doctype html>${render(page)}`;
}

/** JSON with `<`, `>`, `&` and the two JavaScript line terminators as `\uXXXX` escapes (still the same JSON value). */
export function escapeJsonForHtml(data: unknown): string {
  const json = JSON.stringify(data) ?? "null";
  return json.replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/**
 * A data island: `<script type="application/json" id="…">` holding `data` as JSON, for the page's script
 * to read with `JSON.parse(element.textContent)`. Not executable (the CSP allows no inline script anyway);
 * `<` is written `\u003c`, so a value holding `</script>` cannot close the element.
 *
 * @example jsonIsland("build-data", { id: 7, state: "running" })
 */
export function jsonIsland(id: string, data: unknown): VNode {
  const __html = escapeJsonForHtml(data);
  return html`<script type="application/json" id=${id} dangerouslySetInnerHTML=${{ __html }}></script>`;
}

/**
 * `badge.svg` at the repository root: a flat two-part badge ("hello | v1.0.0") like the ones README files
 * carry, with the text XML-escaped and each part as wide as its text. Widths come from a per-character
 * table approximating Verdana at 11px (the badge's first font choice); `textLength` then makes the text
 * fill exactly that width whatever font the viewer has, so the layout never depends on the font.
 */
import type { InstallDocument, LatestPackage } from "./types.ts";

/** Approximate advance widths of Verdana, in em, for the characters badges mostly hold. */
const VERDANA_EM: Readonly<Record<string, number>> = (() => {
  const table: Record<string, number> = {};
  const set = (chars: string, em: number) => {
    for (const c of chars) table[c] = em;
  };
  set("0123456789", 0.636);
  set("abdgpqhnu", 0.63);
  set("ceksvxyz", 0.56);
  set("o", 0.607);
  set("ij", 0.3);
  set("l", 0.274);
  set("f", 0.352);
  set("r", 0.427);
  set("t", 0.394);
  set("m", 0.974);
  set("w", 0.818);
  set("ABCKRSVXZ", 0.69);
  set("DGHNOQU", 0.76);
  set("EFLPTY", 0.6);
  set("IJ", 0.44);
  set("M", 0.84);
  set("W", 0.99);
  set(" .,:;!|'`", 0.36);
  set("-()[]{}/\\", 0.45);
  set('"*', 0.46);
  set("_+=<>~^#$%&?@", 0.75);
  return table;
})();

/** Width in em of a character the table does not hold: wide East Asian glyphs take a full em. */
function fallbackEm(codePoint: number): number {
  const wide =
    (codePoint >= 0x1100 && codePoint <= 0x115f) ||
    (codePoint >= 0x2e80 && codePoint <= 0xa4cf) ||
    (codePoint >= 0xac00 && codePoint <= 0xd7a3) ||
    (codePoint >= 0xf900 && codePoint <= 0xfaff) ||
    (codePoint >= 0xff00 && codePoint <= 0xff60) ||
    codePoint >= 0x1f300;
  return wide ? 1 : 0.7;
}

const FONT_SIZE = 11;
/** Space left and right of each part's text. */
const PADDING = 5;

/**
 * The width in pixels of `value` in 11px Verdana (approximate, deterministic; every character adds a
 * positive width, so a longer text is always wider). Rounded to a tenth of a pixel.
 */
export function textWidth(value: string): number {
  let em = 0;
  for (const c of value) em += VERDANA_EM[c] ?? fallbackEm(c.codePointAt(0)!);
  return Math.round(em * FONT_SIZE * 10) / 10;
}

/** Characters XML 1.0 cannot hold even escaped (C0 controls but tab, LF, CR; U+FFFE/FFFF; lone surrogates). */
const NOT_XML =
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** `value` on one line, with what XML cannot hold replaced by U+FFFD. */
function badgeText(value: string): string {
  return value.replace(/[\t\n\r]+/g, " ").replace(NOT_XML, "\uFFFD");
}

/** `value` escaped for XML text and double-quoted attribute values. */
export function escapeXml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => XML_ENTITIES[c]!);
}

const XML_ENTITIES: Readonly<Record<string, string>> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&apos;",
};

const LABEL_COLOUR = "#555";
/** White text on it has a contrast ratio of 5.2:1 (WCAG AA). */
const VALUE_COLOUR = "#0969da";

/**
 * A flat badge `label | value` as an SVG document: `<title>` and `aria-label` say `label: value`, each
 * part is its text's width plus 5px either side.
 *
 * @example badgeSvg("hello", "v1.0.0") // <svg xmlns="http://www.w3.org/2000/svg" width="…" height="20" role="img" aria-label="hello: v1.0.0">…
 */
export function badgeSvg(label: string, value: string): string {
  const left = badgeText(label);
  const right = badgeText(value);
  const leftText = textWidth(left);
  const rightText = textWidth(right);
  const leftWidth = Math.ceil(leftText) + 2 * PADDING;
  const rightWidth = Math.ceil(rightText) + 2 * PADDING;
  const width = leftWidth + rightWidth;
  const title = escapeXml(`${left}: ${right}`);
  const part = (x: number, length: number, content: string) => {
    const attrs = `x="${x}" textLength="${length}" lengthAdjust="spacingAndGlyphs"`;
    return (
      `<text aria-hidden="true" ${attrs} y="15" fill="#010101" fill-opacity=".3">${content}</text>` +
      `<text ${attrs} y="14">${content}</text>`
    );
  };
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="20" role="img" aria-label="${title}">
<title>${title}</title>
<linearGradient id="shine" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>
<clipPath id="round"><rect width="${width}" height="20" rx="3" fill="#fff"/></clipPath>
<g clip-path="url(#round)"><rect width="${leftWidth}" height="20" fill="${LABEL_COLOUR}"/><rect x="${leftWidth}" width="${rightWidth}" height="20" fill="${VALUE_COLOUR}"/><rect width="${width}" height="20" fill="url(#shine)"/></g>
<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="${FONT_SIZE}">
${part(leftWidth / 2, leftText, escapeXml(left))}
${part(leftWidth + rightWidth / 2, rightText, escapeXml(right))}
</g>
</svg>
`;
}

/** Which family's version the badge prefers: a download's is the upstream version, without a packaging revision. */
const PREFERENCE: readonly LatestPackage["family"][] = ["download", "deb", "rpm", "archlinux", "alpine"];

/**
 * The version the badge shows: of the package the targets install (else the first of `latest`), from a
 * download when there is one, else from the first family in deb, rpm, archlinux, alpine order; `v` is put
 * before a version that starts with a digit. Undefined when the repository holds nothing.
 */
export function badgeVersion(doc: InstallDocument): string | undefined {
  const main = doc.targets[0]?.package ?? doc.latest[0]?.name;
  const candidates = doc.latest.filter((p) => p.name === main);
  for (const family of PREFERENCE) {
    const found = candidates.find((p) => p.family === family);
    if (found !== undefined) return /^[0-9]/.test(found.version) ? `v${found.version}` : found.version;
  }
  return undefined;
}

/**
 * `badge.svg` for a repository: its name and the latest version ({@link badgeVersion}), or "no packages".
 *
 * @example await storage.put("badge.svg", new TextEncoder().encode(badgeFor(doc)));
 */
export function badgeFor(doc: InstallDocument): string {
  return badgeSvg(doc.name, badgeVersion(doc) ?? "no packages");
}

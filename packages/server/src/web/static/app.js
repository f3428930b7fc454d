// packyard's one browser script (a plain ES module, no build step). Every page works without it; it adds:
// - the theme toggle: light or dark remembered in localStorage, set as data-theme on <html>;
// - copy buttons: [data-copy-target="<id>"] copies that element's text (Clipboard API; on origins where
//   the clipboard is not available, such as plain http, the text is selected for Ctrl+C instead), and the
//   result is announced in the page's polite live region;
// - live logs: [data-log-stream="<url>"] appends the Server-Sent Events' log lines to the element and, on
//   `event: end`, writes the final state into [data-build-state] and stops.

const THEME_KEY = "packyard-theme";
const root = document.documentElement;

function storedTheme() {
  try {
    const value = localStorage.getItem(THEME_KEY);
    return value === "light" || value === "dark" ? value : null;
  } catch {
    return null;
  }
}

function systemTheme() {
  return window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
}

function currentTheme() {
  return root.getAttribute("data-theme") || systemTheme();
}

function applyTheme(theme) {
  if (theme === null) root.removeAttribute("data-theme");
  else root.setAttribute("data-theme", theme);
  const dark = currentTheme() === "dark";
  for (const button of document.querySelectorAll("[data-theme-toggle]")) {
    button.setAttribute("aria-pressed", dark ? "true" : "false");
  }
}

function setUpThemeToggle() {
  applyTheme(storedTheme());
  for (const button of document.querySelectorAll("[data-theme-toggle]")) {
    button.hidden = false;
    button.addEventListener("click", () => {
      const next = currentTheme() === "dark" ? "light" : "dark";
      try {
        localStorage.setItem(THEME_KEY, next);
      } catch {
        // Storage refused (private mode): the choice lasts for this page only.
      }
      applyTheme(next);
    });
  }
  window
    .matchMedia("(prefers-color-scheme: dark)")
    .addEventListener("change", () => applyTheme(storedTheme()));
}

function announce(text) {
  const region = document.getElementById("live-status");
  if (region === null) return;
  // Cleared first, so the same message said twice is announced twice.
  region.textContent = "";
  window.setTimeout(() => {
    region.textContent = text;
  }, 50);
}

function selectText(element) {
  const selection = window.getSelection();
  if (selection === null) return;
  const range = document.createRange();
  range.selectNodeContents(element);
  selection.removeAllRanges();
  selection.addRange(range);
}

function setUpCopyButtons() {
  for (const button of document.querySelectorAll("[data-copy-target]")) {
    button.hidden = false;
    button.addEventListener("click", async () => {
      const target = document.getElementById(button.getAttribute("data-copy-target") || "");
      if (target === null) return;
      const text = target.textContent || "";
      const what = button.getAttribute("data-copy-label") || "the text";
      if (navigator.clipboard !== undefined && window.isSecureContext) {
        try {
          await navigator.clipboard.writeText(text);
          announce(`Copied ${what} to the clipboard.`);
          return;
        } catch {
          // Refused (no permission): fall back to selecting.
        }
      }
      selectText(target);
      announce(`Copying is not available here: ${what} is selected, press Ctrl+C (or Cmd+C) to copy it.`);
    });
  }
}

function logText(data) {
  try {
    const entry = JSON.parse(data);
    if (entry !== null && typeof entry.text === "string") return entry.text;
  } catch {
    // Not JSON: the data is the line itself.
  }
  return data;
}

function setUpLogStreams() {
  if (typeof EventSource === "undefined") return;
  for (const element of document.querySelectorAll("[data-log-stream]")) {
    const url = element.getAttribute("data-log-stream");
    if (!url) continue;
    const source = new EventSource(url, { withCredentials: true });
    const append = (event) => {
      const text = logText(event.data);
      element.append(text.endsWith("\n") ? text : `${text}\n`);
      element.scrollTop = element.scrollHeight;
    };
    source.addEventListener("log", append);
    source.addEventListener("message", append);
    source.addEventListener("end", (event) => {
      source.close();
      let state = "";
      try {
        state = String(JSON.parse(event.data).state || "");
      } catch {
        state = event.data;
      }
      for (const badge of document.querySelectorAll("[data-build-state]")) {
        badge.textContent = state;
        badge.setAttribute("data-build-state", state);
      }
      announce(`The build finished: ${state}.`);
    });
  }
}

setUpThemeToggle();
setUpCopyButtons();
setUpLogStreams();

/**
 * Validation for macOS and the plan every writer step works from: identifier, install location, the
 * Payload entries relative to it (with every ancestor directory, starting with "."), scripts.
 */
import { encodeUtf8 } from "../bytes/bytes.ts";
import { compareBytes, sortBytewise } from "../spec/order.ts";
import { SpecError } from "../errors.ts";
import type { Warning } from "../format.ts";
import { normalizeDestination, parentDirs } from "../spec/path.ts";
import type { ByteSource, PackageSpec, ScriptKind } from "../spec/types.ts";
import { validateSpec } from "../spec/validate.ts";
import { toMacosArchitectures } from "./arch.ts";
import { checkIdentifier, defaultIdentifier } from "./identifier.ts";
import type { MacosOptions } from "./options.ts";
import { formatMacosVersion } from "./version.ts";

/** st_mode file type bits. */
export const S_IFDIR = 0o040000;
export const S_IFREG = 0o100000;
export const S_IFLNK = 0o120000;

/** One Payload entry: `rel` is `.` or `./path` below the install location. */
export interface PayloadItem {
  rel: string;
  type: "file" | "dir" | "symlink";
  /** Full st_mode. */
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
  size: number;
  content?: ByteSource;
  target?: string;
}

/** A file of the Scripts archive. */
export interface ScriptItem {
  name: string;
  mode: number;
  body: Uint8Array | ByteSource;
}

export interface MacosPlan {
  identifier: string;
  /** Build date (seconds): mtime of implied directories and of the Scripts entries. */
  date: number;
  version: string;
  installLocation: string;
  /** `<name>.pkg`: the component directory inside a product archive. */
  componentName: string;
  fileName: string;
  hostArchitectures: string[];
  payload: PayloadItem[];
  scripts: ScriptItem[];
  /** PackageInfo `<scripts>` children, e.g. `preinstall`. */
  scriptNames: ("preinstall" | "postinstall")[];
  installKBytes: number;
  warnings: Warning[];
}

/**
 * Paths macOS System Integrity Protection forbids installers to write: `/System`, `/bin`, `/sbin`, and
 * `/usr` except `/usr/local`. `/usr` itself may appear as an ancestor directory.
 */
export function isSipProtected(path: string): boolean {
  if (path === "/usr/local" || path.startsWith("/usr/local/")) return false;
  return ["/System", "/bin", "/sbin", "/usr"].some((p) => path === p || path.startsWith(`${p}/`));
}

const IGNORED_SCRIPTS: readonly ScriptKind[] = [
  "preremove",
  "postremove",
  "preupgrade",
  "postupgrade",
  "pretrans",
  "posttrans",
  "verify",
  "trigger",
];

function scriptBody(s: { interpreter?: string; body: string }): Uint8Array {
  const text = s.body.startsWith("#!") ? s.body : `#!${s.interpreter ?? "/bin/sh"}\n${s.body}`;
  return encodeUtf8(text);
}

/** The `<name>-<version>.pkg` file name. */
export function macosFileName(spec: PackageSpec): string {
  return `${spec.name}-${formatMacosVersion(spec.version)}.pkg`;
}

/**
 * Validates `spec` for macOS and plans the package.
 * @throws SpecError INVALID_PATH (outside the install location or SIP-protected), INVALID_ARCH,
 * INVALID_FIELD (identifier, install location, names).
 */
export function planMacos(input: PackageSpec, options: MacosOptions = {}): MacosPlan {
  const spec = validateSpec(input);
  const warnings: Warning[] = [];
  if (!/^[A-Za-z0-9][A-Za-z0-9._+-]*$/.test(spec.name))
    throw new SpecError(
      "INVALID_NAME",
      `name: ${JSON.stringify(spec.name)} cannot name a macOS component package`,
      { field: "name", found: spec.name },
    );
  const identifier =
    options.identifier !== undefined ? checkIdentifier(options.identifier) : defaultIdentifier(spec);
  const rawLocation = options.installLocation ?? "/";
  const installLocation = /^\/+$/.test(rawLocation)
    ? "/"
    : normalizeDestination(rawLocation, "macos.install_location");
  if (installLocation !== "/" && isSipProtected(installLocation))
    throw new SpecError(
      "INVALID_PATH",
      `macos.install_location: ${installLocation} is protected by System Integrity Protection`,
      {
        field: "macos.install_location",
        found: installLocation,
      },
    );
  const hostArchitectures = toMacosArchitectures(spec.arch);
  const prefix = installLocation === "/" ? "/" : `${installLocation}/`;
  const items = new Map<string, PayloadItem>();
  const rootUid = 0;
  const rootItem: PayloadItem = {
    rel: ".",
    type: "dir",
    mode: S_IFDIR | 0o755,
    uid: rootUid,
    gid: 0,
    mtime: spec.date,
    size: 0,
  };
  items.set(".", rootItem);
  const contentOf = new Map<string, ByteSource>();
  for (const e of spec.entries) if (e.type === "file") contentOf.set(e.path, e.content);
  spec.entries.forEach((e, i) => {
    const field = `entries[${i}].path`;
    if (e.flags?.ghost) return;
    if (e.path === installLocation && e.type === "dir") {
      rootItem.mode = S_IFDIR | e.mode;
      rootItem.uid = e.owner.id;
      rootItem.gid = e.group.id;
      rootItem.mtime = e.mtime ?? spec.date;
      return;
    }
    if (!e.path.startsWith(prefix))
      throw new SpecError(
        "INVALID_PATH",
        `${field}: ${e.path} is not below the install location ${installLocation}`,
        { field, found: e.path },
      );
    if (isSipProtected(e.path) && !(e.type === "dir" && e.path === "/usr"))
      throw new SpecError(
        "INVALID_PATH",
        `${field}: ${e.path} lies under a path protected by System Integrity Protection (/System, /bin, /sbin, /usr except /usr/local)`,
        {
          field,
          found: e.path,
        },
      );
    const rel = `./${e.path.slice(prefix.length)}`;
    const base = { rel, uid: e.owner.id, gid: e.group.id, mtime: e.mtime ?? spec.date };
    if (e.type === "dir") items.set(rel, { ...base, type: "dir", mode: S_IFDIR | e.mode, size: 0 });
    else if (e.type === "symlink")
      items.set(rel, {
        ...base,
        type: "symlink",
        mode: S_IFLNK | (e.mode || 0o755),
        size: encodeUtf8(e.target).length,
        target: e.target,
      });
    else {
      // Hardlinks are stored as copies: the Bom's HLIndex is left empty, as mkbom does.
      const content = e.type === "file" ? e.content : contentOf.get(e.target)!;
      items.set(rel, { ...base, type: "file", mode: S_IFREG | e.mode, size: content.size, content });
    }
  });
  for (const rel of [...items.keys()]) {
    if (rel === ".") continue;
    for (const d of parentDirs(`/${rel.slice(2)}`)) {
      const r = `.${d}`;
      if (!items.has(r))
        items.set(r, {
          rel: r,
          type: "dir",
          mode: S_IFDIR | 0o755,
          uid: 0,
          gid: 0,
          mtime: spec.date,
          size: 0,
        });
    }
  }
  // Every ancestor of an item is an item (added above), so "has entries below it" is "is some item's
  // parent": one pass, where testing each item against every key was quadratic (5,000 files: ~1.7 s).
  const parents = new Set<string>();
  for (const rel of items.keys()) if (rel !== ".") parents.add(rel.slice(0, rel.lastIndexOf("/")));
  for (const [rel, it] of items) {
    if (it.type !== "dir" && parents.has(rel))
      throw new SpecError("INVALID_PATH", `${rel.slice(1)} is a ${it.type} but has entries below it`, {
        path: rel,
      });
  }
  // "." (the install location itself) first, then bytewise
  const payload = sortBytewise([...items.values()], (it) => (it.rel === "." ? "" : it.rel));
  const scripts: ScriptItem[] = [];
  const scriptNames: ("preinstall" | "postinstall")[] = [];
  for (const k of ["preinstall", "postinstall"] as const) {
    const s = spec.scripts[k];
    if (s) {
      scripts.push({ name: k, mode: 0o755, body: scriptBody(s) });
      scriptNames.push(k);
    }
  }
  for (const k of IGNORED_SCRIPTS) {
    if (spec.scripts[k])
      warnings.push({
        code: "MACOS_SCRIPT_IGNORED",
        message: `scripts.${k}: macOS installer packages only run preinstall and postinstall; ${k} is not written`,
      });
  }
  for (const h of options.scriptHelpers ?? []) {
    if (
      !/^[A-Za-z0-9._-]+$/.test(h.name) ||
      h.name === "preinstall" ||
      h.name === "postinstall" ||
      h.name.startsWith(".")
    )
      throw new SpecError(
        "INVALID_FIELD",
        `macos.scripts.helpers: ${JSON.stringify(h.name)} is not a plain helper file name`,
        { field: "macos.scripts.helpers", found: h.name },
      );
    scripts.push({ name: h.name, mode: 0o755, body: h.content });
  }
  scripts.sort((a, b) => compareBytes(a.name, b.name));
  let bytes = 0;
  for (const p of payload) if (p.type !== "dir") bytes += p.size;
  return {
    identifier,
    date: spec.date,
    version: formatMacosVersion(spec.version),
    installLocation,
    componentName: `${spec.name}.pkg`,
    fileName: macosFileName(spec),
    hostArchitectures,
    payload,
    scripts,
    scriptNames,
    installKBytes: Math.ceil(bytes / 1024),
    warnings,
  };
}

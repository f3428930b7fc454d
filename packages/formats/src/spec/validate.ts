import { compareBytes } from "./order.ts";
import { SpecError } from "../errors.ts";
import {
  isNormalDestination,
  NORMAL_HIGH,
  NOT_NORMAL,
  normalizeDestination,
  scanDestination,
} from "./path.ts";
import { assertRichRelation, isRichRelation } from "./relation.ts";
import {
  ARCHES,
  type Entry,
  type PackageSpec,
  type Principal,
  RELATION_KINDS,
  SCRIPT_KINDS,
} from "./types.ts";

/**
 * Checks what is format-independent and returns a normalised copy: entry paths absolute and clean,
 * entries sorted by path (bytewise), no duplicates, modes and owners in range, hardlinks pointing at
 * files of the package. Each format's `validate` adds its own rules. Throws SpecError naming the field.
 *
 * The copy is a new spec object with a new entries list; an entry whose paths are already normal is
 * that list's member as it is (shared with the input, as owners and contents always were), an entry
 * that needed normalising is a new object. Validating a validated spec again costs one pass over its
 * entries (no sort, no copies, about 10 ms for 50,000 entries), so nothing is cached: a spec is a plain
 * object its caller may change between two calls, and a cache by identity would pass a changed one.
 */
export function validateSpec(spec: PackageSpec): PackageSpec {
  if (typeof spec.name !== "string" || spec.name.trim() === "") {
    throw new SpecError("MISSING_FIELD", "name: expected a package name, found nothing", { field: "name" });
  }
  if (!spec.version || typeof spec.version.upstream !== "string" || spec.version.upstream === "") {
    throw new SpecError("MISSING_FIELD", "version: expected a version, found nothing", { field: "version" });
  }
  if (
    spec.version.epoch !== undefined &&
    !(Number.isInteger(spec.version.epoch) && spec.version.epoch >= 0)
  ) {
    throw new SpecError(
      "INVALID_VERSION",
      `version.epoch: expected a non-negative integer, found ${spec.version.epoch}`,
      {
        field: "version.epoch",
        found: spec.version.epoch,
      },
    );
  }
  if (!(ARCHES as readonly string[]).includes(spec.arch)) {
    throw new SpecError("INVALID_ARCH", `arch: expected one of ${ARCHES.join(", ")}, found "${spec.arch}"`, {
      field: "arch",
      found: spec.arch,
    });
  }
  if (!Number.isInteger(spec.date) || spec.date < 0) {
    throw new SpecError("INVALID_FIELD", `date: expected seconds since the epoch, found ${spec.date}`, {
      field: "date",
      found: spec.date,
    });
  }
  for (const key of [
    "name",
    "maintainer",
    "summary",
    "license",
    "homepage",
    "vendor",
    "section",
    "priority",
  ] as const) {
    const v = spec[key];
    if (v !== undefined && /[\r\n]/.test(v)) {
      throw new SpecError("INVALID_FIELD", `${key}: expected a single line, found a line break`, {
        field: key,
        found: v,
      });
    }
  }
  for (const kind of Object.keys(spec.relations)) {
    if (!(RELATION_KINDS as readonly string[]).includes(kind)) {
      throw new SpecError(
        "UNKNOWN_KEY",
        `relations.${kind}: unknown relation kind; expected one of ${RELATION_KINDS.join(", ")}`,
        {
          field: `relations.${kind}`,
        },
      );
    }
    spec.relations[kind as keyof PackageSpec["relations"]]?.forEach((group, i) => {
      if (group.length === 0) {
        throw new SpecError(
          "INVALID_RELATION",
          `relations.${kind}[${i}]: expected at least one package, found none`,
          {
            field: `relations.${kind}[${i}]`,
          },
        );
      }
      group.forEach((r, j) => {
        // An rpm rich dependency holds spaces by nature; its shape is checked on its own.
        if (isRichRelation(r)) {
          assertRichRelation(group, `relations.${kind}[${i}]`);
          return;
        }
        if (!r.name || /[\s,|]/.test(r.name) || (r.op === undefined) !== (r.version === undefined)) {
          throw new SpecError(
            "INVALID_RELATION",
            `relations.${kind}[${i}][${j}]: expected a name without spaces and op with version together`,
            {
              field: `relations.${kind}[${i}][${j}]`,
              found: r,
            },
          );
        }
      });
    });
  }
  for (const kind of Object.keys(spec.scripts)) {
    if (!(SCRIPT_KINDS as readonly string[]).includes(kind)) {
      throw new SpecError(
        "UNKNOWN_KEY",
        `scripts.${kind}: unknown script; expected one of ${SCRIPT_KINDS.join(", ")}`,
        {
          field: `scripts.${kind}`,
        },
      );
    }
  }

  // Per entry, nothing is allocated unless the entry needs a change: the field names of errors are
  // built when one is thrown, an entry whose paths are already normal is kept as it is, and the sort,
  // the duplicate check and the hardlink lookups need no Map of 50,000 paths. The list is copied at
  // once (not grown by push), and an entry is replaced only when it changes.
  const entries = spec.entries.slice();
  let hardlinks = false;
  const memo: EntryMemo = { name: undefined, high: false };
  for (let i = 0; i < entries.length; i++) {
    const before = entries[i]!;
    const e = checkEntry(before, i, memo);
    if (e.type === "hardlink") hardlinks = true;
    if (e !== before) entries[i] = e;
  }
  // Below U+D800, UTF-16 code unit order is UTF-8 byte order, and the engine compares strings in
  // native code, several times faster than compareBytes: when no path reaches a surrogate or beyond,
  // the two orders agree on every pair, so the engine's order checks and sorts the list the same.
  const byUnits = !memo.high;
  // A stable sort leaves a list already in order as it is: sort only when some neighbours are not.
  let ordered = true;
  for (let i = 1; i < entries.length; i++) {
    const a = entries[i - 1]!.path;
    const b = entries[i]!.path;
    if (byUnits ? a > b : compareBytes(a, b) > 0) {
      ordered = false;
      break;
    }
  }
  if (!ordered) {
    if (byUnits) entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    else entries.sort((a, b) => compareBytes(a.path, b.path));
  }
  for (let i = 1; i < entries.length; i++) {
    if (entries[i]!.path === entries[i - 1]!.path) {
      throw new SpecError("DUPLICATE_PATH", `entries: "${entries[i]!.path}" is listed twice`, {
        field: "entries",
        path: entries[i]!.path,
      });
    }
  }
  if (hardlinks) {
    for (const e of entries) {
      if (e.type === "hardlink") {
        const t = findEntry(entries, e.target);
        if (t?.type !== "file") {
          throw new SpecError(
            "INVALID_PATH",
            `hardlink ${e.path}: expected its target ${e.target} to be a file of this package`,
            {
              field: "entries",
              path: e.path,
              found: t?.type ?? "missing",
            },
          );
        }
      }
    }
  }
  return { ...spec, entries };
}

/**
 * The entry of `sorted` (in compareBytes order) whose path is `path`, by binary search; the last one
 * when several are, as a Map built from the list would give.
 */
function findEntry(sorted: readonly Entry[], path: string): Entry | undefined {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareBytes(sorted[mid]!.path, path) < 0) lo = mid + 1;
    else hi = mid;
  }
  // Different strings can be the same UTF-8 bytes (a lone surrogate encodes as U+FFFD), so the run of
  // byte-equal paths can hold other strings, and the same string twice apart (the duplicate check
  // compares neighbours only): look at each.
  let found: Entry | undefined;
  for (let i = lo; i < sorted.length && compareBytes(sorted[i]!.path, path) === 0; i++) {
    if (sorted[i]!.path === path) found = sorted[i];
  }
  return found;
}

/** What the checks of one validation's entries carry from one entry to the next. */
interface EntryMemo {
  /** The last owner or group name found valid: entries mostly repeat one name. */
  name: string | undefined;
  /** Whether some entry's path has a code unit at U+D800 or above (see scanDestination). */
  high: boolean;
}

/** Checks entry `i`; returns it as it is when its paths are already normal, else a normalised copy. */
function checkEntry(e: Entry, i: number, memo: EntryMemo): Entry {
  // The already-normal test first: the field name is built only for a path that needs normalising.
  let scan = scanDestination(e.path);
  let path = e.path;
  if (scan === NOT_NORMAL) {
    path = normalizeDestination(path, `entries[${i}].path`);
    scan = scanDestination(path);
  }
  if (scan === NORMAL_HIGH) memo.high = true;
  if (!Number.isInteger(e.mode) || e.mode < 0 || e.mode > 0o7777) {
    throw new SpecError(
      "INVALID_MODE",
      `entries[${i}].mode: expected permission bits 0..07777, found ${e.mode}`,
      {
        field: `entries[${i}].mode`,
        path,
        found: e.mode,
      },
    );
  }
  checkPrincipal(e.owner, "owner", i, path, memo);
  checkPrincipal(e.group, "group", i, path, memo);
  if (e.mtime !== undefined && (!Number.isInteger(e.mtime) || e.mtime < 0)) {
    throw new SpecError(
      "INVALID_FIELD",
      `entries[${i}].mtime: expected seconds since the epoch, found ${e.mtime}`,
      {
        field: `entries[${i}].mtime`,
        path,
      },
    );
  }
  if (e.type === "symlink" && (e.target === "" || e.target.includes("\0"))) {
    throw new SpecError("INVALID_PATH", `entries[${i}].target: expected a link target, found "${e.target}"`, {
      field: `entries[${i}].target`,
      path,
    });
  }
  if (e.type === "hardlink") {
    const target = isNormalDestination(e.target)
      ? e.target
      : normalizeDestination(e.target, `entries[${i}].target`);
    return path === e.path && target === e.target ? e : { ...e, path, target };
  }
  if (e.type === "file" && (!Number.isSafeInteger(e.content.size) || e.content.size < 0)) {
    throw new SpecError(
      "INVALID_FIELD",
      `entries[${i}].content.size: expected a byte count, found ${e.content.size}`,
      {
        field: `entries[${i}].content`,
        path,
      },
    );
  }
  return path === e.path ? e : { ...e, path };
}

function checkPrincipal(
  p: Principal,
  who: "owner" | "group",
  i: number,
  path: string,
  memo: EntryMemo,
): void {
  const name = p?.name;
  // The name test is the costly part: a name equal to the last one found valid passed it already.
  const nameOk = name !== undefined && name === memo.name ? true : !!name && !/[\s:]/.test(name);
  if (!p || !nameOk || !Number.isInteger(p.id) || p.id < 0 || p.id > 0xffffffff) {
    throw new SpecError(
      "INVALID_FIELD",
      `entries[${i}].${who}: expected { name, id } with a non-negative id`,
      {
        field: `entries[${i}].${who}`,
        path,
        found: p,
      },
    );
  }
  if (typeof name === "string") memo.name = name;
}

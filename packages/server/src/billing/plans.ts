/**
 * The plans file (`packyard serve --plans <file>`): the plans a server sells and their limits, read and
 * checked once at start. JSON:
 *
 * ```json
 * { "plans": [
 *   { "id": "free", "name": "Free", "default": true,
 *     "limits": { "projects": 1, "builds_per_month": 2, "storage_bytes": 1048576, "targets": 2 },
 *     "prices": ["price_free"] },
 *   { "id": "pro", "name": "Pro",
 *     "limits": { "projects": null, "builds_per_month": 500, "storage_bytes": 10737418240, "targets": null },
 *     "prices": ["price_1Pro", "price_1ProYearly"] } ] }
 * ```
 *
 * - `id`: lower-case letters, digits, `-`, `_` (up to 63), unique; `name`: 1 to 100 characters.
 * - `default: true` on exactly one plan: what an account without a subscription gets.
 * - `limits`: all four keys, each `null` (unlimited) or a whole number ≥ 0. `projects`: projects the account
 *   owns; `builds_per_month`: build requests per billing period; `storage_bytes`: bytes of the distinct blobs
 *   its projects reference; `targets`: targets in one build request.
 * - `prices`: the billing provider's price ids that buy the plan (a subscription event names one); each
 *   price belongs to one plan. May be empty.
 *
 * Unknown keys are refused. A file that is not this is 422-style INVALID_CONFIG naming the file, the plan
 * and the field. Without a plans file every account is unlimited ({@link UNLIMITED_PLAN}) and nothing is
 * ever refused: self-hosting never meets a limit.
 */
import { readFile } from "node:fs/promises";
import { ServerError } from "../errors.ts";

/** The limits a plan sets. */
export const LIMIT_NAMES = ["projects", "builds_per_month", "storage_bytes", "targets"] as const;

/** One limit's name. */
export type LimitName = (typeof LIMIT_NAMES)[number];

/** A plan's limits; null is unlimited. */
export type PlanLimits = Record<LimitName, number | null>;

/** One plan of the plans file. */
export interface Plan {
  id: string;
  name: string;
  default: boolean;
  limits: PlanLimits;
  prices: readonly string[];
}

/** A checked plans file. */
export interface Plans {
  /** Where it was read from (for messages). */
  file: string;
  plans: readonly Plan[];
  /** The plan of accounts without a subscription (or whose plan the file no longer has). */
  defaultPlan: Plan;
  byId: ReadonlyMap<string, Plan>;
  byPrice: ReadonlyMap<string, Plan>;
}

/** What every account has when the server runs without a plans file. */
export const UNLIMITED_PLAN: Plan = {
  id: "unlimited",
  name: "Unlimited",
  default: true,
  limits: { projects: null, builds_per_month: null, storage_bytes: null, targets: null },
  prices: [],
};

const PLAN_ID = /^[a-z0-9][a-z0-9_-]{0,62}$/;
const PLAN_KEYS = new Set(["id", "name", "default", "limits", "prices"]);

const isObject = (x: unknown): x is Record<string, unknown> =>
  typeof x === "object" && x !== null && !Array.isArray(x);

const shown = (x: unknown): string => {
  const text = JSON.stringify(x);
  return text === undefined ? String(x) : text.length > 80 ? `${text.slice(0, 77)}...` : text;
};

/**
 * Checks a plans file's text; `file` names it in errors. Throws INVALID_CONFIG with `details.file`,
 * `details.plan` (the plan's id or its index) and `details.field`.
 *
 * @example const plans = parsePlans('{"plans":[{"id":"free","name":"Free","default":true,"limits":{"projects":1,"builds_per_month":2,"storage_bytes":1048576,"targets":2},"prices":[]}]}', "plans.json");
 */
export function parsePlans(text: string, file: string): Plans {
  const fail = (plan: string | null, field: string, expected: string, found: unknown): never => {
    throw new ServerError(
      "INVALID_CONFIG",
      `${file}${plan === null ? "" : `: plan ${plan}`}: ${field}: expected ${expected}, found ${shown(found)}`,
      { file, plan, field, expected },
    );
  };
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new ServerError(
      "INVALID_CONFIG",
      `${file}: expected a JSON plans file, found: ${e instanceof Error ? e.message : String(e)}`,
      { file, plan: null },
      { cause: e },
    );
  }
  if (!isObject(data)) return fail(null, "(top level)", 'an object { "plans": [...] }', data);
  for (const key of Object.keys(data)) if (key !== "plans") fail(null, key, 'only the key "plans"', key);
  const list = data.plans;
  if (!Array.isArray(list) || list.length === 0)
    return fail(null, "plans", "a non-empty array of plans", list);

  const plans: Plan[] = [];
  const byId = new Map<string, Plan>();
  const byPrice = new Map<string, Plan>();
  for (const [index, entry] of (list as unknown[]).entries()) {
    let label = `#${index + 1}`;
    if (!isObject(entry)) return fail(label, `plans[${index}]`, "an object", entry);
    if (typeof entry.id === "string" && PLAN_ID.test(entry.id)) label = entry.id;
    for (const key of Object.keys(entry))
      if (!PLAN_KEYS.has(key)) fail(label, key, `one of ${[...PLAN_KEYS].join(", ")}`, key);
    const id = entry.id;
    if (typeof id !== "string" || !PLAN_ID.test(id))
      return fail(label, "id", `an id matching ${PLAN_ID}`, id);
    if (byId.has(id)) fail(label, "id", "an id no other plan has", id);
    const name = entry.name;
    if (typeof name !== "string" || name.trim() === "" || name.length > 100)
      return fail(label, "name", "a name of 1 to 100 characters", name);
    const isDefault = entry.default ?? false;
    if (typeof isDefault !== "boolean") return fail(label, "default", "true or false", isDefault);
    const limits = entry.limits;
    if (!isObject(limits)) return fail(label, "limits", `an object with ${LIMIT_NAMES.join(", ")}`, limits);
    for (const key of Object.keys(limits))
      if (!(LIMIT_NAMES as readonly string[]).includes(key))
        fail(label, `limits.${key}`, `one of ${LIMIT_NAMES.join(", ")}`, key);
    const checked = {} as PlanLimits;
    for (const key of LIMIT_NAMES) {
      if (!(key in limits)) fail(label, `limits.${key}`, "null (unlimited) or a whole number ≥ 0", undefined);
      const v = limits[key];
      if (v !== null && !(typeof v === "number" && Number.isSafeInteger(v) && v >= 0))
        fail(label, `limits.${key}`, "null (unlimited) or a whole number ≥ 0", v);
      checked[key] = v as number | null;
    }
    const prices = entry.prices ?? [];
    if (!Array.isArray(prices)) return fail(label, "prices", "an array of price ids", prices);
    prices.forEach((p: unknown, i) => {
      if (typeof p !== "string" || p.length === 0 || p.length > 255 || /\s/.test(p))
        fail(label, `prices[${i}]`, "a price id (1 to 255 characters, no spaces)", p);
    });
    const plan: Plan = { id, name, default: isDefault, limits: checked, prices: prices as string[] };
    for (const [i, p] of plan.prices.entries()) {
      const other = byPrice.get(p);
      if (other !== undefined)
        fail(label, `prices[${i}]`, `a price no other plan lists (plan ${other.id} lists it)`, p);
      byPrice.set(p, plan);
    }
    byId.set(id, plan);
    plans.push(plan);
  }
  const defaults = plans.filter((p) => p.default);
  if (defaults.length !== 1)
    fail(
      defaults[1]?.id ?? null,
      "default",
      "exactly one plan with default: true",
      defaults.length === 0 ? "none" : defaults.map((p) => p.id),
    );
  return { file, plans, defaultPlan: defaults[0]!, byId, byPrice };
}

/** Reads and checks the plans file at `path` (INVALID_CONFIG naming it when it cannot be read). */
export async function loadPlansFile(path: string): Promise<Plans> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    throw new ServerError(
      "INVALID_CONFIG",
      `${path}: expected a readable plans file, found: ${e instanceof Error ? e.message : String(e)}`,
      { file: path, plan: null },
      { cause: e },
    );
  }
  return parsePlans(text, path);
}

/** The plan a stored plan id stands for: the file's plan, else (NULL, or a plan the file dropped) the default. */
export function planOf(plans: Plans, planId: string | null): Plan {
  return (planId === null ? undefined : plans.byId.get(planId)) ?? plans.defaultPlan;
}

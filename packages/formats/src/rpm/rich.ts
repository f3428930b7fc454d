/**
 * rpm's grammar for rich (boolean) dependencies such as `(bash >= 4.4 or fish)` or `(a if b else c)`, as
 * rpmbuild checks it when it reads a spec: lib/rpmds.c rpmrichParseForTag plus the name checks of
 * build/parseReqs.c checkDep (rpm 4.14+ operators; error texts are rpm's own). packyard writes the
 * expression verbatim, as nfpm does; this only refuses what rpmbuild refuses.
 */

/** Boolean operators (lib/rpmds.c RichOps). */
const RICH_OPS = ["and", "or", "if", "unless", "else", "with", "without"] as const;
type RichOp = (typeof RICH_OPS)[number];

/** Version comparisons a simple dependency inside a rich one may use (lib/rpmds.c ReqComparisons). */
const COMPARISONS: ReadonlySet<string> = new Set(["<=", "=<", "<", "==", "=", ">=", "=>", ">"]);

// Context bits of rpmrichParseInternal (RICHPARSE_*): which operators the enclosing term still allows.
const CHECK = 1;
const NO_WITH = 2;
const NO_AND = 4;
const NO_OR = 8;

/**
 * Where a rich dependency sits, which decides the operators allowed at its top: `if`/`and` read naturally in
 * requirements, `unless`/`or` in the reverse ones (lib/rpmds.c rpmrichParseForTag).
 */
export type RichContext = "requires" | "reverse";

class RichSyntaxError extends Error {}

class RichParser {
  private p = 0;
  private readonly s: string;
  constructor(s: string) {
    this.s = s;
  }

  private at(): string | undefined {
    return this.s[this.p];
  }

  /** SKIPWHITE: rpm treats commas as white space between tokens. */
  private skipWhite(): void {
    while (this.p < this.s.length && /[\s,]/.test(this.s[this.p]!)) this.p++;
  }

  /** SKIPNONWHITEX: a token ends at white space, a comma or a `)` that closes nothing inside it. */
  private skipToken(): void {
    let open = 0;
    while (this.p < this.s.length) {
      const c = this.s[this.p]!;
      if (/[\s,]/.test(c)) return;
      if (c === ")") {
        if (open <= 0) return;
        open--;
      }
      this.p++;
      if (c === "(") open++;
    }
  }

  /** parseSimpleDep: `name [cmp version]`, then rpmbuild's checkDep on it (build/parseReqs.c). */
  private simple(): void {
    const start = this.p;
    this.skipToken();
    const name = this.s.slice(start, this.p);
    if (name === "") throw new RichSyntaxError("Name required");
    let evr: string | undefined;
    this.skipWhite();
    if (this.p < this.s.length) {
      const save = this.p;
      this.skipToken();
      if (COMPARISONS.has(this.s.slice(save, this.p))) {
        this.skipWhite();
        const version = this.p;
        this.skipToken();
        if (this.p === version) throw new RichSyntaxError("Version required");
        evr = this.s.slice(version, this.p);
      } else {
        this.p = save;
      }
    }
    checkDep(name, evr);
  }

  /** rpmrichParseInternal: one parenthesised term; `ctx.check` carries the context bits up and down. */
  term(ctx: { check: number }): void {
    const begin = this.p;
    let op: RichOp | "single" = "single";
    let first: RichOp | "single" = "single";
    let chain: RichOp | "none" = "none";
    let check = ctx.check;
    if (this.s[this.p++] !== "(") throw new RichSyntaxError("Rich dependency does not start with '('");
    for (;;) {
      this.skipWhite();
      if (this.at() === ")")
        throw new RichSyntaxError(
          chain !== "none" ? "Missing argument to rich dependency op" : "Empty rich dependency",
        );
      if (this.at() === "(") {
        const sub = { check: check & CHECK };
        this.term(sub);
        if (op === "if" || op === "unless") sub.check &= ~(NO_AND | NO_OR);
        check |= sub.check;
      } else {
        this.simple();
      }
      this.skipWhite();
      if (this.p >= this.s.length)
        throw new RichSyntaxError(`Unterminated rich dependency: ${this.s.slice(begin)}`);
      if (this.at() === ")") break;
      let end = this.p;
      while (end < this.s.length && !/\s/.test(this.s[end]!) && this.s[end] !== ")") end++;
      const token = this.s.slice(this.p, end);
      if (!(RICH_OPS as readonly string[]).includes(token))
        throw new RichSyntaxError(`Unknown rich dependency op '${token}'`);
      op = token as RichOp;
      if (first === "single") first = op;
      if (op === "else" && (chain === "if" || chain === "unless")) chain = "none";
      if (chain !== "none" && op !== chain) throw new RichSyntaxError("Cannot chain different ops");
      if (chain !== "none" && op !== "and" && op !== "or" && op !== "with")
        throw new RichSyntaxError("Can only chain and/or/with ops");
      chain = op;
      this.p = end;
    }
    checkContext(first, check);
    if (first === "if") check |= NO_OR;
    if (first === "unless") check |= NO_AND;
    if (op === "and" || op === "or") check &= ~(NO_AND | NO_OR);
    if (op !== "single" && op !== "with" && op !== "without" && op !== "or") check |= NO_WITH;
    this.p++;
    ctx.check |= check;
  }

  get rest(): string {
    return this.s.slice(this.p);
  }
}

/** Characters rpmbuild allows in a version besides letters and digits (build/rpmbuild_internal.h ALLOWED_CHARS_EVR). */
const EVR_CHARS = /^[A-Za-z0-9.\-_+:%{}~^]$/;

/**
 * rpmbuild's checkDep (build/parseReqs.c) on one simple dependency inside a rich one: the name starts with
 * a letter, digit, `_` or `/` (only plain ASCII is judged, the spec's encoding being unknown), a file name
 * carries no version, and the version passes rpmCharCheck, one `-` and one `:` at most, a numeric epoch
 * (rpm 4.18 sets %_wrong_version_format_terminate_build, so those last ones are errors).
 */
function checkDep(name: string, evr: string | undefined): void {
  if (/^[\x00-\x7f]/.test(name) && !/^[A-Za-z0-9_/]/.test(name))
    throw new RichSyntaxError("Dependency tokens must begin with alpha-numeric, '_' or '/'");
  if (evr === undefined) return;
  if (name.startsWith("/")) throw new RichSyntaxError("Versioned file name not permitted");
  // rpmCharCheck reports the last offending character, and ".." only when every character passed.
  const bad = [...evr].filter((c) => !EVR_CHARS.test(c)).pop();
  if (bad !== undefined) {
    const code = bad.codePointAt(0)!;
    const shown = code >= 0x20 && code < 0x7f ? bad : "?";
    throw new RichSyntaxError(`Illegal char '${shown}' (0x${code.toString(16)}) in`);
  }
  if (evr.includes("..")) throw new RichSyntaxError('Illegal sequence ".." in');
  for (const sep of ["-", ":"]) {
    if (evr.split(sep).length > 2)
      throw new RichSyntaxError(`Invalid version (double separator '${sep}'): ${evr}`);
  }
  const colon = evr.indexOf(":");
  if (colon >= 0 && !/^\d*$/.test(evr.slice(0, colon)))
    throw new RichSyntaxError(`Invalid version (epoch must be unsigned integer): ${evr}`);
}

/** rpmrichParseCheck. */
function checkContext(op: RichOp | "single", check: number): void {
  if ((op === "with" || op === "without") && check & NO_WITH)
    throw new RichSyntaxError("Illegal ops in with/without");
  if (!(check & CHECK)) return;
  if ((op === "and" || op === "if") && check & NO_AND)
    throw new RichSyntaxError("Illegal context for 'unless', please use 'or' instead");
  if ((op === "or" || op === "unless") && check & NO_OR)
    throw new RichSyntaxError("Illegal context for 'if', please use 'and' instead");
}

/**
 * What rpmbuild would say about rich dependency `text` in `context`, or undefined when it accepts it.
 * @example richDependencyError("(a or)", "requires") // "Missing argument to rich dependency op"
 * @example richDependencyError("(a unless b)", "requires") // "Illegal context for 'unless', please use 'or' instead"
 */
export function richDependencyError(text: string, context: RichContext): string | undefined {
  const parser = new RichParser(text);
  try {
    const ctx = { check: CHECK };
    parser.term(ctx);
    if (parser.rest !== "") return "Junk after rich dependency";
    checkContext(context === "requires" ? "and" : "or", ctx.check);
    return undefined;
  } catch (e) {
    if (e instanceof RichSyntaxError) return e.message;
    throw e;
  }
}

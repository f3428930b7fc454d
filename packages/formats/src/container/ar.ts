/**
 * ar (the deb container): encoder and decoder side by side (deb(5); dpkg lib/dpkg/ar.c).
 *
 * Written as dpkg-deb writes it: global header "!<arch>\n", 60-byte member headers with the name
 * left-justified and space-padded without a trailing "/", decimal mtime, uid and gid "0" by default,
 * octal mode "100644", decimal size, "`\n"; data padded to an even length with "\n". No symbol table and
 * no GNU long-name table (deb(5): only the common format). The decoder strips a GNU "/" name suffix.
 */
import { collect, contentStream, decodeAscii, encodeAscii } from "../bytes/bytes.ts";
import { ByteReader } from "../bytes/reader.ts";
import { FormatError, SpecError } from "../errors.ts";
import { entryBudget, type ReadLimits, resolveLimits } from "../limits.ts";
import type { ByteSource } from "../spec/types.ts";

/** "!<arch>\n" */
export const AR_MAGIC: Uint8Array = encodeAscii("!<arch>\n");
/** Size of a member header. */
export const AR_HEADER_SIZE = 60;
/** Member header layout (offset, size). */
export const AR_FIELD = {
  name: { offset: 0, size: 16 },
  mtime: { offset: 16, size: 12 },
  uid: { offset: 28, size: 6 },
  gid: { offset: 34, size: 6 },
  mode: { offset: 40, size: 8 },
  size: { offset: 48, size: 10 },
  fmag: { offset: 58, size: 2 },
} as const;
/** "`\n", the end of every member header. */
const AR_FMAG = encodeAscii("`\n");

/** A member's metadata as written. Defaults: mtime 0, mode 0o100644, uid/gid 0. */
export interface ArMemberHeader {
  name: string;
  size: number;
  mtime?: number;
  mode?: number;
  uid?: number;
  gid?: number;
}

/** A member to write. */
export interface ArWriteMember extends ArMemberHeader {
  content: Uint8Array | ByteSource | AsyncIterable<Uint8Array>;
}

/** A decoded member; its body is skipped automatically when the consumer moves on. */
export interface ArMember {
  name: string;
  size: number;
  /** Offset of the member's header. */
  offset: number;
  mtime: number;
  mode: number;
  uid: number;
  gid: number;
  body(): AsyncIterable<Uint8Array>;
  bytes(): Promise<Uint8Array>;
}

function field(
  name: keyof typeof AR_FIELD,
  text: string,
  member: string,
): { offset: number; bytes: Uint8Array } {
  const f = AR_FIELD[name];
  if (text.length > f.size) {
    throw new SpecError(
      "INVALID_FIELD",
      `ar ${name} ${JSON.stringify(text)} of ${JSON.stringify(member)} is over ${f.size} characters`,
      {
        field: name,
        path: member,
        found: text,
      },
    );
  }
  return { offset: f.offset, bytes: encodeAscii(text.padEnd(f.size, " ")) };
}

/** Encodes one 60-byte member header. */
export function encodeArHeader(h: ArMemberHeader): Uint8Array {
  // dpkg (lib/dpkg/ar.c) accepts names up to 15 characters plus an optional "/"; no spaces or "/" inside.
  if (!/^[\x21-\x2e\x30-\x7e]{1,15}$/.test(h.name)) {
    throw new SpecError(
      "INVALID_FIELD",
      `ar member name ${JSON.stringify(h.name)} must be 1 to 15 printable ASCII characters without "/" or spaces`,
      {
        field: "name",
        found: h.name,
      },
    );
  }
  for (const k of ["size", "mtime", "mode", "uid", "gid"] as const) {
    const v = h[k];
    if (v !== undefined && !(Number.isSafeInteger(v) && v >= 0)) {
      throw new SpecError(
        "INVALID_FIELD",
        `ar ${k} of ${JSON.stringify(h.name)} must be a non-negative integer`,
        { field: k, found: v },
      );
    }
  }
  const out = new Uint8Array(AR_HEADER_SIZE);
  for (const f of [
    field("name", h.name, h.name),
    field("mtime", String(h.mtime ?? 0), h.name),
    field("uid", String(h.uid ?? 0), h.name),
    field("gid", String(h.gid ?? 0), h.name),
    field("mode", (h.mode ?? 0o100644).toString(8), h.name),
    field("size", String(h.size), h.name),
  ]) {
    out.set(f.bytes, f.offset);
  }
  out.set(AR_FMAG, AR_FIELD.fmag.offset);
  return out;
}

/** Streams an ar archive: global header, then each member's header, content and even-padding. */
export async function* writeAr(
  members: Iterable<ArWriteMember> | AsyncIterable<ArWriteMember>,
): AsyncGenerator<Uint8Array> {
  yield AR_MAGIC;
  for await (const m of members) {
    yield encodeArHeader(m);
    yield* contentStream(m.content, m.size, m.name);
    if (m.size % 2 === 1) yield encodeAscii("\n");
  }
}

/** Options of {@link readAr}. */
export interface ReadArOptions {
  limits?: Partial<ReadLimits>;
}

function parseDecimal(bytes: Uint8Array, name: string, offset: number, radix: 8 | 10): number {
  const text = decodeAscii(bytes).trim();
  const re = radix === 8 ? /^[0-7]*$/ : /^[0-9]*$/;
  if (!re.test(text)) {
    throw new FormatError(
      "BAD_HEADER",
      `ar member header at offset ${offset}: ${name} ${JSON.stringify(text)} is not a ${radix === 8 ? "octal" : "decimal"} number`,
      {
        offset,
        field: name,
        found: text,
      },
    );
  }
  return text === "" ? 0 : Number.parseInt(text, radix);
}

/** Reads an ar archive member by member; bad magic, bad header magic and short input give typed errors. */
export async function* readAr(
  input: AsyncIterable<Uint8Array>,
  opts: ReadArOptions = {},
): AsyncGenerator<ArMember> {
  const limits = resolveLimits(opts.limits);
  const reader = new ByteReader(input);
  const magic = await reader.readUpTo(AR_MAGIC.length);
  if (magic.length !== AR_MAGIC.length || !magic.every((b, i) => b === AR_MAGIC[i])) {
    throw new FormatError(
      "BAD_MAGIC",
      `not an ar archive: expected "!<arch>\\n" at offset 0, found ${JSON.stringify(decodeAscii(magic))}`,
      {
        offset: 0,
        found: decodeAscii(magic),
      },
    );
  }
  let bodyEnd = reader.offset;
  const count = entryBudget(limits, "ar archive");
  while (true) {
    if (reader.offset < bodyEnd) await reader.skip(bodyEnd - reader.offset);
    // a member with odd size is followed by "\n"; tolerate its absence at the very end (some writers)
    if (reader.offset % 2 === 1) {
      const pad = await reader.readUpTo(1);
      if (pad.length === 0) return;
    }
    const offset = reader.offset;
    if (await reader.atEnd()) return;
    const h = await reader.read(AR_HEADER_SIZE);
    const fmag = h.subarray(AR_FIELD.fmag.offset, AR_FIELD.fmag.offset + 2);
    if (fmag[0] !== AR_FMAG[0] || fmag[1] !== AR_FMAG[1]) {
      throw new FormatError(
        "BAD_MAGIC",
        `bad ar member header magic at offset ${offset + AR_FIELD.fmag.offset}: expected "\`\\n"`,
        {
          offset: offset + AR_FIELD.fmag.offset,
          found: decodeAscii(fmag),
        },
      );
    }
    const get = (k: keyof typeof AR_FIELD) =>
      h.subarray(AR_FIELD[k].offset, AR_FIELD[k].offset + AR_FIELD[k].size);
    let name = decodeAscii(get("name")).trimEnd();
    // GNU ar terminates names with "/"; "/" and "//" are its symbol and long-name tables and stay as is.
    if (name.endsWith("/") && name !== "/" && name !== "//") name = name.slice(0, -1);
    const size = parseDecimal(get("size"), "size", offset, 10);
    const member = {
      name,
      size,
      offset,
      mtime: parseDecimal(get("mtime"), "mtime", offset, 10),
      uid: parseDecimal(get("uid"), "uid", offset, 10),
      gid: parseDecimal(get("gid"), "gid", offset, 10),
      mode: parseDecimal(get("mode"), "mode", offset, 8),
    };
    count(name, size, offset);
    const dataStart = reader.offset;
    bodyEnd = dataStart + size;
    const body = reader.entryBody(dataStart, size, `ar member ${JSON.stringify(name)}`);
    yield { ...member, body, bytes: () => collect(body()) };
  }
}

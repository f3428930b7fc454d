/**
 * Reading an OpenPGP cleartext-signed message (RFC 4880 §7) the way apt does (apt-pkg/contrib/gpgv.cc
 * SplitClearSignedFile): nothing before the BEGIN line, `Hash:` headers, a blank line, the dash-escaped
 * text, one signature block, nothing after it but blank lines (apt ≥ 1.8 refuses any other text outside
 * the signed part, repos.md §2.2).
 */
import { RepoError } from "../errors.ts";

const BEGIN_MESSAGE = "-----BEGIN PGP SIGNED MESSAGE-----";
const BEGIN_SIGNATURE = "-----BEGIN PGP SIGNATURE-----";
const END_SIGNATURE = "-----END PGP SIGNATURE-----";

/** The parts of a cleartext-signed message. */
export interface Cleartext {
  /** The text as apt extracts it: the unescaped lines, each ending with a newline. */
  text: string;
  /**
   * What the signature covers (RFC 4880 §7.1): the lines without trailing spaces and tabs, joined by CRLF,
   * no final line break. A text-mode (0x01) signature over these bytes verifies as a detached one.
   */
  signed: Uint8Array;
  /** The armored signature block. */
  signature: string;
  /** Hash algorithms the `Hash:` headers name, as written (`SHA256`). */
  hashes: string[];
}

function bad(where: string, expected: string, found: string): RepoError {
  return new RepoError("VERIFY_FAILED", `${where}: expected ${expected}, found ${found}`, {
    path: where,
    expected,
    found,
  });
}

/**
 * Splits a cleartext-signed message into its text and signature.
 * @throws RepoError VERIFY_FAILED naming `where` when the framing is not what apt accepts.
 */
export function parseCleartext(message: string, where: string): Cleartext {
  const lines = message.split("\n").map((l) => l.replace(/\r$/, ""));
  if (lines[0] !== BEGIN_MESSAGE)
    throw bad(where, `'${BEGIN_MESSAGE}' as the first line`, JSON.stringify((lines[0] ?? "").slice(0, 60)));
  let i = 1;
  const hashes: string[] = [];
  for (; i < lines.length && lines[i] !== ""; i++) {
    const m = /^Hash: (.+)$/.exec(lines[i]!);
    if (m === null) throw bad(where, "'Hash:' armor headers then a blank line", JSON.stringify(lines[i]));
    hashes.push(...m[1]!.split(",").map((h) => h.trim()));
  }
  if (i >= lines.length) throw bad(where, "a blank line after the armor headers", "end of file");
  i++;
  const body: string[] = [];
  for (; i < lines.length && lines[i] !== BEGIN_SIGNATURE; i++) {
    const line = lines[i]!;
    body.push(line.startsWith("- ") ? line.slice(2) : line);
  }
  if (i >= lines.length) throw bad(where, `a '${BEGIN_SIGNATURE}' line`, "end of file");
  const start = i;
  for (; i < lines.length && lines[i] !== END_SIGNATURE; i++);
  if (i >= lines.length) throw bad(where, `a '${END_SIGNATURE}' line`, "end of file");
  const after = lines.slice(i + 1).filter((l) => l.trim() !== "");
  if (after.length > 0)
    throw bad(where, "nothing after the signature block", JSON.stringify(after[0]!.slice(0, 60)));
  return {
    text: body.map((l) => `${l}\n`).join(""),
    signed: new TextEncoder().encode(body.map((l) => l.replace(/[ \t]+$/, "")).join("\r\n")),
    signature: `${lines.slice(start, i + 1).join("\n")}\n`,
    hashes,
  };
}

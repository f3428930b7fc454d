/**
 * A stand-in package format for CLI tests: it writes a plain-text listing of the spec (entries, modes,
 * flags, file contents, scripts) so tests can check what `build` handed the format, and signs with a
 * detached OpenPGP signature like Arch's `.sig`.
 */
import { createHash } from "node:crypto";
import type { PackageFormat, PackageInfo } from "../src/formats.ts";

interface FakeOptions {
  signature?: { key_file?: string };
}

const enc = new TextEncoder();

async function collect(chunks: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const c of chunks) parts.push(c);
  return new Uint8Array(Buffer.concat(parts));
}

/** The fake format, registered under the id `deb` so configs and `-p deb` reach it. */
export const fakeFormat: PackageFormat<FakeOptions> = {
  id: "deb",
  fileName: (spec) => `${spec.name}_${spec.version.upstream}_${spec.arch}.fake`,
  validate: () => {},
  async *write(spec) {
    yield enc.encode(`FAKE ${spec.name} ${spec.version.upstream} ${spec.arch} date=${spec.date}\n`);
    for (const e of spec.entries) {
      const flags = Object.entries(e.flags ?? {})
        .filter(([, v]) => v === true)
        .map(([k]) => ` ${k}`)
        .join("");
      const target = e.type === "symlink" || e.type === "hardlink" ? ` -> ${e.target}` : "";
      yield enc.encode(`${e.type} ${e.path} ${e.mode.toString(8)}${target}${flags}\n`);
      if (e.type === "file") {
        yield* e.content.open();
        yield enc.encode("\n");
      }
    }
    for (const k of Object.keys(spec.scripts)) yield enc.encode(`script ${k}\n`);
  },
  async read(source) {
    const bytes = await collect(source.open());
    const [, name = "", version = "", arch = ""] = new TextDecoder().decode(bytes).split("\n")[0]!.split(" ");
    const digest = (a: string) => createHash(a).update(bytes).digest("hex");
    const info: PackageInfo = {
      format: "deb",
      name,
      versionString: version,
      version: { upstream: version },
      archString: arch,
      relations: {},
      files: [],
      scripts: {},
      signatures: [],
      artifact: {
        size: bytes.length,
        digests: {
          md5: digest("md5"),
          sha1: digest("sha1"),
          sha256: digest("sha256"),
          sha512: digest("sha512"),
        },
      },
      raw: { format: "deb", control: "", members: [] },
    };
    return info;
  },
  compareVersions: (a, b) => (a < b ? -1 : a > b ? 1 : 0),
  newest: (packages) => packages[0],
  sniff: (head) => new TextDecoder().decode(head.subarray(0, 5)) === "FAKE ",
  async detachedSignature(artifact, _options, signer, ctx) {
    if (signer.kind !== "openpgp") return undefined;
    // The CLI passes the build date; a missing one would be a CLI bug, so it fails here rather than defaulting.
    if (ctx?.date === undefined) throw new Error("fake format: detachedSignature without ctx.date");
    const date = new Date(ctx.date * 1000);
    return { suffix: ".sig", bytes: await signer.detached(artifact.open(), { date }) };
  },
  config: {
    key: "deb",
    schema: {},
    parse: (raw) => (raw ?? {}) as FakeOptions,
    signing: (o) =>
      o.signature?.key_file !== undefined ? { kind: "key-file", keyFile: o.signature.key_file } : undefined,
  },
};

/** `packyard sign`'s work (commands/sign.ts describes the command). */
import { relative, resolve } from "node:path";
import { sourceDateEpoch } from "../build-date.ts";
import type { RunCommand } from "../command.ts";
import { fileSource, SpecError, writeFileAtomic } from "../formats.ts";
import { loadSigner } from "../load-signer.ts";
import { aboutFile } from "../report.ts";
import { sniffFile } from "../sniff.ts";
import { UsageError } from "../usage-error.ts";

async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

export const run: RunCommand = async (flags, positionals, io) => {
  if (typeof flags.key !== "string") {
    throw new UsageError("missing --key", "sign");
  }
  const name = positionals[0]!;
  const path = resolve(io.cwd, name);
  const format = await sniffFile(path, io.formats, name);
  // The CLI is the one place that reads the clock: SOURCE_DATE_EPOCH makes re-signing reproducible.
  const date = sourceDateEpoch(io.env) ?? Math.floor(Date.now() / 1000);
  const signer = await loadSigner(resolve(io.cwd, flags.key), {
    env: io.env,
    format: format.id,
    ...(typeof flags["passphrase-env"] === "string" ? { passphraseEnv: flags["passphrase-env"] } : {}),
    ...(typeof flags["key-id"] === "string" ? { keyId: flags["key-id"] } : {}),
    ...(typeof flags["key-name"] === "string" ? { keyName: flags["key-name"] } : {}),
    ...(typeof flags.certificate === "string" ? { certificate: resolve(io.cwd, flags.certificate) } : {}),
  });
  if (format.sign !== undefined) {
    try {
      await writeFileAtomic(path, format.sign(await fileSource(path), signer, { date }), 0o644);
    } catch (e) {
      throw aboutFile(name, e);
    }
    io.err(`signed ${relative(io.cwd, path) || path} (${format.id}, in place)\n`);
    return 0;
  }
  if (format.detachedSignature !== undefined) {
    const options = format.config.parse({}, { field: format.config.key, baseDir: io.cwd });
    const detached = await format
      .detachedSignature(await fileSource(path), options, signer, { date })
      .catch((e: unknown) => {
        throw aboutFile(name, e);
      });
    if (detached !== undefined) {
      const sigPath = path + detached.suffix;
      await writeFileAtomic(sigPath, once(detached.bytes), 0o644);
      io.err(`wrote ${relative(io.cwd, sigPath) || sigPath}\n`);
      return 0;
    }
  }
  throw new SpecError("UNSUPPORTED_FEATURE", `${format.id} packages cannot be signed by packyard`, {
    path,
    field: "format",
    found: format.id,
  });
};

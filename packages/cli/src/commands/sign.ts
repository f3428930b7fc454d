/** `packyard sign FILE --key KEY`: signs an existing package in place, or writes its detached signature. */
import { relative, resolve } from "node:path";
import { sourceDateEpoch } from "../build-date.ts";
import type { Command } from "../command.ts";
import { fileSource, SpecError, writeFileAtomic } from "../formats.ts";
import { loadSigner } from "../load-signer.ts";
import { aboutFile } from "../report.ts";
import { sniffFile } from "../sniff.ts";
import { UsageError } from "../usage-error.ts";

async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

export const signCommand: Command = {
  name: "sign",
  summary: "sign an existing package (embedded signature, or a detached FILE.sig)",
  help: `Usage: packyard sign FILE --key KEY [--certificate CERT] [--passphrase-env VAR] [--key-id ID] [--key-name NAME]

Signs a package made by packyard or by the distribution's tools. Formats with embedded signatures
(rpm header, deb _gpgorigin, apk .SIGN, macOS .pkg) are rewritten in place (atomically); Arch packages
get FILE.sig. Signatures are dated SOURCE_DATE_EPOCH when it is set (reproducible), else now.

Options:
      --key FILE            OpenPGP secret key (armored or binary), RSA private key (PEM, for apk), or
                            for macOS a PKCS#12 .p12 or a PEM RSA key with --certificate
      --certificate FILE    macOS: PEM certificate chain (leaf first) of the --key
      --passphrase-env VAR  env var holding the key's passphrase (default: PACKYARD_<FORMAT>_PASSPHRASE,
                            PACKYARD_PASSPHRASE, NFPM_<FORMAT>_PASSPHRASE, NFPM_PASSPHRASE)
      --key-id ID           OpenPGP fingerprint or 16-hex key id of the (sub)key to sign with
      --key-name NAME       apk key name as installed in /etc/apk/keys (default: from the key)
      --debug               stack traces on errors
  -h, --help                show this help
`,
  options: {
    key: { type: "string" },
    "passphrase-env": { type: "string" },
    "key-id": { type: "string" },
    "key-name": { type: "string" },
    certificate: { type: "string" },
  },
  positionals: { min: 1, max: 1, name: "FILE (the package to sign)" },
  async run(flags, positionals, io) {
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
  },
};

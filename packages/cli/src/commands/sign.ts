/** `packyard sign FILE --key KEY`: signs an existing package in place, or writes its detached signature. */
import { type Command, runFrom } from "../command.ts";

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
  run: runFrom(() => import("../run/sign.ts")),
};

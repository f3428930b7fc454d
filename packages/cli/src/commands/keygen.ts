/** `packyard keygen`: makes a signing key pair and writes it with safe file modes. */
import { type Command, runFrom } from "../command.ts";

export const keygenCommand: Command = {
  name: "keygen",
  summary: "generate an OpenPGP or RSA signing key",
  help: `Usage: packyard keygen --type openpgp|rsa --name NAME --email EMAIL [-o DIR] [--algorithm rsa|ecc] [--passphrase-env VAR]

Generates a signing key and prints its fingerprint.
  openpgp   v4 RSA-4096 key (accepted by apt, dnf/rpm and pacman): NAME.asc (public), NAME.secret.asc (0600)
  rsa       RSA key for Alpine apk: NAME.rsa (private, 0600) and NAME.rsa.pub, and prints the apk key name
            (EMAIL-<8 hex>.rsa.pub): the file name under which apk trusts it in /etc/apk/keys/

Options:
      --type TYPE           openpgp or rsa
      --name NAME           key owner's name (also the file name stem)
      --email EMAIL         key owner's e-mail
  -o, --output DIR          folder to write into (default: current folder); existing files are never overwritten
      --algorithm ALGO      OpenPGP only: rsa (default, RSA-4096) or ecc (v4 EdDSA, legacy Ed25519)
      --passphrase-env VAR  protect the OpenPGP secret key with the passphrase in env var VAR
      --debug               stack traces on errors
  -h, --help                show this help

Example:
  packyard keygen --type openpgp --name "Jane Doe" --email jane@example.org -o keys/
`,
  options: {
    type: { type: "string" },
    name: { type: "string" },
    email: { type: "string" },
    output: { type: "string", short: "o" },
    "passphrase-env": { type: "string" },
    algorithm: { type: "string" },
  },
  positionals: { min: 0, max: 0 },
  run: runFrom(() => import("../run/keygen.ts")),
};

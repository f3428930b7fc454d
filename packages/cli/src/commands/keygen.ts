/** `packyard keygen`: makes a signing key pair and writes it with safe file modes. */
import { existsSync } from "node:fs";
import { chmod, mkdir, writeFile } from "node:fs/promises";
import { join, relative, resolve } from "node:path";
import type { Command } from "../command.ts";
import { IOError, keygen } from "../formats.ts";
import { UsageError } from "../usage-error.ts";

const TYPES = ["openpgp", "rsa"] as const;

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
  async run(flags, _positionals, io) {
    const type = flags.type;
    if (typeof type !== "string") throw new UsageError("missing --type (openpgp or rsa)", "keygen");
    if (!(TYPES as readonly string[]).includes(type)) {
      throw new UsageError(`--type: expected openpgp or rsa, found '${type}'`, "keygen");
    }
    if (typeof flags.name !== "string" || flags.name.trim() === "")
      throw new UsageError("missing --name", "keygen");
    if (typeof flags.email !== "string" || flags.email.trim() === "") {
      throw new UsageError("missing --email", "keygen");
    }
    const algorithm = flags.algorithm;
    if (algorithm !== undefined && (type !== "openpgp" || (algorithm !== "rsa" && algorithm !== "ecc"))) {
      throw new UsageError(
        `--algorithm: expected rsa or ecc with --type openpgp, found '${String(algorithm)}'`,
        "keygen",
      );
    }
    let passphrase: string | undefined;
    const passEnv = flags["passphrase-env"];
    if (typeof passEnv === "string") {
      passphrase = io.env[passEnv];
      if (passphrase === undefined || passphrase === "") {
        throw new UsageError(`--passphrase-env names ${passEnv}, but it is not set`, "keygen");
      }
    }
    const dir = resolve(io.cwd, typeof flags.output === "string" ? flags.output : ".");
    const result = await keygen({
      type: type as (typeof TYPES)[number],
      name: flags.name,
      email: flags.email,
      ...(passphrase !== undefined ? { passphrase } : {}),
      ...(algorithm === "rsa" || algorithm === "ecc" ? { algorithm } : {}),
    });
    await mkdir(dir, { recursive: true });
    // Check every name first, so an existing key never leaves a half-written pair behind.
    for (const file of result.files) {
      const path = join(dir, file.name);
      if (existsSync(path)) {
        throw new IOError(
          "WRITE_FAILED",
          `${path} already exists: packyard keygen never overwrites a key; remove it or choose another --name or -o`,
          { path },
        );
      }
    }
    for (const file of result.files) {
      const path = join(dir, file.name);
      try {
        // "wx": never replace an existing key; chmod afterwards because the umask trims the create mode.
        await writeFile(path, file.contents, { flag: "wx", mode: file.mode });
        await chmod(path, file.mode);
      } catch (e) {
        const exists = (e as NodeJS.ErrnoException).code === "EEXIST";
        throw new IOError(
          "WRITE_FAILED",
          exists
            ? `${path} already exists: packyard keygen never overwrites a key; remove it or choose another --name or -o`
            : `cannot write ${path}: ${(e as Error).message}`,
          { path },
          { cause: e },
        );
      }
      io.err(`wrote ${relative(io.cwd, path) || path} (mode ${file.mode.toString(8).padStart(4, "0")})\n`);
    }
    if (result.apkKeyName !== undefined) {
      const pub = result.files.find((f) => f.name.endsWith(".pub"));
      io.err(
        `apk key name: ${result.apkKeyName}\n` +
          `  packages whose maintainer e-mail is ${flags.email.trim()} are signed under this name (else set\n` +
          `  apk.signature.key_name); install the public key with: cp ${pub?.name ?? `${flags.name}.rsa.pub`} /etc/apk/keys/${result.apkKeyName}\n`,
      );
    }
    io.out(`${result.fingerprint}\n`);
    return 0;
  },
};

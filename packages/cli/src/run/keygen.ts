/** `packyard keygen`'s work (commands/keygen.ts describes the command). */
import { existsSync } from "node:fs";
import { chmod, mkdir, writeFile } from "node:fs/promises";
import { join, relative, resolve } from "node:path";
import type { RunCommand } from "../command.ts";
import { IOError, keygen } from "../formats.ts";
import { UsageError } from "../usage-error.ts";

const TYPES = ["openpgp", "rsa"] as const;

export const run: RunCommand = async (flags, _positionals, io) => {
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
};

/** `packyard upload`'s work (commands/upload.ts describes the command). */
import { basename, resolve } from "node:path";
import type { RunCommand } from "../command.ts";
import { stringFlag } from "../flags.ts";
import { humanBytes } from "../human-bytes.ts";
import { UsageError } from "../usage-error.ts";
import { clientFor, seg } from "./client.ts";
import { remoteSettings } from "./config.ts";
import { uploadFile } from "./upload-file.ts";

export const run: RunCommand = async (flags, positionals, io) => {
  const project = stringFlag(flags, "project");
  const pkg = stringFlag(flags, "package");
  if (project === undefined) throw new UsageError("missing --project PROJECT", "upload");
  if (pkg === undefined) throw new UsageError("missing --package NAME", "upload");
  const file = positionals[0]!;
  const name = stringFlag(flags, "name") ?? basename(file);
  const client = clientFor(await remoteSettings(io.env));
  const stored = await uploadFile<{ name: string; sha256: string; size: number }>(
    client,
    `/api/v1/projects/${seg(project)}/packages/${seg(pkg)}/files/${seg(name)}`,
    resolve(io.cwd, file),
    io,
    name,
  );
  if (flags.json === true) io.out(`${JSON.stringify(stored, null, 2)}\n`);
  else io.out(`uploaded ${stored.name} (${humanBytes(stored.size)}, sha256 ${stored.sha256})\n`);
  return 0;
};

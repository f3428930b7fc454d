/** A package with one file and no description, summary, homepage or license: what "unset" looks like. */
import { bytesSource } from "../../src/bytes/bytes.ts";
import { type PackageSpec, ROOT } from "../../src/spec/types.ts";

/** `bare` 1.0-1 (arch all) with /usr/share/bare/x holding "x\n". */
export function bareSpec(): PackageSpec {
  return {
    name: "bare",
    version: { upstream: "1.0", release: "1" },
    arch: "all",
    date: 1_700_000_000,
    relations: {},
    entries: [
      {
        type: "file",
        path: "/usr/share/bare/x",
        mode: 0o644,
        owner: ROOT,
        group: ROOT,
        content: bytesSource(new TextEncoder().encode("x\n")),
      },
    ],
    scripts: {},
    changelog: [],
  };
}

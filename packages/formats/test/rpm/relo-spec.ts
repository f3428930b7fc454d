/**
 * The relocatable demo package of the rpm.prefixes tests (rpm/prefixes.test.ts writes and reads it,
 * interop/rpm-prefixes.test.ts installs it with rpm --prefix/--relocate and compares it with rpmbuild's).
 */
import { bytesSource } from "../../src/bytes/bytes.ts";
import { type PackageSpec, ROOT } from "../../src/spec/types.ts";

/**
 * `relo` 1.0-1 (noarch): files under /opt/relo and /var/lib/relo (the prefixes the tests pass) and in /etc
 * and /usr/share (outside both); each file holds the text shown.
 */
export function reloSpec(): PackageSpec {
  const own = { owner: ROOT, group: ROOT };
  const text = (s: string) => bytesSource(new TextEncoder().encode(s));
  return {
    name: "relo",
    version: { upstream: "1.0", release: "1" },
    arch: "all",
    date: 1_700_000_000,
    description: "relocatable demo",
    license: "MIT",
    relations: {},
    entries: [
      { type: "dir", path: "/opt/relo", mode: 0o755, ...own },
      {
        type: "file",
        path: "/opt/relo/bin/relo",
        mode: 0o755,
        ...own,
        content: text("#!/bin/sh\necho relo\n"),
      },
      { type: "file", path: "/var/lib/relo/state", mode: 0o644, ...own, content: text("state\n") },
      {
        type: "file",
        path: "/etc/relo.conf",
        mode: 0o644,
        ...own,
        flags: { config: true },
        content: text("conf\n"),
      },
      { type: "file", path: "/usr/share/relo/README", mode: 0o644, ...own, content: text("readme\n") },
    ],
    scripts: {},
    changelog: [],
  };
}

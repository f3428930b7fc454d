/**
 * A packyard-built stub package that makes a scratch `--root` usable without forcing dependencies: a
 * static busybox as /bin/sh, /bin/bash and the few commands scriptlets use, plus /etc/passwd and
 * /etc/group naming the users the generated specs own files with.
 */
import { readFileSync } from "node:fs";
import { bytesSource } from "../../src/bytes/bytes.ts";
import { type Entry, type PackageSpec, ROOT } from "../../src/spec/types.ts";

const APPLETS = ["sh", "bash", "mkdir", "chmod", "rmdir", "cat", "rm", "echo", "true", "ls"];

/** The stub spec (needs /bin/busybox from busybox-static on the host). */
export function stubSpec(): PackageSpec {
  const own = { owner: ROOT, group: ROOT };
  const text = (s: string) => bytesSource(new TextEncoder().encode(s));
  const entries: Entry[] = [
    {
      type: "file",
      path: "/bin/busybox",
      mode: 0o755,
      ...own,
      content: bytesSource(new Uint8Array(readFileSync("/bin/busybox"))),
    },
    ...APPLETS.map(
      (a): Entry => ({ type: "symlink", path: `/bin/${a}`, mode: 0o777, ...own, target: "busybox" }),
    ),
    { type: "symlink", path: "/usr/bin/env", mode: 0o777, ...own, target: "/bin/busybox" },
    {
      type: "file",
      path: "/etc/passwd",
      mode: 0o644,
      ...own,
      content: text(
        "root:x:0:0:root:/root:/bin/sh\ndaemon:x:1:1:daemon:/:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n",
      ),
    },
    {
      type: "file",
      path: "/etc/group",
      mode: 0o644,
      ...own,
      content: text("root:x:0:\ndaemon:x:1:\nnobody:x:65534:\n"),
    },
    { type: "dir", path: "/var/log", mode: 0o755, ...own },
  ];
  return {
    name: "packyard-stub",
    version: { upstream: "1.0", release: "1" },
    arch: "amd64",
    date: 1700000000,
    summary: "Scratch-root stub: static busybox shell and users",
    description: "Provides /bin/sh and friends for chrooted scriptlets in tests.",
    license: "GPL-2.0-only",
    relations: {},
    entries,
    scripts: {},
    changelog: [],
  };
}

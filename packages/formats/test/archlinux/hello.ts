/**
 * The small spec most Arch tests use, for what the example project (@packyard/testkit/example) does not
 * have: relations of each kind, scripts for every pacman function (pre/post upgrade included) that log
 * their arguments, an arch-specific build and a config file whose text changes between versions
 * (.pacnew), at any version (upgrade tests build 1.0.0 and 1.1.0). Also a binary, a symlink, a doc, an
 * owned directory and a changelog.
 */
import { bytesSource } from "../../src/bytes/bytes.ts";
import type { PackageSpec } from "../../src/spec/types.ts";

const root = { name: "root", id: 0 };
const text = (s: string) => bytesSource(new TextEncoder().encode(s));
const mark = (what: string) => `echo "${what} $*" >> /tmp/hello-scripts.log\n`;

/** The spec at a given version (upgrade tests build 1.0.0 and 1.1.0). */
export function helloSpec(upstream = "1.0.0", confText = "greeting=hello\n"): PackageSpec {
  return {
    name: "hello",
    version: { upstream, release: "1" },
    arch: "amd64",
    date: 1700000000,
    maintainer: "Packyard Example <example@packyard.dev>",
    description: "Says hello\nA tiny example package built by packyard.",
    license: "MIT",
    homepage: "https://packyard.dev/hello",
    section: "utils",
    relations: {
      depends: [[{ name: "bash" }], [{ name: "glibc", op: ">=", version: "2.30" }]],
      recommends: [[{ name: "python", description: "for the helper scripts" }]],
      conflicts: [[{ name: "hello-legacy" }]],
      provides: [[{ name: "greeter", op: "=", version: "1.0" }]],
      replaces: [[{ name: "hello-old" }]],
    },
    entries: [
      {
        type: "file",
        path: "/usr/bin/hello",
        mode: 0o755,
        owner: root,
        group: root,
        content: text(`#!/bin/sh\necho "hello ${upstream}"\n`),
      },
      { type: "symlink", path: "/usr/bin/hi", mode: 0o777, owner: root, group: root, target: "hello" },
      {
        type: "file",
        path: "/etc/hello/hello.conf",
        mode: 0o644,
        owner: root,
        group: root,
        content: text(confText),
        flags: { config: true },
      },
      {
        type: "file",
        path: "/usr/share/doc/hello/README",
        mode: 0o644,
        owner: root,
        group: root,
        content: text("Hello is an example.\n"),
      },
      { type: "dir", path: "/var/lib/hello", mode: 0o750, owner: root, group: root },
    ],
    scripts: {
      preinstall: { body: mark("pre_install") },
      postinstall: { body: mark("post_install") },
      preupgrade: { body: mark("pre_upgrade") },
      postupgrade: { body: mark("post_upgrade") },
      preremove: { body: mark("pre_remove") },
      postremove: { body: `echo "post_remove $*" > /tmp/hello-post-remove\n` },
    },
    changelog: [
      {
        version: upstream,
        date: 1700000000,
        author: "Packyard Example <example@packyard.dev>",
        changes: ["Initial release"],
      },
    ],
  };
}

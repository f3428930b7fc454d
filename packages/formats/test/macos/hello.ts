/** The small spec most macOS tests use: a CLI in /usr/local/bin, a symlink, an app bundle file owned by admin, two scripts. */
import { bytesSource, encodeUtf8 } from "../../src/bytes/bytes.ts";
import type { PackageSpec } from "../../src/spec/types.ts";

const ROOT = { name: "root", id: 0 };
/** A fresh copy each call (tests mutate it). */
export function helloSpec(): PackageSpec {
  return {
    name: "hello",
    version: { upstream: "1.2.3" },
    arch: "all",
    date: 1_700_000_000,
    homepage: "https://www.example.org/hello",
    relations: {},
    changelog: [],
    scripts: {
      preinstall: { body: "echo pre\n" },
      postinstall: { interpreter: "/bin/bash", body: "echo post\n" },
    },
    entries: [
      {
        type: "file",
        path: "/usr/local/bin/hello",
        mode: 0o755,
        owner: ROOT,
        group: ROOT,
        content: bytesSource(encodeUtf8("#!/bin/sh\necho hello\n")),
      },
      { type: "symlink", path: "/usr/local/bin/hi", mode: 0o755, owner: ROOT, group: ROOT, target: "hello" },
      {
        type: "file",
        path: "/Applications/Hello.app/Contents/Info.plist",
        mode: 0o644,
        owner: ROOT,
        group: { name: "admin", id: 80 },
        content: bytesSource(encodeUtf8("<plist/>\n")),
      },
    ],
  };
}

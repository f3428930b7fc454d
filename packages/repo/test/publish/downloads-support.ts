/** A small package spec for download tests: one script in /usr/local/bin that echoes `body`. */
import { bytesSource, type PackageSpec, parseVersion } from "@packyard/formats";

const ROOT = { name: "root", id: 0 };

export function downloadSpec(name: string, version: string, body = "hello"): PackageSpec {
  return {
    name,
    version: parseVersion(version),
    arch: "all",
    date: 1_700_000_000,
    relations: {},
    changelog: [],
    scripts: {},
    entries: [
      {
        type: "file",
        path: `/usr/local/bin/${name}`,
        mode: 0o755,
        owner: ROOT,
        group: ROOT,
        content: bytesSource(new TextEncoder().encode(`#!/bin/sh\necho ${body}\n`)),
      },
    ],
  };
}

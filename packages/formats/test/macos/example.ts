/**
 * The example project (fixtures/example, via the deb tests' spec builder) moved out of SIP-protected
 * paths for macOS: /usr/* → /usr/local/*, /etc → /usr/local/etc, /var → /usr/local/var.
 */
import type { PackageSpec } from "../../src/spec/types.ts";
import { exampleSpec } from "../deb/example-spec.ts";

function move(p: string): string {
  if (p.startsWith("/usr/")) return `/usr/local/${p.slice(5)}`;
  if (p.startsWith("/etc/") || p.startsWith("/var/")) return `/usr/local${p}`;
  return p;
}

/** The example spec with macOS-legal destinations. */
export async function macosExampleSpec(): Promise<PackageSpec> {
  const spec = await exampleSpec();
  return {
    ...spec,
    entries: spec.entries.map((e) =>
      e.type === "hardlink"
        ? { ...e, path: move(e.path), target: move(e.target) }
        : { ...e, path: move(e.path) },
    ),
  };
}

// Generated package records for engine tests: a PublishInput whose PackageInfo is made up (no .deb is
// written or read), with bytes whose digests match it, so thousands cost nothing to make.
import { createHash } from "node:crypto";
import { bytesSource, type PackageInfo } from "@packyard/formats";
import type { PublishInput } from "@packyard/repo";

const enc = new TextEncoder();

/** A made-up .deb: `name` `version` `arch`, with the given extra bytes in its "file". */
export function fakeDeb(name: string, version = "1.0-1", arch = "amd64", salt = ""): PublishInput {
  const bytes = enc.encode(`fake deb ${name} ${version} ${arch} ${salt}\n`);
  const h = (a: string) => createHash(a).update(bytes).digest("hex");
  const control = `Package: ${name}\nVersion: ${version}\nArchitecture: ${arch}\nMaintainer: Packyard Test <test@packyard.invalid>\nInstalled-Size: 1\nSection: misc\nDescription: generated package ${name}\n A record for the engine tests.\n`;
  const info = {
    format: "deb",
    name,
    versionString: version,
    version: { upstream: version.replace(/-.*$/, "") },
    archString: arch,
    relations: {},
    files: [
      {
        path: `/usr/share/${name}/data`,
        type: "file",
        mode: 0o644,
        owner: { name: "root", id: 0 },
        group: { name: "root", id: 0 },
        size: 1,
        mtime: 0,
        digests: {},
      },
    ],
    scripts: {},
    signatures: [],
    artifact: {
      size: bytes.length,
      digests: { md5: h("md5"), sha1: h("sha1"), sha256: h("sha256"), sha512: h("sha512") },
    },
    raw: { format: "deb", control, members: [] },
  } as PackageInfo;
  return { info, source: bytesSource(bytes), name: `${name}_${version}_${arch}.deb` };
}

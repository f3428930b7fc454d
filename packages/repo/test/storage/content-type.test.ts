import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { contentTypeFor } from "../../src/storage/storage.ts";

describe("contentTypeFor", () => {
  it("gives each kind of repository object its type", () => {
    const cases: [string, string][] = [
      ["keys/repository.gpg", "application/pgp-keys"],
      ["keys/repository.asc", "application/pgp-keys"],
      ["apt/keys/repository.asc", "application/pgp-keys"],
      ["keys/packyard.rsa.pub", "application/x-pem-file"],
      ["deb/dists/stable/Release.gpg", "application/pgp-signature"],
      ["rpm/repodata/repomd.xml.asc", "application/pgp-signature"],
      ["archlinux/x86_64/repo.db.sig", "application/pgp-signature"],
      ["deb/dists/stable/InRelease", "text/plain; charset=utf-8"],
      ["deb/dists/stable/Release", "text/plain; charset=utf-8"],
      ["deb/dists/stable/main/binary-amd64/Packages", "text/plain; charset=utf-8"],
      ["deb/dists/stable/main/binary-amd64/Packages.gz", "application/gzip"],
      ["deb/dists/stable/main/binary-amd64/Packages.xz", "application/x-xz"],
      ["deb/pool/main/h/hello/hello_1.0_amd64.deb", "application/vnd.debian.binary-package"],
      ["rpm/x86_64/hello-1.0-1.x86_64.rpm", "application/x-rpm"],
      ["archlinux/x86_64/hello-1.0-1-x86_64.pkg.tar.zst", "application/zstd"],
      ["rpm/repodata/repomd.xml", "application/xml"],
      [".packyard/state/deb.json", "application/json"],
      ["index.html", "text/html; charset=utf-8"],
      ["install.sh", "text/x-shellscript; charset=utf-8"],
      ["rpm/packyard.repo", "text/plain; charset=utf-8"],
      ["SHA256SUMS", "text/plain; charset=utf-8"],
      ["alpine/x86_64/hello-1.0-r0.apk", "application/octet-stream"],
    ];
    for (const [key, type] of cases) assert.equal(contentTypeFor(key), type, key);
  });
});

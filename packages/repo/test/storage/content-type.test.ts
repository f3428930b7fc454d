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

  it("serves the kinds the server's /r/ routes name (issue 19), under a repository's key and a whole store's", () => {
    // Types from the registrations: vnd.debian.binary-package and x-rpm (IANA / freedesktop shared-mime-info),
    // pgp-signature (RFC 3156), pgp-keys (RFC 3156), zstd (RFC 8878), gzip (RFC 6713), image/svg+xml.
    const cases: [string, string][] = [
      ["pool/a.deb", "application/vnd.debian.binary-package"],
      ["pool/a.rpm", "application/x-rpm"],
      ["downloads/hello/1.0/SHA256SUMS.asc", "application/pgp-signature"],
      ["archlinux/core/os/x86_64/hello-1-1-x86_64.pkg.tar.zst.sig", "application/pgp-signature"],
      ["deb/dists/bookworm/Release.gpg", "application/pgp-signature"],
      ["deb/dists/bookworm/InRelease", "text/plain; charset=utf-8"],
      ["rpm/el/9/x86_64/repodata/abc-primary.xml.gz", "application/gzip"],
      ["archlinux/core/os/x86_64/core.db.tar.zst", "application/zstd"],
      ["rpm/el/9/x86_64/repodata/repomd.xml", "application/xml"],
      ["install.json", "application/json"],
      ["badge.svg", "image/svg+xml"],
    ];
    for (const [key, type] of cases) {
      assert.equal(contentTypeFor(key), type, key);
      assert.equal(contentTypeFor(`repos/acme/main/${key}`), type, `repos/acme/main/${key}`);
    }
    assert.equal(contentTypeFor("repos/acme/main/keys/acme.asc"), "application/pgp-keys");
  });
});

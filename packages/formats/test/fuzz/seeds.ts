/**
 * What the fuzzer starts from, per format: packages our writers make from one small spec (a few files, a
 * directory, a symlink, a hard link, a config file, scripts, a changelog) in each compression, signed where
 * signing is cheap, plus the packages real tools made that are committed under fixtures/ (dpkg-deb,
 * rpmbuild, makepkg, abuild-style apk). There is no real-tool macOS fixture (productbuild does not run on
 * Linux), so macOS seeds are ours only.
 */
import { readdirSync, readFileSync } from "node:fs";
import { FIXTURES, REPO } from "@packyard/testkit/repo";
import forge from "node-forge";
import { bytesSource, collect } from "../../src/bytes/bytes.ts";
import type { FormatId } from "../../src/info/types.ts";
import { formatById } from "../../src/registry.ts";
import { loadOpenPGPSigner } from "../../src/sign/openpgp.ts";
import { loadRSASigner } from "../../src/sign/rsa.ts";
import type { Signer } from "../../src/sign/signer.ts";
import { loadX509Signer } from "../../src/sign/x509.ts";
import type { PackageSpec, Principal } from "../../src/spec/types.ts";

/** The formats the fuzzer reads, in the order it runs them. */
export const FUZZ_FORMATS = [
  "deb",
  "rpm",
  "archlinux",
  "apk",
  "macos",
  "tarball",
] as const satisfies readonly FormatId[];
export type FuzzFormat = (typeof FUZZ_FORMATS)[number];

/** One starting package. */
export interface Seed {
  format: FuzzFormat;
  /** A short label, e.g. `writer:xz` or `fixture:foo-zstd.deb`. */
  name: string;
  /** The name it is read under (readPackage sniffs by name too). */
  fileName: string;
  bytes: Uint8Array;
  /** A detached signature made beside it (Arch `.sig`), for readers given one. */
  detached?: Uint8Array;
}

/**
 * Public keys a fraction of the cases are read with, so the verifying paths run too: the OpenPGP key deb,
 * rpm and Arch seeds are signed with, the RSA key of the apk seed, and the key of the macOS certificate.
 * Every reader gets all three (and must cope with the ones that are not its kind).
 */
export function fuzzPublicKeys(): string[] {
  return [keys("gpg-plain.asc"), keys("openssl-pkcs8.rsa.pub"), keys("openssl-pkcs1.rsa.pub")];
}

const ROOT: Principal = { name: "root", id: 0 };
const DATE = 1_704_067_200;
const enc = (s: string) => new TextEncoder().encode(s);

/** `n` letters that do not compress to nothing (a fixed LCG), so content has some weight in the seeds. */
function noise(n: number): string {
  let x = 12345;
  let s = "";
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    s += String.fromCharCode(0x61 + ((x >>> 16) % 26));
  }
  return s;
}

/** The small spec every writer seed is made from. */
export function fuzzSpec(): PackageSpec {
  const file = (path: string, text: string, mode = 0o644) => ({
    type: "file" as const,
    path,
    mode,
    owner: ROOT,
    group: ROOT,
    content: bytesSource(enc(text)),
  });
  return {
    name: "fuzzseed",
    version: { upstream: "1.2.3", release: "1" },
    arch: "amd64",
    date: DATE,
    maintainer: "Fuzz Seed <fuzz@packyard.example>",
    summary: "a seed for the fuzzer",
    description: "A small package the fuzzer mutates.",
    license: "MIT",
    homepage: "https://packyard.example/",
    relations: {
      depends: [[{ name: "libc6", op: ">=", version: "2.31" }], [{ name: "bash" }, { name: "dash" }]],
      conflicts: [[{ name: "oldseed" }]],
      provides: [[{ name: "seed" }]],
    },
    entries: [
      file("/usr/bin/fuzzseed", "#!/bin/sh\necho seed\n", 0o755),
      { ...file("/etc/fuzzseed/seed.conf", "key=value\n"), flags: { config: true } },
      file("/usr/share/fuzzseed/data.txt", noise(1500)),
      { type: "dir", path: "/var/lib/fuzzseed", mode: 0o750, owner: ROOT, group: ROOT },
      { type: "symlink", path: "/usr/bin/seed", target: "fuzzseed", mode: 0o777, owner: ROOT, group: ROOT },
      {
        type: "hardlink",
        path: "/usr/share/fuzzseed/data-link.txt",
        target: "/usr/share/fuzzseed/data.txt",
        mode: 0o644,
        owner: ROOT,
        group: ROOT,
      },
    ],
    scripts: {
      preinstall: { body: "echo pre\n" },
      postinstall: { body: "echo post\n" },
      postremove: { body: "echo removed\n" },
    },
    changelog: [
      { version: "1.2.3", date: DATE, author: "Fuzz Seed <fuzz@packyard.example>", changes: ["Seeded."] },
    ],
  };
}

/** The spec without what a format cannot carry (macOS and tarballs have no hard links or relations). */
function specFor(format: FuzzFormat): PackageSpec {
  const spec = fuzzSpec();
  if (format === "macos" || format === "tarball") {
    spec.entries = spec.entries.filter((e) => e.type !== "hardlink");
    spec.relations = {};
  }
  // macOS keeps /usr (but /usr/local), /etc and /var under System Integrity Protection
  if (format === "macos")
    spec.entries = spec.entries.map((e) => ({ ...e, path: `/usr/local${e.path.replace(/^\/usr/, "")}` }));
  // alternatives ("bash | dash") are deb's (and rpm's rich dependencies); pacman and apk have none
  if ((format === "archlinux" || format === "apk") && spec.relations.depends !== undefined)
    spec.relations.depends = spec.relations.depends.slice(0, 1);
  return spec;
}

const keys = (name: string) => readFileSync(`${FIXTURES}keys/${name}`, "utf8");

/** A self-signed Developer ID–style certificate for the fixture RSA key, made once. */
function x509Signer(): Signer {
  const keyPem = keys("openssl-pkcs1.rsa");
  const key = forge.pki.privateKeyFromPem(keyPem);
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.setRsaPublicKey(key.n, key.e);
  cert.serialNumber = "01";
  cert.validity.notBefore = new Date(Date.UTC(2024, 0, 1));
  cert.validity.notAfter = new Date(Date.UTC(2034, 0, 1));
  const subject = [{ name: "commonName", value: "Developer ID Installer: Fuzz Seed (FUZZ000000)" }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.sign(key, forge.md.sha256.create());
  return loadX509Signer({ certificatePem: forge.pki.certificateToPem(cert), keyPem });
}

interface Variant {
  name: string;
  /** The format's packyard.yml block. */
  options: Record<string, unknown>;
  /** Options set after parsing (the tarball writer takes one `format`, the config a list). */
  extra?: Record<string, unknown>;
  signer?: () => Promise<Signer> | Signer;
}

const openpgp = () => loadOpenPGPSigner(keys("gpg-plain.secret.asc"));

const VARIANTS: Record<FuzzFormat, Variant[]> = {
  deb: [
    { name: "gzip", options: { compression: "gzip" } },
    { name: "xz", options: { compression: "xz" } },
    { name: "zstd", options: { compression: "zstd" } },
    { name: "none", options: { compression: "none" } },
    { name: "gzip-signed", options: { compression: "gzip" }, signer: openpgp },
  ],
  rpm: [
    { name: "gzip", options: { compression: "gzip" } },
    { name: "xz", options: { compression: "xz" } },
    { name: "zstd", options: { compression: "zstd" } },
    { name: "gzip-signed", options: { compression: "gzip" }, signer: openpgp },
  ],
  archlinux: [
    { name: "zstd", options: { compression: "zstd" }, signer: openpgp },
    { name: "gzip", options: { compression: "gzip" } },
    { name: "xz", options: { compression: "xz" } },
  ],
  apk: [
    { name: "unsigned", options: {} },
    {
      name: "signed",
      options: {},
      signer: () => loadRSASigner(keys("openssl-pkcs8.rsa"), { email: "fuzz@packyard.example" }),
    },
  ],
  macos: [
    { name: "product", options: {} },
    { name: "component", options: { component_only: true } },
    { name: "product-signed", options: {}, signer: x509Signer },
  ],
  tarball: [
    { name: "tar.gz", options: {}, extra: { format: "tar.gz" } },
    { name: "tar.xz", options: {}, extra: { format: "tar.xz" } },
    { name: "tar.zst", options: {}, extra: { format: "tar.zst" } },
    { name: "zip", options: {}, extra: { format: "zip" } },
  ],
};

/** Real-tool packages under fixtures/<dir> (not our own golden outputs) for each format. */
const REAL_TOOL: Record<FuzzFormat, { dir: string; match: RegExp }> = {
  deb: { dir: "deb", match: /\.deb$/ },
  rpm: { dir: "rpm", match: /\.rpm$/ },
  archlinux: { dir: "archlinux", match: /\.pkg\.tar\.(gz|xz|zst)$/ },
  apk: { dir: "apk", match: /^gnu-hello.*\.apk$/ },
  macos: { dir: "macos", match: /\.pkg$/ },
  tarball: { dir: "tarball", match: /\.(tar\.gz|zip)$/ },
};

/** Builds the seeds of one format: writer variants first, then the real-tool fixtures. */
export async function buildSeeds(format: FuzzFormat): Promise<Seed[]> {
  const f = formatById(format);
  const seeds: Seed[] = [];
  for (const v of VARIANTS[format]) {
    const spec = specFor(format);
    const options = { ...f.config.parse(v.options, { field: format, baseDir: REPO }), ...v.extra };
    const ctx = v.signer ? { signer: await v.signer(), date: DATE } : { date: DATE };
    const bytes = await collect(f.write(spec, options, ctx));
    const seed: Seed = { format, name: `writer:${v.name}`, fileName: f.fileName(spec, options), bytes };
    if (ctx.signer !== undefined && f.detachedSignature !== undefined) {
      const d = await f.detachedSignature(bytesSource(bytes), options, ctx.signer, ctx);
      if (d !== undefined) seed.detached = d.bytes;
    }
    seeds.push(seed);
  }
  const fx = REAL_TOOL[format];
  let names: string[] = [];
  try {
    names = readdirSync(`${FIXTURES}${fx.dir}`)
      .filter((n) => fx.match.test(n))
      .sort();
  } catch {
    names = [];
  }
  for (const n of names) {
    const bytes = new Uint8Array(readFileSync(`${FIXTURES}${fx.dir}/${n}`));
    seeds.push({ format, name: `fixture:${n}`, fileName: n, bytes });
  }
  return seeds;
}

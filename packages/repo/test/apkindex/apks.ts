/**
 * Small .apk packages for the APKINDEX tests, written by @packyard/formats' apk writer with a fixed date
 * (so the .PKGINFO text is stable) and read back into PackageInfo. GOLDEN_APKS is the set the golden
 * index (fixtures/APKINDEX.x86_64.golden) is derived from: two versions of one package (the newer one
 * signed, with every optional field), a noarch one without url or license, and one of another arch whose
 * name sorts differently with and without case folding.
 */
import { readFileSync } from "node:fs";
import {
  type ApkOptions,
  bytesSource,
  type PackageInfo,
  type PackageSpec,
  packageFileName,
  loadRSASigner,
  readPackage,
  type RSASigner,
  writePackage,
} from "@packyard/formats";
import { KEYS_DIR } from "@packyard/testkit/keyrings";

/** The build date of every test apk (2024-01-01T00:00:00Z). */
export const APK_DATE = 1704067200;

/** A package ready to index: its PackageInfo, bytes and canonical file name. */
export interface TestApk {
  info: PackageInfo;
  bytes: Uint8Array;
  name: string;
}

/** What a test apk varies. */
export interface TestApkOptions {
  name: string;
  /** `upstream-rN`. */
  version: string;
  /** Canonical arch (`amd64`, `arm64`, `all` for noarch). */
  arch?: string;
  summary?: string;
  homepage?: string;
  license?: string;
  maintainer?: string;
  relations?: PackageSpec["relations"];
  apk?: ApkOptions;
  /** Signs the package (`.SIGN.RSA256.`) with fixtures/keys/openssl-pkcs8.rsa; unsigned otherwise. */
  signed?: boolean;
}

/** The RSA key signed test packages carry (fixtures/keys, made by openssl). */
export function packageSigner(): RSASigner {
  return loadRSASigner(readFileSync(`${KEYS_DIR}openssl-pkcs8.rsa`, "utf8"), {
    keyName: "packages@example.org-1.rsa.pub",
  });
}

const enc = new TextEncoder();
const root = { name: "root", id: 0 };

/** Writes and reads back one small .apk (deterministic for given options). */
export async function testApk(o: TestApkOptions): Promise<TestApk> {
  const m = /^(.+)-r(\d+)$/.exec(o.version);
  if (m === null) throw new Error(`test apk version ${o.version}: expected <upstream>-r<N>`);
  const spec = {
    name: o.name,
    version: { upstream: m[1]!, release: m[2]! },
    arch: o.arch ?? "amd64",
    date: APK_DATE,
    relations: o.relations ?? {},
    scripts: {},
    changelog: [],
    entries: [
      {
        type: "file",
        path: `/usr/share/${o.name}/data`,
        mode: 0o644,
        owner: root,
        group: root,
        content: bytesSource(enc.encode(`${o.name} ${o.version}\n`)),
      },
    ],
  } as unknown as PackageSpec;
  if (o.summary !== undefined) spec.summary = o.summary;
  if (o.homepage !== undefined) spec.homepage = o.homepage;
  if (o.license !== undefined) spec.license = o.license;
  if (o.maintainer !== undefined) spec.maintainer = o.maintainer;
  const options: ApkOptions = o.apk ?? {};
  const parts: Uint8Array[] = [];
  for await (const c of writePackage(
    "apk",
    spec,
    options,
    o.signed === true ? { date: APK_DATE, signer: packageSigner() } : { date: APK_DATE },
  ))
    parts.push(c);
  const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    bytes.set(p, at);
    at += p.length;
  }
  const info = await readPackage(bytesSource(bytes), "x.apk");
  return { info, bytes, name: packageFileName("apk", spec, options) };
}

/** The packages of the golden index, in no particular order (the index sorts them). */
export const GOLDEN_APKS: readonly TestApkOptions[] = [
  {
    name: "hello",
    version: "2.10.0-r0",
    signed: true,
    summary: "Says hello",
    homepage: "https://hello.example.org/",
    license: "GPL-3.0-or-later",
    maintainer: "Hello Team <hello@example.org>",
    relations: {
      depends: [
        [{ name: "so:libc.musl-x86_64.so.1" }],
        [{ name: "hello-data", op: ">=", version: "2.0-r0" }],
      ],
      conflicts: [[{ name: "hello-legacy" }]],
      provides: [[{ name: "cmd:hello", op: "=", version: "2.10.0-r0" }]],
      replaces: [[{ name: "oldhello" }]],
    },
    apk: {
      origin: "hello-src",
      commit: "0123456789abcdef0123456789abcdef01234567",
      installIf: ["hello-base", "bash-completion"],
      providerPriority: 100,
      replacesPriority: 5,
    },
  },
  {
    name: "hello",
    version: "2.9.1-r3",
    summary: "Says hello",
    homepage: "https://hello.example.org/",
    license: "GPL-3.0-or-later",
    maintainer: "Hello Team <hello@example.org>",
  },
  { name: "hello-doc", version: "2.10.0-r0", arch: "all", summary: "Documentation for hello" },
  {
    name: "Zeta",
    version: "1.0-r0",
    arch: "arm64",
    summary: "Sorted after hello only with case folding",
    license: "MIT",
  },
];

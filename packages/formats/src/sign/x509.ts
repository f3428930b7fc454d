/**
 * X.509 signing for macOS flat packages (xar lib/archive.c, apple-xar src/signing.rs): a certificate chain
 * and RSA key from PEM or PKCS#12 (including the legacy 3DES/RC2 `.p12` files macOS Keychain exports), the
 * raw RSA PKCS#1 v1.5 signature over a digest (xar's `signature` slot) and a detached CMS SignedData (xar's
 * `x-signature`). PKCS#12 and CMS come from node-forge (pure JS, handles the legacy ciphers OpenSSL 3 no
 * longer loads by default); raw RSA uses node:crypto.
 */
import {
  constants,
  createHash,
  createPrivateKey,
  createPublicKey,
  type KeyObject,
  privateEncrypt,
  publicDecrypt,
} from "node:crypto";
import { createRequire } from "node:module";
import type * as Forge from "node-forge";
import { SignError } from "../errors.ts";

/** A Developer ID Installer–style signer: certificates (leaf first) and an RSA key. */
export interface X509Signer {
  kind: "x509";
  /** DER certificates, leaf first, then intermediates (and the root when given). */
  certificates: Uint8Array[];
  /** Subjects of `certificates` (`CN=Developer ID Installer: …, OU=…, O=…, C=…`). */
  subjects: string[];
  /** RSA modulus length in bytes: the size of a raw signature. */
  rsaSize: number;
  /** RSA PKCS#1 v1.5 over DigestInfo(hash, digest): the digest is signed as is, not hashed again. */
  signDigest(digest: Uint8Array, hash: "sha1" | "sha256"): Promise<Uint8Array>;
  /**
   * Detached CMS SignedData over `content` (SHA-256, signed attributes contentType, messageDigest and
   * signingTime), with every certificate. `signingTime` in seconds: pass the build date for reproducible bytes.
   */
  cms(content: Uint8Array, options: { signingTime: number }): Promise<Uint8Array>;
}

/** Inputs of {@link loadX509Signer}: a PKCS#12 file, or PEM certificate(s) and a PEM key. */
export interface LoadX509SignerOptions {
  p12?: Uint8Array;
  certificatePem?: string;
  keyPem?: string;
  passphrase?: string;
}

const requireCjs = createRequire(import.meta.url);
let forgeModule: typeof Forge | undefined;

/**
 * node-forge, loaded on first use: it is 43 modules and ~40 ms of start-up, which every command that
 * imports the signing code (a publish with an OpenPGP key, inspect) would otherwise pay for X.509 alone.
 */
function forge(): typeof Forge {
  forgeModule ??= requireCjs("node-forge") as typeof Forge;
  return forgeModule;
}

const DIGEST_INFO_PREFIX: Record<"sha1" | "sha256", string> = {
  sha1: "3021300906052b0e03021a05000414",
  sha256: "3031300d060960864801650304020105000420",
};

function toBinary(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]!);
  return s;
}

function fromBinary(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff;
  return out;
}

function certDer(c: Forge.pki.Certificate): Uint8Array {
  return fromBinary(forge().asn1.toDer(forge().pki.certificateToAsn1(c)).getBytes());
}

function subjectOf(c: Forge.pki.Certificate): string {
  return c.subject.attributes.map((a) => `${a.shortName ?? a.name ?? a.type}=${String(a.value)}`).join(", ");
}

/** Subjects of DER certificates, for readers (`CN=…, O=…`). Unparsable entries give `"(unreadable)"`. */
export function certificateSubjects(ders: readonly Uint8Array[]): string[] {
  return ders.map((d) => {
    try {
      return subjectOf(forge().pki.certificateFromAsn1(forge().asn1.fromDer(toBinary(d))));
    } catch {
      return "(unreadable)";
    }
  });
}

/** True when `signature` is a PKCS#1 v1.5 signature of DigestInfo(hash, digest) by the leaf certificate's key. */
export function verifyDigestSignature(
  leafDer: Uint8Array,
  digest: Uint8Array,
  signature: Uint8Array,
  hash: "sha1" | "sha256" = "sha1",
): boolean {
  try {
    const cert = forge().pki.certificateFromAsn1(forge().asn1.fromDer(toBinary(leafDer)));
    const pem = forge().pki.publicKeyToPem(cert.publicKey as Forge.pki.rsa.PublicKey);
    const plain = publicDecrypt({ key: pem, padding: constants.RSA_PKCS1_PADDING }, signature);
    return (
      Buffer.from(plain).toString("hex") === DIGEST_INFO_PREFIX[hash] + Buffer.from(digest).toString("hex")
    );
  } catch {
    return false;
  }
}

/** True when the certificate's public key equals one of `keys` (PEM public keys or certificates). */
export function certificateMatchesKey(certDer: Uint8Array, keys: readonly string[]): boolean {
  try {
    const cert = forge().pki.certificateFromAsn1(forge().asn1.fromDer(toBinary(certDer)));
    const spki = createPublicKey(
      forge().pki.publicKeyToPem(cert.publicKey as Forge.pki.rsa.PublicKey),
    ).export({
      type: "spki",
      format: "der",
    });
    return keys.some((k) => {
      try {
        return createPublicKey(k).export({ type: "spki", format: "der" }).equals(spki);
      } catch {
        return false;
      }
    });
  } catch {
    return false;
  }
}

function orderChain(certs: Forge.pki.Certificate[], leafModulus: string): Forge.pki.Certificate[] {
  const leaf = certs.find((c) => (c.publicKey as Forge.pki.rsa.PublicKey).n?.toString(16) === leafModulus);
  if (!leaf) throw new SignError("KEY_NOT_FOUND", "no certificate matches the private key", {});
  const chain = [leaf];
  const rest = certs.filter((c) => c !== leaf);
  for (;;) {
    const cur = chain[chain.length - 1]!;
    if (cur.isIssuer(cur)) break; // self-signed root
    const next = rest.find((c) => !chain.includes(c) && c.subject.hash === cur.issuer.hash);
    if (!next) break;
    chain.push(next);
  }
  for (const c of rest) if (!chain.includes(c)) chain.push(c);
  return chain;
}

function fromP12(p12: Uint8Array, passphrase: string): { key: KeyObject; certs: Forge.pki.Certificate[] } {
  let pfx: Forge.pkcs12.Pkcs12Pfx;
  try {
    pfx = forge().pkcs12.pkcs12FromAsn1(forge().asn1.fromDer(toBinary(p12)), false, passphrase);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    const code = /password|mac|decrypt|invalid/i.test(msg) ? "BAD_PASSPHRASE" : "KEY_READ";
    throw new SignError(code, `PKCS#12: cannot open (${msg})`, {}, { cause: e });
  }
  const certs: Forge.pki.Certificate[] = [];
  for (const b of pfx.getBags({ bagType: forge().pki.oids.certBag! })[forge().pki.oids.certBag!] ?? [])
    if (b.cert) certs.push(b.cert);
  const keyBags = [
    ...(pfx.getBags({ bagType: forge().pki.oids.pkcs8ShroudedKeyBag! })[
      forge().pki.oids.pkcs8ShroudedKeyBag!
    ] ?? []),
    ...(pfx.getBags({ bagType: forge().pki.oids.keyBag! })[forge().pki.oids.keyBag!] ?? []),
  ];
  const fk = keyBags.find((b) => b.key)?.key;
  if (!fk) throw new SignError("KEY_NOT_FOUND", "PKCS#12: no private key inside (or it is not RSA)", {});
  const key = createPrivateKey(forge().pki.privateKeyToPem(fk));
  return { key, certs };
}

function fromPem(
  certificatePem: string,
  keyPem: string,
  passphrase: string | undefined,
): { key: KeyObject; certs: Forge.pki.Certificate[] } {
  let key: KeyObject;
  try {
    key = createPrivateKey(passphrase === undefined ? keyPem : { key: keyPem, passphrase });
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    const code = /passphrase|decrypt|bad/i.test(msg) ? "BAD_PASSPHRASE" : "KEY_READ";
    throw new SignError(code, `PEM private key: cannot read (${msg})`, {}, { cause: e });
  }
  const blocks = certificatePem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) throw new SignError("KEY_READ", "certificate PEM: no CERTIFICATE block found", {});
  try {
    return { key, certs: blocks.map((b) => forge().pki.certificateFromPem(b)) };
  } catch (e) {
    throw new SignError(
      "KEY_READ",
      `certificate PEM: ${e instanceof Error ? e.message : String(e)}`,
      {},
      { cause: e },
    );
  }
}

/**
 * Loads a signer from a `.p12` (legacy 3DES/RC2 or AES) or from PEM certificate(s) + key.
 * @throws SignError KEY_READ, BAD_PASSPHRASE, KEY_NOT_FOUND, KEY_UNSUPPORTED (not RSA).
 */
export function loadX509Signer(options: LoadX509SignerOptions): X509Signer {
  let loaded: { key: KeyObject; certs: Forge.pki.Certificate[] };
  if (options.p12) loaded = fromP12(options.p12, options.passphrase ?? "");
  else if (options.certificatePem !== undefined && options.keyPem !== undefined)
    loaded = fromPem(options.certificatePem, options.keyPem, options.passphrase);
  else
    throw new SignError("NO_SIGNING_KEY", "X.509 signing needs a .p12 file or a certificate and a key", {});
  const { key } = loaded;
  if (key.asymmetricKeyType !== "rsa")
    throw new SignError(
      "KEY_UNSUPPORTED",
      `X.509 signing key is ${key.asymmetricKeyType}, xar signatures need RSA`,
      { found: key.asymmetricKeyType },
    );
  const jwk = key.export({ format: "jwk" }) as { n: string };
  const modulus = Buffer.from(jwk.n, "base64url");
  const chain = orderChain(loaded.certs, modulus.toString("hex").replace(/^0+/, ""));
  const forgeKey = forge().pki.privateKeyFromPem(key.export({ format: "pem", type: "pkcs1" }) as string);
  const certificates = chain.map(certDer);
  return {
    kind: "x509",
    certificates,
    subjects: chain.map(subjectOf),
    rsaSize: modulus.length,
    async signDigest(digest, hash) {
      const info = Buffer.concat([Buffer.from(DIGEST_INFO_PREFIX[hash], "hex"), Buffer.from(digest)]);
      return new Uint8Array(privateEncrypt({ key, padding: constants.RSA_PKCS1_PADDING }, info));
    },
    async cms(content, { signingTime }) {
      try {
        const p7 = forge().pkcs7.createSignedData();
        p7.content = forge().util.createBuffer(toBinary(content));
        for (const c of chain) p7.addCertificate(c);
        p7.addSigner({
          key: forgeKey,
          certificate: chain[0]!,
          digestAlgorithm: forge().pki.oids.sha256!,
          authenticatedAttributes: [
            { type: forge().pki.oids.contentType!, value: forge().pki.oids.data! },
            { type: forge().pki.oids.messageDigest! },
            { type: forge().pki.oids.signingTime!, value: new Date(signingTime * 1000) as unknown as string },
          ],
        });
        p7.sign({ detached: true });
        return fromBinary(forge().asn1.toDer(p7.toAsn1()).getBytes());
      } catch (e) {
        throw new SignError(
          "SIGN_FAILED",
          `CMS signing failed: ${e instanceof Error ? e.message : String(e)}`,
          {},
          { cause: e },
        );
      }
    },
  };
}

/** SHA-1 of bytes (the xar TOC checksum), exposed for tests and the macOS reader. */
export function sha1(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(createHash("sha1").update(bytes).digest());
}

/** Options of the apk format, passed beside the spec (never inside it). */

/** Where the package signature comes from; the key itself arrives as the write context's signer. */
export interface ApkSignatureOptions {
  /** Private key file (PEM), resolved against the config folder; the CLI loads it into an RSA signer. */
  keyFile?: string;
  /**
   * File name of the public key as users install it in /etc/apk/keys (`.rsa.pub` is appended unless the
   * name ends in `.pub`). Default: the signer's own name, else `<maintainer e-mail>-<8 hex>.rsa.pub`.
   */
  keyName?: string;
  /** Also write `.SIGN.RSA.<keyname>` (SHA-1) after the SHA-256 one, for apk-tools older than 2.7. */
  legacySha1?: boolean;
}

export interface ApkOptions {
  /** Alpine arch written verbatim (nfpm `apk.arch`), overriding the mapped one. */
  arch?: string;
  /** Script files for `preupgrade`/`postupgrade` (nfpm `apk.scripts`); the config loader reads them into `spec.scripts`. */
  scriptFiles?: { preupgrade?: string; postupgrade?: string };
  signature?: ApkSignatureOptions;
  /** `origin` (source package name); default the package name. */
  origin?: string;
  /** `commit` (source revision), written only when given. */
  commit?: string;
  /** `packager`; default the maintainer. */
  packager?: string;
  /** `install_if` dependencies, in apk syntax (`foo`, `bar>=1.0`). */
  installIf?: string[];
  /** `triggers` globs (directories); required together with a `trigger` script. */
  triggers?: string[];
  /** `provider_priority`. */
  providerPriority?: number;
  /** `replaces_priority`. */
  replacesPriority?: number;
  /** gzip level of the three members, 1–9; default 9 (what abuild uses). */
  gzipLevel?: number;
}

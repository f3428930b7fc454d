/** Options of the macOS flat package writer: the `macos:` block of packyard.yml, resolved. */
import type { X509Signer } from "../sign/x509.ts";
import type { ByteSource } from "../spec/types.ts";

/** A file shown by Installer (welcome, readme, license, background), stored under `Resources/`. */
export interface MacosResource {
  /** File name inside `Resources/`, e.g. `Welcome.rtf`. */
  name: string;
  content: Uint8Array | ByteSource;
}

/** Where the signing certificate and key come from (config level; resolved into `signer`). */
export interface MacosSigningSource {
  /** PKCS#12 file (`.p12`), as macOS Keychain exports it (legacy 3DES/RC2 or AES). */
  p12File?: string;
  /** PEM certificate chain (leaf first) — with `keyFile`. */
  certificateFile?: string;
  /** PEM private key (PKCS#1 or PKCS#8, optionally encrypted). */
  keyFile?: string;
  /** Contents read by the config block's `resolve` step (or given directly by library users). */
  p12?: Uint8Array;
  certificatePem?: string;
  keyPem?: string;
  /** Passphrase of the .p12 or key. The CLI fills it from PACKYARD_MACOS_PASSPHRASE / PACKYARD_PASSPHRASE. */
  passphrase?: string;
}

export interface MacosOptions {
  /** Reverse-DNS package identifier; defaults to one derived from homepage (or maintainer) and name. */
  identifier?: string;
  /** Where the Payload is installed; default `/`. Every entry must lie below it. */
  installLocation?: string;
  /** Lowest macOS version (`allowed-os-versions` in Distribution), e.g. `10.13`. */
  minOsVersion?: string;
  /** Product title shown by Installer; defaults to the package name. */
  title?: string;
  /** Installer resources, each stored under `Resources/` and named in Distribution. */
  resources?: {
    welcome?: MacosResource;
    readme?: MacosResource;
    license?: MacosResource;
    background?: MacosResource;
  };
  /** Write a bare component package (what `pkgbuild` makes) instead of a product archive. */
  componentOnly?: boolean;
  /** PackageInfo `auth`: `root` (default) runs scripts as root. */
  auth?: "root" | "none";
  /** PackageInfo `postinstall-action`. */
  postinstallAction?: "none" | "logout" | "restart" | "shutdown";
  /** Extra files of the Scripts archive next to preinstall/postinstall (helpers the scripts call). */
  scriptHelpers?: MacosResource[];
  /** Helper file paths from packyard.yml, read into `scriptHelpers` by the block's `resolve`. */
  scriptHelperFiles?: string[];
  /** Resource file paths from packyard.yml, read into `resources` by the block's `resolve`. */
  resourceFiles?: { welcome?: string; readme?: string; license?: string; background?: string };
  /** Signing source from packyard.yml (the CLI turns it into `signer`). */
  signing?: MacosSigningSource;
  /** Developer ID Installer–style signer: the package gets an RSA and a CMS signature. */
  signer?: X509Signer;
}

/** Signing keys and signers: OpenPGP (openpgp.js) and raw RSA (node:crypto), behind one Signer interface. */
export { type KeygenFile, type KeygenOptions, type KeygenResult, keygen } from "./keygen.ts";
export {
  type DetachedVerification,
  type GeneratedOpenPGPKey,
  type GenerateOpenPGPKeyOptions,
  generateOpenPGPKey,
  type LoadOpenPGPSignerOptions,
  loadOpenPGPSigner,
  type OpenPGPKeyType,
  verifyDetached,
} from "./openpgp.ts";
export { type KeyFileInput, keyFileKind, signerFromKeyFile } from "./key-file.ts";
export { passphraseEnvNames, resolvePassphrase } from "./passphrase.ts";
export {
  apkKeyName,
  type GeneratedRSAKey,
  type GenerateRSAKeyOptions,
  generateRSAKey,
  type LoadRSASignerOptions,
  loadRSASigner,
  rsaKeyFingerprint,
  verifyRSA,
} from "./rsa.ts";
export { readSignatureInfo, type SignatureInfo } from "./signature-info.ts";
export type {
  OpenPGPHash,
  OpenPGPSigner,
  OpenPGPSignOptions,
  RSAHash,
  RSASigner,
  SignHash,
  SignInput,
  Signer,
  X509Signer,
} from "./signer.ts";
export { loadX509Signer, type LoadX509SignerOptions } from "./x509.ts";

/**
 * The key the golden example package is signed with, and its file name: fixtures/apk/example.sha256 pins
 * the example project's bytes signed with fixtures/keys/openssl-pkcs8.rsa.
 */
import { readFileSync } from "node:fs";
import { KEYS_DIR } from "@packyard/testkit/keyrings";
import { loadRSASigner } from "../../src/sign/rsa.ts";
import type { RSASigner } from "../../src/sign/signer.ts";

/** File name of the golden example package (fixtures/apk/), as `packyard build -p apk` names it. */
export const GOLDEN_NAME = "hello-packyard-1.0.0-r1.apk";

/** The RSA key the golden package is signed with (fixtures/keys, made by openssl). */
export function exampleSigner(): RSASigner {
  return loadRSASigner(readFileSync(`${KEYS_DIR}openssl-pkcs8.rsa`, "utf8"), {
    email: "maintainers@packyard.example",
  });
}

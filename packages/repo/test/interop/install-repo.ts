/**
 * What the system-level install tests share: the example project (fixtures/example) built as `packyard
 * build` builds it for each family, published with a fresh test key into a folder that serveFolder serves
 * on 127.0.0.1, and the install document for that server's URL. The server starts before the publish, so
 * its URL is the base URL the publish writes into `.repo` files and the one the document's steps fetch.
 */
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestContext } from "node:test";
import {
  bytesSource,
  type FormatId,
  loadRSASigner,
  type OpenPGPSigner,
  packageFileName,
  readPackage,
  writePackage,
} from "@packyard/formats";
import {
  folderStorage,
  type InstallDocument,
  type InstallTarget,
  installDocument,
  type PublishOptions,
  publish,
  type Storage,
} from "@packyard/repo";
import type { TestDeb } from "@packyard/testkit/debs";
import { exampleFromConfig } from "@packyard/testkit/example";
import { type FolderServer, serveFolder } from "@packyard/testkit/http";
import { openpgpTestKey } from "@packyard/testkit/keyrings";
import { runAsync, stubRpm } from "@packyard/testkit/rpms";

/** The example's package name (fixtures/example/packyard.yml). */
export const EXAMPLE = "hello-packyard";

/**
 * What the example's /usr/bin/hello prints with no argument: fixtures/example/bin/hello echoes
 * `${greeting}, ${1:-world}!` and fixtures/example/etc/hello.conf sets greeting="Hello from packyard".
 */
export const HELLO_OUTPUT = "Hello from packyard, world!\n";

/** The name the apk key is published under (what `/etc/apk/keys/` must call it). */
export const APK_KEY_NAME = "install-test@packyard.invalid-0a1b2c3d.rsa.pub";

/** A published example repository and its install document. */
export interface InstallRepo {
  dir: string;
  /** The published folder (what the server serves). */
  folder: string;
  storage: Storage;
  server: FolderServer;
  signer: OpenPGPSigner;
  /** The example's package files as built, by format. */
  packages: Partial<Record<FormatId, TestDeb>>;
  doc: InstallDocument;
  /** The document's target with this catalogue id (fails the test when absent). */
  target(id: string): InstallTarget;
  /** Stops the server and removes the folder. */
  dispose(): Promise<void>;
}

/** The example built for `format` the way `packyard build -p <format>` builds it, read back. */
export async function examplePackage(format: FormatId): Promise<TestDeb> {
  const { spec, options } = await exampleFromConfig(format);
  const parts: Uint8Array[] = [];
  for await (const c of writePackage(format, spec, options as never)) parts.push(c);
  const bytes = new Uint8Array(Buffer.concat(parts));
  const name = packageFileName(format, spec, options as never);
  const source = bytesSource(bytes);
  return { info: await readPackage(source, name), source, name, bytes };
}

/**
 * Builds the example for `formats`, publishes it (deb to the default suite, rpm to el-9 and
 * opensuse-15.6 with the stub rpm that gives an empty install root its /bin/sh, Arch to a repository
 * named after the example, apk to alpine-3.22 x86_64) and reads the install document for the server's URL.
 */
export async function publishExample(
  formats: readonly ("deb" | "rpm" | "archlinux" | "apk")[],
): Promise<InstallRepo> {
  const dir = mkdtempSync(join(tmpdir(), "packyard-install-"));
  const folder = join(dir, "repo");
  const storage = folderStorage(folder);
  const server = await serveFolder(folder);
  const dispose = async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const { signer } = await openpgpTestKey({ type: "rsa", rsaBits: 2048 });
    const packages: Partial<Record<FormatId, TestDeb>> = {};
    for (const f of formats) packages[f] = await examplePackage(f);
    const add = Object.values(packages).map((p) => ({ info: p.info, source: p.source, name: p.name }));
    const options: PublishOptions = { add, signers: [signer] };
    if (formats.includes("rpm")) {
      const stub = await stubRpm();
      add.push({ info: stub.info, source: stub.source, name: stub.name });
      options.rpm = { targets: ["el-9", "opensuse-15.6"], baseUrl: server.url };
    }
    if (formats.includes("archlinux")) options.archlinux = { repo: EXAMPLE };
    if (formats.includes("apk")) {
      const { privateKey } = generateKeyPairSync("rsa", {
        modulusLength: 2048,
        publicKeyEncoding: { type: "spki", format: "pem" },
        privateKeyEncoding: { type: "pkcs8", format: "pem" },
      });
      options.apkSigner = loadRSASigner(privateKey, { keyName: APK_KEY_NAME });
      options.alpine = { targets: ["alpine-3.22"], architectures: ["x86_64"] };
    }
    await publish(storage, options);
    const doc = await installDocument(storage, { baseUrl: server.url, name: EXAMPLE, package: EXAMPLE });
    const target = (id: string): InstallTarget => {
      const found = doc.targets.find((t) => t.id === id);
      assert.ok(
        found !== undefined,
        `install.json has a ${id} target (it has ${doc.targets.map((t) => t.id).join(", ")})`,
      );
      return found;
    };
    return { dir, folder, storage, server, signer, packages, doc, target, dispose };
  } catch (e) {
    await dispose();
    throw e;
  }
}

/** A failed step, for assertion messages: the step, what ran, and both streams. */
export function stepOutput(
  title: string,
  command: string,
  r: { code: number; stdout: string; stderr: string },
): string {
  return `step "${title}" exited ${r.code}\n--- command\n${command}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
}

/** The environment of every client run: C locale (messages the tests match), no proxy. */
export function clientEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, LC_ALL: "C", LANGUAGE: "" };
  for (const k of ["http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"])
    delete env[k];
  return env;
}

/** Replaces `word` where it is a command (at the start, or after `|`, `&&`, `||`, `;`) by `replacement`. */
export function rewriteCommand(command: string, word: string, replacement: string): string {
  return command.replace(
    new RegExp(`(^|[|;&]\\s*)${word}(?= )`, "g"),
    (_, before: string) => `${before}${replacement}`,
  );
}

/** What no install step may contain: a signature check turned off, or a key trusted without asking. */
export const NO_CHECKS =
  /gpgcheck=0|--nogpgcheck|--no-gpg-checks|--gpg-auto-import|TrustAll|SigLevel *= *(?:Never|Optional)|apt-key|trusted=yes|allow-insecure|allow-unauthenticated/i;

/** Runs each step, rewritten, with `sh -c` on the host; returns the rewritten commands. */
export async function runSteps(
  t: TestContext,
  steps: readonly { title: string; command: string }[],
  rewrite: (command: string) => string,
): Promise<string[]> {
  const ran: string[] = [];
  for (const step of steps) {
    // what the steps may never do, whatever they are: turn a signature check off or trust keys blindly
    assert.doesNotMatch(step.command, NO_CHECKS, step.command);
    const command = rewrite(step.command);
    const start = performance.now();
    const r = await runAsync("sh", ["-c", command], clientEnv());
    assert.equal(r.code, 0, stepOutput(step.title, command, r));
    t.diagnostic(`${step.title}: ${Math.round(performance.now() - start)} ms: ${command.split("\n")[0]}`);
    ran.push(command);
  }
  return ran;
}

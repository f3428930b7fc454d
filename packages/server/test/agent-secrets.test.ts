/**
 * Issue 20's "secrets redacted end to end" and "keys stay home" checks, on both databases, through the real
 * app listening on 127.0.0.1 and an in-process runAgent (sandbox none):
 * - a project secret DEPLOY_TOKEN, printed by a build step on stdout and stderr, reaches an SSE client and
 *   the stored log (job_logs) only as `***` (redacted on the agent); a log chunk posted with the agent's
 *   token that carries the raw value is stored and streamed as `***` too (redacted again on the server);
 * - while the step runs, no file under the agent's work root and no response body the agent received (its
 *   fetch is wrapped) holds secret key material: "PRIVATE KEY", lines of the armored/PEM secret keys, the
 *   secret RSA numbers of the project's keys (read from the key pool's fixtures and parsed here, as raw
 *   bytes, hex and base64), or the master key.
 */
import assert from "node:assert/strict";
import { createHash, createPrivateKey, randomBytes } from "node:crypto";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { memoryStorage } from "@packyard/repo";
import { runAgent } from "../src/agent/agent.ts";
import { createAgentClient } from "../src/agent/client.ts";
import { openpgpSecretBinary, pkcs8Der } from "../src/keys/generate.ts";
import {
  buildApp,
  createUser,
  type Db,
  issueToken,
  migrate,
  serverLogger,
  verifyMasterKey,
} from "../src/index.ts";
import { httpCaller, TEST_MASTER_KEY, TEST_SCRYPT } from "./app-harness.ts";
import { eachDb } from "./dbs.ts";
import { keyPool, POOL_APK, POOL_OPENPGP } from "./key-pool.ts";

const enc = new TextEncoder();
const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

const SCRIPT = enc.encode("#!/bin/sh\necho hello from the secrets test\n");
const CONFIG = `name: secret-hello
version: 1.0.0
release: 1
arch: amd64
maintainer: Test <test@example.org>
description: built by the agent secrets test
contents:
  - src: hello.sh
    dst: /usr/bin/secret-hello
    file_info:
      mode: 0755
build:
  steps:
    - run: 'echo "token is $DEPLOY_TOKEN"; echo "err $DEPLOY_TOKEN" >&2; sleep 2'
  env: [DEPLOY_TOKEN]
`;

// ---- the needles: what secret key material looks like in any form we can think of -------------------

interface Needle {
  what: string;
  bytes: Buffer;
}

/** The MPIs after the public part of each unencrypted RSA secret (sub)key packet: d, p, q, u (RFC 4880 §5.5.3). */
function openpgpSecretMpis(binary: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  let i = 0;
  while (i < binary.length) {
    const b = binary[i]!;
    assert.ok((b & 0x80) !== 0, `not an OpenPGP packet header at ${i}`);
    let tag: number;
    let len: number;
    let hdr: number;
    if ((b & 0x40) !== 0) {
      tag = b & 0x3f;
      const o = binary[i + 1]!;
      if (o < 192) [len, hdr] = [o, 2];
      else if (o < 224) [len, hdr] = [((o - 192) << 8) + binary[i + 2]! + 192, 3];
      else if (o === 255) [len, hdr] = [Buffer.from(binary.subarray(i + 2, i + 6)).readUInt32BE(0), 6];
      else throw new Error("partial body length in a key packet");
    } else {
      tag = (b >> 2) & 0x0f;
      const lt = b & 3;
      const n = lt === 0 ? 1 : lt === 1 ? 2 : 4;
      len = Buffer.from(binary.subarray(i + 1, i + 1 + n)).readUIntBE(0, n);
      hdr = 1 + n;
    }
    const body = binary.subarray(i + hdr, i + hdr + len);
    if (tag === 5 || tag === 7) {
      assert.equal(body[0], 4, "a v4 key packet");
      assert.ok([1, 2, 3].includes(body[5]!), "an RSA key");
      let p = 6;
      const mpi = () => {
        const bits = (body[p]! << 8) | body[p + 1]!;
        const v = body.subarray(p + 2, p + 2 + Math.ceil(bits / 8));
        p += 2 + v.length;
        return v;
      };
      mpi(); // n
      mpi(); // e
      assert.equal(body[p], 0, "an unencrypted secret key");
      p += 1;
      for (let k = 0; k < 4; k++) out.push(mpi()); // d, p, q, u
    }
    i += hdr + len;
  }
  return out;
}

/** The secret numbers of an RSA private key in PEM (d, p, q, dp, dq, qi). */
function pemSecretNumbers(pem: string): Uint8Array[] {
  const jwk = createPrivateKey(pem).export({ format: "jwk" });
  return (["d", "p", "q", "dp", "dq", "qi"] as const).map((k) => {
    const v = jwk[k];
    assert.equal(typeof v, "string", `jwk.${k}`);
    return Buffer.from(v as string, "base64url");
  });
}

function needles(): Needle[] {
  const out: Needle[] = [{ what: '"PRIVATE KEY"', bytes: Buffer.from("PRIVATE KEY") }];
  const text = (what: string, s: string) => void out.push({ what, bytes: Buffer.from(s) });
  const numbers = (what: string, list: Uint8Array[]) => {
    assert.ok(list.length >= 4, `${what}: found ${list.length} secret numbers`);
    list.forEach((m, k) => {
      assert.ok(m.length >= 100, `${what}: secret number ${k} has ${m.length} bytes`);
      const b = Buffer.from(m);
      out.push({ what: `${what} number ${k} (first bytes)`, bytes: b.subarray(0, 32) });
      out.push({ what: `${what} number ${k} (last bytes)`, bytes: b.subarray(b.length - 32) });
      text(`${what} number ${k} (hex)`, b.subarray(0, 32).toString("hex"));
      text(`${what} number ${k} (HEX)`, b.subarray(0, 32).toString("hex").toUpperCase());
      text(`${what} number ${k} (base64)`, b.toString("base64").slice(0, 40));
      text(`${what} number ${k} (base64url)`, b.toString("base64url").slice(0, 40));
    });
  };
  /** Body lines of an armor or PEM (base64 of the whole key, 64 characters each). */
  const lines = (what: string, armored: string) => {
    const body = armored.split(/\r?\n/).filter((l) => /^[A-Za-z0-9+/=]{60,}$/.test(l));
    assert.ok(body.length > 20, `${what}: ${body.length} base64 lines`);
    for (const [k, l] of body.entries()) text(`${what} line ${k}`, l);
  };
  POOL_OPENPGP.forEach((armored, k) => {
    lines(`OpenPGP pool key ${k + 1}`, armored);
    const binary = openpgpSecretBinary(armored);
    numbers(`OpenPGP pool key ${k + 1}`, openpgpSecretMpis(binary));
    text(`OpenPGP pool key ${k + 1} (binary, base64)`, Buffer.from(binary).toString("base64").slice(0, 60));
  });
  POOL_APK.forEach((pem, k) => {
    lines(`apk pool key ${k + 1}`, pem);
    numbers(`apk pool key ${k + 1}`, pemSecretNumbers(pem));
    const der = Buffer.from(pkcs8Der(pem));
    out.push({ what: `apk pool key ${k + 1} (DER tail)`, bytes: der.subarray(der.length - 64) });
  });
  const master = Buffer.from(TEST_MASTER_KEY.bytes);
  out.push({ what: "master key", bytes: master });
  text("master key (hex)", master.toString("hex"));
  text("master key (base64)", master.toString("base64"));
  return out;
}

const NEEDLES = needles();

/** The needles found in `bytes`. */
function keyMaterialIn(bytes: Uint8Array): string[] {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return NEEDLES.filter((n) => b.includes(n.bytes)).map((n) => n.what);
}

test("the needles find what they look for (a PEM, an armored key's middle line, a secret number in hex)", () => {
  assert.ok(keyMaterialIn(enc.encode(POOL_APK[0]!)).includes('"PRIVATE KEY"'));
  const line = POOL_OPENPGP[1]!.split("\n").filter((l) => l.length >= 60)[10]!;
  assert.ok(keyMaterialIn(enc.encode(`x ${line} y`)).includes("OpenPGP pool key 2 line 10"));
  const d = openpgpSecretMpis(openpgpSecretBinary(POOL_OPENPGP[2]!))[0]!;
  assert.deepEqual(keyMaterialIn(enc.encode(Buffer.from(d).toString("hex"))), [
    "OpenPGP pool key 3 number 0 (hex)",
  ]);
  assert.deepEqual(keyMaterialIn(randomBytes(1 << 16)), []);
});

// ---- the run --------------------------------------------------------------------------------------------

const roots: string[] = [];
after(async () => {
  for (const r of roots) await rm(r, { recursive: true, force: true });
});

/** Every regular file under `dir`, recursively. */
async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await filesUnder(p)));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function jobLogText(db: Db, buildId: number): Promise<string> {
  const { rows } = await db.query<{ text: string }>(
    "SELECT text FROM job_logs WHERE build_id = $1 ORDER BY seq",
    [buildId],
  );
  return rows.map((r) => r.text).join("");
}

eachDb((_kind, fresh) => {
  test("a secret printed by a step is *** in the SSE stream and the stored log; no key material reaches the agent's work folder or its responses", async (t) => {
    const f = await fresh(t);
    if (f === undefined) return;
    const db = f.db;
    await migrate(db);
    const clock = { now: () => new Date() };
    await verifyMasterKey(db, TEST_MASTER_KEY, clock.now());
    const serverLines: string[] = [];
    const pool = keyPool();
    const app = await buildApp(
      {
        db,
        storage: memoryStorage(),
        masterKey: TEST_MASTER_KEY,
        clock,
        logger: serverLogger({
          level: "debug",
          destination: { write: (l: string) => void serverLines.push(l) },
        }),
        config: { scrypt: TEST_SCRYPT, rateLimit: { max: 100_000 } },
        keyGenerator: pool,
      },
      {
        builds: {
          agents: { queue: { leaseMs: 2000, backoffBaseMs: 100 } },
          logs: { keepaliveMs: 500, pollMs: 100 },
        },
      },
    );
    t.after(() => app.close());
    await app.listen({ host: "127.0.0.1", port: 0 });
    const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const admin = await createUser(
      db,
      { email: "admin@example.org", slug: "admin", isAdmin: true },
      clock.now(),
      TEST_SCRYPT,
    );
    const { token } = await issueToken(
      db,
      {
        userId: admin.id,
        name: "t",
        scopes: ["read", "write", "publish", "keys", "admin"],
        projectId: null,
        expiresAt: null,
      },
      clock.now(),
    );
    const call = httpCaller(url, token);

    // A project (its keys come from the pool), a secret, the package and its source, an agent.
    await call("POST", "/api/v1/projects", { slug: "demo" });
    assert.deepEqual(pool.handedOut, { openpgp: 1, apk: 1 }, "the project's keys came from the pool");
    const keyRows = await db.query<{ purpose: string }>(
      "SELECT purpose FROM signing_keys JOIN projects p ON p.id = project_id WHERE p.slug = 'demo' ORDER BY purpose",
    );
    assert.deepEqual(
      keyRows.rows.map((r) => r.purpose),
      ["apk", "openpgp"],
    );
    const SECRET = `dt-${randomBytes(12).toString("hex")}`;
    await call("PUT", "/api/v1/projects/demo/secrets/DEPLOY_TOKEN", { value: SECRET });
    await call("PUT", "/api/v1/projects/demo/packages/secret-hello", CONFIG, "text/yaml");
    await call(
      "PUT",
      "/api/v1/projects/demo/packages/secret-hello/files/hello.sh",
      SCRIPT,
      "application/octet-stream",
    );
    const agent = (await call("POST", "/api/v1/agents", { name: "secrets-agent" })) as { token: string };

    // The build, through the API.
    const build = (await call("POST", "/api/v1/projects/demo/packages/secret-hello/builds", {
      version: "1.0.0",
      targets: ["debian-12"],
    })) as { id: number; jobs: { id: number; hasSteps: boolean }[]; sources: { sha256: string }[] };
    assert.equal(build.jobs.length, 1);
    assert.equal(build.jobs[0]!.hasSteps, true);
    assert.deepEqual(
      build.sources.map((s) => s.sha256),
      [sha(SCRIPT)],
    );
    const jobId = build.jobs[0]!.id;

    // An SSE client reading the whole log, from before the agent starts.
    const sseAbort = new AbortController();
    t.after(() => sseAbort.abort());
    const sseRes = await fetch(`${url}/api/v1/builds/${build.id}/logs/stream`, {
      headers: { authorization: `Bearer ${token}` },
      signal: sseAbort.signal,
    });
    assert.equal(sseRes.status, 200);
    const sseText = (async () => {
      const reader = sseRes.body!.pipeThrough(new TextDecoderStream()).getReader();
      let all = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return all;
        all += value;
        if (/(^|\n)event: end\n(data: .*\n)?\n/.test(all)) {
          await reader.cancel();
          return all;
        }
      }
    })();
    // A test failing before it reads the stream aborts it: that rejection is not left unhandled.
    sseText.catch(() => undefined);

    // The agent, with every response body it receives kept.
    const received: { what: string; body: Uint8Array }[] = [];
    const watched: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      const what = `${init?.method ?? "GET"} ${String(input).replace(/\?.*/, "")} → ${res.status}`;
      received.push({ what, body: new Uint8Array(await res.clone().arrayBuffer()) });
      return res;
    };
    const workDir = await mkdtemp(join(tmpdir(), "packyard-agent-secrets-"));
    roots.push(workDir);
    const stop = new AbortController();
    const abandon = new AbortController();
    const said: string[] = [];
    const log = {
      info: (m: string) => said.push(m),
      warn: (m: string) => said.push(m),
      error: (m: string) => said.push(m),
    };
    const running = runAgent({
      server: url,
      token: agent.token,
      workDir,
      sandbox: "none",
      log,
      signal: stop.signal,
      abandon: abandon.signal,
      env: { PATH: process.env.PATH },
      maxIdleMs: 200,
      client: createAgentClient({ server: url, token: agent.token, fetch: watched, signal: abandon.signal }),
    });

    let scanned: string[] = [];
    try {
      // The step has printed and sleeps: scan the work root now.
      await until("the step's output in the stored log", async () =>
        (await jobLogText(db, build.id)).includes("token is ***") ? true : undefined,
      );
      scanned = await filesUnder(workDir);
      const hits: string[] = [];
      for (const file of scanned)
        for (const what of keyMaterialIn(await readFile(file))) hits.push(`${file}: ${what}`);
      const state = await db.query<{ state: string }>("SELECT state FROM jobs WHERE id = $1", [jobId]);
      assert.equal(state.rows[0]!.state, "running", "the scan ran while the step ran");
      assert.deepEqual(hits, [], "key material in the agent's work folder");
      assert.ok(
        scanned.some((p) => p.endsWith("/hello.sh")),
        `the work folder holds the job's source: ${scanned.join(", ")}`,
      );

      // A chunk carrying the raw value, posted with the agent's token: the server redacts it as well.
      await call(
        "POST",
        `/api/v1/agent/jobs/${jobId}/logs`,
        { attempt: 1, chunks: [{ chunk: 900_000, stream: "stdout", text: `direct ${SECRET}\n` }] },
        "application/json",
        agent.token,
      );

      const ended = await until("the job to finish", async () => {
        const r = await db.query<{ state: string; failure_code: string | null }>(
          "SELECT state, failure_code FROM jobs WHERE id = $1",
          [jobId],
        );
        const j = r.rows[0]!;
        return ["succeeded", "failed", "cancelled"].includes(j.state) ? j : undefined;
      });
      assert.equal(ended.state, "succeeded", `${JSON.stringify(ended)}; agent said ${said.join(" | ")}`);
    } catch (e) {
      // The agent does not outlive a failed check (its job is abandoned; the app closes after the test).
      stop.abort();
      abandon.abort();
      await running.catch(() => undefined);
      throw e;
    }
    stop.abort();
    assert.deepEqual(await running, { claimed: 1, succeeded: 1, failed: 0, lost: 0 });

    // The SSE client and the stored log: *** for the value, every time.
    const sse = await sseText;
    const streamed = sse
      .split("\n")
      .filter((l) => l.startsWith("data: "))
      .map((l) => JSON.parse(l.slice(6)) as { text?: string; state?: string })
      .map((d) => d.text ?? "")
      .join("");
    assert.match(sse, /event: end\ndata: \{"state":"succeeded"\}/);
    const stored = await jobLogText(db, build.id);
    for (const [name, text] of [
      ["the SSE stream", sse],
      ["the stored log", stored],
    ] as const)
      assert.ok(!text.includes(SECRET), `the secret's value in ${name}`);
    for (const [name, text] of [
      ["the SSE stream", streamed],
      ["the stored log", stored],
    ] as const) {
      assert.match(text, /token is \*\*\*\n/, name);
      assert.match(text, /err \*\*\*\n/, name);
      assert.match(text, /direct \*\*\*\n/, name);
    }

    // Every response the agent got: the claim carried the secret (the step needs it), none carried key material.
    const claim = received.find((r) => r.what.includes("/agent/claim → 200"));
    assert.ok(claim !== undefined, received.map((r) => r.what).join(", "));
    assert.ok(Buffer.from(claim.body).toString().includes(SECRET), "the claim gives the step its secret");
    assert.ok(
      received.some((r) => r.what.includes("/agent/sources/") && Buffer.compare(r.body, SCRIPT) === 0),
      "the source download was seen",
    );
    const responseHits = received.flatMap((r) => keyMaterialIn(r.body).map((w) => `${r.what}: ${w}`));
    assert.deepEqual(responseHits, [], "key material in a response to the agent");

    // Neither the secret nor key material in the server's log or the agent's lines.
    for (const line of [...serverLines, ...said]) {
      assert.ok(!line.includes(SECRET), `the secret in a log line: ${line}`);
      assert.deepEqual(keyMaterialIn(enc.encode(line)), [], line);
    }
  });
});

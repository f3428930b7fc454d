// A lapsed subscription stops writes, not hosting (issue 21, "How it is checked" → Quotas, last bullet; seeds
// §5.1: the repositories keep serving). With the plans file fixtures/plans/quota.json and a billing webhook
// secret, the example's deb is uploaded and published through a server listening on 127.0.0.1; a signed
// `customer.subscription.deleted` event for the project's owner cancels the subscription; then uploads,
// publishes, project creation and packyard.yml changes answer 403 SUBSCRIPTION_INACTIVE while a scratch
// `apt-get update` against /r/demo/main (Signed-By the key the server serves) passes without a warning and
// still finds the package. Runs on PGlite and PostgreSQL.
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { folderStorage } from "@packyard/repo";
import { scratchApt } from "@packyard/testkit/apt";
import { needTool } from "@packyard/testkit/tools";
import { freePort } from "@packyard/testkit/http";
import { loadPlansFile } from "../../src/billing/plans.ts";
import { bearer, errorOf, secret, secretsNeverLeak } from "../app-harness.ts";
import { eachDb } from "../dbs.ts";
import { examplePackage, HELLO_CONFIG, repoSetup, uploadArtifact } from "../repos-support.ts";

const FIXTURES = fileURLToPath(new URL("../fixtures/plans/", import.meta.url));
const WEBHOOK_SECRET = secret("whsec_lapsed_test_0123456789");

const run = (what: string, r: { code: number; stdout: string; stderr: string }) =>
  `${what}: exit ${r.code}\n${r.stdout}\n${r.stderr}`;

eachDb((_kind, fresh) => {
  test("canceled subscription: writes 403 SUBSCRIPTION_INACTIVE, apt-get update against its repository passes", async (t) => {
    if (!needTool(t, "apt-get", "apt-cache")) return;
    const dir = mkdtempSync(join(tmpdir(), "packyard-lapsed-"));
    chmodSync(dir, 0o755); // apt's methods drop to the _apt user, which must read the key file
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const plans = await loadPlansFile(`${FIXTURES}quota.json`);
    const s = await repoSetup(
      t,
      fresh,
      { publicUrl: url, plans, billingWebhookSecrets: [WEBHOOK_SECRET] },
      { storage: folderStorage(join(dir, "storage")) },
    );
    if (s === undefined) return;
    // apt refuses a Release dated in the future: the server's clock is the real one, an hour back.
    s.h.clock.time = Date.now() - 3600_000;
    await s.h.app.listen({ host: "127.0.0.1", port });

    await uploadArtifact(s, "1.0.0", await examplePackage("deb", { scripts: {} }));
    let r = await s.h.request({
      method: "POST",
      url: `${s.base}/repository/publish`,
      headers: bearer(s.maintainer),
      payload: { add: [{ package: "hello", version: "1.0.0" }] },
    });
    assert.equal(r.statusCode, 200, r.body);

    // The provider ends the owner's subscription.
    const created = Math.floor(s.h.clock.now().getTime() / 1000);
    const event = JSON.stringify({
      id: "evt_lapsed",
      type: "customer.subscription.deleted",
      created,
      data: {
        object: {
          id: "sub_lapsed",
          customer: "cus_lapsed",
          status: "canceled",
          metadata: { packyard_user: "owner" },
          items: { data: [{ price: { id: "price_free" } }] },
        },
      },
    });
    const signature = createHmac("sha256", WEBHOOK_SECRET).update(`${created}.${event}`).digest("hex");
    r = await s.h.request({
      method: "POST",
      url: "/hooks/billing",
      headers: { "content-type": "application/json", "stripe-signature": `t=${created},v1=${signature}` },
      payload: event,
    });
    assert.equal(r.statusCode, 200, r.body);
    assert.equal(r.json().status, "canceled", r.body);

    // Writes stop, whoever makes them: the project's account is the owner's.
    // (The same package bytes under another release: the refusal comes before the body is read.)
    const deb = await examplePackage("deb", { scripts: {} });
    const writes = [
      s.h.request({
        method: "PUT",
        url: `${s.base}/packages/hello/releases/1.0.1/artifacts/${deb.fileName}`,
        headers: { ...bearer(s.maintainer), "content-type": "application/octet-stream" },
        payload: Buffer.from(deb.bytes),
      }),
      s.h.request({
        method: "POST",
        url: `${s.base}/repository/publish`,
        headers: bearer(s.maintainer),
        payload: { add: [{ package: "hello", version: "1.0.0" }] },
      }),
      s.h.request({
        method: "PUT",
        url: `${s.base}/packages/hello`,
        headers: { ...bearer(s.maintainer), "content-type": "text/yaml" },
        payload: HELLO_CONFIG,
      }),
      s.h.request({
        method: "POST",
        url: "/api/v1/projects",
        headers: bearer(s.owner),
        payload: { slug: "more" },
      }),
    ];
    for (const w of await Promise.all(writes)) {
      assert.equal(w.statusCode, 403, w.body);
      assert.equal(errorOf(w).code, "SUBSCRIPTION_INACTIVE");
      assert.equal(errorOf(w).details.status, "canceled");
    }

    // Hosting keeps going: apt reads the repository as before.
    const repo = `${url}/r/demo/main`;
    const key = await fetch(`${repo}/keys/demo.asc`);
    assert.equal(key.status, 200);
    const keyFile = join(dir, "demo.asc");
    writeFileSync(keyFile, await key.text());
    chmodSync(keyFile, 0o644);
    const apt = scratchApt({ sources: { uri: `${repo}/deb`, signedBy: keyFile }, contents: false });
    t.after(() => apt.dispose());
    const update = await apt.update();
    assert.equal(update.code, 0, run("apt-get update", update));
    assert.deepEqual(update.warnings, [], run("apt-get update", update));
    assert.deepEqual([...update.errors, ...update.failed], [], run("apt-get update", update));
    const policy = await apt.policy("hello-packyard");
    assert.equal(policy.candidate, "1.0.0-1", run("apt-cache policy", policy));
  });
});

secretsNeverLeak();

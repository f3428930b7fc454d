// Accounts on both databases: scrypt hashes with their stored cost (checked by recomputing with node:crypto),
// sign-in, tokens shown once and stored as SHA-256, revocation, expiry on the injected clock, last_used_at
// written at most once a minute, project-bound tokens, scopes a token may grant, sign-up on and off, and
// the last owner rule.
import assert from "node:assert/strict";
import { createHash, scryptSync } from "node:crypto";
import { test } from "node:test";
import { SCOPES } from "../src/index.ts";
import { bearer, errorOf, harness, secret, TEST_SCRYPT, secretsNeverLeak } from "./app-harness.ts";
import { eachDb } from "./dbs.ts";

eachDb((_kind, fresh) => {
  test("passwords are scrypt hashes with a per-user salt and their cost stored", async (t) => {
    const h = await harness(t, fresh);
    if (h === undefined) return;
    const password = secret("correct horse battery");
    const a = await h.user("alice", { password });
    const b = await h.user("bob", { password });
    const { rows } = await h.db.query<{
      id: number;
      password_hash: Uint8Array;
      password_salt: Uint8Array;
      scrypt_n: number;
      scrypt_r: number;
      scrypt_p: number;
    }>("SELECT id, password_hash, password_salt, scrypt_n, scrypt_r, scrypt_p FROM users ORDER BY id");
    assert.deepEqual(
      rows.map((r) => r.id),
      [a, b],
    );
    for (const r of rows) {
      assert.deepEqual([r.scrypt_n, r.scrypt_r, r.scrypt_p], [TEST_SCRYPT.n, TEST_SCRYPT.r, TEST_SCRYPT.p]);
      assert.equal(r.password_salt.length, 16);
      // Independent check: node:crypto's scrypt over the stored salt and cost gives the stored hash.
      const again = scryptSync(password, r.password_salt, 32, {
        N: r.scrypt_n,
        r: r.scrypt_r,
        p: r.scrypt_p,
      });
      assert.deepEqual(new Uint8Array(again), r.password_hash);
    }
    assert.notDeepEqual(rows[0]!.password_salt, rows[1]!.password_salt, "salts differ per user");
    assert.notDeepEqual(rows[0]!.password_hash, rows[1]!.password_hash);

    const signIn = (email: string, pw: string) =>
      h.request({
        method: "POST",
        url: "/api/v1/auth/token",
        payload: { email, password: pw, name: "laptop", scopes: ["read", "write"] },
      });
    const ok = await signIn("ALICE@example.org", password);
    assert.equal(ok.statusCode, 201, ok.body);
    const wrong = await signIn("alice@example.org", secret("incorrect horse"));
    assert.equal(wrong.statusCode, 401);
    assert.equal(errorOf(wrong).code, "UNAUTHENTICATED");
    const unknown = await signIn("nobody@example.org", password);
    assert.equal(unknown.statusCode, 401);
    assert.equal(
      unknown.json().error.message,
      wrong.json().error.message,
      "unknown email and wrong password read alike",
    );
    // A user without a password cannot sign in with any.
    await h.user("tokens-only");
    assert.equal((await signIn("tokens-only@example.org", "")).statusCode, 401);
    // The admin scope is an administrator's only.
    const asAdmin = await h.request({
      method: "POST",
      url: "/api/v1/auth/token",
      payload: { email: "alice@example.org", password, name: "x", scopes: ["admin"] },
    });
    assert.equal(asAdmin.statusCode, 403);
  });

  test("a token is shown once, stored as its SHA-256, listed without it, and revocable", async (t) => {
    const h = await harness(t, fresh);
    if (h === undefined) return;
    const password = secret("token owner password");
    const id = await h.user("owner", { password });
    const r = await h.request({
      method: "POST",
      url: "/api/v1/auth/token",
      payload: { email: "owner@example.org", password, name: "ci", scopes: ["read", "publish"] },
    });
    assert.equal(r.statusCode, 201);
    const token = secret(r.json().token as string);
    assert.match(token, /^pky_[A-Za-z0-9_-]{43}$/);
    assert.equal(Buffer.from(token.slice(4), "base64url").length, 32);
    const { rows } = await h.db.query<{ token_sha256: Uint8Array; scopes: string[]; name: string }>(
      "SELECT token_sha256, scopes, name FROM api_tokens WHERE user_id = $1",
      [id],
    );
    assert.equal(rows.length, 1);
    assert.deepEqual(rows[0]!.token_sha256, new Uint8Array(createHash("sha256").update(token).digest()));
    assert.deepEqual(rows[0]!.scopes, ["read", "publish"]);
    // No column of the table holds the token's text.
    const dump = JSON.stringify((await h.db.query("SELECT * FROM api_tokens")).rows);
    assert.ok(!dump.includes(token.slice(4, 20)));

    const list = await h.request({ url: "/api/v1/tokens", headers: bearer(token) });
    assert.equal(list.statusCode, 200);
    assert.ok(!list.body.includes(token), "the list never shows a token");
    assert.deepEqual(
      list.json().map((x: { name: string }) => x.name),
      ["ci"],
    );
    assert.equal((await h.request({ url: "/api/v1/user", headers: bearer(token) })).json().slug, "owner");

    // A token grants narrower tokens, not wider ones.
    const narrower = await h.request({
      method: "POST",
      url: "/api/v1/tokens",
      headers: bearer(token),
      payload: { name: "read only", scopes: ["read"] },
    });
    assert.equal(narrower.statusCode, 201);
    const readOnly = secret(narrower.json().token as string);
    const wider = await h.request({
      method: "POST",
      url: "/api/v1/tokens",
      headers: bearer(token),
      payload: { name: "wider", scopes: ["read", "keys"] },
    });
    assert.equal(wider.statusCode, 403);
    assert.equal(errorOf(wider).code, "FORBIDDEN");

    // Revoking: the revoked token stops working at once; another user's token id is not found.
    const readOnlyId = narrower.json().info.id as number;
    const other = await h.user("other");
    const othersToken = await h.token(other, ["read"]);
    const notMine = await h.request({
      method: "DELETE",
      url: `/api/v1/tokens/${othersToken.id}`,
      headers: bearer(token),
    });
    assert.equal(notMine.statusCode, 404);
    assert.equal(
      (await h.request({ url: "/api/v1/user", headers: bearer(othersToken.token) })).statusCode,
      200,
    );
    const revoke = await h.request({
      method: "DELETE",
      url: `/api/v1/tokens/${readOnlyId}`,
      headers: bearer(token),
    });
    assert.equal(revoke.statusCode, 204);
    const after = await h.request({ url: "/api/v1/user", headers: bearer(readOnly) });
    assert.equal(after.statusCode, 401);
    assert.match(errorOf(after).message, /revoked/);
  });

  test("expiry follows the injected clock; last_used_at is written at most once a minute", async (t) => {
    const h = await harness(t, fresh);
    if (h === undefined) return;
    const id = await h.user("user");
    const expiresAt = new Date(h.clock.time + 10 * 60_000);
    const { token, id: tokenId } = await h.token(id, ["read"], { expiresAt });
    const lastUsed = async () =>
      (
        await h.db.query<{ last_used_at: Date | null }>("SELECT last_used_at FROM api_tokens WHERE id = $1", [
          tokenId,
        ])
      ).rows[0]!.last_used_at?.toISOString() ?? null;
    assert.equal(await lastUsed(), null);
    const use = () => h.request({ url: "/api/v1/user", headers: bearer(token) });
    assert.equal((await use()).statusCode, 200);
    const first = h.clock.now().toISOString();
    assert.equal(await lastUsed(), first);
    h.clock.advance(59_000);
    assert.equal((await use()).statusCode, 200);
    assert.equal(await lastUsed(), first, "not written again within the minute");
    h.clock.advance(1_000);
    assert.equal((await use()).statusCode, 200);
    assert.equal(await lastUsed(), h.clock.now().toISOString(), "written again after a minute");
    // Expiry: valid until the instant, refused from it on.
    h.clock.time = expiresAt.getTime() - 1;
    assert.equal((await use()).statusCode, 200);
    h.clock.time = expiresAt.getTime();
    const expired = await use();
    assert.equal(expired.statusCode, 401);
    assert.match(errorOf(expired).message, /expired/);
    // An expiry in the past is refused at creation.
    const past = await h.request({
      method: "POST",
      url: "/api/v1/tokens",
      headers: bearer((await h.token(id, ["read"])).token),
      payload: { name: "old", scopes: ["read"], expiresAt: "2020-01-01T00:00:00Z" },
    });
    assert.equal(past.statusCode, 400);
  });

  test("a project-bound token sees its project only; repository read tokens have no API access", async (t) => {
    const h = await harness(t, fresh);
    if (h === undefined) return;
    const id = await h.user("owner");
    const { token } = await h.token(id, ["read", "write"]);
    for (const slug of ["alpha", "beta"]) {
      const r = await h.request({
        method: "POST",
        url: "/api/v1/projects",
        headers: bearer(token),
        payload: { slug },
      });
      assert.equal(r.statusCode, 201);
    }
    const alpha = (await h.db.query<{ id: number }>("SELECT id FROM projects WHERE slug = 'alpha'")).rows[0]!
      .id;
    const bound = await h.token(id, ["read", "write"], { projectId: alpha });
    assert.equal(
      (await h.request({ url: "/api/v1/projects/alpha", headers: bearer(bound.token) })).statusCode,
      200,
    );
    const beta = await h.request({ url: "/api/v1/projects/beta", headers: bearer(bound.token) });
    assert.equal(beta.statusCode, 404, "another project reads as missing");
    const listed = await h.request({ url: "/api/v1/projects", headers: bearer(bound.token) });
    assert.deepEqual(
      listed.json().map((p: { slug: string }) => p.slug),
      ["alpha"],
    );
    const create = await h.request({
      method: "POST",
      url: "/api/v1/projects",
      headers: bearer(bound.token),
      payload: { slug: "gamma" },
    });
    assert.equal(create.statusCode, 403);
    const unbound = await h.request({
      method: "POST",
      url: "/api/v1/tokens",
      headers: bearer(bound.token),
      payload: { name: "escape", scopes: ["read"] },
    });
    assert.equal(unbound.statusCode, 403, "a bound token cannot issue an unbound one");
    // A repository read token (kind 'repository') is refused by the API.
    const repoToken = secret(`pky_${"r".repeat(43)}`);
    await h.db.query(
      `INSERT INTO api_tokens (user_id, kind, name, token_sha256, scopes, project_id, created_at)
       VALUES ($1, 'repository', 'apt', $2, ARRAY['read'], $3, $4)`,
      [id, new Uint8Array(createHash("sha256").update(repoToken).digest()), alpha, h.clock.now()],
    );
    const r = await h.request({ url: "/api/v1/projects/alpha", headers: bearer(repoToken) });
    assert.equal(r.statusCode, 401);
  });

  test("sign-up is off unless allowSignup; admins create users", async (t) => {
    const closed = await harness(t, fresh);
    if (closed === undefined) return;
    const payload = { email: "new@example.org", slug: "newbie", password: secret("a new password") };
    const off = await closed.request({ method: "POST", url: "/api/v1/signup", payload });
    assert.equal(off.statusCode, 403);
    assert.equal(errorOf(off).code, "SIGNUP_DISABLED");
    const admin = await closed.user("admin", { admin: true });
    const { token } = await closed.token(admin, SCOPES);
    const made = await closed.request({
      method: "POST",
      url: "/api/v1/users",
      headers: bearer(token),
      payload,
    });
    assert.equal(made.statusCode, 201);
    const again = await closed.request({
      method: "POST",
      url: "/api/v1/users",
      headers: bearer(token),
      payload: { ...payload, email: "NEW@example.org", slug: "other" },
    });
    assert.equal(again.statusCode, 409, "emails compare without case");
    assert.equal(errorOf(again).code, "ALREADY_EXISTS");

    const open = await harness(t, fresh, { allowSignup: true });
    const on = await open!.request({ method: "POST", url: "/api/v1/signup", payload });
    assert.equal(on.statusCode, 201);
    assert.equal(on.json().isAdmin, false);
    assert.ok(!on.body.includes(payload.password));
  });

  test("members and roles; the last owner can neither leave nor be demoted or removed", async (t) => {
    const h = await harness(t, fresh);
    if (h === undefined) return;
    const owner = await h.user("owner");
    const viewer = await h.user("viewer");
    const ownerToken = (await h.token(owner, ["read", "write"])).token;
    const viewerToken = (await h.token(viewer, ["read", "write"])).token;
    assert.equal(
      (
        await h.request({
          method: "POST",
          url: "/api/v1/projects",
          headers: bearer(ownerToken),
          payload: { slug: "proj" },
        })
      ).statusCode,
      201,
    );
    const put = (who: string, role: string, token = ownerToken) =>
      h.request({
        method: "PUT",
        url: `/api/v1/projects/proj/members/${who}`,
        headers: bearer(token),
        payload: { role },
      });
    assert.equal((await put("viewer", "viewer")).statusCode, 200);
    assert.equal((await put("nobody-here", "viewer")).statusCode, 404);
    // A viewer cannot manage members or delete the project.
    assert.equal((await put("viewer", "owner", viewerToken)).statusCode, 403);
    assert.equal(
      (await h.request({ method: "DELETE", url: "/api/v1/projects/proj", headers: bearer(viewerToken) }))
        .statusCode,
      403,
    );
    for (const attempt of [
      () => put("owner", "maintainer"),
      () =>
        h.request({
          method: "DELETE",
          url: "/api/v1/projects/proj/members/owner",
          headers: bearer(ownerToken),
        }),
      () =>
        h.request({ method: "DELETE", url: "/api/v1/projects/proj/membership", headers: bearer(ownerToken) }),
    ]) {
      const r = await attempt();
      assert.equal(r.statusCode, 409);
      assert.equal(errorOf(r).code, "LAST_OWNER");
    }
    // With a second owner the first may step down.
    assert.equal((await put("viewer", "owner")).statusCode, 200);
    assert.equal((await put("owner", "maintainer")).statusCode, 200);
    const members = await h.request({ url: "/api/v1/projects/proj/members", headers: bearer(viewerToken) });
    assert.deepEqual(
      members.json().map((m: { user: string; role: string }) => [m.user, m.role]),
      [
        ["owner", "maintainer"],
        ["viewer", "owner"],
      ],
    );
    // The viewer (now the only owner) deletes the project; the former owner then sees nothing there.
    assert.equal(
      (await h.request({ method: "DELETE", url: "/api/v1/projects/proj", headers: bearer(viewerToken) }))
        .statusCode,
      204,
    );
    assert.equal(
      (await h.request({ url: "/api/v1/projects/proj", headers: bearer(ownerToken) })).statusCode,
      404,
    );
    const audit = await h.db.query<{ action: string }>("SELECT action FROM audit_events ORDER BY id");
    assert.deepEqual(
      audit.rows.map((r) => r.action),
      ["project.create", "member.set", "member.set", "member.set", "project.delete"],
    );
  });
});

secretsNeverLeak();

// The Db port on both adapters: values, parameters, transactions, errors, and PGlite's turn-taking.
import assert from "node:assert/strict";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { isServerError, isUniqueViolation, openPostgres, type ServerError } from "../src/index.ts";
import { eachDb } from "./dbs.ts";

function serverError(code: string): (e: unknown) => boolean {
  return (e: unknown) => {
    assert.ok(isServerError(e), `expected a ServerError, got ${String(e)}`);
    assert.equal((e as ServerError).code, code, (e as Error).message);
    return true;
  };
}

eachDb((kind, fresh) => {
  test("values come back as the port documents, the same on both adapters", async (t) => {
    const f = await fresh(t);
    if (f === undefined) return;
    const { rows } = await f.db.query(
      `SELECT 5::int8 AS small, 9007199254740993::int8 AS big, 7::int4 AS int4, 1.5::numeric AS num,
              $1::jsonb AS obj, $2::jsonb AS arr, $3::text[] AS texts, $4::timestamptz AS at,
              $5::bytea AS bytes, $6::bool AS flag, $7::text AS nothing, $8::int8 AS param_int8`,
      [
        JSON.stringify({ a: 1 }),
        JSON.stringify([1, "two"]),
        ["x", "y,z"],
        new Date("2026-12-06T10:00:00.123Z"),
        new Uint8Array([0, 1, 255]),
        true,
        null,
        42,
      ],
    );
    assert.deepStrictEqual(rows, [
      {
        small: 5,
        big: 9007199254740993n,
        int4: 7,
        num: "1.5",
        obj: { a: 1 },
        arr: [1, "two"],
        texts: ["x", "y,z"],
        at: new Date("2026-12-06T10:00:00.123Z"),
        bytes: new Uint8Array([0, 1, 255]),
        flag: true,
        nothing: null,
        param_int8: 42,
      },
    ]);
  });

  test("text is UTF-8, compared bytewise (C collation), and lower() knows non-ASCII letters", async (t) => {
    const f = await fresh(t);
    if (f === undefined) return;
    const { rows } = await f.db.query(
      "SELECT lower($1::text) AS lowered, 'a' < 'B' AS a_first, length($1::text) AS chars, octet_length($1::text) AS bytes, current_setting('server_encoding') AS encoding",
      ["ÉCOLE"],
    );
    assert.deepStrictEqual(rows, [
      { lowered: "école", a_first: false, chars: 5, bytes: 6, encoding: "UTF8" },
    ]);
  });

  test("rowCount counts rows returned and rows changed", async (t) => {
    const f = await fresh(t);
    if (f === undefined) return;
    await f.db.exec("CREATE TABLE n (v int); INSERT INTO n VALUES (1), (2), (3);");
    assert.equal((await f.db.query("SELECT v FROM n")).rowCount, 3);
    assert.equal((await f.db.query("UPDATE n SET v = v + 1 WHERE v > 1")).rowCount, 2);
    assert.equal((await f.db.query("DELETE FROM n WHERE v > 100")).rowCount, 0);
    assert.equal((await f.db.query("INSERT INTO n VALUES (9) RETURNING v")).rowCount, 1);
  });

  test("a transaction commits when its callback resolves and rolls back when it throws", async (t) => {
    const f = await fresh(t);
    if (f === undefined) return;
    await f.db.exec("CREATE TABLE items (name text PRIMARY KEY)");
    const out = await f.db.transaction(async (tx) => {
      await tx.query("INSERT INTO items VALUES ($1)", ["kept"]);
      return "done";
    });
    assert.equal(out, "done");
    const boom = new Error("callback failed");
    await assert.rejects(
      f.db.transaction(async (tx) => {
        await tx.query("INSERT INTO items VALUES ($1)", ["dropped"]);
        throw boom;
      }),
      (e) => e === boom,
    );
    assert.deepStrictEqual((await f.db.query("SELECT name FROM items ORDER BY name")).rows, [
      { name: "kept" },
    ]);
  });

  test("a transaction whose failed statement was swallowed does not commit", async (t) => {
    const f = await fresh(t);
    if (f === undefined) return;
    await f.db.exec("CREATE TABLE items (name text PRIMARY KEY)");
    await assert.rejects(
      f.db.transaction(async (tx) => {
        await tx.query("INSERT INTO items VALUES ('a')");
        await tx.query("INSERT INTO items VALUES ('a')").catch(() => {});
      }),
      (e) => serverError("DB_ERROR")(e) && (e as ServerError).data.sqlState === "25P02",
    );
    assert.equal((await f.db.query("SELECT * FROM items")).rowCount, 0);
  });

  test("a unique violation is DB_ERROR 23505 naming the constraint; parameters stay out of the message", async (t) => {
    const f = await fresh(t);
    if (f === undefined) return;
    await f.db.exec("CREATE TABLE tokens (h text, CONSTRAINT tokens_h_key UNIQUE (h))");
    await f.db.query("INSERT INTO tokens VALUES ($1)", ["secret-value-1"]);
    const e = await f.db.query("INSERT INTO tokens VALUES ($1)", ["secret-value-1"]).then(
      () => assert.fail("expected a unique violation"),
      (err: unknown) => err,
    );
    assert.ok(isUniqueViolation(e, "tokens_h_key"), String(e));
    assert.ok(!isUniqueViolation(e, "other_key"));
    assert.match((e as Error).message, /INSERT INTO tokens/);
    assert.deepStrictEqual((e as ServerError).data, {
      sqlState: "23505",
      constraint: "tokens_h_key",
      table: "tokens",
    });
    // The driver's detail names the key value; the statement's parameters themselves are not added anywhere.
    assert.ok(!JSON.stringify((e as ServerError).data).includes("secret-value-1"));
  });

  test("a syntax error is DB_ERROR with its SQLSTATE", async (t) => {
    const f = await fresh(t);
    if (f === undefined) return;
    await assert.rejects(
      f.db.query("SELEC 1"),
      (e) => serverError("DB_ERROR")(e) && (e as ServerError).data.sqlState === "42601",
    );
  });

  test("the transaction handle is dead once its transaction ended", async (t) => {
    const f = await fresh(t);
    if (f === undefined) return;
    let leaked: { query(sql: string): Promise<unknown> } | undefined;
    await f.db.transaction(async (tx) => {
      leaked = tx;
    });
    await assert.rejects(leaked!.query("SELECT 1"));
  });

  test("20 concurrent read-modify-write transactions lose no update", async (t) => {
    const f = await fresh(t);
    if (f === undefined) return;
    await f.db.exec(
      "CREATE TABLE counter (id int PRIMARY KEY, n int NOT NULL); INSERT INTO counter VALUES (1, 0);",
    );
    const second = await f.open();
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        (i % 2 === 0 ? f.db : second).transaction(async (tx) => {
          const { rows } = await tx.query<{ n: number }>("SELECT n FROM counter WHERE id = 1 FOR UPDATE");
          await sleep(1);
          await tx.query("UPDATE counter SET n = $1 WHERE id = 1", [rows[0]!.n + 1]);
        }),
      ),
    );
    assert.deepStrictEqual((await f.db.query("SELECT n FROM counter")).rows, [{ n: 20 }]);
  });

  if (kind === "pglite") {
    test("PGlite: nothing runs while a transaction is open, and the Db itself is refused inside one", async (t) => {
      const f = await fresh(t);
      if (f === undefined) return;
      const events: string[] = [];
      const tx = f.db.transaction(async (handle) => {
        events.push("tx begin");
        await sleep(50);
        await handle.query("SELECT 1");
        events.push("tx end");
        await assert.rejects(f.db.query("SELECT 1"), serverError("DB_ERROR"));
      });
      await sleep(5);
      const outside = f.db.query("SELECT 1").then(() => events.push("outside query"));
      await Promise.all([tx, outside]);
      assert.deepStrictEqual(events, ["tx begin", "tx end", "outside query"]);
      // Work a transaction started that runs after it ended may use the Db again.
      let later: Promise<{ rows: unknown[] }> | undefined;
      await f.db.transaction(async () => {
        later = sleep(20).then(() => f.db.query("SELECT 2 AS two"));
      });
      assert.deepStrictEqual((await later!).rows, [{ two: 2 }]);
    });
  }

  if (kind === "postgres") {
    test("PostgreSQL: a connection killed mid-transaction is DB_UNAVAILABLE and the pool goes on", async (t) => {
      const f = await fresh(t);
      if (f === undefined) return;
      const killer = await f.open();
      await assert.rejects(
        f.db.transaction(async (tx) => {
          const { rows } = await tx.query<{ pid: number }>("SELECT pg_backend_pid() AS pid");
          await killer.query("SELECT pg_terminate_backend($1)", [rows[0]!.pid]);
          await tx.query("SELECT 1");
        }),
        serverError("DB_UNAVAILABLE"),
      );
      assert.deepStrictEqual((await f.db.query("SELECT 1 AS one")).rows, [{ one: 1 }]);
    });

    test("PostgreSQL: an idle pooled connection killed by the server does not end the process", async (t) => {
      const f = await fresh(t);
      if (f === undefined) return;
      const { rows } = await f.db.query<{ pid: number }>("SELECT pg_backend_pid() AS pid");
      const killer = await f.open();
      const before = (await killer.query("SELECT pg_terminate_backend($1) AS killed", [rows[0]!.pid])).rows;
      assert.deepStrictEqual(before, [{ killed: true }]);
      await sleep(200); // the pool hears of it as an 'error' on the idle client
      const after = await f.db.query<{ pid: number }>("SELECT pg_backend_pid() AS pid");
      assert.notEqual(after.rows[0]!.pid, rows[0]!.pid);
    });
  }
});

test("openPostgres on a port nobody listens on is DB_UNAVAILABLE, with the password redacted", async () => {
  await assert.rejects(
    openPostgres({ connectionString: "postgres://someone:hunter2@127.0.0.1:1/none" }),
    (e: unknown) =>
      serverError("DB_UNAVAILABLE")(e) &&
      !(e as Error).message.includes("hunter2") &&
      /\*\*\*/.test((e as Error).message),
  );
});

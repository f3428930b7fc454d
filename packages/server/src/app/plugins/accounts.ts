/**
 * Accounts: sign-up (off unless allowSignup), users (admin), the caller's own account, and API tokens:
 * signing in with email and password issues one, a token issues narrower ones, and the owner revokes them.
 * Sign-in, sign-up and token creation have the stricter rate limit. What a token request may be granted is
 * accounts/tokens.ts grantToken (the web interface's tokens page calls it too).
 */
import type { FastifyInstance } from "fastify";
import { grantToken, listTokens, revokeOwnToken, type TokenRequest } from "../../accounts/tokens.ts";
import { createUser, listUsers, signIn, type User } from "../../accounts/users.ts";
import type { Queryable } from "../../db/db.ts";
import { ServerError } from "../../errors.ts";
import type { PluginOptions } from "../app.ts";
import {
  EMAIL,
  ERRORS,
  NEW_TOKEN,
  NO_CONTENT,
  PASSWORD,
  SLUG,
  TOKEN_INFO,
  TOKEN_REQUEST_PROPERTIES,
  USER,
} from "../schemas.ts";

export async function accountsPlugin(app: FastifyInstance, options: PluginOptions): Promise<void> {
  const { db, clock, config } = options.deps;
  const strict = { max: options.rateLimit.strictMax, timeWindow: options.rateLimit.windowMs };
  const cost = config.scrypt;

  const newUser = (
    tx: Queryable,
    body: { email: string; slug: string; password?: string; admin?: boolean },
  ) =>
    createUser(
      tx,
      {
        email: body.email,
        slug: body.slug,
        ...(body.password === undefined ? {} : { password: body.password }),
        isAdmin: body.admin === true,
      },
      clock.now(),
      cost,
    );

  app.post<{ Body: { email: string; slug: string; password: string } }>(
    "/signup",
    {
      config: { authz: "public", rateLimit: strict },
      schema: {
        body: {
          type: "object",
          required: ["email", "slug", "password"],
          additionalProperties: false,
          properties: { email: EMAIL, slug: SLUG, password: PASSWORD },
        },
        response: { 201: USER, ...ERRORS },
      },
    },
    async (request, reply) => {
      if (config.allowSignup !== true)
        throw new ServerError(
          "SIGNUP_DISABLED",
          "Expected sign-up to be open, found it off on this server; an administrator creates accounts",
        );
      return reply.status(201).send(await newUser(db, request.body));
    },
  );

  app.post<{ Body: { email: string; slug: string; password?: string; admin?: boolean } }>(
    "/users",
    {
      config: { authz: "admin" },
      schema: {
        body: {
          type: "object",
          required: ["email", "slug"],
          additionalProperties: false,
          properties: { email: EMAIL, slug: SLUG, password: PASSWORD, admin: { type: "boolean" } },
        },
        response: { 201: USER, ...ERRORS },
      },
    },
    async (request, reply) => reply.status(201).send(await newUser(db, request.body)),
  );

  app.get(
    "/users",
    {
      config: { authz: "admin" },
      schema: { response: { 200: { type: "array", items: USER }, ...ERRORS } },
    },
    async () => listUsers(db),
  );

  app.get(
    "/user",
    { config: { authz: { signedIn: true, scope: "read" } }, schema: { response: { 200: USER, ...ERRORS } } },
    async (request) => {
      const { rows } = await db.query<{
        id: number;
        email: string;
        slug: string;
        is_admin: boolean;
        created_at: Date;
      }>("SELECT id, email, slug, is_admin, created_at FROM users WHERE id = $1", [
        request.principal!.userId,
      ]);
      const r = rows[0]!;
      const user: User = {
        id: r.id,
        email: r.email,
        slug: r.slug,
        isAdmin: r.is_admin,
        createdAt: r.created_at,
      };
      return user;
    },
  );

  app.post<{ Body: TokenRequest & { email: string; password: string } }>(
    "/auth/token",
    {
      config: { authz: "public", rateLimit: strict },
      schema: {
        body: {
          type: "object",
          required: ["email", "password", "name", "scopes"],
          additionalProperties: false,
          properties: {
            email: EMAIL,
            password: { type: "string", maxLength: 1024 },
            ...TOKEN_REQUEST_PROPERTIES,
          },
        },
        response: { 201: NEW_TOKEN, ...ERRORS },
      },
    },
    async (request, reply) => {
      const user = await signIn(db, request.body.email, request.body.password);
      if (user === undefined)
        throw new ServerError("UNAUTHENTICATED", "Expected a known email with its password, found no match");
      return reply.status(201).send(await grantToken(db, clock.now(), user, request.body));
    },
  );

  app.get(
    "/tokens",
    {
      config: { authz: { signedIn: true } },
      schema: { response: { 200: { type: "array", items: TOKEN_INFO }, ...ERRORS } },
    },
    async (request) => listTokens(db, request.principal!.userId),
  );

  app.post<{ Body: TokenRequest }>(
    "/tokens",
    {
      config: { authz: { signedIn: true }, rateLimit: strict },
      schema: {
        body: {
          type: "object",
          required: ["name", "scopes"],
          additionalProperties: false,
          properties: TOKEN_REQUEST_PROPERTIES,
        },
        response: { 201: NEW_TOKEN, ...ERRORS },
      },
    },
    async (request, reply) => {
      const caller = request.principal!;
      return reply
        .status(201)
        .send(
          await grantToken(
            db,
            clock.now(),
            { id: caller.userId, isAdmin: caller.isAdmin },
            request.body,
            caller,
          ),
        );
    },
  );

  app.delete<{ Params: { id: number } }>(
    "/tokens/:id",
    {
      config: { authz: { signedIn: true } },
      schema: {
        params: { type: "object", required: ["id"], properties: { id: { type: "integer", minimum: 1 } } },
        response: NO_CONTENT,
      },
    },
    async (request, reply) => {
      await revokeOwnToken(db, request.principal!.userId, request.params.id, clock.now());
      return reply.status(204).send();
    },
  );
}

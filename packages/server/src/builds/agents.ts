/**
 * Build agents: machines that claim jobs over HTTP with a Bearer agent token. An administrator registers
 * shared agents (they build for every project); a project's owner registers agents that build only that
 * project's jobs. The token (`pka_` + 32 random bytes in base64url) is shown once, at registration; the
 * database keeps its SHA-256, as for API tokens (accounts/tokens.ts), and the "agent" authz rule looks it
 * up there. Registration and revocation are audited.
 */
import { randomBytes } from "node:crypto";
import { tokenHash } from "../accounts/tokens.ts";
import type { Db, Queryable } from "../db/db.ts";
import { isUniqueViolation } from "../db/driver-error.ts";
import { ServerError } from "../errors.ts";

/** The prefix of agent tokens (secret scanners can match it). */
export const AGENT_TOKEN_PREFIX = "pka_";

/** An agent's name, as the agents table checks it. */
export const AGENT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** A label an agent offers (and a job may require). */
export const AGENT_LABEL = /^[A-Za-z0-9][A-Za-z0-9._:=-]{0,63}$/;

/** An agent as the API shows it (never its token). */
export interface AgentInfo {
  id: number;
  name: string;
  /** The project it builds for; null for a shared agent. */
  projectId: number | null;
  labels: string[];
  createdAt: Date;
  lastSeenAt: Date | null;
  revokedAt: Date | null;
}

interface AgentRow {
  id: number;
  name: string;
  project_id: number | null;
  labels: string[];
  created_at: Date;
  last_seen_at: Date | null;
  revoked_at: Date | null;
}

const COLUMNS = "id, name, project_id, labels, created_at, last_seen_at, revoked_at";

const toInfo = (r: AgentRow): AgentInfo => ({
  id: r.id,
  name: r.name,
  projectId: r.project_id,
  labels: r.labels,
  createdAt: r.created_at,
  lastSeenAt: r.last_seen_at,
  revokedAt: r.revoked_at,
});

/** A new agent token string. */
export function newAgentToken(): string {
  return AGENT_TOKEN_PREFIX + randomBytes(32).toString("base64url");
}

/** What {@link registerAgent} needs. */
export interface NewAgent {
  name: string;
  /** The project it builds for; null (or absent) for a shared agent. */
  projectId?: number | null;
  labels?: readonly string[];
  /** The user registering it (audited). */
  createdBy: number;
}

async function audit(
  tx: Queryable,
  now: Date,
  actor: number,
  projectId: number | null,
  action: string,
  details: object,
): Promise<void> {
  await tx.query(
    "INSERT INTO audit_events (at, actor_user_id, project_id, action, details) VALUES ($1, $2, $3, $4, $5::jsonb)",
    [now, actor, projectId, action, JSON.stringify(details)],
  );
}

function checkAgentInput(agent: NewAgent): string[] {
  if (!AGENT_NAME.test(agent.name))
    throw new ServerError(
      "INVALID_NAME",
      `Expected an agent name of letters, digits, '.', '_' and '-' (at most 64, starting with a letter or digit), found ${JSON.stringify(agent.name.slice(0, 100))}`,
      { field: "name" },
    );
  const labels = [...new Set(agent.labels ?? [])].sort();
  for (const label of labels)
    if (!AGENT_LABEL.test(label))
      throw new ServerError(
        "INVALID_REQUEST",
        `Expected agent labels of letters, digits and '._:=-' (at most 64), found ${JSON.stringify(label.slice(0, 100))}`,
        { field: "labels" },
      );
  return labels;
}

/**
 * Registers an agent; returns it with its token, which is shown this once (only its SHA-256 is stored).
 * A name already used by another agent of the same scope (shared, or the same project) is 409
 * ALREADY_EXISTS, revoked ones included (names identify machines in the logs).
 */
export async function registerAgent(
  db: Db,
  agent: NewAgent,
  now: Date,
): Promise<{ agent: AgentInfo; token: string }> {
  const labels = checkAgentInput(agent);
  const projectId = agent.projectId ?? null;
  const token = newAgentToken();
  try {
    const row = await db.transaction(async (tx) => {
      const { rows } = await tx.query<AgentRow>(
        `INSERT INTO agents (name, project_id, token_sha256, labels, created_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${COLUMNS}`,
        [agent.name, projectId, tokenHash(token), labels, agent.createdBy, now],
      );
      const made = rows[0]!;
      await audit(tx, now, agent.createdBy, projectId, "agent.register", {
        agentId: made.id,
        name: made.name,
        labels,
        shared: projectId === null,
      });
      return made;
    });
    return { agent: toInfo(row), token };
  } catch (e) {
    if (isUniqueViolation(e, "agents_shared_name_key") || isUniqueViolation(e, "agents_project_name_key"))
      throw new ServerError(
        "ALREADY_EXISTS",
        `Expected a free agent name, found ${agent.name} taken ${projectId === null ? "among shared agents" : "in this project"}`,
        { field: "name" },
      );
    throw e;
  }
}

/** Agents of one project (`projectId`), or the shared ones (null), by id. Revoked ones are listed too. */
export async function listAgents(db: Queryable, projectId: number | null): Promise<AgentInfo[]> {
  const { rows } = await db.query<AgentRow>(
    `SELECT ${COLUMNS} FROM agents
      WHERE ($1::bigint IS NULL AND project_id IS NULL) OR project_id = $1::bigint ORDER BY id`,
    [projectId],
  );
  return rows.map(toInfo);
}

/**
 * Revokes agent `agentId` of the scope `projectId` (null: shared agents); its token stops working at
 * once. Revoking twice keeps the first time. Returns the agent, or undefined when the scope has no such
 * agent (the route answers 404).
 */
export async function revokeAgent(
  db: Db,
  projectId: number | null,
  agentId: number,
  actor: number,
  now: Date,
): Promise<AgentInfo | undefined> {
  return db.transaction(async (tx) => {
    const { rows } = await tx.query<AgentRow>(
      `UPDATE agents SET revoked_at = COALESCE(revoked_at, $3)
        WHERE id = $1 AND (($2::bigint IS NULL AND project_id IS NULL) OR project_id = $2::bigint)
        RETURNING ${COLUMNS}`,
      [agentId, projectId, now],
    );
    const row = rows[0];
    if (row === undefined) return undefined;
    await audit(tx, now, actor, projectId, "agent.revoke", { agentId, name: row.name });
    return toInfo(row);
  });
}

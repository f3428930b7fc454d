/**
 * A build as the server shows it (`GET /api/v1/builds/:id`) and as `packyard remote build --json` and
 * `packyard remote status --json` print it, with its JSON schema (draft 2020-12) for whoever reads that
 * output, and the text the CLI prints about it.
 */

import type { BuildState, BuildView, JobView } from "@packyard/server";

export type { BuildState, BuildView, JobView };

const STATE = { enum: ["pending", "running", "publishing", "succeeded", "failed", "cancelled"] } as const;
const DATE = { type: "string", format: "date-time" } as const;
const DATE_OR_NULL = { anyOf: [DATE, { type: "null" }] } as const;
const SHA256 = { type: "string", pattern: "^[0-9a-f]{64}$" } as const;
const STRINGS = { type: "array", items: { type: "string" } } as const;

/** JSON schema of {@link BuildView}: what `--json` prints. */
export const BUILD_VIEW_SCHEMA = {
  $schema: "https://json-schema.org/draft/2020-12/schema",
  $id: "https://packyard.dev/schemas/build-view.json",
  title: "packyard build",
  type: "object",
  additionalProperties: false,
  required: [
    "id",
    "project",
    "package",
    "version",
    "state",
    "targets",
    "force",
    "trigger",
    "warnings",
    "sourceDateEpoch",
    "sources",
    "createdAt",
    "startedAt",
    "finishedAt",
    "jobs",
  ],
  properties: {
    id: { type: "integer", minimum: 1 },
    project: { type: "string" },
    package: { type: "string" },
    version: { type: "string" },
    state: STATE,
    targets: STRINGS,
    force: { type: "boolean" },
    trigger: { type: "string" },
    warnings: {
      type: "array",
      items: {
        type: "object",
        additionalProperties: false,
        required: ["code", "message"],
        properties: { code: { type: "string" }, message: { type: "string" } },
      },
    },
    sourceDateEpoch: { type: "integer", minimum: 0 },
    sources: {
      type: "array",
      items: {
        type: "object",
        additionalProperties: false,
        required: ["accessName", "sha256", "size"],
        properties: { accessName: { type: "string" }, sha256: SHA256, size: { type: "integer", minimum: 0 } },
      },
    },
    createdAt: DATE,
    startedAt: DATE_OR_NULL,
    finishedAt: DATE_OR_NULL,
    jobs: {
      type: "array",
      items: {
        type: "object",
        additionalProperties: false,
        required: [
          "id",
          "format",
          "arch",
          "environment",
          "targets",
          "state",
          "attempt",
          "hasSteps",
          "failure",
          "artifact",
          "startedAt",
          "finishedAt",
        ],
        properties: {
          id: { type: "integer", minimum: 1 },
          format: { type: "string" },
          arch: { type: "string" },
          environment: { type: "string" },
          targets: STRINGS,
          state: STATE,
          attempt: { type: "integer", minimum: 0 },
          hasSteps: { type: "boolean" },
          failure: {
            anyOf: [
              {
                type: "object",
                additionalProperties: false,
                required: ["code", "message"],
                properties: { code: { type: "string" }, message: { type: "string" } },
              },
              { type: "null" },
            ],
          },
          artifact: {
            anyOf: [
              {
                type: "object",
                additionalProperties: false,
                required: ["fileName", "sha256"],
                properties: { fileName: { type: "string" }, sha256: SHA256 },
              },
              { type: "null" },
            ],
          },
          startedAt: DATE_OR_NULL,
          finishedAt: DATE_OR_NULL,
        },
      },
    },
  },
} as const;

/** A job as people read it: `deb amd64 (debian-12, ubuntu-24.04)`. */
export function jobLabel(job: Pick<JobView, "format" | "arch" | "environment" | "targets">): string {
  const env = job.environment !== "native" ? ` ${job.environment}` : "";
  return `${job.format} ${job.arch}${env} (${job.targets.join(", ")})`;
}

/** `remote status` for people: the build's line, then a line per job. */
export function buildText(view: BuildView): string {
  const lines = [
    `build ${view.id}: ${view.project}/${view.package} ${view.version} ${view.state}${view.force ? " (forced)" : ""}`,
  ];
  for (const w of view.warnings) lines.push(`  warning ${w.code}: ${w.message}`);
  for (const job of view.jobs) {
    const attempt = job.attempt > 1 ? `, attempt ${job.attempt}` : "";
    let line = `  job ${job.id} ${jobLabel(job)}: ${job.state}${attempt}`;
    if (job.failure !== null) line += ` ${job.failure.code}: ${job.failure.message}`;
    if (job.artifact !== null) line += ` ${job.artifact.fileName}`;
    lines.push(line);
  }
  return `${lines.join("\n")}\n`;
}

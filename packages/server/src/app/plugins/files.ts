/** Hosted repository files served under /r/<project>/<repository>/<path> (being written). */
import type { FastifyInstance } from "fastify";
import type { PluginOptions } from "../app.ts";

export async function filesPlugin(_app: FastifyInstance, _options: PluginOptions): Promise<void> {}

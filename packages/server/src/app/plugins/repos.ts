/** The repos area of the API (being written). */
import type { FastifyInstance } from "fastify";
import type { PluginOptions } from "../app.ts";

export async function reposPlugin(_app: FastifyInstance, _options: PluginOptions): Promise<void> {}

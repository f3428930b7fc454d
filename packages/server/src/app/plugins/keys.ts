/** The keys area of the API (being written). */
import type { FastifyInstance } from "fastify";
import type { PluginOptions } from "../app.ts";

export async function keysPlugin(_app: FastifyInstance, _options: PluginOptions): Promise<void> {}

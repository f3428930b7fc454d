/**
 * The public install page (issue 21, item 4): `/p/<project>` and, under it, `install.sh`, `install.json`
 * and `badge.svg`, with no sign-in. Registered by app.ts with the app's plugin options.
 */
import type { FastifyPluginAsync } from "fastify";
import type { PluginOptions } from "../app/app.ts";

/** The public install page's routes (filled in by issue 21's install page work). */
export const installPagePlugin: FastifyPluginAsync<PluginOptions> = async () => {};

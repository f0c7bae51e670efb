/**
 * The chatbot example Worker (see ./app.ts and ../README.md): `/chat?user=alice&q=hello`.
 *
 * `wrangler dev` exposes only the first Worker of a multi-Worker session, so for local development
 * this Worker forwards every other path (admin API and UI, report API, OFREP) to the coordinator
 * through the optional `COORDINATOR_HTTP` service binding: one port serves the chat and the
 * coordinator. A deployed chatbot leaves that binding out.
 */
import { handleChat, type ChatbotEnv } from './app';

interface Env extends ChatbotEnv {
  /** Optional (local development): the coordinator's HTTP entrypoint, for forwarding its routes. */
  COORDINATOR_HTTP?: Fetcher;
}

export default {
  fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    const { pathname } = new URL(request.url);
    if (pathname === '/chat') return handleChat(request, env, ctx);
    if (env.COORDINATOR_HTTP) return env.COORDINATOR_HTTP.fetch(request);
    return Promise.resolve(Response.json({ error: { code: 'not_found', message: 'try /chat?user=alice&q=hello' } }, { status: 404 }));
  },
} satisfies ExportedHandler<Env>;

/**
 * The article's scenario: a chat endpoint with a new AI chatbot behind the `new-chatbot` flag and
 * the legacy chatbot as its fallback (pattern 3, "kill switch"). The new handler's failures are
 * reported to the coordinator in batches; after the flag's auto-kill policy (10 failures in 5
 * minutes by default) the coordinator switches the flag off and every user gets the legacy bot.
 *
 * Try it: `?user=alice&q=hello`; add `?fail=1` (or the header `X-Fail-New-Chatbot: 1`) to make the
 * new chatbot throw. The response says which chatbot answered (body and `X-Chatbot` header).
 */
import { getFlagClient, type FlagClient, type FlagEvaluation, type FlagReporterBinding, type ChangesBinding } from '../../../src/sdk';

export const NEW_CHATBOT_FLAG = 'new-chatbot';

export interface ChatbotEnv {
  /** The coordinator's KV namespace: the same namespace id as in the coordinator's wrangler.toml. */
  FLAGS_KV: KVNamespace;
  /** Service binding to the coordinator's `FlagCoordinator` entrypoint. */
  FLAG_COORDINATOR: FlagReporterBinding & Partial<ChangesBinding>;
  /** This deployment's environment, matched against a flag's `environments`. */
  ENVIRONMENT: string;
  /** Seconds an isolate keeps the flag bundle before reading KV again (default 30; the change channel keeps it within 2 s of a change). */
  FLAG_CACHE_TTL_SECONDS?: string;
}

export interface ChatReply {
  chatbot: 'new' | 'legacy';
  user: string;
  reply: string;
  flag: { id: string; value: unknown; variant?: string; reason: string; version?: number };
}

/** The isolate's flag client (one bundle cache and one report batch per isolate). */
export function flagsFor(env: ChatbotEnv): FlagClient {
  return getFlagClient({
    kv: env.FLAGS_KV,
    environment: env.ENVIRONMENT,
    cacheTtlSeconds: Number(env.FLAG_CACHE_TTL_SECONDS ?? '30'),
    reporter: env.FLAG_COORDINATOR,
    // The change channel: a kill reaches this isolate within 2 s (a service binding has `changes`).
    changes: env.FLAG_COORDINATOR.changes ? (env.FLAG_COORDINATOR as ChangesBinding) : undefined,
  });
}

/** The chat endpoint. `client` is injectable for tests; a real Worker uses the isolate's client. */
export async function handleChat(request: Request, env: ChatbotEnv, ctx: ExecutionContext, client: FlagClient = flagsFor(env)): Promise<Response> {
  const url = new URL(request.url);
  const userId = url.searchParams.get('user') ?? request.headers.get('X-User-Id') ?? 'anonymous';
  const tenantId = url.searchParams.get('tenant') ?? request.headers.get('X-Tenant-Id') ?? undefined;
  const message = url.searchParams.get('q') ?? 'hello';
  const failNew = url.searchParams.get('fail') === '1' || request.headers.get('X-Fail-New-Chatbot') === '1';

  const context = tenantId === undefined ? { userId } : { userId, tenantId };
  // One await per request; every check after it is synchronous (`flags.isEnabled(id)`, …).
  const flags = await client.forRequest(ctx, context);
  return client.withFallback(ctx, NEW_CHATBOT_FLAG, flags, {
    enabled: (evaluation) => newChatbotHandler(userId, message, failNew, evaluation),
    fallback: (evaluation) => legacyChatbotHandler(userId, message, evaluation),
  });
}

async function newChatbotHandler(userId: string, message: string, fail: boolean, evaluation: FlagEvaluation): Promise<Response> {
  if (fail) throw new Error('new chatbot: upstream model timed out');
  return reply({ chatbot: 'new', user: userId, reply: `✨ New AI chatbot: you said "${message}"`, flag: flagInfo(evaluation) });
}

async function legacyChatbotHandler(userId: string, message: string, evaluation: FlagEvaluation): Promise<Response> {
  return reply({ chatbot: 'legacy', user: userId, reply: `Legacy chatbot: you said "${message}"`, flag: flagInfo(evaluation) });
}

function flagInfo(evaluation: FlagEvaluation): ChatReply['flag'] {
  const info: ChatReply['flag'] = { id: evaluation.flagId, value: evaluation.value ?? null, reason: evaluation.reason };
  if (evaluation.variant !== undefined) info.variant = evaluation.variant;
  if (evaluation.version !== undefined) info.version = evaluation.version;
  return info;
}

function reply(body: ChatReply): Response {
  return Response.json(body, { headers: { 'X-Chatbot': body.chatbot, 'Cache-Control': 'no-store' } });
}

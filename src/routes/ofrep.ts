/**
 * OpenFeature Remote Evaluation Protocol (open-feature/protocol, service/openapi.yaml), served
 * from the KV shards through per-isolate caches with the change channel on top
 * (./ofrep-snapshots): evaluation never touches a flag or catalog object, and a change reaches
 * OFREP callers within the channel's bound (about 2 s) however long FLAG_CACHE_TTL_SECONDS is.
 */
import { Router } from 'itty-router';
import { z } from 'zod';
import type { EvaluationContext } from '../flags/evaluate';
import { sha256, toHex } from '../flags/sha256';
import type { FlagSnapshot } from '../flags/model';
import { scoped, type AuthenticatedRequest } from '../http/auth';
import { pathParam, readJson } from '../http/body';
import { anyKeyAllows, matchClientKey, requireAllowedOrigin, type ClientKey } from '../http/client-keys';
import { CLIENT_LIMITS, RateLimited, RateLimiter } from '../http/client-limits';
import { preflightResponse, withCors } from '../http/cors';
import { errorResponse, HttpError, json, jsonText } from '../http/responses';
import type { FlagEvaluation } from '../sdk/answers';
import { BatchReporter } from '../sdk/reporter';
import { readerId } from '../sdk/change-channel';
import { flagStub } from '../do/stubs';
import type { Args } from './context';
import { OfrepSnapshots } from './ofrep-snapshots';

const contextSchema = z.record(z.string().max(128), z.unknown()).refine((c) => c['targetingKey'] === undefined || typeof c['targetingKey'] === 'string', {
  message: 'targetingKey must be a string',
  path: ['targetingKey'],
});
const requestSchema = z.object({ context: contextSchema.optional() });

/**
 * An OFREP request once its caller is known: a server token (`principal`) or a client key
 * (`client`). `corsOrigin` is the origin the answer may name in Access-Control-Allow-Origin.
 */
type OfrepRequest = AuthenticatedRequest & { client?: ClientKey; corsOrigin: string | null };

/** Per isolate: the snapshots (KV caches and change channel) and the SDK's batch reporter counting what OFREP served (exposures). */
let isolate: { kv: KVNamespace; ttl: number; snapshots: OfrepSnapshots; exposures: BatchReporter } | null = null;
const clientRates = new RateLimiter();

/** KV is the bulk source, read at most once per isolate per cache period; the change channel carries what changed since. */
const DEFAULT_TTL_SECONDS = '30';

function perIsolate(env: Args[0]) {
  const ttl = Number(env.FLAG_CACHE_TTL_SECONDS ?? DEFAULT_TTL_SECONDS) * 1000;
  if (!isolate || isolate.kv !== env.FLAGS_KV || isolate.ttl !== ttl) {
    const exposures = new BatchReporter(
      {
        report: (flagId, report) => flagStub(env, flagId).report(flagId, report),
        recordUsage: (flagId, usage) => flagStub(env, flagId).recordUsage(flagId, usage),
      },
      // This isolate is a reader too: its usage carries the propagation receipt.
      { reader: readerId() },
    );
    isolate = { kv: env.FLAGS_KV, ttl, snapshots: new OfrepSnapshots(env, ttl, exposures), exposures };
  }
  return isolate;
}

/**
 * Who is asking. A client key must come from an origin it lists and within its rate; a server
 * token needs the `evaluate` scope and never gets CORS headers (it must not be in a browser).
 * Until the caller is known, errors (a 401) carry CORS headers for any client key's origin, so a
 * page can read why it was refused.
 */
async function caller(request: OfrepRequest, env: Args[0], ctx: Args[1]): Promise<void> {
  const origin = request.headers.get('Origin');
  request.corsOrigin = (await anyKeyAllows(env.CLIENT_KEYS, origin)) ? origin : null;
  const client = await matchClientKey(request, env.CLIENT_KEYS);
  if (client) {
    // A refused origin gets no CORS headers, even when another key allows it.
    request.corsOrigin = null;
    requireAllowedOrigin(client, origin);
    request.corsOrigin = origin;
    const ip = request.headers.get('CF-Connecting-IP') ?? 'unknown';
    clientRates.take(`${client.name}\n${ip}`, client.rateLimitPerMinute);
    request.client = client;
    return;
  }
  await scoped<OfrepRequest>('evaluate')(request, env, ctx);
  request.corsOrigin = null;
}

/** The context, or an OFREP `INVALID_CONTEXT` failure naming the field. */
async function readContext(request: OfrepRequest): Promise<EvaluationContext | string> {
  let body: unknown;
  try {
    // readJson enforces the size limit (413) and the JSON content type (415) like every route;
    // a client key's limit is smaller.
    const maxBytes = request.client ? CLIENT_LIMITS.bodyBytes : undefined;
    body = await readJson(request, z.unknown(), { optional: true, maxBytes });
  } catch (error) {
    if (error instanceof HttpError && error.code === 'invalid_json') return 'the body is not valid JSON';
    throw error;
  }
  const parsed = requestSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return `${issue.path.map(String).join('.') || 'body'}: ${issue.message}`;
  }
  const context = (parsed.data.context ?? {}) as EvaluationContext;
  if (request.client && Object.keys(context).length > CLIENT_LIMITS.contextAttributes) {
    return `context: at most ${CLIENT_LIMITS.contextAttributes} attributes with a client key`;
  }
  return context;
}

/**
 * The bulk answer's ETag: what the caller's audience sees (flag and segment versions) and the
 * context. Flags with date rules answer differently as time passes, so then there is no ETag (no 304 can go stale).
 */
function bulkEtag(fingerprint: string | null, audience: 'client' | 'server', context: EvaluationContext): string | null {
  if (fingerprint === null) return null;
  const contextHash = toHex(sha256(new TextEncoder().encode(JSON.stringify(context)))).slice(0, 16);
  return `"${fingerprint}.${audience === 'client' ? 'c' : 's'}.${contextHash}"`;
}

function toOfrep(key: string, result: FlagEvaluation) {
  if (result.errorCode) {
    return { key, errorCode: result.errorCode, errorDetails: result.errorCode === 'FLAG_NOT_FOUND' ? `Flag '${key}' was not found` : result.errorMessage };
  }
  return {
    key,
    value: result.value,
    reason: result.reason,
    variant: result.variant,
    metadata: { version: result.version ?? 0 },
  };
}

/**
 * One flag's entry of a bulk answer as JSON. A served answer is one of the compiled flag's shared
 * evaluations, so its text is made once per flag version and outcome, not once per request.
 */
const entries = new WeakMap<FlagEvaluation, string>();
function bulkEntry(result: FlagEvaluation): string {
  let text = entries.get(result);
  if (text === undefined) {
    text = JSON.stringify(toOfrep(result.flagId, result));
    if (!result.errorCode) entries.set(result, text);
  }
  return text;
}

/** A client key sees only `client_side` flags. */
function visibleTo(flag: FlagSnapshot | undefined, request: OfrepRequest): FlagSnapshot | undefined {
  return flag && (!request.client || flag.client_side === true) ? flag : undefined;
}

/** 4xx errors end as JSON here, not in the main router, so that `finally` adds the CORS decision. */
function ofrepError(error: unknown): Response {
  if (!(error instanceof HttpError)) throw error;
  const response = errorResponse(error.status, error.code, error.message, error.details);
  if (error instanceof RateLimited) response.headers.set('Retry-After', String(error.retryAfter));
  return response;
}

export const ofrepRouter = Router<OfrepRequest, Args>({
  base: '/ofrep/v1',
  catch: ofrepError,
  finally: [(response: Response | undefined, request: OfrepRequest) => (response ? withCors(response, request.corsOrigin ?? null) : undefined)],
})
  // A preflight carries no credential: it is answered for any client key's origin (see caller).
  .options('*', async (request, env) => {
    const origin = request.headers.get('Origin');
    if (origin !== null && (await anyKeyAllows(env.CLIENT_KEYS, origin))) return preflightResponse(origin);
    throw new HttpError(403, 'origin_not_allowed', 'no client key allows this origin');
  })
  .post('/evaluate/flags/:key', caller, async (request, env, ctx) => {
    const key = pathParam(request, 'key');
    const context = await readContext(request);
    if (typeof context === 'string') return json({ key, errorCode: 'INVALID_CONTEXT', errorDetails: context }, 400);
    const { flag, request: checks } = await perIsolate(env).snapshots.flag(ctx, key, context);
    // A flag the caller may not see is not evaluated (nor counted).
    const result: FlagEvaluation = visibleTo(flag, request) ? checks.evaluate(key) : { flagId: key, value: undefined, reason: 'ERROR', errorCode: 'FLAG_NOT_FOUND' };
    if (result.errorCode) return json(toOfrep(key, result), result.errorCode === 'FLAG_NOT_FOUND' ? 404 : 400);
    return json(toOfrep(key, result));
  })
  .post('/evaluate/flags', caller, async (request, env, ctx) => {
    const context = await readContext(request);
    if (typeof context === 'string') return json({ errorCode: 'INVALID_CONTEXT', errorDetails: context }, 400);
    const audience = request.client ? 'client' : 'server';
    const { view, request: checks } = await perIsolate(env).snapshots.all(ctx, audience, context);
    const etag = bulkEtag(view.fingerprint, audience, context);
    if (etag && request.headers.get('If-None-Match') === etag) return new Response(null, { status: 304, headers: { ETag: etag } });
    const flags = view.flags.map((flag) => bulkEntry(checks.evaluate(flag.id)));
    const body = `{"flags":[${flags.join(',')}],"metadata":${JSON.stringify({ generated_at: view.generatedAt })}}`;
    return jsonText(body, 200, etag ? { ETag: etag } : {});
  });

/**
 * OpenFeature Remote Evaluation Protocol (open-feature/protocol, service/openapi.yaml), served
 * from the KV bundle through a per-isolate cache: evaluation never touches a Durable Object.
 */
import { Router, type IRequest } from 'itty-router';
import { z } from 'zod';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { evaluate, type Evaluation, type EvaluationContext } from '../flags/evaluate';
import type { Condition, FlagBundle } from '../flags/schema';
import { scoped, type AuthenticatedRequest } from '../http/auth';
import { pathParam, readJson } from '../http/body';
import { HttpError, json } from '../http/responses';
import { BundleCache, KvSnapshotSource } from '../sdk/bundle-cache';
import { BatchReporter } from '../sdk/reporter';
import { flagStub, type Args } from './context';

const contextSchema = z.record(z.string().max(128), z.unknown()).refine((c) => c['targetingKey'] === undefined || typeof c['targetingKey'] === 'string', {
  message: 'targetingKey must be a string',
  path: ['targetingKey'],
});
const requestSchema = z.object({ context: contextSchema.optional() });

/** Per isolate: the bundle cache, and the SDK's batch reporter counting what OFREP served (exposures). */
let isolate: { kv: KVNamespace; ttl: number; bundle: BundleCache; exposures: BatchReporter } | null = null;

function perIsolate(env: Args[0]) {
  const ttl = Number(env.FLAG_CACHE_TTL_SECONDS ?? '5') * 1000;
  if (!isolate || isolate.kv !== env.FLAGS_KV || isolate.ttl !== ttl) {
    const exposures = new BatchReporter({
      report: (flagId, report) => flagStub(env, flagId).report(flagId, report),
      recordUsage: (flagId, usage) => flagStub(env, flagId).recordUsage(flagId, usage),
    });
    isolate = { kv: env.FLAGS_KV, ttl, bundle: new BundleCache(new KvSnapshotSource(env.FLAGS_KV), ttl), exposures };
  }
  return isolate;
}

function countExposures(env: Args[0], ctx: Args[1], results: Evaluation[]): void {
  const { exposures } = perIsolate(env);
  for (const result of results) if (result.variant !== undefined) exposures.recordEvaluation(result.flagId, result.variant);
  exposures.schedule(ctx);
}

/** The context, or an OFREP `INVALID_CONTEXT` failure. */
async function readContext(request: IRequest): Promise<EvaluationContext | string> {
  let body: unknown;
  try {
    // readJson enforces the size limit (413) and the JSON content type (415) like every route.
    body = await readJson(request, z.unknown(), { optional: true });
  } catch (error) {
    if (error instanceof HttpError && error.code === 'invalid_json') return 'the body is not valid JSON';
    throw error;
  }
  const parsed = requestSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return `${issue.path.map(String).join('.') || 'body'}: ${issue.message}`;
  }
  return (parsed.data.context ?? {}) as EvaluationContext;
}

/**
 * The bulk answer's ETag: the bundle and the context. A bundle with date rules answers differently
 * as time passes, so it gets no ETag (no 304 can go stale).
 */
function bulkEtag(bundle: FlagBundle | null, context: EvaluationContext): string | null {
  if (bundle && (Object.values(bundle.flags).some((f) => f.rules.some((r) => usesTime(r.conditions))) || Object.values(bundle.segments).some((s) => usesTime(s.conditions)))) {
    return null;
  }
  const contextHash = bytesToHex(sha256(new TextEncoder().encode(JSON.stringify(context)))).slice(0, 16);
  return `"${bundle?.generated_at ?? 'empty'}.${contextHash}"`;
}

function usesTime(conditions: readonly Condition[]): boolean {
  return conditions.some((c) => c.op === 'before' || c.op === 'after');
}

function toOfrep(key: string, result: Evaluation) {
  if (result.errorCode) return { key, errorCode: result.errorCode, errorDetails: `Flag '${key}' was not found` };
  return {
    key,
    value: result.value,
    reason: result.reason,
    variant: result.variant,
    metadata: { version: result.version ?? 0 },
  };
}

function evaluateIn(bundle: FlagBundle | null, key: string, context: EvaluationContext, environment: string): Evaluation {
  return evaluate(bundle?.flags[key], context, { environment, segments: bundle?.segments });
}

export const ofrepRouter = Router<AuthenticatedRequest, Args>({ base: '/ofrep/v1' })
  .post('/evaluate/flags/:key', scoped('evaluate'), async (request, env, ctx) => {
    const key = pathParam(request, 'key');
    const context = await readContext(request);
    if (typeof context === 'string') return json({ key, errorCode: 'INVALID_CONTEXT', errorDetails: context }, 400);
    const result = evaluateIn(await perIsolate(env).bundle.get(), key, context, env.ENVIRONMENT);
    countExposures(env, ctx, [result]);
    return json(toOfrep(key, result), result.errorCode ? 404 : 200);
  })
  .post('/evaluate/flags', scoped('evaluate'), async (request, env, ctx) => {
    const context = await readContext(request);
    if (typeof context === 'string') return json({ errorCode: 'INVALID_CONTEXT', errorDetails: context }, 400);
    const bundle = await perIsolate(env).bundle.get();
    const etag = bulkEtag(bundle, context);
    if (etag && request.headers.get('If-None-Match') === etag) return new Response(null, { status: 304, headers: { ETag: etag } });
    const results = Object.keys(bundle?.flags ?? {})
      .sort()
      .map((key) => evaluateIn(bundle, key, context, env.ENVIRONMENT));
    countExposures(env, ctx, results);
    const flags = results.map((result) => toOfrep(result.flagId, result));
    return json({ flags, metadata: { generated_at: bundle?.generated_at ?? null } }, 200, etag ? { ETag: etag } : {});
  });

/** The admin API: flags, their history, health and the stale-flag report (see docs/api.md). */
import { Router, type IRequest } from 'itty-router';
import { z } from 'zod';
import type { RequestedChange } from '../flags/change-requests';
import { BULK_CONCURRENCY, bulkOperation, bulkSchema, mapConcurrent, type BulkResult } from '../flags/bulk';
import { listQuerySchema } from '../flags/list-query';
import { planCommandSchema, planControlSchema, setPlanSchema } from '../flags/plan/body';
import { DEFAULT_STALE_DAYS } from '../flags/stale';
import {
  createFlagSchema,
  historyQuerySchema,
  killSchema,
  patchFlagSchema,
  revertSchema,
  rolloutSchema,
  type FlagConfig,
} from '../flags/schema';
import { reasonSchema } from '../flags/primitives';
import { accessConfigured } from '../http/access';
import { identify, scoped, type AuthenticatedRequest } from '../http/auth';
import { ifMatchVersion, parseQuery, readJson } from '../http/body';
import { mayApprove, type Principal } from '../http/principal';
import { HttpError, json } from '../http/responses';
import type { Env } from '../env';
import { catalogStub, flagStub, type Submitted } from '../do/stubs';
import { requestQuerySchema } from './change-requests';
import { requireClientSideRoom } from './client-side';
import { flagIdParam, requireSegments, unwrap, type Args } from './context';

type AdminRequest = AuthenticatedRequest;

const staleQuerySchema = z.object({ days: z.coerce.number().int().min(1).max(3650).default(DEFAULT_STALE_DAYS) }).strict();

/** The article's bodies name the flag too; when they do, it must be the one in the path. */
function sameFlagId(body: { flagId?: string | undefined }, id: string): void {
  if (body.flagId === undefined || body.flagId === id) return;
  throw new HttpError(400, 'validation_failed', 'flagId in the body does not match the path', [
    { path: 'flagId', message: `must match the path's flag id "${id}"` },
  ]);
}

function flagResponse(flag: FlagConfig, status = 200, extra: HeadersInit = {}): Response {
  return json({ success: true, flag }, status, { ETag: `"${flag.version}"`, ...extra });
}

const protectionSchema = z.object({ protected: z.boolean(), reason: reasonSchema.optional() }).strict();

/** Only an approver marks a flag protected or lifts it: a 403 naming the field for anyone else. */
function protectionAllowed(principal: Principal, body: { protected?: unknown }): void {
  if (body.protected === undefined || mayApprove(principal)) return;
  throw new HttpError(403, 'forbidden', 'only an approver (flags:approve) may change "protected"', [
    { path: 'protected', message: 'needs the flags:approve scope (the admin role)' },
  ]);
}

/**
 * An admin write through the flag object: 200 with the flag when it applied, 202 with the change
 * request when it is held (a protected flag and an author who may not approve, or `apply_at`).
 */
async function submit(
  request: AdminRequest,
  env: Env,
  id: string,
  change: RequestedChange,
  options: { reason?: string | undefined; ifMatch?: number | undefined; apply_at?: string | undefined } = {},
): Promise<Response> {
  const who = {
    actor: request.principal.name,
    mayApprove: mayApprove(request.principal),
    reason: options.reason,
    ifMatch: options.ifMatch,
    applyAt: options.apply_at === undefined ? undefined : Date.parse(options.apply_at),
  };
  return submittedResponse(unwrap(await flagStub(env, id).submit(id, change, who)));
}

function submittedResponse(submitted: Submitted): Response {
  if (submitted.kind === 'applied') return flagResponse(submitted.flag);
  const { request } = submitted;
  return json({ success: true, change_request: request }, 202, { Location: `/admin/change-requests/${encodeURIComponent(request.id)}` });
}

/**
 * Who the caller is, for the UI; needs no scope. A 401 says in `details.access` whether this
 * deployment signs people in through Cloudflare Access, so the UI knows whether to ask for a token.
 */
async function whoAmI(request: AdminRequest, env: Env): Promise<Response> {
  try {
    const { name, role, scopes, via } = await identify(request, env);
    return json({ name, email: via === 'access' ? name : null, role: role ?? null, scopes, via });
  } catch (error) {
    if (error instanceof HttpError && error.status === 401) throw new HttpError(401, error.code, error.message, { access: accessConfigured(env) });
    throw error;
  }
}

export const adminRouter = Router<AdminRequest, Args>({ base: '/admin' })
  .get('/me', whoAmI)
  .get('/whoami', whoAmI)
  .get('/flags', scoped('flags:read'), async (request, env) => {
    return json(await catalogStub(env).listPage(parseQuery(request, listQuerySchema)));
  })
  .get('/flags/stale', scoped('flags:read'), async (request, env) => {
    const { days } = parseQuery(request, staleQuerySchema);
    return json({ threshold_days: days, flags: await catalogStub(env).stale(days) });
  })
  .post('/flags', scoped('flags:write'), async (request, env) => {
    const input = await readJson(request, createFlagSchema);
    if (input.protected) protectionAllowed(request.principal, input);
    await requireSegments(env, input.rules);
    await requireClientSideRoom(env, input.id, input.client_side);
    unwrap(await catalogStub(env).roomForFlag());
    const flag = unwrap(await flagStub(env, input.id).create(input, request.principal.name));
    return flagResponse(flag, 201, { Location: `/admin/flags/${encodeURIComponent(flag.id)}` });
  })
  .post('/flags/bulk', scoped('flags:write'), async (request, env) => {
    const body = await readJson(request, bulkSchema);
    const operation = bulkOperation(body);
    const who = { actor: request.principal.name, mayApprove: mayApprove(request.principal), reason: body.reason };
    const results = await mapConcurrent(body.ids, BULK_CONCURRENCY, async (id): Promise<BulkResult> => {
      try {
        const result = await flagStub(env, id).submit(id, operation, who);
        if (result.ok) {
          const done = result.value;
          return done.kind === 'held' ? { id, ok: true, status: 202, change_request: done.request.id } : { id, ok: true, status: 200, version: done.flag.version };
        }
        return { id, ok: false, status: result.status, error: { code: result.code, message: result.message } };
      } catch (error) {
        // One unreachable flag object must not hide the results of the others.
        console.error('bulk action failed', id, error);
        return { id, ok: false, status: 500, error: { code: 'internal_error', message: 'the flag could not be reached; try it again' } };
      }
    });
    return json({ action: body.action, results });
  })
  .get('/flags/:id', scoped('flags:read'), async (request, env) => {
    const id = flagIdParam(request);
    return flagResponse(unwrap(await flagStub(env, id).get(id)));
  })
  .patch('/flags/:id', scoped('flags:write'), async (request, env) => {
    const id = flagIdParam(request);
    const ifMatch = ifMatchVersion(request);
    const { apply_at, reason, ...patch } = await readJson(request, patchFlagSchema);
    protectionAllowed(request.principal, patch);
    await requireSegments(env, patch.rules);
    await requireClientSideRoom(env, id, patch.client_side);
    return submit(request, env, id, { kind: 'patch', patch }, { reason, ifMatch, apply_at });
  })
  .put('/flags/:id/protection', scoped('flags:approve'), async (request, env) => {
    const id = flagIdParam(request);
    const ifMatch = ifMatchVersion(request);
    const { reason, ...patch } = await readJson(request, protectionSchema);
    return submit(request, env, id, { kind: 'patch', patch }, { reason, ifMatch });
  })
  .delete('/flags/:id', scoped('flags:write'), async (request, env) => {
    const id = flagIdParam(request);
    const ifMatch = ifMatchVersion(request);
    const body = await readJson(request, killSchema, { optional: true });
    sameFlagId(body, id);
    return submit(request, env, id, { kind: 'archive' }, { reason: body.reason, ifMatch });
  })
  .post('/flags/:id/rollout', scoped('flags:write'), async (request, env) => {
    const id = flagIdParam(request);
    const ifMatch = ifMatchVersion(request);
    const body = await readJson(request, rolloutSchema);
    sameFlagId(body, id);
    return submit(request, env, id, { kind: 'rollout', percentage: body.percentage }, { ...body, ifMatch });
  })
  .post('/flags/:id/kill', scoped('flags:write'), async (request, env) => {
    const id = flagIdParam(request);
    // If-Match is optional here on purpose: an emergency stop should not fail on a stale page.
    const ifMatch = ifMatchVersion(request);
    const body = await readJson(request, killSchema, { optional: true });
    sameFlagId(body, id);
    return flagResponse(unwrap(await flagStub(env, id).kill(id, request.principal.name, body.reason, ifMatch)));
  })
  .post('/flags/:id/revert', scoped('flags:write'), async (request, env) => {
    const id = flagIdParam(request);
    const ifMatch = ifMatchVersion(request);
    const body = await readJson(request, revertSchema);
    return submit(request, env, id, { kind: 'revert', version: body.version }, { ...body, ifMatch });
  })
  .get('/flags/:id/experiment', scoped('flags:read'), async (request, env) => {
    const id = flagIdParam(request);
    return json(unwrap(await flagStub(env, id).experimentReadout(id)));
  })
  .get('/flags/:id/history', scoped('flags:read'), async (request, env) => {
    const id = flagIdParam(request);
    const query = parseQuery(request, historyQuerySchema);
    return json(unwrap(await flagStub(env, id).history(id, query.limit, query.before)));
  })
  .get('/flags/:id/health', scoped('flags:read'), async (request, env) => {
    const id = flagIdParam(request);
    return json(unwrap(await flagStub(env, id).health(id)));
  })
  .get('/flags/:id/propagation', scoped('flags:read'), async (request, env) => {
    const id = flagIdParam(request);
    return json(unwrap(await flagStub(env, id).propagation(id)));
  })
  // Rollout plans (docs/rollout-plans.md): the plan and its state are `flag.plan`.
  .put('/flags/:id/plan', scoped('flags:write'), async (request, env) => {
    const id = flagIdParam(request);
    const ifMatch = ifMatchVersion(request);
    const definition = await readJson(request, setPlanSchema);
    return submit(request, env, id, { kind: 'plan_set', definition }, { ifMatch });
  })
  .post('/flags/:id/plan/:command', scoped('flags:write'), async (request, env) => {
    const id = flagIdParam(request);
    const command = planCommandSchema.safeParse(request.params['command']);
    if (!command.success) return undefined; // not a plan command: falls through to the 404
    const ifMatch = ifMatchVersion(request);
    const body = await readJson(request, planControlSchema, { optional: true });
    return submit(request, env, id, { kind: 'plan_control', command: command.data }, { reason: body.reason, ifMatch });
  })
  .get('/flags/:id/change-requests', scoped('flags:read'), async (request, env) => {
    const id = flagIdParam(request);
    const { status, limit } = parseQuery(request, requestQuerySchema);
    return json({ change_requests: unwrap(await flagStub(env, id).changeRequests(id, status, limit)) });
  });


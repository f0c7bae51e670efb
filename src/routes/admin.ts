/** The admin API: flags, their history, health and the stale-flag report (see docs/api.md). */
import { Router, type IRequest } from 'itty-router';
import { z } from 'zod';
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
import { accessConfigured } from '../http/access';
import { identify, scoped, type AuthenticatedRequest } from '../http/auth';
import { ifMatchVersion, parseQuery, readJson } from '../http/body';
import { HttpError, json } from '../http/responses';
import type { Env } from '../env';
import { catalogStub, flagStub } from '../do/stubs';
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
    await requireSegments(env, input.rules);
    await requireClientSideRoom(env, input.id, input.client_side);
    const flag = unwrap(await flagStub(env, input.id).create(input, request.principal.name));
    return flagResponse(flag, 201, { Location: `/admin/flags/${encodeURIComponent(flag.id)}` });
  })
  .post('/flags/bulk', scoped('flags:write'), async (request, env) => {
    const body = await readJson(request, bulkSchema);
    const operation = bulkOperation(body);
    const actor = request.principal.name;
    const results = await mapConcurrent(body.ids, BULK_CONCURRENCY, async (id): Promise<BulkResult> => {
      try {
        const stub = flagStub(env, id);
        const result = operation.kind === 'archive' ? await stub.archive(id, actor, body.reason) : await stub.patch(id, operation.patch, actor);
        if (result.ok) return { id, ok: true, status: 200, version: result.value.version };
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
    const patch = await readJson(request, patchFlagSchema);
    await requireSegments(env, patch.rules);
    await requireClientSideRoom(env, id, patch.client_side);
    return flagResponse(unwrap(await flagStub(env, id).patch(id, patch, request.principal.name, ifMatch)));
  })
  .delete('/flags/:id', scoped('flags:write'), async (request, env) => {
    const id = flagIdParam(request);
    const ifMatch = ifMatchVersion(request);
    const body = await readJson(request, killSchema, { optional: true });
    sameFlagId(body, id);
    return flagResponse(unwrap(await flagStub(env, id).archive(id, request.principal.name, body.reason, ifMatch)));
  })
  .post('/flags/:id/rollout', scoped('flags:write'), async (request, env) => {
    const id = flagIdParam(request);
    const ifMatch = ifMatchVersion(request);
    const body = await readJson(request, rolloutSchema);
    sameFlagId(body, id);
    return flagResponse(unwrap(await flagStub(env, id).setRollout(id, body.percentage, request.principal.name, body.reason, ifMatch)));
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
    return flagResponse(unwrap(await flagStub(env, id).revert(id, body.version, request.principal.name, body.reason, ifMatch)));
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
  // Rollout plans (docs/rollout-plans.md): the plan and its state are `flag.plan`.
  .put('/flags/:id/plan', scoped('flags:write'), async (request, env) => {
    const id = flagIdParam(request);
    const ifMatch = ifMatchVersion(request);
    const definition = await readJson(request, setPlanSchema);
    return flagResponse(unwrap(await flagStub(env, id).setPlan(id, definition, request.principal.name, ifMatch)));
  })
  .post('/flags/:id/plan/:command', scoped('flags:write'), async (request, env) => {
    const id = flagIdParam(request);
    const command = planCommandSchema.safeParse(request.params['command']);
    if (!command.success) return undefined; // not a plan command: falls through to the 404
    const ifMatch = ifMatchVersion(request);
    const body = await readJson(request, planControlSchema, { optional: true });
    return flagResponse(unwrap(await flagStub(env, id).controlPlan(id, command.data, request.principal.name, body.reason, ifMatch)));
  });


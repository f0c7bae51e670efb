/**
 * Change requests through the admin API (src/flags/change-requests.ts): the list across flags
 * (from the catalog's index), one request (from its flag object), and approving, rejecting or
 * cancelling one (through its flag object, which applies an approved change).
 */
import { Router } from 'itty-router';
import { z } from 'zod';
import { parseRequestId, REQUEST_STATUSES, type RequestAction } from '../flags/change-requests';
import { idSchema, reasonSchema } from '../flags/primitives';
import { scoped, type AuthenticatedRequest } from '../http/auth';
import { parseQuery, pathParam, readJson } from '../http/body';
import { mayApprove } from '../http/principal';
import { HttpError, json } from '../http/responses';
import { catalogStub, flagStub } from '../do/stubs';
import { unwrap, type Args } from './context';

/** `?status=pending` or `?status=pending,scheduled`. */
export const requestStatusesSchema = z
  .string()
  .transform((text) => text.split(','))
  .pipe(z.array(z.enum(REQUEST_STATUSES)).min(1).max(REQUEST_STATUSES.length));

export const requestQuerySchema = z
  .object({
    status: requestStatusesSchema.optional(),
    limit: z.coerce.number().int().min(1).max(500).default(100),
  })
  .strict();

const listQuerySchema = requestQuerySchema.extend({ flag: idSchema.optional() }).strict();

const decisionSchema = z.object({ reason: reasonSchema.optional() }).strict();

function requestParam(request: AuthenticatedRequest): { flag: string; n: number } {
  const id = pathParam(request, 'id');
  const parsed = parseRequestId(id);
  if (!parsed || !idSchema.safeParse(parsed.flag).success) {
    throw new HttpError(400, 'validation_failed', 'invalid field(s): id', [{ path: 'id', message: 'expected a change request id, <flag>~<n>' }]);
  }
  return parsed;
}

function decide(action: RequestAction) {
  return async (request: AuthenticatedRequest, ...[env]: Args): Promise<Response> => {
    const { flag, n } = requestParam(request);
    const body = await readJson(request, decisionSchema, { optional: true });
    const who = { actor: request.principal.name, mayApprove: mayApprove(request.principal), note: body.reason };
    const outcome = unwrap(await flagStub(env, flag).actOnRequest(flag, n, action, who));
    return json({ success: true, change_request: outcome.request, flag: outcome.flag });
  };
}

export const changeRequestsRouter = Router<AuthenticatedRequest, Args>({ base: '/admin/change-requests' })
  .get('/', scoped('flags:read'), async (request, env) => {
    const { status, flag, limit } = parseQuery(request, listQuerySchema);
    return json({ change_requests: await catalogStub(env).listChangeRequests({ statuses: status, flag, limit }) });
  })
  .get('/:id', scoped('flags:read'), async (request, env) => {
    const { flag, n } = requestParam(request);
    return json({ change_request: unwrap(await flagStub(env, flag).changeRequest(flag, n)) });
  })
  .post('/:id/approve', scoped('flags:approve'), decide('approve'))
  .post('/:id/reject', scoped('flags:approve'), decide('reject'))
  // The author may withdraw their own request; an approver may cancel anyone's.
  .post('/:id/cancel', scoped('flags:write'), decide('cancel'));

/** `POST /v1/flags/:id/failures`, `/usage` and `/events`: reports over HTTP, for anything without RPC. */
import { Router } from 'itty-router';
import { eventsBodySchema, normaliseReport, reportSchema, usageSchema } from '../flags/reports';
import { scoped, type AuthenticatedRequest } from '../http/auth';
import { readJson } from '../http/body';
import { json } from '../http/responses';
import { flagStub } from '../do/stubs';
import { flagIdParam, unwrap, type Args } from './context';

export const reportsRouter = Router<AuthenticatedRequest, Args>({ base: '/v1' })
  .post('/flags/:id/failures', scoped('reports:write'), async (request, env) => {
    const id = flagIdParam(request);
    const report = normaliseReport(await readJson(request, reportSchema, { optional: true }));
    return json(unwrap(await flagStub(env, id).report(id, report)));
  })
  .post('/flags/:id/usage', scoped('reports:write'), async (request, env) => {
    const id = flagIdParam(request);
    const usage = await readJson(request, usageSchema);
    return json(unwrap(await flagStub(env, id).recordUsage(id, usage)));
  })
  .post('/flags/:id/events', scoped('reports:write'), async (request, env) => {
    const id = flagIdParam(request);
    const { events } = await readJson(request, eventsBodySchema);
    return json(unwrap(await flagStub(env, id).recordEvents(id, events)));
  });

/** Segments through the admin API: reusable condition sets, versioned, with history. */
import { Router } from 'itty-router';
import { z } from 'zod';
import { historyQuerySchema, idSchema } from '../flags/schema';
import { createSegmentSchema, patchSegmentSchema } from '../flags/segments';
import { scoped, type AuthenticatedRequest } from '../http/auth';
import { ifMatchVersion, parse, parseQuery, pathParam, readJson } from '../http/body';
import { json } from '../http/responses';
import { catalogStub } from '../do/stubs';
import { unwrap, type Args } from './context';
import type { Segment } from '../flags/schema';

const deleteSchema = z.object({ reason: z.string().max(500).optional() }).strict();

function segmentId(request: AuthenticatedRequest): string {
  return parse(idSchema, pathParam(request, 'id'), 'id');
}

function segmentResponse(segment: Segment, status = 200, extra: HeadersInit = {}): Response {
  return json({ success: true, segment }, status, { ETag: `"${segment.version}"`, ...extra });
}

export const segmentsRouter = Router<AuthenticatedRequest, Args>({ base: '/admin/segments' })
  .get('/', scoped('flags:read'), async (_request, env) => json({ segments: await catalogStub(env).listSegments() }))
  .post('/', scoped('flags:write'), async (request, env) => {
    const input = await readJson(request, createSegmentSchema);
    const segment = unwrap(await catalogStub(env).createSegment(input, request.principal.name));
    return segmentResponse(segment, 201, { Location: `/admin/segments/${encodeURIComponent(segment.id)}` });
  })
  .get('/:id', scoped('flags:read'), async (request, env) => segmentResponse(unwrap(await catalogStub(env).getSegment(segmentId(request)))))
  .patch('/:id', scoped('flags:write'), async (request, env) => {
    const id = segmentId(request);
    const ifMatch = ifMatchVersion(request);
    const patch = await readJson(request, patchSegmentSchema);
    return segmentResponse(unwrap(await catalogStub(env).patchSegment(id, patch, request.principal.name, ifMatch)));
  })
  .delete('/:id', scoped('flags:write'), async (request, env) => {
    const id = segmentId(request);
    const ifMatch = ifMatchVersion(request);
    const body = await readJson(request, deleteSchema, { optional: true });
    return segmentResponse(unwrap(await catalogStub(env).deleteSegment(id, request.principal.name, body.reason, ifMatch)));
  })
  .get('/:id/history', scoped('flags:read'), async (request, env) => {
    const id = segmentId(request);
    const query = parseQuery(request, historyQuerySchema);
    return json(unwrap(await catalogStub(env).segmentHistory(id, query.limit, query.before)));
  });

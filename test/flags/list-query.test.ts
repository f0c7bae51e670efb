import { describe, expect, it } from 'vitest';
import { encodeCursor, listQuerySchema, searchText } from '../../src/flags/list-query';

const parse = (query: Record<string, string>) => listQuerySchema.safeParse(query);
const flag = { id: 'checkout-v2', updated_at: '2026-05-01T09:00:00.000Z', created_at: '2026-04-01T09:00:00.000Z', owner: 'Équipe' };

describe('list query', () => {
  it('defaults: 50 live flags by id, no filters', () => {
    expect(parse({})).toEqual({ success: true, data: { limit: 50, sort: 'id', order: 'asc', staleDays: 30, archived: 'live' } });
  });

  it('normalises search, statuses and the archived parameters', () => {
    const parsed = parse({ q: '  Équipe ', status: 'on,killed,on', archived: 'any', stale: 'false', permanent: 'true' });
    expect(parsed.data).toMatchObject({ search: 'équipe', statuses: ['on', 'killed'], archived: 'any', stale: false, permanent: true });
    expect(parse({ include_archived: 'true' }).data?.archived).toBe('any');
    expect(parse({ include_archived: 'false' }).data?.archived).toBe('live');
    expect(parse({ archived: 'true' }).data?.archived).toBe('archived');
    expect(parse({ q: '   ' }).data?.search).toBeUndefined();
  });

  it('a cursor round-trips and names where the next page starts', () => {
    const query = parse({ sort: 'owner', order: 'desc', q: 'eq' }).data!;
    const cursor = encodeCursor(query, flag);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(parse({ sort: 'owner', order: 'desc', q: 'EQ ', cursor }).data?.after).toEqual({ value: 'Équipe', id: 'checkout-v2' });
  });

  it('refuses a cursor from another sort, order or filters, and anything that is not a cursor', () => {
    const cursor = encodeCursor(parse({ status: 'on' }).data!, flag);
    expect(parse({ status: 'on', cursor }).success).toBe(true);
    for (const other of [{ status: 'on', sort: 'owner' }, { status: 'on', order: 'desc' }, { status: 'off' }, { status: 'on', q: 'x' }, { status: 'on', stale: 'true' }, {}] as Record<string, string>[]) {
      const result = parse({ ...other, cursor });
      expect(result.success, JSON.stringify(other)).toBe(false);
      expect(result.error?.issues[0]?.path).toEqual(['cursor']);
    }
    for (const bad of ['', '!!!', btoa('not json'), btoa(JSON.stringify({ v: 1, s: 'id' }))]) expect(parse({ cursor: bad }).success).toBe(false);
  });

  it('search text covers id, description and owner, lower-cased', () => {
    expect(searchText({ id: 'Dark-Mode', description: 'Night UI', owner: 'Équipe' })).toBe('dark-mode\nnight ui\néquipe');
  });
});

import { describe, expect, it } from 'vitest';
import { api, bundleVersion, createFlag, kvBundle, waitFor } from '../helpers/api';
import { evaluate } from '../../src/flags/evaluate';

const betaRule = (segment: string, variant = 'on') => ({
  description: 'beta testers',
  conditions: [{ attribute: 'targetingKey', op: 'in_segment', values: [segment] }],
  serve: { variant },
});

describe('segments', () => {
  it('are created, versioned, listed and published in the bundle', async () => {
    const created = await api('POST', '/admin/segments', {
      id: 'beta-testers',
      description: 'People who opted in',
      conditions: [{ attribute: 'plan', op: 'in', values: ['beta'] }],
    });
    expect(created.status).toBe(201);
    expect(created.headers.get('ETag')).toBe('"1"');
    expect((await api('POST', '/admin/segments', { id: 'beta-testers', conditions: [] })).status).toBe(409);
    const listed = await api('GET', '/admin/segments');
    expect(listed.body.segments.map((s: any) => s.id)).toContain('beta-testers');
    const bundle = await waitFor(async () => {
      const b = await kvBundle();
      return b?.segments['beta-testers'] ? b : undefined;
    });
    expect(bundle.segments['beta-testers']!.conditions[0]!.values).toEqual(['beta']);
  });

  it('one segment shared by two flags: a segment change reaches both', async () => {
    await api('POST', '/admin/segments', { id: 'staff', conditions: [{ attribute: 'email', op: 'ends_with', values: ['@example.com'] }] });
    await createFlag({ id: 'seg-a', enabled: true, rules: [betaRule('staff')] });
    await createFlag({ id: 'seg-b', enabled: true, type: 'string', variants: { old: 'v1', new: 'v2' }, on_variant: 'new', off_variant: 'old', rules: [betaRule('staff', 'new')] });
    await bundleVersion('seg-a', 1);
    let bundle = await bundleVersion('seg-b', 1);
    const alice = { targetingKey: 'alice', email: 'alice@example.com' };
    const opts = () => ({ environment: 'production', segments: bundle.segments });
    expect(evaluate(bundle.flags['seg-a'], alice, opts())).toMatchObject({ value: true, reason: 'TARGETING_MATCH' });
    expect(evaluate(bundle.flags['seg-b'], alice, opts())).toMatchObject({ value: 'v2', variant: 'new' });

    const changed = await api('PATCH', '/admin/segments/staff', { conditions: [{ attribute: 'email', op: 'ends_with', values: ['@corp.example'] }] }, { headers: { 'If-Match': '1' } });
    expect(changed.status).toBe(200);
    expect(changed.body.segment.version).toBe(2);
    bundle = await waitFor(async () => {
      const b = await kvBundle();
      return b?.segments['staff']?.version === 2 ? b : undefined;
    });
    expect(evaluate(bundle.flags['seg-a'], alice, opts())).toMatchObject({ value: false });
    expect(evaluate(bundle.flags['seg-b'], alice, opts())).toMatchObject({ value: 'v1', variant: 'old' });
    const history = await api('GET', '/admin/segments/staff/history');
    expect(history.body.entries.map((e: any) => [e.version, e.action])).toEqual([[2, 'update'], [1, 'create']]);
    expect((await api('PATCH', '/admin/segments/staff', { description: 'x' }, { headers: { 'If-Match': '1' } })).status).toBe(412);
  });

  it('a segment in use cannot be deleted; once unused it can', async () => {
    await api('POST', '/admin/segments', { id: 'in-use', conditions: [{ attribute: 'country', op: 'in', values: ['NZ'] }] });
    await createFlag({ id: 'uses-it', enabled: true, rules: [betaRule('in-use')] });
    expect((await api('DELETE', '/admin/segments/in-use', undefined, { headers: { 'If-Match': '"9"' } })).status).toBe(412);
    const refused = await api('DELETE', '/admin/segments/in-use');
    expect(refused.status).toBe(409);
    expect(refused.body.error.details.flags).toEqual(['uses-it']);
    await api('PATCH', '/admin/flags/uses-it', { rules: [] });
    await waitFor(async () => ((await api('DELETE', '/admin/segments/in-use')).status === 200 ? true : undefined));
    expect((await api('GET', '/admin/segments')).body.segments.some((s: any) => s.id === 'in-use')).toBe(false);
  });

  it('a flag rule naming an unknown segment is a 400 naming the condition', async () => {
    const response = await api('POST', '/admin/flags', { id: 'ghost-seg', rules: [betaRule('nope')] });
    expect(response.status).toBe(400);
    expect(response.body.error.details[0].path).toBe('rules.0.conditions.0.values');
  });

  it('invalid segment conditions are 400s naming the path', async () => {
    const response = await api('POST', '/admin/segments', { id: 'bad-seg', conditions: [{ attribute: 'age', op: 'gt', values: ['old'] }] });
    expect(response.status).toBe(400);
    expect(response.body.error.details.map((d: any) => d.path)).toContain('conditions.0.values.0');
  });
});

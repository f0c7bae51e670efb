import { describe, expect, it } from 'vitest';
import { experimentSchema } from '../../src/flags/experiment/schema';
import { toFieldIssues } from '../../src/flags/result';

const valid = {
  control: 'control',
  metrics: [
    { key: 'checkout', type: 'conversion', goal: 'increase' },
    { key: 'revenue', type: 'mean', goal: 'increase' },
  ],
  status: 'draft',
};

/** The dotted paths and messages a 400 would carry. */
function issues(input: unknown) {
  const parsed = experimentSchema.safeParse(input);
  expect(parsed.success).toBe(false);
  return parsed.success ? [] : toFieldIssues(parsed.error.issues);
}

describe('experiment schema', () => {
  it('accepts a draft and fills the timestamps with null', () => {
    expect(experimentSchema.parse(valid)).toEqual({ ...valid, started_at: null, stopped_at: null });
  });

  it('accepts a running and a stopped experiment', () => {
    expect(experimentSchema.safeParse({ ...valid, status: 'running', started_at: '2026-12-01T12:00:00Z' }).success).toBe(true);
    expect(experimentSchema.safeParse({ ...valid, status: 'stopped', started_at: '2026-12-01T12:00:00Z', stopped_at: '2026-12-02T12:00:00+01:00' }).success).toBe(true);
  });

  it('names the field of a bad control or metric', () => {
    expect(issues({ ...valid, control: '' }).map((i) => i.path)).toEqual(['control']);
    expect(issues({ ...valid, control: 'has space' }).map((i) => i.path)).toEqual(['control']);
    const bad = issues({ ...valid, metrics: [{ key: '-x', type: 'ratio', goal: 'up' }] }).map((i) => i.path);
    expect(bad.sort()).toEqual(['metrics.0.goal', 'metrics.0.key', 'metrics.0.type']);
    expect(issues({ ...valid, metrics: [{ key: 'a', type: 'mean', goal: 'increase', extra: 1 }] })[0]!.path).toBe('metrics.0');
  });

  it('refuses duplicate metric keys, naming the duplicate', () => {
    const dup = issues({ ...valid, metrics: [...valid.metrics, { key: 'checkout', type: 'mean', goal: 'decrease' }] });
    expect(dup).toEqual([{ path: 'metrics.2.key', message: 'duplicates metrics.0.key "checkout"' }]);
  });

  it('needs 1 to 10 metrics', () => {
    expect(issues({ ...valid, metrics: [] })[0]!.path).toBe('metrics');
    const eleven = Array.from({ length: 11 }, (_, i) => ({ key: `m${i}`, type: 'mean', goal: 'increase' }));
    expect(issues({ ...valid, metrics: eleven })[0]).toEqual({ path: 'metrics', message: 'at most 10 metrics' });
    expect(experimentSchema.safeParse({ ...valid, metrics: eleven.slice(0, 10) }).success).toBe(true);
  });

  it('keeps status and timestamps consistent', () => {
    expect(issues({ ...valid, status: 'paused' })[0]!.path).toBe('status');
    expect(issues({ ...valid, status: 'running' })).toEqual([{ path: 'started_at', message: 'is required once the experiment is running' }]);
    expect(issues({ ...valid, status: 'running', started_at: 'yesterday' })[0]!.path).toBe('started_at');
    expect(issues({ ...valid, status: 'running', started_at: '2026-12-01T12:00:00Z', stopped_at: '2026-12-02T12:00:00Z' })[0]!.path).toBe('stopped_at');
    expect(issues({ ...valid, status: 'stopped', started_at: '2026-12-01T12:00:00Z' })[0]!.path).toBe('stopped_at');
    expect(issues({ ...valid, status: 'stopped', started_at: '2026-12-02T12:00:00Z', stopped_at: '2026-12-01T12:00:00Z' })).toEqual([
      { path: 'stopped_at', message: 'must not be before started_at' },
    ]);
  });

  it('refuses unknown fields', () => {
    expect(issues({ ...valid, winner: 'treatment' })[0]!.path).toBe('');
  });
});

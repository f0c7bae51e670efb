import { describe, expect, it } from 'vitest';
import { evaluate } from '../../src/flags/evaluate';
import type { FlagSnapshot } from '../../src/flags/schema';

const base: FlagSnapshot = {
  id: 'new-chatbot',
  version: 7,
  enabled: true,
  rollout_percentage: 25,
  allowed_users: ['user_internal_1'],
  allowed_tenants: ['tenant_internal'],
  environments: ['production'],
  metadata: {},
  type: 'boolean',
  rules: [],
  archived: false,
  updated_at: '2026-01-01T00:00:00.000Z',
};
const prod = { environment: 'production' };

describe('evaluation order (the article’s)', () => {
  it('unknown and archived flags are not found', () => {
    expect(evaluate(undefined, {}, prod)).toMatchObject({ reason: 'ERROR', errorCode: 'FLAG_NOT_FOUND', value: undefined });
    expect(evaluate({ ...base, archived: true }, {}, prod)).toMatchObject({ errorCode: 'FLAG_NOT_FOUND' });
  });

  it('disabled is off for everyone, allowlisted users included (kill switch)', () => {
    const off = { ...base, enabled: false };
    expect(evaluate(off, { targetingKey: 'user_internal_1' }, prod)).toMatchObject({ value: false, variant: 'off', reason: 'DISABLED', version: 7 });
  });

  it('outside its environments the flag is off, even for the allowlist', () => {
    expect(evaluate(base, { targetingKey: 'user_internal_1' }, { environment: 'staging' })).toMatchObject({ value: false, reason: 'DISABLED' });
    const noEnv: FlagSnapshot = { ...base };
    delete noEnv.environments;
    expect(evaluate({ ...noEnv, rollout_percentage: 100 }, {}, { environment: 'anything' })).toMatchObject({ value: true });
  });

  it('allowlisted users and tenants are on whatever the percentage', () => {
    const zero = { ...base, rollout_percentage: 0 };
    expect(evaluate(zero, { targetingKey: 'user_internal_1' }, prod)).toMatchObject({ value: true, variant: 'on', reason: 'TARGETING_MATCH' });
    expect(evaluate(zero, { targetingKey: 'someone', tenantId: 'tenant_internal' }, prod)).toMatchObject({ value: true, reason: 'TARGETING_MATCH' });
    expect(evaluate(zero, { targetingKey: 'someone', tenantId: 'other' }, prod)).toMatchObject({ value: false, reason: 'DEFAULT' });
  });

  it('100% is on and 0% is off for everyone else', () => {
    expect(evaluate({ ...base, rollout_percentage: 100 }, { targetingKey: 'u' }, prod)).toMatchObject({ value: true, reason: 'STATIC' });
    expect(evaluate({ ...base, rollout_percentage: 0 }, { targetingKey: 'u' }, prod)).toMatchObject({ value: false, reason: 'DEFAULT' });
  });

  it('between, the bucket decides and the reason is SPLIT', () => {
    const results = new Set<boolean>();
    for (let u = 0; u < 200; u++) {
      const r = evaluate(base, { targetingKey: `u${u}` }, prod);
      expect(r.reason).toBe('SPLIT');
      results.add(r.value as boolean);
    }
    expect(results).toEqual(new Set([true, false]));
  });
});

/**
 * The OpenFeature provider with the real `@openfeature/server-sdk` client: the same values,
 * variants and reasons as FlagClient, OpenFeature's default value for a missing flag, and
 * TYPE_MISMATCH when the flag's type differs from the one asked.
 */
import { env } from 'cloudflare:workers';
import { OpenFeature, type EvaluationContext } from '@openfeature/server-sdk';
import { describe, expect, it } from 'vitest';
import { FlagClient } from '../../src/sdk/client';
import { FlagCoordinatorProvider } from '../../src/sdk/openfeature';
import { admin, bundleWith, CountingReporter, createFlag } from './helpers';

/** An OpenFeature client of its own domain, backed by `flags` through the provider. */
async function openFeatureClient(domain: string, flags: FlagClient) {
  await OpenFeature.setProviderAndWait(domain, new FlagCoordinatorProvider(flags));
  return OpenFeature.getClient(domain);
}

describe('OpenFeature provider', () => {
  it('resolves boolean, string, number and object flags like the client, with defaults for errors', async () => {
    const rollout = await createFlag({ id: 'of-bool', enabled: true, rollout_percentage: 40, allowed_tenants: ['acme'] });
    const killed = await createFlag({ id: 'of-killed', enabled: false, rollout_percentage: 100 });
    const theme = await createFlag({
      id: 'of-theme',
      type: 'string',
      enabled: true,
      variants: { control: 'blue', treatment: 'green' },
      on_variant: 'treatment',
      off_variant: 'control',
      split: [
        { variant: 'control', weight: 5000 },
        { variant: 'treatment', weight: 5000 },
      ],
      rules: [{ conditions: [{ attribute: 'country', op: 'in', values: ['NZ'] }], serve: { variant: 'treatment' } }],
    });
    const limit = await createFlag({
      id: 'of-limit',
      type: 'number',
      enabled: true,
      rollout_percentage: 100,
      variants: { low: 5, high: 50 },
      on_variant: 'high',
      off_variant: 'low',
    });
    const config = await createFlag({
      id: 'of-config',
      type: 'json',
      enabled: true,
      rollout_percentage: 0,
      variants: { v1: { model: 'small' }, v2: { model: 'large', tools: ['search'] } },
      on_variant: 'v2',
      off_variant: 'v1',
    });
    await bundleWith({
      'of-bool': rollout.version,
      'of-killed': killed.version,
      'of-theme': theme.version,
      'of-limit': limit.version,
      'of-config': config.version,
    });

    const flags = new FlagClient({ kv: env.FLAGS_KV, environment: 'production' });
    const of = await openFeatureClient('flag-coordinator-test', flags);

    const contexts: EvaluationContext[] = [
      ...Array.from({ length: 60 }, (_, i) => ({ targetingKey: `user-${i}` })),
      { targetingKey: 'someone', tenantId: 'acme' },
      { targetingKey: 'kiwi', country: 'NZ' },
    ];
    let onCount = 0;
    for (const context of contexts) {
      for (const flagId of ['of-bool', 'of-killed']) {
        const ours = await flags.getBooleanDetails(flagId, false, context);
        const details = await of.getBooleanDetails(flagId, false, context);
        expect({ value: details.value, variant: details.variant, reason: details.reason, version: details.flagMetadata['version'] }).toEqual({
          value: ours.value,
          variant: ours.variant,
          reason: ours.reason,
          version: ours.version,
        });
        expect(details.errorCode).toBeUndefined();
        if (flagId === 'of-bool' && details.value) onCount++;
      }
      const ourTheme = await flags.getStringDetails('of-theme', 'none', context);
      const theirTheme = await of.getStringDetails('of-theme', 'none', context);
      expect([theirTheme.value, theirTheme.variant, theirTheme.reason]).toEqual([ourTheme.value, ourTheme.variant, ourTheme.reason]);
      expect(['blue', 'green']).toContain(theirTheme.value);
    }
    expect(onCount).toBeGreaterThan(0);
    expect(onCount).toBeLessThan(contexts.length);
    expect(await of.getBooleanDetails('of-killed', true, { targetingKey: 'x' })).toMatchObject({ value: false, variant: 'off', reason: 'DISABLED' });
    expect(await of.getStringDetails('of-theme', 'none', { targetingKey: 'kiwi', country: 'NZ' })).toMatchObject({
      value: 'green',
      variant: 'treatment',
      reason: 'TARGETING_MATCH',
    });
    expect(await of.getNumberDetails('of-limit', 0, { targetingKey: 'x' })).toMatchObject({ value: 50, variant: 'high', reason: 'STATIC' });
    expect(await of.getObjectDetails('of-config', {}, { targetingKey: 'x' })).toMatchObject({
      value: { model: 'small' },
      variant: 'v1',
      reason: 'DEFAULT',
      flagMetadata: { version: 1, type: 'json' },
    });

    // A missing flag: OpenFeature's default value with FLAG_NOT_FOUND.
    expect(await of.getBooleanValue('no-such-flag', true, { targetingKey: 'x' })).toBe(true);
    expect(await of.getBooleanDetails('no-such-flag', true, { targetingKey: 'x' })).toMatchObject({
      value: true,
      reason: 'ERROR',
      errorCode: 'FLAG_NOT_FOUND',
    });
    expect(await of.getStringValue('no-such-flag', 'default', {})).toBe('default');

    // The wrong type: the default value with TYPE_MISMATCH.
    expect(await of.getBooleanDetails('of-theme', true, { targetingKey: 'x' })).toMatchObject({ value: true, errorCode: 'TYPE_MISMATCH' });
    expect(await of.getNumberDetails('of-bool', 3, { targetingKey: 'x' })).toMatchObject({ value: 3, errorCode: 'TYPE_MISMATCH' });
    expect(await of.getObjectDetails('of-limit', { a: 1 }, { targetingKey: 'x' })).toMatchObject({ value: { a: 1 }, errorCode: 'TYPE_MISMATCH' });

    await OpenFeature.clearProviders();
  });

  it('starts with no bundle in KV: every flag answers with the default value', async () => {
    const flags = new FlagClient({ source: { load: async () => null }, environment: 'production' });
    const of = await openFeatureClient('flag-coordinator-empty', flags);
    expect(await of.getBooleanDetails('new-chatbot', false, { targetingKey: 'u' })).toMatchObject({
      value: false,
      reason: 'ERROR',
      errorCode: 'PROVIDER_NOT_READY',
    });
    expect(await of.getStringValue('theme', 'light', { targetingKey: 'u' })).toBe('light');
    await OpenFeature.clearProviders();
  });
});

describe('OpenFeature tracking', () => {
  it('client.track(name, context, { value }) is a metric event for the running experiments listing it', async () => {
    const flag = await createFlag({
      id: 'of-experiment',
      type: 'string',
      enabled: true,
      variants: { control: 'a', treatment: 'b' },
      on_variant: 'treatment',
      off_variant: 'control',
      split: [
        { variant: 'control', weight: 5000 },
        { variant: 'treatment', weight: 5000 },
      ],
      experiment: { control: 'control', metrics: [{ key: 'revenue', type: 'mean', goal: 'increase' }], status: 'running', started_at: '2026-01-01T00:00:00.000Z' },
    });
    await bundleWith({ 'of-experiment': flag.version });
    const reporter = new CountingReporter();
    const client = new FlagClient({ kv: env.FLAGS_KV, environment: 'production', reporter, reporting: { flushIntervalMs: 0 } });
    const of = await openFeatureClient('tracking', client);
    const variant = (await of.getStringDetails('of-experiment', 'z', { targetingKey: 'buyer' })).variant;
    of.track('revenue', { targetingKey: 'buyer' }, { value: 12.5 });
    await new Promise((resolve) => setTimeout(resolve, 20));
    await client.flush();
    const sent = reporter.usage.filter((u) => u.flagId === 'of-experiment');
    expect(sent.flatMap((u) => u.usage.units ?? [])).toEqual([expect.objectContaining({ unit: 'buyer', variant })]);
    expect(sent.flatMap((u) => u.usage.events ?? [])).toEqual([expect.objectContaining({ unit: 'buyer', metric: 'revenue', value: 12.5 })]);
    const readout = await admin('GET', '/admin/flags/of-experiment/experiment');
    const row = readout.body.metrics[0].variants.find((v: { variant: string }) => v.variant === variant);
    expect(row).toMatchObject({ units: 1, mean: 12.5 });
  });
});

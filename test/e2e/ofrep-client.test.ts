/**
 * OFREP through the real OpenFeature client: @openfeature/server-sdk with @openfeature/ofrep-provider
 * against `wrangler dev`, as a service using the standard API would call us.
 */
import { OFREPProvider } from '@openfeature/ofrep-provider';
import { OpenFeature, type Client } from '@openfeature/server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, apiClient, startService, type Service } from '../browser/harness';

let service: Service;
let client: Client;

async function until<T>(check: () => Promise<T | undefined>, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

beforeAll(async () => {
  service = await startService();
  const admin = apiClient(service.baseUrl, ADMIN_TOKEN);
  const flags = [
    { id: 'e2e-banner', enabled: true, rollout_percentage: 100, type: 'string', variants: { old: 'Hello', new: 'Welcome back' }, on_variant: 'new', off_variant: 'old' },
    { id: 'e2e-limit', enabled: true, rollout_percentage: 100, type: 'number', variants: { small: 10, large: 250 }, on_variant: 'large', off_variant: 'small' },
    { id: 'e2e-layout', enabled: true, rollout_percentage: 100, type: 'json', variants: { grid: { columns: 3 }, list: { columns: 1 } }, on_variant: 'grid', off_variant: 'list' },
  ];
  for (const flag of flags) {
    const created = await admin('POST', '/admin/flags', flag);
    if (created.status !== 201 && created.status !== 409) throw new Error(`create ${flag.id}: ${created.status}`);
  }
  await OpenFeature.setProviderAndWait(
    new OFREPProvider({ baseUrl: service.baseUrl, headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } }),
  );
  client = OpenFeature.getClient();
  // The bundle is published within a second and OFREP caches it per isolate for FLAG_CACHE_TTL_SECONDS.
  await until(async () => {
    const details = await client.getObjectDetails('e2e-layout', {}, { targetingKey: 'probe' });
    return details.errorCode ? undefined : details;
  }, 'the new flags to be served');
}, 180_000);

afterAll(async () => {
  await OpenFeature.close();
  await service?.stop();
});

describe('OpenFeature client over OFREP', () => {
  it('serves the demo boolean flags as the article defines them', async () => {
    const internal = await client.getBooleanDetails('new-chatbot', false, { targetingKey: 'user_internal_1' });
    expect(internal).toMatchObject({ value: true, reason: 'TARGETING_MATCH', variant: 'on' });
    expect(await client.getBooleanValue('ai-valuation-v2', false, { targetingKey: 'anyone' })).toBe(true);
    const killed = await client.getBooleanDetails('experimental-ui', true, { targetingKey: 'anyone' });
    expect(killed).toMatchObject({ value: false, reason: 'DISABLED' });
  });

  it('serves string, number and object flags with their variants', async () => {
    expect(await client.getStringDetails('e2e-banner', 'fallback', { targetingKey: 'u1' })).toMatchObject({ value: 'Welcome back', variant: 'new', reason: 'STATIC' });
    expect(await client.getNumberDetails('e2e-limit', 0, { targetingKey: 'u1' })).toMatchObject({ value: 250, variant: 'large' });
    expect(await client.getObjectValue('e2e-layout', {}, { targetingKey: 'u1' })).toEqual({ columns: 3 });
  });

  it('a boolean asked of a string flag is TYPE_MISMATCH and yields the default', async () => {
    const details = await client.getBooleanDetails('e2e-banner', false, { targetingKey: 'u1' });
    expect(details).toMatchObject({ value: false, errorCode: 'TYPE_MISMATCH', reason: 'ERROR' });
  });

  it('an unknown flag yields the default with FLAG_NOT_FOUND', async () => {
    const details = await client.getBooleanDetails('no-such-flag', true, { targetingKey: 'u1' });
    expect(details).toMatchObject({ value: true, errorCode: 'FLAG_NOT_FOUND' });
  });
});

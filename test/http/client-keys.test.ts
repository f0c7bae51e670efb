import { describe, expect, it } from 'vitest';
import { matchClientKey, originAllowed } from '../../src/http/client-keys';
import { RateLimited, RateLimiter } from '../../src/http/client-limits';

describe('origin patterns', () => {
  const patterns = ['https://app.example.com', 'http://localhost:*', 'https://*.preview.example.com', 'app://com.example.ios', 'http://[::1]:8080'];

  it.each([
    ['https://app.example.com', true],
    ['HTTPS://APP.EXAMPLE.COM', true],
    ['http://localhost', true],
    ['http://localhost:5173', true],
    ['https://pr-1.preview.example.com', true],
    ['https://a.b.preview.example.com', true],
    ['app://com.example.ios', true],
    ['http://[::1]:8080', true],
    ['http://app.example.com', false],
    ['https://app.example.com:8443', false],
    ['https://app.example.com.evil.example', false],
    ['https://evilapp.example.com', false],
    ['https://preview.example.com', false],
    ['https://xpreview.example.com', false],
    ['https://localhost:5173', false],
    ['http://localhost.evil.example', false],
    ['https://app.example.com/', false],
    ['null', false],
    ['', false],
  ])('%s → %s', (origin, allowed) => {
    expect(originAllowed(patterns, origin)).toBe(allowed);
  });
});

describe('CLIENT_KEYS', () => {
  const request = (key: string) => new Request('https://flags.test/', { headers: { Authorization: `Bearer ${key}` } });
  const config = JSON.stringify([{ name: 'web', key: 'key-for-the-web', origins: ['https://App.Example.com'] }]);

  it('matches the configured key only, with its origins lower-cased and the default rate', async () => {
    expect(await matchClientKey(request('key-for-the-web'), config)).toEqual({ name: 'web', origins: ['https://app.example.com'], rateLimitPerMinute: 600 });
    expect(await matchClientKey(request('key-for-the-wex'), config)).toBeNull();
    expect(await matchClientKey(new Request('https://flags.test/'), config)).toBeNull();
  });

  it.each([
    ['not JSON', '{'],
    ['an origin with a path', JSON.stringify([{ name: 'web', key: 'key-for-the-web', origins: ['https://app.example.com/app'] }])],
    ['a bare wildcard', JSON.stringify([{ name: 'web', key: 'key-for-the-web', origins: ['*'] }])],
    ['no origins', JSON.stringify([{ name: 'web', key: 'key-for-the-web', origins: [] }])],
    ['a short key', JSON.stringify([{ name: 'web', key: 'short', origins: ['https://a.example'] }])],
    ['duplicate names', JSON.stringify([{ name: 'w', key: 'key-number-one', origins: ['https://a.example'] }, { name: 'w', key: 'key-number-two', origins: ['https://b.example'] }])],
    ['an unknown field', JSON.stringify([{ name: 'web', key: 'key-for-the-web', origins: ['https://a.example'], scopes: ['flags:write'] }])],
  ])('refuses every key when the configuration has %s', async (_what, bad) => {
    expect(await matchClientKey(request('key-for-the-web'), bad)).toBeNull();
  });
});

describe('RateLimiter', () => {
  it('allows the limit per key in a one-minute window, then answers with the seconds left', () => {
    const limiter = new RateLimiter();
    const t0 = 1_000_000;
    for (let i = 0; i < 3; i++) limiter.take('a', 3, t0 + i);
    let refused: unknown;
    try {
      limiter.take('a', 3, t0 + 15_000);
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(RateLimited);
    expect((refused as RateLimited).status).toBe(429);
    expect((refused as RateLimited).retryAfter).toBe(45);
    limiter.take('b', 3, t0 + 15_000); // another key has its own window
    limiter.take('a', 3, t0 + 60_000); // a new window
  });
});

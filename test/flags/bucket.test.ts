import { describe, expect, it } from 'vitest';
import { basisPointBucket, bucketHash, inPercentage } from '../../src/flags/bucket';
import { evaluate } from '../../src/flags/evaluate';
import type { FlagSnapshot } from '../../src/flags/schema';
import { snapshot } from '../helpers/snapshot';

/** The article's getBucket, computed independently with WebCrypto. */
async function articleHash(flagId: string, userId: string): Promise<number> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(`${flagId}:${userId}`));
  return new DataView(digest).getUint32(0);
}

const flag = (id: string, rollout_percentage: number): FlagSnapshot => snapshot({ id, rollout_percentage });

describe('bucket', () => {
  it("equals the article's rule for 10,000 users across flags and whole percentages", async () => {
    const flags = ['new-chatbot', 'ai-valuation-v2', 'checkout.v3', 'x'];
    const percentages = [1, 5, 25, 50, 99];
    let compared = 0;
    for (let u = 0; u < 10_000; u++) {
      const userId = `user_${u}`;
      const flagId = flags[u % flags.length]!;
      const hash = await articleHash(flagId, userId);
      expect(bucketHash(flagId, userId)).toBe(hash);
      for (const p of percentages) {
        const article = hash % 100 < p;
        expect(evaluate(flag(flagId, p), { targetingKey: userId }, { environment: 'production' }).value).toBe(article);
        compared++;
      }
    }
    expect(compared).toBe(50_000);
  });

  it("uses 'anonymous' as the article does when there is no user id", async () => {
    const hash = await articleHash('new-chatbot', 'anonymous');
    const expected = hash % 100 < 25;
    expect(evaluate(flag('new-chatbot', 25), {}, { environment: 'production' }).value).toBe(expected);
  });

  it('basis points agree with the whole-percent rule and never remove a user as the percentage grows', () => {
    const steps = [0.01, 0.5, 1, 1.25, 2.5, 5, 12.34, 25, 33.33, 50, 75.5, 99.99];
    for (let u = 0; u < 5_000; u++) {
      const hash = bucketHash('fractional', `u${u}`);
      const bucket = basisPointBucket(hash);
      expect(bucket).toBeGreaterThanOrEqual(0);
      expect(bucket).toBeLessThan(10_000);
      expect(Math.floor(bucket / 100)).toBe(hash % 100);
      let wasIn = false;
      for (const p of steps) {
        const isIn = inPercentage(bucket, p);
        if (wasIn) expect(isIn).toBe(true);
        if (Number.isInteger(p)) expect(isIn).toBe(hash % 100 < p);
        wasIn = isIn;
      }
    }
  });

  it('a fractional percentage admits about that share of users', () => {
    let admitted = 0;
    for (let u = 0; u < 100_000; u++) if (inPercentage(basisPointBucket(bucketHash('share', `u${u}`)), 0.5)) admitted++;
    expect(admitted / 100_000).toBeGreaterThan(0.004);
    expect(admitted / 100_000).toBeLessThan(0.006);
  });
});

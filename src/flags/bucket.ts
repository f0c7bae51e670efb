/**
 * Deterministic bucketing, compatible with the article: `h` is the first four bytes (big-endian)
 * of SHA-256("<flagId>:<key>"). A whole percentage p admits a user when `h % 100 < p`, exactly the
 * article's rule; fractional percentages use basis points
 * `b = (h % 100) * 100 + floor(h / 100) % 100`, whose leading digits are the article's bucket, so
 * the two rules agree and raising a percentage never removes a user.
 *
 * SHA-256 is computed synchronously (./sha256) so evaluation stays a plain function call.
 */
import { sha256 } from './sha256';

const encoder = new TextEncoder();

/** The article's 32-bit hash of `<flagId>:<key>`. */
export function bucketHash(flagId: string, key: string): number {
  const digest = sha256(encoder.encode(`${flagId}:${key}`));
  return ((digest[0]! << 24) | (digest[1]! << 16) | (digest[2]! << 8) | digest[3]!) >>> 0;
}

/** Basis-point bucket 0..9999 derived from the hash. */
export function basisPointBucket(hash: number): number {
  return (hash % 100) * 100 + (Math.floor(hash / 100) % 100);
}

/** Whether a basis-point bucket falls inside a percentage (0–100, up to two decimals). */
export function inPercentage(bucket: number, percentage: number): boolean {
  return bucket < Math.round(percentage * 100);
}

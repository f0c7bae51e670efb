import { describe, expect, it } from 'vitest';
import { sha256, toHex } from '../../src/flags/sha256';

async function webCryptoHex(bytes: Uint8Array): Promise<string> {
  return toHex(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes)));
}

describe('sha256', () => {
  it('matches the FIPS 180-2 examples', () => {
    const encode = (s: string) => new TextEncoder().encode(s);
    expect(toHex(sha256(encode('')))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(toHex(sha256(encode('abc')))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(toHex(sha256(encode('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')))).toBe(
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
    );
  });

  it('matches WebCrypto for every length across the padding boundaries and for random bytes', async () => {
    // Lengths 0..200 cover one, two and four blocks and every padding case (55/56/63/64 bytes).
    for (let length = 0; length <= 200; length++) {
      const bytes = crypto.getRandomValues(new Uint8Array(length));
      expect(toHex(sha256(bytes)), `length ${length}`).toBe(await webCryptoHex(bytes));
    }
    const large = crypto.getRandomValues(new Uint8Array(65_536));
    expect(toHex(sha256(large))).toBe(await webCryptoHex(large));
  });

  it('hashes UTF-8 bucketing keys the same as WebCrypto', async () => {
    for (const key of ['new-chatbot:user_internal_1', 'flag:ünïcødé-用户-🚀', 'x'.repeat(1000)]) {
      const bytes = new TextEncoder().encode(key);
      expect(toHex(sha256(bytes))).toBe(await webCryptoHex(bytes));
    }
  });
});

/**
 * A notification receiver: intercepts the Worker's outbound fetch to the configured Slack and
 * webhook URLs (the Durable Objects run in the test isolate, so a spy on fetch sees their calls).
 * `test/setup.ts` installs the spy once with a receiver that accepts everything, so no test
 * tries to resolve the `.invalid` hosts; a test swaps in its own answer with `installReceiver`.
 */
import { vi } from 'vitest';

export interface Delivery {
  url: string;
  body: string;
  headers: Headers;
}

export type Answer = (delivery: Delivery) => Promise<Response> | Response;

const acceptAll: Answer = () => new Response('ok');
let answer: Answer = acceptAll;
let deliveries: Delivery[] = [];

export function interceptReceivers(): void {
  const original = globalThis.fetch;
  vi.spyOn(globalThis, 'fetch').mockImplementation(async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init);
    if (!new URL(request.url).hostname.endsWith('.invalid')) return original(input, init);
    const delivery = { url: request.url, body: await request.text(), headers: request.headers };
    deliveries.push(delivery);
    return answer(delivery);
  });
}

export function installReceiver(custom: Answer = acceptAll) {
  answer = custom;
  const received: Delivery[] = [];
  deliveries = received;
  return {
    deliveries: received,
    restore: () => {
      answer = acceptAll;
      deliveries = [];
    },
  };
}

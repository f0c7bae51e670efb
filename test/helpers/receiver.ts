/**
 * A notification receiver: intercepts the Worker's outbound fetch to the configured Slack and
 * webhook URLs (the Durable Objects run in the test isolate, so they post here).
 * `test/setup.ts` installs the spy once with a receiver that accepts everything, so no test
 * tries to resolve the `.invalid` hosts; a test swaps in its own answer with `installReceiver`.
 */
import { interceptReceivers as intercept, type Delivery } from '../support/coordinator';

export type { Delivery };

export type Answer = (delivery: Delivery) => Promise<Response> | Response;

const acceptAll: Answer = () => new Response('ok');
let answer: Answer = acceptAll;
let deliveries: Delivery[] = [];

export function interceptReceivers(): void {
  intercept((delivery) => {
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

/**
 * Delivery of notifications: Slack's `{ text }` JSON and a generic webhook whose body is signed
 * with HMAC-SHA-256 in the `X-Flag-Signature: sha256=<hex>` header. Both carry the event's
 * `Idempotency-Key` (delivery is at least once). A slow receiver is cut off so the outbox can retry
 * it later.
 */
import type { FlagEvent } from '../flags/notifications';

const DELIVERY_TIMEOUT_MS = 5_000;

export async function deliverSlack(url: string, event: FlagEvent): Promise<void> {
  await post(url, JSON.stringify({ text: event.text }), { 'Idempotency-Key': event.idempotency_key });
}

export async function deliverWebhook(url: string, secret: string | undefined, event: FlagEvent): Promise<void> {
  const body = JSON.stringify(event);
  const headers: Record<string, string> = { 'X-Flag-Event': event.event, 'Idempotency-Key': event.idempotency_key };
  if (secret) headers['X-Flag-Signature'] = `sha256=${await hmacSha256Hex(secret, body)}`;
  await post(url, body, headers);
}

export async function hmacSha256Hex(secret: string, body: string): Promise<string> {
  const encoder = new TextEncoder();
  const key = await crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const signature = new Uint8Array(await crypto.subtle.sign('HMAC', key, encoder.encode(body)));
  return [...signature].map((b) => b.toString(16).padStart(2, '0')).join('');
}

async function post(url: string, body: string, headers: Record<string, string>): Promise<void> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body,
    signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
  });
  // Drain the body so the connection is released; its content is not needed.
  await response.body?.cancel();
  if (!response.ok) throw new Error(`receiver answered ${response.status}`);
}

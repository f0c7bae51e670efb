// Short confirmations ("Rollout set to 25%") in a polite live region; errors use role=alert
// where they happen instead.
import { h } from './dom.js';

export function toast(message, kind = 'ok') {
  const region = document.getElementById('toasts');
  if (!region) return;
  const item = h('div', { class: `toast toast-${kind}` }, message);
  region.append(item);
  setTimeout(() => item.remove(), 6000);
}

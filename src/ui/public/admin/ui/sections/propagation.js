// Propagation receipts (issue 13): whether the flag's current version has reached every reader
// (an application Worker isolate, or the OFREP route's) that evaluates it, from what the readers
// report with their usage. While a live reader still serves an older version the section asks
// again every second; it stops once the version is confirmed, after ten minutes (when silent
// readers have aged out anyway), or when the page is redrawn (every change redraws it).
import { api } from '../api.js';
import { h, replace, section } from '../lib/dom.js';
import { relativeTime } from '../lib/format.js';

const POLL_MS = 1_000;
const POLL_FOR_MS = 10 * 60 * 1000;

/** What the change to the current version was, in words ("the kill"), from the history's latest entry. */
const CHANGE_WORDS = { create: 'creation', kill: 'kill', auto_kill: 'automatic kill', rollout_update: 'rollout change', revert: 'revert' };

export function propagationSection(page) {
  const body = h('div', { class: 'propagation', 'aria-busy': 'true' }, h('p', { class: 'loading' }, 'Loading propagation…'));
  const refresh = h('button', { type: 'button', class: 'btn btn-small', onclick: () => poll(Date.now()) }, 'Refresh');
  const card = section('Propagation', { id: 'sec-propagation' }, h('div', { class: 'section-tools' }, refresh), body);
  const { id, version } = page.flag;
  const change = api
    .history(id, { limit: 1 })
    .then(({ entries }) => (entries?.[0]?.version === version ? CHANGE_WORDS[entries[0].action] : undefined))
    .catch(() => undefined);
  let timer = null;
  let run = 0;

  async function poll(since) {
    clearTimeout(timer);
    const current = ++run;
    try {
      const [answer, word] = await Promise.all([api.propagation(id), change]);
      if (current !== run) return; // a Refresh started another round meanwhile
      replace(body, renderPropagation(answer, word ?? 'change'));
      if (answer.confirmed_at === null && Date.now() - since < POLL_FOR_MS) {
        timer = setTimeout(() => card.isConnected && poll(since), POLL_MS);
      }
    } catch (err) {
      replace(body, h('p', { class: 'muted' }, err.status === 404 ? 'Propagation is not available for this flag on this server yet.' : `Could not load propagation: ${err.message}`));
    } finally {
      body.removeAttribute('aria-busy');
    }
  }
  poll(Date.now());
  return card;
}

/** "Reached 5 of 5 readers, 1.4 s after the kill", or "3 of 5 readers so far", and who lags. */
export function renderPropagation(p, word) {
  const total = p.readers.length;
  const reached = p.readers.filter((r) => r.version === p.version).length;
  const plural = total === 1 ? 'reader' : 'readers';
  let summary;
  if (total === 0) summary = `No reader has reported version ${p.version} or an older one in the last 10 minutes.`;
  else if (p.confirmed_at) summary = `Reached ${reached} of ${total} ${plural}, ${seconds(Date.parse(p.confirmed_at) - Date.parse(p.changed_at))} after the ${word}.`;
  else summary = `${reached} of ${total} ${plural} so far (version ${p.version}).`;
  const lagging = p.readers.filter((r) => r.version < p.version);
  return [
    h('p', { class: 'propagation-summary', role: 'status', dataset: { testid: 'propagation-summary', confirmed: p.confirmed_at ? 'yes' : 'no' } }, summary),
    lagging.length
      ? h(
          'ul',
          { class: 'propagation-lagging', 'aria-label': 'Readers on an older version' },
          lagging.map((r) => h('li', {}, h('code', {}, r.reader.slice(0, 8)), ` serves version ${r.version}, last heard from ${relativeTime(r.last_seen_at)}`)),
        )
      : null,
  ];
}

function seconds(ms) {
  const s = Math.max(0, ms) / 1000;
  return s < 60 ? `${s.toFixed(1)} s` : `${Math.round(s)} s`;
}

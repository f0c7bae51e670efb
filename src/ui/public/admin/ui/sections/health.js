// Current health: failures and error rate in the auto-kill window, a small chart over the
// window, the last incident, and per-variant numbers when the server has them (issue 9).
import { api } from '../api.js';
import { h, replace, section } from '../lib/dom.js';
import { healthChart } from '../lib/chart.js';
import { duration, formatDate, ratio, relativeTime } from '../lib/format.js';

export function healthSection(page) {
  const body = h('div', { class: 'health', 'aria-busy': 'true' }, h('p', { class: 'loading' }, 'Loading health…'));
  const refresh = h('button', { type: 'button', class: 'btn btn-small', onclick: () => load(page, body) }, 'Refresh');
  const card = section('Health', { id: 'sec-health' }, h('div', { class: 'section-tools' }, refresh), body);
  load(page, body);
  return card;
}

async function load(page, body) {
  body.setAttribute('aria-busy', 'true');
  try {
    const health = await api.health(page.flag.id);
    replace(body, renderHealth(health, page.flag));
  } catch (err) {
    replace(body, h('p', { class: 'muted' }, err.status === 404 ? 'Health is not available for this flag on this server yet.' : `Could not load health: ${err.message}`));
  } finally {
    body.removeAttribute('aria-busy');
  }
}

export function renderHealth(health, flag) {
  const policy = { ...(flag.auto_kill ?? {}), ...(health.policy ?? {}) };
  const failures = Number(health.failures) || 0;
  const successes = Number(health.successes) || 0;
  const total = failures + successes;
  const windowSeconds = health.window_seconds ?? policy.window_seconds;
  const nearLimit = policy.max_failures && failures >= policy.max_failures * 0.7;
  const stats = h(
    'dl',
    { class: 'stats' },
    stat('Failures', `${failures}`, policy.enabled === false ? 'auto-kill off' : policy.max_failures ? `kill at ${policy.max_failures}` : '', nearLimit ? 'stat-warn' : ''),
    stat('Successes', `${successes}`, ''),
    stat(
      'Error rate',
      total ? ratio(health.error_rate ?? failures / total) : '—',
      policy.max_error_rate !== undefined ? `kill at ${ratio(policy.max_error_rate)} after ${policy.min_samples} reports` : 'no rate rule',
    ),
    stat('Window', duration(windowSeconds), 'sliding'),
    stat('Last evaluated', health.last_evaluated_at ? relativeTime(health.last_evaluated_at) : 'never', health.last_evaluated_at ? formatDate(health.last_evaluated_at) : 'no usage reported'),
  );
  // Side effects that have failed at least once (a webhook receiver down, say); fresh ones are routine.
  const pending = (health.pending_side_effects ?? []).filter((p) => p.count > 0 && p.attempts > 0);
  const pendingNote = pending.length
    ? h('p', { class: 'hint' }, 'Waiting to be delivered (retried automatically): ', pending.map((p) => `${p.count} ${p.kind}`).join(', '), '.')
    : null;
  const incident = health.last_incident
    ? h(
        'div',
        { class: 'incident' },
        h('h3', {}, 'Last incident'),
        h('p', {}, `${formatDate(health.last_incident.at)}: `, describeIncident(health.last_incident)),
        health.last_incident.error ?? health.last_incident.error_sample
          ? h('pre', { class: 'sample' }, String(health.last_incident.error ?? health.last_incident.error_sample))
          : null,
      )
    : null;
  return [stats, pendingNote, healthChart({ ...health, window_seconds: windowSeconds }), incident, perVariant(health.by_variant ?? health.variants, health.exposures)];
}

function stat(label, value, note, extraClass = '') {
  return h('div', { class: `stat ${extraClass}` }, h('dt', {}, label), h('dd', {}, h('span', { class: 'stat-value' }, value), note ? h('span', { class: 'stat-note' }, note) : null));
}

function describeIncident(incident) {
  const parts = ['killed automatically'];
  if (incident.rule) parts.push(`rule ${String(incident.rule).replace(/_/g, ' ')}`);
  if (incident.failures !== undefined) parts.push(`${incident.failures} failures`);
  if (incident.successes !== undefined) parts.push(`${incident.successes} successes`);
  if (incident.error_rate !== undefined) parts.push(`error rate ${ratio(incident.error_rate)}`);
  if (incident.variant) parts.push(`variant ${incident.variant}`);
  if (incident.version !== undefined) parts.push(`at version ${incident.version}`);
  return parts.join(', ');
}

/**
 * Failures and error rate per variant (`by_variant`: { key: { failures, successes, error_rate } })
 * beside exposures (`exposures`: { key: { count, last_at } }), so an A/B test reads side by side.
 */
function perVariant(byVariant, exposures) {
  const keys = [...new Set([...Object.keys(byVariant ?? {}), ...Object.keys(exposures ?? {})])];
  // Reports without a variant (a plain on/off flag) say nothing the totals above do not.
  if (keys.length === 0 || (keys.length === 1 && keys[0] === 'unknown' && !exposures?.unknown)) return null;
  const rows = keys.map((key) => [key, { ...(byVariant?.[key] ?? {}), exposures: exposures?.[key]?.count }]);
  return h(
    'table',
    { class: 'table compact' },
    h('caption', {}, 'By variant'),
    h('thead', {}, h('tr', {}, ['Variant', 'Exposures', 'Failures', 'Successes', 'Error rate'].map((t) => h('th', { scope: 'col' }, t)))),
    h(
      'tbody',
      {},
      rows.map(([key, v]) => {
        const total = (Number(v.failures) || 0) + (Number(v.successes) || 0);
        return h(
          'tr',
          {},
          h('th', { scope: 'row' }, h('code', {}, String(key))),
          h('td', { class: 'num' }, v.exposures ?? '—'),
          h('td', { class: 'num' }, String(v.failures ?? 0)),
          h('td', { class: 'num' }, String(v.successes ?? 0)),
          h('td', { class: 'num' }, total ? ratio(v.error_rate ?? v.failures / total) : '—'),
        );
      }),
    ),
  );
}

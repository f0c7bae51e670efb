// The audit history as a timeline: who, what, why, when, and a readable before/after of each
// change, with "Revert to this version" on every earlier version.
import { api } from '../api.js';
import { h, replace, section } from '../lib/dom.js';
import { confirmDialog } from '../lib/dialog.js';
import { renderDiff } from '../lib/diff.js';
import { duration, formatDate, ratio, timeEl } from '../lib/format.js';

const PAGE_SIZE = 20;

const ACTIONS = {
  create: 'Created',
  created: 'Created',
  update: 'Edited',
  updated: 'Edited',
  patch: 'Edited',
  rollout: 'Rollout changed',
  rollout_update: 'Rollout changed',
  kill: 'Killed',
  'auto-kill': 'Killed automatically',
  auto_kill: 'Killed automatically',
  revert: 'Reverted',
  archive: 'Archived',
  delete: 'Archived',
  enable: 'Re-enabled',
  plan_set: 'Rollout plan set',
  plan_start: 'Rollout plan started',
  plan_step: 'Rollout plan step',
  plan_pause: 'Rollout plan paused',
  plan_resume: 'Rollout plan resumed',
  plan_rollback: 'Rolled back by the plan',
  plan_abort: 'Rollout plan aborted',
};

export function actionLabel(action) {
  const key = String(action ?? '');
  return ACTIONS[key] ?? (key ? key.replace(/[_-]+/g, ' ').replace(/^./, (c) => c.toUpperCase()) : 'Changed');
}

/**
 * The timeline, a page of entries at a time. The flag page's by default; another versioned page
 * (lib/versioned-page.js) names its own: `current()` the resource shown, `fetch(query)` its
 * history, `label(action)` the words for an action, and whether entries show their `details`
 * and a revert button.
 */
export function historySection(page, {
  current = () => page.flag,
  fetch = (query) => api.history(page.flag.id, query),
  label = actionLabel,
  details = true,
  revert = true,
} = {}) {
  const list = h('ol', { class: 'timeline', 'aria-busy': 'true' });
  const status = h('p', { class: 'loading' }, 'Loading history…');
  const more = h('button', { type: 'button', class: 'btn', hidden: true }, 'Show older changes');
  const card = section('History', { id: 'sec-history' }, status, list, more);
  const show = { current, label, details, revert };

  let before;
  const loadPage = async () => {
    more.disabled = true;
    try {
      const result = await fetch({ limit: PAGE_SIZE, before });
      const entries = result.entries ?? [];
      if (before === undefined && entries[0]) {
        page.latestEntry = entries[0];
        page.fillConflictWho?.(entries[0]);
      }
      list.append(...entries.map((entry) => entryItem(page, entry, show)));
      before = result.next_before ?? undefined;
      more.hidden = before === undefined;
      status.remove();
      if (list.children.length === 0) replace(status, 'No history yet.');
    } catch (err) {
      replace(status, `Could not load history: ${err.message}`);
    } finally {
      list.removeAttribute('aria-busy');
      more.disabled = false;
    }
  };
  more.addEventListener('click', loadPage);
  loadPage();
  return card;
}

function entryItem(page, entry, show) {
  const isCurrent = entry.version === show.current().version;
  const actor = entry.actor ?? 'unknown';
  return h(
    'li',
    { class: `entry entry-${String(entry.action ?? '').replace(/[^a-z0-9-]/gi, '-')}`, dataset: { version: entry.version, action: entry.action } },
    h(
      'div',
      { class: 'entry-head' },
      h('span', { class: 'entry-version' }, `v${entry.version}`),
      h('strong', { class: 'entry-action' }, show.label(entry.action)),
      h('span', { class: 'entry-actor' }, `by ${actor}`),
      h('span', { class: 'entry-time', title: formatDate(entry.created_at) }, timeEl(entry.created_at)),
      isCurrent ? h('span', { class: 'badge badge-muted' }, 'current') : null,
    ),
    entry.reason ? h('blockquote', { class: 'entry-reason' }, h('span', { class: 'sr-only' }, 'Reason: '), entry.reason) : null,
    show.details && entry.details ? detailsLine(entry.details) : null,
    renderDiff(entry.before, entry.after),
    show.revert && page.canWrite && !isCurrent && entry.after ? revertButton(page, entry) : null,
  );
}

/**
 * The facts of an entry that its diff does not show: what tripped an automatic kill, what
 * triggered a plan step, which version a revert restored.
 */
function detailsLine(details) {
  const parts = [];
  if (details.rule) parts.push(`rule: ${String(details.rule).replace(/_/g, ' ')}`);
  if (details.failures !== undefined) parts.push(`${details.failures} failures`);
  if (details.successes !== undefined) parts.push(`${details.successes} successes`);
  if (typeof details.error_rate === 'number') parts.push(`error rate ${ratio(details.error_rate)}`);
  if (details.window_seconds !== undefined && details.failures !== undefined) parts.push(`in ${duration(details.window_seconds)}`);
  if (details.variant) parts.push(`variant ${details.variant}`);
  if (details.trigger) parts.push(details.trigger === 'schedule' ? 'on schedule' : 'by hand');
  if (details.reverted_to !== undefined) parts.push(`restored version ${details.reverted_to}`);
  const request = details.change_request;
  if (request?.id) {
    parts.push(`change request ${request.id}`);
    if (request.approved_by) parts.push(`approved by ${request.approved_by}`);
    if (request.apply_at) parts.push(`scheduled for ${formatDate(request.apply_at)}`);
  }
  const sample = details.error_sample;
  if (parts.length === 0 && !sample) return null;
  return h('div', { class: 'entry-details' }, parts.length ? h('p', {}, parts.join(' · ')) : null, sample ? h('pre', { class: 'sample' }, String(sample)) : null);
}

function revertButton(page, entry) {
  const open = async () => {
    let response;
    const result = await confirmDialog({
      title: `Revert ${page.flag.id} to version ${entry.version}?`,
      body: h('div', {}, h('p', {}, `This restores the configuration of version ${entry.version} as a new version. What changes from now:`), renderDiff(pick(page.flag, Object.keys(entry.after)), entry.after)),
      confirmLabel: `Revert to v${entry.version}`,
      onConfirm: async ({ reason }) => {
        response = await api.revert(page.flag.id, page.flag.version, entry.version, reason);
      },
    });
    if (!result) return;
    if (result.error) await page.fail(result.error, `Revert to version ${entry.version}`);
    else await page.apply(response, `Reverted to version ${entry.version}`, 'history');
  };
  return h('button', { type: 'button', class: 'btn btn-small', onclick: open, 'aria-label': `Revert to version ${entry.version}` }, `Revert to v${entry.version}`);
}

/** The fields of `obj` named in `keys`: compares like with like when the server adds computed fields. */
function pick(obj, keys) {
  return Object.fromEntries(keys.filter((k) => k in obj).map((k) => [k, obj[k]]));
}

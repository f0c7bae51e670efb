// The audit history as a timeline: who, what, why, when, and a readable before/after of each
// change, with "Revert to this version" on every earlier version.
import { api } from '../api.js';
import { h, replace, section } from '../lib/dom.js';
import { confirmDialog } from '../lib/dialog.js';
import { renderDiff } from '../lib/diff.js';
import { formatDate, timeEl } from '../lib/format.js';

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
  plan_step: 'Rollout plan step',
};

export function actionLabel(action) {
  const key = String(action ?? '');
  return ACTIONS[key] ?? (key ? key.replace(/[_-]+/g, ' ').replace(/^./, (c) => c.toUpperCase()) : 'Changed');
}

export function historySection(page) {
  const list = h('ol', { class: 'timeline', 'aria-busy': 'true' });
  const status = h('p', { class: 'loading' }, 'Loading history…');
  const more = h('button', { type: 'button', class: 'btn', hidden: true }, 'Show older changes');
  const card = section('History', { id: 'sec-history' }, status, list, more);

  let before;
  const loadPage = async () => {
    more.disabled = true;
    try {
      const result = await api.history(page.flag.id, { limit: PAGE_SIZE, before });
      const entries = result.entries ?? [];
      if (before === undefined && entries[0]) {
        page.latestEntry = entries[0];
        page.fillConflictWho?.(entries[0]);
        page.refineStatus?.(entries);
      }
      list.append(...entries.map((entry) => entryItem(page, entry)));
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

function entryItem(page, entry) {
  const isCurrent = entry.version === page.flag.version;
  const actor = entry.actor ?? 'unknown';
  return h(
    'li',
    { class: `entry entry-${String(entry.action ?? '').replace(/[^a-z0-9-]/gi, '-')}`, dataset: { version: entry.version, action: entry.action } },
    h(
      'div',
      { class: 'entry-head' },
      h('span', { class: 'entry-version' }, `v${entry.version}`),
      h('strong', { class: 'entry-action' }, actionLabel(entry.action)),
      h('span', { class: 'entry-actor' }, `by ${actor}`),
      h('span', { class: 'entry-time', title: formatDate(entry.created_at) }, timeEl(entry.created_at)),
      isCurrent ? h('span', { class: 'badge badge-muted' }, 'current') : null,
    ),
    entry.reason ? h('blockquote', { class: 'entry-reason' }, h('span', { class: 'sr-only' }, 'Reason: '), entry.reason) : null,
    entry.details ? detailsLine(entry.details) : null,
    renderDiff(entry.before, entry.after),
    page.canWrite && !isCurrent && entry.after ? revertButton(page, entry) : null,
  );
}

/** Extra facts of an entry (an automatic kill's counts, a plan step's stage), as a short line. */
function detailsLine(details) {
  const parts = Object.entries(details)
    .filter(([, v]) => v !== null && v !== undefined && typeof v !== 'object')
    .map(([k, v]) => `${k.replace(/_/g, ' ')}: ${v}`);
  return parts.length ? h('p', { class: 'entry-details' }, parts.join(' · ')) : null;
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

// Stale flags: sat fully on or fully off without change, or not evaluated, for longer than the
// threshold (default 30 days). Archive them from here, or mark one permanent (a flag meant to stay,
// such as an ops kill switch) so it is no longer reported.
import { api } from '../api.js';
import { field, h, replace, uid } from '../lib/dom.js';
import { confirmDialog } from '../lib/dialog.js';
import { percent, statusBadge, statusOf, timeEl } from '../lib/format.js';
import { toast } from '../lib/toast.js';
import { session } from '../session.js';

const REASONS = {
  unchanged_fully_on: 'Fully on, unchanged',
  unchanged_fully_off: 'Fully off, unchanged',
  not_evaluated: 'Not evaluated',
};

export async function renderStale(main, _params, query, ctx) {
  const days = Number.parseInt(query.days ?? '30', 10) || 30;
  const result = await api.staleFlags(days);
  if (!ctx.isCurrent()) return;
  const flags = result.flags ?? [];
  const threshold = result.threshold_days ?? days;

  const daysInput = h('input', { type: 'number', name: 'days', min: '1', max: '3650', step: '1', value: String(threshold), id: uid('days'), inputmode: 'numeric' });
  const form = h(
    'form',
    { class: 'filters', 'aria-label': 'Stale threshold' },
    field('Unchanged or unused for at least (days)', daysInput, { path: 'days' }),
    h('button', { type: 'submit', class: 'btn' }, 'Update'),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    location.hash = `#/stale?days=${encodeURIComponent(daysInput.value)}`;
  });

  const body = flags.length
    ? h(
        'table',
        { class: 'table stale-table' },
        h('caption', { class: 'sr-only' }, `Flags stale for ${plural(threshold, 'day')} or more`),
        h('thead', {}, h('tr', {}, ['Flag', 'Status', 'Rollout', 'Why stale', 'Last change', 'Last evaluated', session.canWrite ? 'Action' : null].filter(Boolean).map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, flags.map((f) => row(f, () => renderStale(main, _params, { days: String(threshold) }, ctx)))),
      )
    : h('p', { class: 'notice notice-info' }, `No stale flags: every live flag changed or was evaluated within the last ${plural(threshold, 'day')}.`);

  replace(
    main,
    h('div', { class: 'page-head' }, h('h1', {}, 'Stale flags')),
    h('p', { class: 'lede' }, 'Flags that have sat fully on or fully off without a change, or that nothing has evaluated, for longer than the threshold. Archive them once the code no longer reads them; mark a flag permanent when it is meant to stay.'),
    form,
    h('p', { class: 'count', role: 'status' }, `${flags.length} stale flag${flags.length === 1 ? '' : 's'} at ${plural(threshold, 'day')}`),
    body,
  );
}

function row(flag, refresh) {
  const archive = async () => {
    const result = await confirmDialog({
      title: `Archive ${flag.id}?`,
      body: h('p', {}, 'Application Workers stop finding this flag and fall back to their defaults. The history is kept.'),
      confirmLabel: 'Archive flag',
      danger: true,
      reasonLabel: 'Reason',
      onConfirm: ({ reason }) => api.archive(flag.id, flag.version, reason || 'stale flag clean-up'),
    });
    if (!result) return;
    if (result.error) {
      toast(result.error.status === 412 ? `${flag.id} changed since this list was loaded; it was not archived.` : `Could not archive ${flag.id}: ${result.error.message}`, 'error');
    } else {
      toast(`Archived ${flag.id}.`);
    }
    await refresh();
  };
  const markPermanent = async () => {
    const result = await confirmDialog({
      title: `Mark ${flag.id} permanent?`,
      body: h('p', {}, 'A permanent flag (an ops kill switch, a long-lived setting) is never reported stale. Its page can undo this.'),
      confirmLabel: 'Mark permanent',
      reasonLabel: 'Reason',
      onConfirm: ({ reason }) => api.patchFlag(flag.id, flag.version, reason ? { permanent: true, reason } : { permanent: true }),
    });
    if (!result) return;
    if (result.error) {
      toast(result.error.status === 412 ? `${flag.id} changed since this list was loaded; it was not marked.` : `Could not mark ${flag.id}: ${result.error.message}`, 'error');
    } else {
      toast(`${flag.id} is permanent.`);
    }
    await refresh();
  };
  return h(
    'tr',
    { dataset: { flag: flag.id } },
    h('th', { scope: 'row', 'data-label': 'Flag' }, h('a', { href: `#/flags/${encodeURIComponent(flag.id)}` }, flag.id), flag.description ? h('span', { class: 'sub' }, flag.description) : null),
    h('td', { 'data-label': 'Status' }, statusBadge(statusOf(flag))),
    h('td', { 'data-label': 'Rollout', class: 'num' }, percent(flag.rollout_percentage)),
    h('td', { 'data-label': 'Why stale' }, (flag.stale_reasons ?? []).map((r) => REASONS[r] ?? r).join('; ') || '—'),
    h('td', { 'data-label': 'Last change' }, timeEl(flag.updated_at)),
    h('td', { 'data-label': 'Last evaluated' }, flag.last_evaluated_at ? timeEl(flag.last_evaluated_at) : 'never'),
    session.canWrite
      ? h(
          'td',
          { 'data-label': 'Action', class: 'actions' },
          h('button', { type: 'button', class: 'btn btn-small btn-danger', onclick: archive, 'aria-label': `Archive ${flag.id}` }, 'Archive…'),
          ' ',
          h('button', { type: 'button', class: 'btn btn-small', onclick: markPermanent, 'aria-label': `Mark ${flag.id} permanent` }, 'Permanent…'),
        )
      : null,
  );
}

function plural(n, word) {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

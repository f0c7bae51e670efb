// The flag list, like the article's table: flag, status, rollout, use case, owner, last change;
// filter by text and status. Filters live in the URL (#/flags?q=…&status=…) so they survive
// going to a flag and back.
import { api } from '../api.js';
import { h, replace, uid } from '../lib/dom.js';
import { STATUSES, percent, statusBadge, statusOf, timeEl } from '../lib/format.js';
import { session } from '../session.js';

export async function renderFlagList(main, _params, query, ctx) {
  const state = {
    q: query.q ?? '',
    status: query.status ?? '',
    archived: query.archived === '1',
  };
  // Archived flags are only fetched when asked for.
  let { flags } = await api.listFlags({ includeArchived: state.archived });
  if (!ctx.isCurrent()) return;

  const search = h('input', { type: 'search', id: uid('q'), value: state.q, placeholder: 'id, use case or owner', autocomplete: 'off' });
  const statusSelect = h(
    'select',
    { id: uid('status') },
    h('option', { value: '' }, 'All statuses'),
    STATUSES.map((s) => h('option', { value: s.value, selected: s.value === state.status }, s.label)),
  );
  const archivedBox = h('input', { type: 'checkbox', id: uid('arch'), checked: state.archived });
  const count = h('p', { class: 'count', role: 'status', 'aria-live': 'polite' });
  const tbody = h('tbody');

  const filters = h(
    'form',
    { class: 'filters', role: 'search', 'aria-label': 'Filter flags', onsubmit: (e) => e.preventDefault() },
    h('div', { class: 'field' }, h('label', { for: search.id }, 'Search'), search),
    h('div', { class: 'field' }, h('label', { for: statusSelect.id }, 'Status'), statusSelect),
    h('div', { class: 'field field-check' }, archivedBox, h('label', { for: archivedBox.id }, 'Show archived')),
  );

  const update = () => {
    state.q = search.value;
    state.status = statusSelect.value;
    state.archived = archivedBox.checked;
    const params = new URLSearchParams();
    if (state.q) params.set('q', state.q);
    if (state.status) params.set('status', state.status);
    if (state.archived) params.set('archived', '1');
    const hash = `#/flags${params.toString() ? `?${params}` : ''}`;
    if (location.hash !== hash) history.replaceState(null, '', hash);
    const shown = filterFlags(flags, state);
    replace(tbody, shown.length ? shown.map(row) : h('tr', {}, h('td', { colspan: '6', class: 'empty' }, flags.length ? 'No flags match these filters.' : 'No flags yet.')));
    count.textContent = `${shown.length} of ${flags.length} flag${flags.length === 1 ? '' : 's'}`;
  };
  search.addEventListener('input', update);
  statusSelect.addEventListener('change', update);
  archivedBox.addEventListener('change', async () => {
    archivedBox.disabled = true;
    try {
      ({ flags } = await api.listFlags({ includeArchived: archivedBox.checked }));
    } finally {
      archivedBox.disabled = false;
    }
    update();
  });

  replace(
    main,
    h(
      'div',
      { class: 'page-head' },
      h('h1', {}, 'Flags'),
      session.canWrite ? h('a', { class: 'btn btn-primary', href: '#/new' }, 'New flag') : null,
    ),
    filters,
    count,
    h(
      'table',
      { class: 'table flags-table' },
      h('caption', { class: 'sr-only' }, 'Feature flags'),
      h(
        'thead',
        {},
        h('tr', {}, ['Flag', 'Status', 'Rollout', 'Use case', 'Owner', 'Last change'].map((t) => h('th', { scope: 'col' }, t))),
      ),
      tbody,
    ),
  );
  update();
}

export function filterFlags(flags, { q, status, archived }) {
  const needle = q.trim().toLowerCase();
  return flags
    .filter((f) => archived || !f.archived)
    .filter((f) => !status || statusOf(f) === status)
    .filter((f) => !needle || [f.id, f.description, f.owner].some((v) => String(v ?? '').toLowerCase().includes(needle)))
    .sort((a, b) => String(a.id).localeCompare(String(b.id)));
}

function row(flag) {
  const status = statusOf(flag);
  return h(
    'tr',
    { dataset: { flag: flag.id } },
    h('th', { scope: 'row', 'data-label': 'Flag' }, h('a', { href: `#/flags/${encodeURIComponent(flag.id)}` }, flag.id), flag.archived ? h('span', { class: 'badge badge-muted' }, 'archived') : null),
    h('td', { 'data-label': 'Status' }, statusBadge(status), planNote(flag)),
    h('td', { 'data-label': 'Rollout', class: 'num' }, percent(flag.rollout_percentage)),
    h('td', { 'data-label': 'Use case' }, flag.description || h('span', { class: 'muted' }, '—')),
    h('td', { 'data-label': 'Owner' }, flag.owner || h('span', { class: 'muted' }, '—')),
    h('td', { 'data-label': 'Last change' }, timeEl(flag.updated_at)),
  );
}

/** A short note when a rollout plan drives the flag ("plan: running"). */
function planNote(flag) {
  const state = typeof flag.plan_state === 'string' ? flag.plan_state : flag.plan_state?.status ?? flag.plan?.status;
  if (!state) return null;
  return h('span', { class: 'plan-note' }, ` plan: ${state}`);
}

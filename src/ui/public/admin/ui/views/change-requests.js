// #/change-requests: every flag's change requests (pending by default), with approve / reject /
// cancel where the signed-in person may use them. `?status=` picks another status, or all.
import { api } from '../api.js';
import { h, replace } from '../lib/dom.js';
import { formatDate, timeEl } from '../lib/format.js';
import { describeChange, requestActions, STATUS_WORDS } from '../lib/requests.js';
import { toast } from '../lib/toast.js';

const FILTERS = [
  ['pending', 'Waiting for approval'],
  ['scheduled', 'Scheduled'],
  ['applied,rejected,cancelled,failed', 'Decided'],
  ['', 'All'],
];

export async function renderChangeRequests(main, _params, query, ctx) {
  const status = query.status ?? 'pending';
  const { change_requests: requests = [] } = await api.changeRequests(status ? { status } : {});
  if (!ctx.isCurrent()) return;
  const banner = h('div', { class: 'notice notice-error', role: 'alert', tabindex: '-1', hidden: true });
  const done = async (_answer, label) => {
    toast(`${label}.`);
    await ctx.rerender();
  };
  const fail = async (err, label) => {
    banner.textContent = `${label} failed: ${err?.message ?? String(err)}`;
    banner.hidden = false;
    banner.focus();
  };

  replace(
    main,
    h('div', { class: 'page-head' }, h('h1', {}, 'Change requests')),
    h('p', { class: 'lede' }, 'Changes to protected flags wait here for an admin’s approval; scheduled changes wait for their time.'),
    h(
      'nav',
      { class: 'filters', 'aria-label': 'Status' },
      FILTERS.map(([value, label]) =>
        h('a', { href: `#/change-requests?status=${encodeURIComponent(value)}`, class: 'btn btn-small', ...(value === status ? { 'aria-current': 'page' } : {}) }, label),
      ),
    ),
    banner,
    h('p', { class: 'count', role: 'status' }, `${requests.length} change request${requests.length === 1 ? '' : 's'}`),
    h(
      'table',
      { class: 'table flags-table requests-table' },
      h('caption', { class: 'sr-only' }, 'Change requests'),
      h('thead', {}, h('tr', {}, ['Request', 'Flag', 'Change', 'Author', 'Status', 'Made', ''].map((t) => h('th', { scope: 'col' }, t)))),
      h(
        'tbody',
        {},
        requests.length
          ? requests.map((request) => row(request, { done, fail }))
          : h('tr', {}, h('td', { colspan: '7', class: 'empty' }, 'No change requests here.')),
      ),
    ),
  );
}

function row(request, handlers) {
  return h(
    'tr',
    { dataset: { request: request.id, status: request.status } },
    h('th', { scope: 'row', 'data-label': 'Request' }, h('code', {}, request.id)),
    h('td', { 'data-label': 'Flag' }, h('a', { href: `#/flags/${encodeURIComponent(request.flag)}` }, request.flag)),
    h('td', { 'data-label': 'Change' }, describeChange(request.change), request.reason ? h('div', { class: 'muted' }, request.reason) : null),
    h('td', { 'data-label': 'Author' }, request.author),
    h(
      'td',
      { 'data-label': 'Status' },
      STATUS_WORDS[request.status] ?? request.status,
      request.apply_at ? h('div', { class: 'muted' }, `applies ${formatDate(request.apply_at)}`) : null,
      request.note ? h('div', { class: 'muted' }, request.note) : null,
    ),
    h('td', { 'data-label': 'Made' }, timeEl(request.created_at)),
    h('td', { 'data-label': 'Actions' }, requestActions(request, handlers)),
  );
}

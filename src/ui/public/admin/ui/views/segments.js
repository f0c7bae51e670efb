// The segment list: id, description, number of conditions, last change. Segments are named
// condition sets that flag rules use with { "op": "in_segment", "values": ["<segment id>"] }.
import { api } from '../api.js';
import { h, replace } from '../lib/dom.js';
import { timeEl } from '../lib/format.js';
import { session } from '../session.js';

export async function renderSegmentList(main, _params, _query, ctx) {
  const { segments = [] } = await api.listSegments();
  if (!ctx.isCurrent()) return;
  const sorted = [...segments].sort((a, b) => String(a.id).localeCompare(String(b.id)));

  replace(
    main,
    h(
      'div',
      { class: 'page-head' },
      h('h1', {}, 'Segments'),
      session.canWrite ? h('a', { class: 'btn btn-primary', href: '#/new-segment' }, 'New segment') : null,
    ),
    h('p', { class: 'lede' }, 'Named sets of conditions. A flag rule uses one with the condition op ', h('code', {}, 'in_segment'), '; a change to the segment reaches every flag that uses it.'),
    h('p', { class: 'count', role: 'status' }, `${sorted.length} segment${sorted.length === 1 ? '' : 's'}`),
    h(
      'table',
      { class: 'table flags-table segments-table' },
      h('caption', { class: 'sr-only' }, 'Segments'),
      h('thead', {}, h('tr', {}, ['Segment', 'Description', 'Conditions', 'Last change'].map((t) => h('th', { scope: 'col' }, t)))),
      h(
        'tbody',
        {},
        sorted.length ? sorted.map(row) : h('tr', {}, h('td', { colspan: '4', class: 'empty' }, 'No segments yet.')),
      ),
    ),
  );
}

function row(segment) {
  const count = segment.conditions?.length ?? 0;
  return h(
    'tr',
    { dataset: { segment: segment.id } },
    h('th', { scope: 'row', 'data-label': 'Segment' }, h('a', { href: `#/segments/${encodeURIComponent(segment.id)}` }, segment.id)),
    h('td', { 'data-label': 'Description' }, segment.description || h('span', { class: 'muted' }, '—')),
    h('td', { 'data-label': 'Conditions', class: 'num' }, String(count)),
    h('td', { 'data-label': 'Last change' }, timeEl(segment.updated_at)),
  );
}

// Create a segment: id, description and its conditions as JSON. As for flags, the API's
// messages are the single source of truth and appear next to the field they name
// ("conditions.0.values.0: …" under the conditions editor).
import { api } from '../api.js';
import { field, h, replace } from '../lib/dom.js';
import { busy, errorSummary, showErrors } from '../lib/forms.js';
import { toast } from '../lib/toast.js';
import { session } from '../session.js';

export const CONDITIONS_HINT =
  'A JSON array of { attribute, op, values, negate?, case_insensitive? }; a context is in the segment when all hold. ' +
  'Example: [{ "attribute": "email", "op": "ends_with", "values": ["@example.com"], "case_insensitive": true }]';

/** The editor's text as a value for the API, or an issue at `conditions` when it is not JSON. */
export function parseConditions(text) {
  try {
    return { value: JSON.parse(text) };
  } catch (err) {
    return { issue: { path: 'conditions', message: `Not valid JSON: ${err.message}` } };
  }
}

export async function renderSegmentCreate(main) {
  if (!session.canWrite) {
    replace(main, h('div', { class: 'notice', role: 'alert' }, h('h1', {}, 'New segment'), h('p', {}, `Your ${session.viaAccess ? 'role' : 'token'} can read segments but not change them.`)));
    return;
  }
  const id = h('input', { name: 'id', autocomplete: 'off', spellcheck: 'false', maxlength: '64' });
  const description = h('textarea', { name: 'description', rows: '2', maxlength: '1000' });
  const conditions = h('textarea', { name: 'conditions', rows: '8', spellcheck: 'false', class: 'code', value: '[]' });
  const reason = h('input', { name: 'reason', autocomplete: 'off', maxlength: '500' });

  const form = h(
    'form',
    { class: 'card form-grid', novalidate: true, 'aria-labelledby': 'create-segment-title' },
    errorSummary(),
    field('Segment id', id, { path: 'id', hint: 'Letters, digits, "-", "_" and "."; at most 64. Cannot be changed later.' }),
    field('Description', description, { path: 'description', hint: 'Who is in the segment, in words.' }),
    field('Conditions (JSON)', conditions, { path: 'conditions', hint: CONDITIONS_HINT }),
    field('Reason', reason, { path: 'reason', hint: 'Optional; recorded in the history.' }),
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn btn-primary' }, 'Create segment'), h('a', { class: 'btn', href: '#/segments' }, 'Cancel')),
  );

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const parsed = parseConditions(conditions.value);
    if (parsed.issue) {
      showErrors(form, [parsed.issue]);
      return;
    }
    const body = { id: id.value.trim(), description: description.value.trim(), conditions: parsed.value };
    if (reason.value.trim()) body.reason = reason.value.trim();
    busy(form, async () => {
      try {
        const { segment } = await api.createSegment(body);
        toast(`Created segment ${segment?.id ?? body.id}`);
        location.hash = `#/segments/${encodeURIComponent(segment?.id ?? body.id)}`;
      } catch (err) {
        const general = err.status === 409 ? `A segment called "${body.id}" already exists (archived ones keep their id).` : err.message;
        const issues = err.status === 409 ? [{ path: 'id', message: 'This id is taken.' }, ...err.issues] : err.issues;
        showErrors(form, issues, issues.length && err.status === 400 ? 'Please fix the fields marked below.' : general);
      }
    });
  });

  replace(main, h('p', { class: 'breadcrumb' }, h('a', { href: '#/segments' }, '← All segments')), h('div', { class: 'page-head' }, h('h1', { id: 'create-segment-title' }, 'New segment')), form);
  id.focus();
}

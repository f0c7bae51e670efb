// Protection and change requests on the flag page: whether the flag is protected (an approver
// can switch it), the changes waiting for approval or for their time, and a form to schedule a
// rollout change.
import { api } from '../api.js';
import { field, h, replace, section } from '../lib/dom.js';
import { busy, errorSummary, showErrors } from '../lib/forms.js';
import { formatDate, numberOrRaw, percent, timeEl } from '../lib/format.js';
import { describeChange, requestActions, STATUS_WORDS } from '../lib/requests.js';
import { session } from '../session.js';

export function requestsSection(page) {
  const f = page.flag;
  const state = h(
    'p',
    { class: 'protection-state' },
    f.protected
      ? [h('strong', {}, 'Protected'), session.canApprove ? ': changes by editors wait for an admin’s approval (a kill never does).' : ': your changes wait for an admin’s approval; a kill applies at once.']
      : 'Not protected: changes apply at once.',
  );
  const list = h('ul', { class: 'requests', 'aria-busy': 'true' });
  const status = h('p', { class: 'loading' }, 'Loading change requests…');
  const card = section(
    'Approvals and scheduled changes',
    { id: 'sec-requests' },
    state,
    page.canWrite && session.canApprove ? protectionToggle(page) : null,
    h('h3', {}, 'Pending and scheduled'),
    status,
    list,
    page.canWrite ? scheduleForm(page) : null,
  );
  api
    .flagChangeRequests(f.id, 'pending,scheduled')
    .then(({ change_requests: requests = [] }) => {
      list.append(...requests.map((request) => requestItem(page, request)));
      if (requests.length) status.remove();
      else replace(status, 'Nothing pending or scheduled.');
    })
    .catch((err) => replace(status, `Could not load change requests: ${err.message}`))
    .finally(() => list.removeAttribute('aria-busy'));
  return card;
}

function requestItem(page, request) {
  return h(
    'li',
    { class: `request request-${request.status}`, dataset: { request: request.id, status: request.status } },
    h(
      'div',
      { class: 'request-head' },
      h('strong', {}, describeChange(request.change)),
      h('span', { class: 'badge badge-muted' }, STATUS_WORDS[request.status] ?? request.status),
    ),
    h(
      'p',
      { class: 'muted' },
      `${request.id} · by ${request.author} · against version ${request.base_version} · `,
      timeEl(request.created_at),
      request.apply_at ? ` · applies ${formatDate(request.apply_at)}` : '',
      request.approved_by ? ` · approved by ${request.approved_by}` : '',
    ),
    request.reason ? h('blockquote', { class: 'entry-reason' }, request.reason) : null,
    requestActions(request, { done: (answer, label) => page.apply(answer, label, 'requests'), fail: page.fail }),
  );
}

function protectionToggle(page) {
  const on = page.flag.protected === true;
  const toggle = h('input', { type: 'checkbox', role: 'switch', name: 'protected', checked: on });
  const form = h('form', { novalidate: true }, errorSummary(), field('Protected', toggle, { path: 'protected', hint: 'Only admins can switch this.' }));
  toggle.addEventListener('change', () => {
    const next = toggle.checked;
    toggle.disabled = true;
    busy(form, async () => {
      if (!(await page.mutate(next ? 'Protect the flag' : 'Lift protection', (flag) => api.setProtection(flag.id, flag.version, next), { form, focus: 'requests' }))) {
        toggle.checked = !next;
        toggle.disabled = false;
      }
    });
  });
  return form;
}

function scheduleForm(page) {
  const pct = h('input', { type: 'number', name: 'percentage', min: '0', max: '100', step: '0.01', value: String(page.flag.rollout_percentage ?? 0), inputmode: 'decimal' });
  const at = h('input', { type: 'datetime-local', name: 'apply_at' });
  const reason = h('input', { name: 'reason', autocomplete: 'off', maxlength: '500' });
  const form = h(
    'form',
    { class: 'schedule-form', novalidate: true },
    h('h3', {}, 'Schedule a rollout change'),
    errorSummary(),
    field('Scheduled percentage', pct, { path: 'percentage' }),
    field('Apply at', at, { path: 'apply_at', hint: 'Your local time. The flag applies it then, if nothing else changed it first.' }),
    field('Reason', reason, { path: 'reason' }),
    h('button', { type: 'submit', class: 'btn' }, 'Schedule'),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const percentage = numberOrRaw(pct.value);
    const when = at.value ? new Date(at.value) : null;
    if (!when || Number.isNaN(when.getTime())) {
      showErrors(form, [{ path: 'apply_at', message: 'Choose when the change applies.' }]);
      return;
    }
    const label = `Schedule rollout ${typeof percentage === 'number' ? percent(percentage) : percentage}`;
    busy(form, () => page.mutate(label, (flag) => api.rollout(flag.id, flag.version, percentage, reason.value, when.toISOString()), { form, focus: 'requests' }));
  });
  return form;
}

// Kill switch, re-enable and rollout percentage: the on-call engineer's first stop.
import { api } from '../api.js';
import { field, h, section } from '../lib/dom.js';
import { confirmDialog } from '../lib/dialog.js';
import { busy, errorSummary, showErrors } from '../lib/forms.js';
import { numberOrRaw, percent } from '../lib/format.js';

/** The article's stages, offered as one-click presets. */
const PRESETS = [1, 5, 25, 50, 100];

export function servingSection(page) {
  const f = page.flag;
  const state = f.enabled
    ? h('p', { class: 'serving-state' }, 'Enabled, serving ', h('strong', {}, percent(f.rollout_percentage)), ' of users', allowlistNote(f), '.')
    : h('p', { class: 'serving-state serving-off' }, h('strong', {}, 'Disabled'), ': off for everyone, including allowlists.');

  return section(
    'Kill switch and rollout',
    { id: 'sec-serving' },
    state,
    page.canWrite ? (f.enabled ? killButton(page) : enableButton(page)) : null,
    page.canWrite ? rolloutForm(page) : null,
  );
}

function allowlistNote(f) {
  const users = f.allowed_users?.length ?? 0;
  const tenants = f.allowed_tenants?.length ?? 0;
  const parts = [];
  if (users) parts.push(`${users} allowed user${users === 1 ? '' : 's'}`);
  if (tenants) parts.push(`${tenants} allowed tenant${tenants === 1 ? '' : 's'}`);
  return parts.length ? ` plus ${parts.join(' and ')}` : '';
}

function killButton(page) {
  const open = async () => {
    let response;
    const result = await confirmDialog({
      title: `Kill ${page.flag.id}?`,
      body: h('p', {}, 'The flag turns off for everyone right away (disabled, rollout 0%). Application Workers see it within their cache period. You can re-enable it afterwards.'),
      confirmLabel: 'Kill flag',
      danger: true,
      reasonLabel: 'Why are you killing it?',
      onConfirm: async ({ reason }) => {
        response = await api.kill(page.flag.id, reason);
      },
    });
    if (!result) return;
    if (result.error) await page.fail(result.error, 'Kill');
    else await page.apply(response, 'Flag killed', 'serving');
  };
  return h('div', { class: 'kill-row' }, h('button', { type: 'button', class: 'btn btn-danger btn-kill', onclick: open }, 'Kill flag…'));
}

function enableButton(page) {
  const open = async () => {
    const pct = h('input', { type: 'number', name: 'rollout_percentage', min: '0', max: '100', step: '0.01', value: String(page.flag.rollout_percentage ?? 0), inputmode: 'decimal' });
    let response;
    const result = await confirmDialog({
      title: `Re-enable ${page.flag.id}?`,
      body: h('p', {}, 'The flag starts serving again at the rollout percentage below (and to its allowlists). After an automatic kill, the failure window starts afresh.'),
      confirmLabel: 'Re-enable',
      fields: [field('Rollout percentage', pct, { path: 'rollout_percentage', hint: '0 serves only the allowlists.' })],
      collect: () => ({ rollout_percentage: numberOrRaw(pct.value) }),
      onConfirm: async ({ reason, values }) => {
        const patch = { enabled: true };
        if (values.rollout_percentage !== undefined && values.rollout_percentage !== page.flag.rollout_percentage) {
          patch.rollout_percentage = values.rollout_percentage;
        }
        if (reason) patch.reason = reason;
        response = await api.patchFlag(page.flag.id, page.flag.version, patch);
      },
    });
    if (!result) return;
    if (result.error) await page.fail(result.error, 'Re-enable the flag');
    else await page.apply(response, 'Flag re-enabled', 'serving');
  };
  return h('div', { class: 'kill-row' }, h('button', { type: 'button', class: 'btn btn-primary', onclick: open }, 'Re-enable…'));
}

function rolloutForm(page) {
  const f = page.flag;
  const input = h('input', { type: 'number', name: 'percentage', min: '0', max: '100', step: '0.01', value: String(f.rollout_percentage ?? 0), inputmode: 'decimal' });
  const reason = h('input', { name: 'reason', autocomplete: 'off', maxlength: '500' });
  const presets = h(
    'div',
    { class: 'presets', role: 'group', 'aria-label': 'Common stages' },
    PRESETS.map((p) => h('button', { type: 'button', class: 'btn btn-small', 'aria-label': `Fill in ${p}%`, onclick: () => { input.value = String(p); input.focus(); } }, `${p}%`)),
  );
  const planRunning = ['running', 'active'].includes(String(f.plan?.status ?? f.plan?.state ?? ''));
  const form = h(
    'form',
    { class: 'rollout-form', novalidate: true },
    errorSummary(),
    field('Rollout percentage', input, {
      path: 'percentage rollout_percentage',
      hint: [
        'Share of users who get the flag, 0–100 (two decimals). Raising it keeps everyone already in.',
        f.enabled ? '' : ' The flag is disabled: the percentage applies once it is re-enabled.',
        planRunning ? ' Changing it by hand pauses the rollout plan.' : '',
      ].join(''),
    }),
    presets,
    field('Reason', reason, { path: 'reason', hint: 'Recorded in the history and the notification.' }),
    h('button', { type: 'submit', class: 'btn btn-primary' }, 'Set rollout'),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const percentage = numberOrRaw(input.value);
    if (percentage === undefined) {
      showErrors(form, [{ path: 'percentage', message: 'Enter a percentage from 0 to 100.' }]);
      return;
    }
    busy(form, () =>
      page.mutate(`Set rollout to ${typeof percentage === 'number' ? percent(percentage) : percentage}`, (flag) => api.rollout(flag.id, flag.version, percentage, reason.value), {
        form,
        focus: 'serving',
      }),
    );
  });
  return form;
}

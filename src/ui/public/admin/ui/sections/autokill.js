// The automatic kill policy: failures within a window, optionally an error rate past a minimum
// number of samples.
import { api } from '../api.js';
import { field, h, section } from '../lib/dom.js';
import { busy, errorSummary } from '../lib/forms.js';
import { duration, numberOrRaw, ratio } from '../lib/format.js';

const DEFAULTS = { enabled: true, max_failures: 10, window_seconds: 300, min_samples: 100 };

export function autoKillSection(page) {
  const policy = { ...DEFAULTS, ...(page.flag.auto_kill ?? {}) };
  const summary = h(
    'p',
    {},
    policy.enabled
      ? [
          `Kills the flag after ${policy.max_failures} failures within ${duration(policy.window_seconds)}`,
          policy.max_error_rate !== undefined ? `, or at an error rate of ${ratio(policy.max_error_rate)} once ${policy.min_samples} reports are in` : '',
          '.',
        ].join('')
      : 'Automatic kill is off for this flag.',
  );
  if (!page.canWrite) return section('Automatic kill', { id: 'sec-autokill' }, summary);

  const enabled = h('input', { type: 'checkbox', name: 'enabled', checked: policy.enabled });
  const maxFailures = h('input', { type: 'number', name: 'max_failures', min: '1', step: '1', value: String(policy.max_failures), inputmode: 'numeric' });
  const windowSeconds = h('input', { type: 'number', name: 'window_seconds', min: '10', step: '1', value: String(policy.window_seconds), inputmode: 'numeric' });
  const maxErrorRate = h('input', { type: 'number', name: 'max_error_rate', min: '0', max: '1', step: '0.001', value: policy.max_error_rate === undefined ? '' : String(policy.max_error_rate), inputmode: 'decimal' });
  const minSamples = h('input', { type: 'number', name: 'min_samples', min: '1', step: '1', value: String(policy.min_samples), inputmode: 'numeric' });
  const reason = h('input', { name: 'reason', autocomplete: 'off', maxlength: '500' });
  const form = h(
    'form',
    { novalidate: true, class: 'form-grid-2' },
    errorSummary(),
    field('Kill automatically', enabled, { path: 'auto_kill.enabled' }),
    field('Max failures', maxFailures, { path: 'auto_kill.max_failures', hint: 'Failures within the window that kill the flag.' }),
    field('Window (seconds)', windowSeconds, { path: 'auto_kill.window_seconds', hint: '300 = 5 minutes.' }),
    field('Max error rate', maxErrorRate, { path: 'auto_kill.max_error_rate', hint: 'Optional, as a fraction: 0.05 = 5%. Empty for no error-rate rule.' }),
    field('Minimum samples', minSamples, { path: 'auto_kill.min_samples', hint: 'Reports needed before the error rate counts.' }),
    field('Reason', reason, { path: 'reason' }),
    h('button', { type: 'submit', class: 'btn btn-primary' }, 'Save policy'),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const next = {
      enabled: enabled.checked,
      max_failures: numberOrRaw(maxFailures.value),
      window_seconds: numberOrRaw(windowSeconds.value),
      min_samples: numberOrRaw(minSamples.value),
    };
    const rate = numberOrRaw(maxErrorRate.value);
    if (rate !== undefined) next.max_error_rate = rate;
    const patch = { auto_kill: next };
    if (reason.value.trim()) patch.reason = reason.value.trim();
    busy(form, () => page.mutate('Update the automatic kill policy', (flag) => api.patchFlag(flag.id, flag.version, patch), { form, focus: 'autokill' }));
  });
  return section('Automatic kill', { id: 'sec-autokill' }, summary, form);
}

// Rollout plan (issue 6): where the plan stands, and start / pause / resume / abort / advance.
// The flag's Durable Object drives a running plan from its alarm; this section shows `flag.plan`
// and steers it. A plan is set with PUT /admin/flags/:id/plan (a draft), from a template or from
// explicit stages; every command is a versioned change and carries If-Match.
import { api } from '../api.js';
import { field, h, section } from '../lib/dom.js';
import { confirmDialog } from '../lib/dialog.js';
import { busy, errorSummary, showErrors } from '../lib/forms.js';
import { duration, formatDate, numberOrRaw, percent, ratio, timeEl } from '../lib/format.js';

const DAY = 86_400;

/** The article's schedule, as the server's `article` template defines it (for the preview). */
export const ARTICLE_STAGES = [
  { percentage: 1, hold_seconds: DAY },
  { percentage: 5, hold_seconds: DAY },
  { percentage: 25, hold_seconds: 2 * DAY },
  { percentage: 50, hold_seconds: 2 * DAY },
  { percentage: 100, hold_seconds: 0 },
];

/** "Double every day from a start percentage": the server's `double_daily` template (for the preview). */
export function doublingStages(start, holdSeconds = DAY) {
  const stages = [];
  for (let bp = Math.round(start * 100); bp < 10_000; bp *= 2) stages.push({ percentage: bp / 100, hold_seconds: holdSeconds });
  stages.push({ percentage: 100, hold_seconds: 0 });
  return stages;
}

/** Parses "percentage, hours to hold" lines into stages. */
export function parseStages(text) {
  return String(text)
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => {
      const [pct, hours] = line.split(/[,;\s]+/);
      return { percentage: numberOrRaw(pct), hold_seconds: Math.round((Number(hours ?? 0) || 0) * 3600) };
    });
}

/** Commands each status accepts (the server refuses the others with 409). */
export const COMMANDS_BY_STATUS = {
  draft: ['start'],
  running: ['pause', 'advance', 'abort'],
  paused: ['resume', 'advance', 'abort'],
  completed: [],
  aborted: ['start'],
};

const COMMANDS = {
  start: { label: 'Start plan', explain: 'The flag is enabled at the first stage now, and moves to the next stage each time a hold ends while the flag is healthy.' },
  pause: { label: 'Pause', explain: 'The percentage stays where it is until you resume.' },
  resume: { label: 'Resume', explain: 'The plan continues from the stage matching the current percentage, and its hold starts again.' },
  advance: { label: 'Advance now', explain: 'Moves to the next stage now, without waiting for the hold to end.' },
  abort: { label: 'Abort plan', explain: 'Stops the plan. The percentage stays where it is; nothing more happens automatically.' },
};

const STATUS_TEXT = {
  draft: 'Draft: not started',
  running: 'Running',
  paused: 'Paused',
  completed: 'Completed',
  aborted: 'Aborted',
};

const UNHEALTHY_TEXT = {
  pause: 'pause and notify',
  rollback: 'roll back to the previous stage and pause',
  kill: 'kill the flag',
};

export function planSection(page) {
  const plan = page.flag.plan;
  const children = [];
  if (plan && typeof plan === 'object') {
    children.push(planState(plan, page.flag));
    if (page.canWrite) children.push(planButtons(page, plan));
  } else {
    children.push(h('p', { class: 'muted' }, 'No rollout plan. A plan raises the percentage stage by stage while the flag stays healthy, and pauses, rolls back or kills it when it is not.'));
  }
  if (page.canWrite) children.push(planEditor(page, plan));
  return section('Rollout plan', { id: 'sec-plan' }, children);
}

function planState(plan, flag) {
  const status = String(plan.status ?? 'unknown');
  const stages = Array.isArray(plan.stages) ? plan.stages : [];
  const current = typeof plan.stage_index === 'number' ? plan.stage_index : -1;
  const started = status !== 'draft';
  const health = plan.health ?? {};
  return h(
    'div',
    { class: 'plan', dataset: { planStatus: status } },
    h(
      'p',
      { class: 'plan-summary' },
      h('span', { class: `badge plan-status plan-${status}` }, STATUS_TEXT[status] ?? status),
      started && current >= 0 && stages.length ? ` · stage ${current + 1} of ${stages.length} (${percent(stages[current]?.percentage)})` : '',
      status === 'running' && plan.next_step_at ? [' · next step ', timeEl(plan.next_step_at), ` (${formatDate(plan.next_step_at)}) if healthy`] : '',
    ),
    status === 'paused' && plan.paused_reason ? h('p', { class: 'notice notice-warn' }, `Paused: ${plan.paused_reason}`) : null,
    status === 'aborted' && plan.aborted_reason ? h('p', { class: 'notice' }, `Aborted: ${plan.aborted_reason}`) : null,
    status === 'draft' && !flag.enabled ? h('p', { class: 'hint' }, 'Starting the plan enables the flag at the first stage.') : null,
    stages.length
      ? h(
          'ol',
          { class: 'stages', 'aria-label': 'Stages' },
          stages.map((s, i) => {
            const done = started && (i < current || status === 'completed');
            const here = started && i === current && status !== 'completed';
            return h(
              'li',
              { class: `stage${done ? ' stage-done' : ''}${here ? ' stage-current' : ''}`, 'aria-current': here ? 'step' : null },
              h('strong', {}, percent(s.percentage)),
              s.hold_seconds ? ` for ${duration(s.hold_seconds)}` : i === stages.length - 1 ? ' (end)' : '',
              done ? h('span', { class: 'sr-only' }, ' (done)') : null,
            );
          }),
        )
      : null,
    h(
      'p',
      { class: 'hint' },
      plan.template ? `From the ${plan.template === 'article' ? "article's schedule" : 'double-daily'} template. ` : '',
      `Healthy means under the automatic-kill limits`,
      health.max_error_rate !== undefined ? ` and an error rate under ${ratio(health.max_error_rate)} (once ${health.min_samples ?? 100} reports are in)` : '',
      `. When unhealthy: ${UNHEALTHY_TEXT[plan.on_unhealthy] ?? plan.on_unhealthy ?? 'pause'}.`,
      plan.started_at ? ` Started ${formatDate(plan.started_at)}.` : '',
      plan.ended_at ? ` Ended ${formatDate(plan.ended_at)}.` : '',
    ),
  );
}

function planButtons(page, plan) {
  const commands = COMMANDS_BY_STATUS[plan.status] ?? Object.keys(COMMANDS);
  if (commands.length === 0) return null;
  return h(
    'div',
    { class: 'button-row', role: 'group', 'aria-label': 'Plan controls' },
    commands.map((command) =>
      h(
        'button',
        {
          type: 'button',
          class: `btn ${command === 'abort' ? 'btn-danger' : command === 'start' || command === 'resume' ? 'btn-primary' : ''}`,
          onclick: () => runCommand(page, command),
        },
        COMMANDS[command].label,
      ),
    ),
  );
}

async function runCommand(page, command) {
  const { label, explain } = COMMANDS[command];
  let response;
  const result = await confirmDialog({
    title: `${label}: ${page.flag.id}?`,
    body: h('p', {}, explain),
    confirmLabel: label,
    danger: command === 'abort',
    onConfirm: async ({ reason }) => {
      response = await api.planCommand(page.flag.id, page.flag.version, command, reason).catch((err) => {
        throw notAvailable(err);
      });
    },
  });
  if (!result) return;
  if (result.error) return page.fail(result.error, `${label} (rollout plan)`);
  await page.apply(response, `Rollout plan: ${label.toLowerCase()}`, 'plan');
}

/** The flag exists (we are on its page), so a 404 here means a server without plan routes. */
function notAvailable(err) {
  if (err?.status === 404) err.message = 'Rollout plans are not available on this server yet.';
  return err;
}

function planEditor(page, plan) {
  if (plan && (plan.status === 'running' || plan.status === 'paused')) {
    return h('p', { class: 'hint' }, 'To replace this plan, abort it first.');
  }
  const template = h(
    'select',
    { name: 'template' },
    h('option', { value: 'article' }, "The article's: 1% → 5% → 25% → 50% → 100% over a week"),
    h('option', { value: 'double_daily' }, 'Double every day from a start percentage'),
    h('option', { value: 'custom' }, 'Custom stages'),
  );
  const start = h('input', { type: 'number', name: 'start', min: '0.01', max: '100', step: '0.01', value: '1', inputmode: 'decimal' });
  const custom = h('textarea', {
    name: 'stages',
    rows: '5',
    spellcheck: 'false',
    value: ARTICLE_STAGES.map((s) => `${s.percentage}, ${s.hold_seconds / 3600}`).join('\n'),
  });
  const maxErrorRate = h('input', { type: 'number', name: 'max_error_rate', min: '0', max: '1', step: '0.001', inputmode: 'decimal' });
  const minSamples = h('input', { type: 'number', name: 'min_samples', min: '1', step: '1', value: '100', inputmode: 'numeric' });
  const onUnhealthy = h(
    'select',
    { name: 'on_unhealthy' },
    h('option', { value: 'pause' }, 'Pause and notify'),
    h('option', { value: 'rollback' }, 'Roll back to the previous stage'),
    h('option', { value: 'kill' }, 'Kill the flag'),
  );
  const reason = h('input', { name: 'reason', autocomplete: 'off', maxlength: '500' });
  const preview = h('p', { class: 'hint', 'aria-live': 'polite' });
  const startField = field('Start percentage', start, { path: 'start', hint: 'Doubles every day from here, then 100%.' });
  const customField = field('Stages', custom, {
    path: 'stages',
    hint: 'One stage per line: percentage, hours to hold it (at least a minute). Percentages must rise; the last stage may hold 0 (done on arrival).',
  });
  const sync = () => {
    startField.hidden = template.value !== 'double_daily';
    customField.hidden = template.value !== 'custom';
    const stages = template.value === 'article' ? ARTICLE_STAGES : template.value === 'double_daily' ? doublingStages(Number(start.value) || 1) : null;
    preview.textContent = stages ? `Stages: ${stages.map((s) => percent(s.percentage)).join(' → ')}` : '';
  };
  template.addEventListener('change', sync);
  start.addEventListener('input', sync);
  sync();

  const form = h(
    'form',
    { novalidate: true },
    errorSummary(),
    field('Schedule', template, { path: 'template' }),
    preview,
    startField,
    customField,
    field('Plan max error rate', maxErrorRate, { path: 'health.max_error_rate', hint: 'Optional, as a fraction (0.02 = 2%): stricter than the automatic kill, only for advancing.' }),
    field('Minimum samples', minSamples, { path: 'health.min_samples health', hint: 'Reports needed before the plan error rate counts.' }),
    field('When unhealthy', onUnhealthy, { path: 'on_unhealthy' }),
    field('Reason', reason, { path: 'reason' }),
    h('button', { type: 'submit', class: 'btn btn-primary' }, plan ? 'Replace plan' : 'Set plan'),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const body = { on_unhealthy: onUnhealthy.value, health: { min_samples: numberOrRaw(minSamples.value) ?? 100 } };
    const rate = numberOrRaw(maxErrorRate.value);
    if (rate !== undefined) body.health.max_error_rate = rate;
    if (template.value === 'custom') {
      body.stages = parseStages(custom.value);
      if (body.stages.length === 0) {
        showErrors(form, [{ path: 'stages', message: 'Enter at least one stage.' }]);
        return;
      }
    } else {
      body.template = template.value;
      if (template.value === 'double_daily') body.start = numberOrRaw(start.value);
    }
    busy(form, () =>
      page.mutate(
        plan ? 'Replace the rollout plan' : 'Set a rollout plan',
        (flag) => api.setPlan(flag.id, flag.version, body, reason.value).catch((err) => {
          throw notAvailable(err);
        }),
        { form, focus: 'plan' },
      ),
    );
  });
  return h('details', { class: 'editor' }, h('summary', {}, plan ? 'Set a new plan' : 'Set a plan'), form);
}

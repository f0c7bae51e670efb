// Rollout plan (issue 6): where the plan stands, and start / pause / resume / abort / advance.
// The flag's Durable Object drives the plan from its alarm; this section only shows and steers it.
// It reads `flag.plan` leniently (stage index, status, next step time, why paused) and says so
// plainly when the server has no plan routes yet (404).
import { api } from '../api.js';
import { field, h, section } from '../lib/dom.js';
import { confirmDialog } from '../lib/dialog.js';
import { busy, errorSummary, showErrors } from '../lib/forms.js';
import { duration, formatDate, numberOrRaw, percent, timeEl } from '../lib/format.js';

const DAY = 86_400;

/** The article's schedule: 1% day 1, 5% day 2, 25% day 3, 50% day 5, 100% day 7. */
export const ARTICLE_STAGES = [
  { percentage: 1, hold_seconds: DAY },
  { percentage: 5, hold_seconds: DAY },
  { percentage: 25, hold_seconds: 2 * DAY },
  { percentage: 50, hold_seconds: 2 * DAY },
  { percentage: 100, hold_seconds: 0 },
];

/** "Double every day from a start percentage while healthy". */
export function doublingStages(start) {
  const stages = [];
  for (let p = start; p < 100; p *= 2) stages.push({ percentage: Math.round(p * 100) / 100, hold_seconds: DAY });
  stages.push({ percentage: 100, hold_seconds: 0 });
  return stages;
}

/** Parses "percentage, hold in hours" lines. */
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

function planStatus(plan) {
  return String(plan.status ?? plan.state ?? 'unknown');
}

function stageIndex(plan) {
  const i = plan.stage_index ?? plan.current_stage ?? plan.stage;
  return typeof i === 'number' ? i : -1;
}

const ACTIONS_BY_STATUS = {
  draft: ['start'],
  ready: ['start'],
  pending: ['start'],
  running: ['pause', 'advance', 'abort'],
  active: ['pause', 'advance', 'abort'],
  paused: ['resume', 'advance', 'abort'],
  completed: [],
  aborted: ['start'],
  stopped: ['start'],
};

const ACTION_LABELS = { start: 'Start plan', pause: 'Pause', resume: 'Resume', abort: 'Abort plan', advance: 'Advance now' };

export function planSection(page) {
  const plan = page.flag.plan;
  const children = [];
  if (plan && typeof plan === 'object') {
    children.push(planState(plan));
    if (page.canWrite) children.push(planButtons(page, plan));
  } else {
    children.push(h('p', { class: 'muted' }, 'No rollout plan. A plan raises the percentage stage by stage while the flag stays healthy, and pauses, rolls back or kills it when it is not.'));
  }
  if (page.canWrite) children.push(planEditor(page, plan));
  return section('Rollout plan', { id: 'sec-plan' }, children);
}

function planState(plan) {
  const status = planStatus(plan);
  const stages = Array.isArray(plan.stages) ? plan.stages : [];
  const current = stageIndex(plan);
  const nextAt = plan.next_step_at ?? plan.next_at ?? plan.next_step;
  const paused = plan.paused_reason ?? plan.pause_reason ?? plan.reason;
  return h(
    'div',
    { class: 'plan' },
    h(
      'p',
      { class: 'plan-summary' },
      h('span', { class: `badge plan-status plan-${status}` }, status),
      current >= 0 && stages.length ? ` Stage ${current + 1} of ${stages.length}` : '',
      current >= 0 && stages[current] ? ` (${percent(stages[current].percentage)})` : '',
      nextAt && ['running', 'active'].includes(status) ? [' · next step ', timeEl(nextAt), ` (${formatDate(nextAt)})`] : '',
    ),
    paused && status === 'paused' ? h('p', { class: 'notice notice-warn' }, `Paused: ${paused}`) : null,
    plan.on_unhealthy ? h('p', { class: 'hint' }, `When unhealthy: ${plan.on_unhealthy}.`) : null,
    stages.length
      ? h(
          'ol',
          { class: 'stages', 'aria-label': 'Stages' },
          stages.map((s, i) =>
            h(
              'li',
              { class: i === current ? 'stage stage-current' : i < current ? 'stage stage-done' : 'stage', 'aria-current': i === current ? 'step' : null },
              h('strong', {}, percent(s.percentage)),
              ` hold ${duration(s.hold_seconds ?? s.duration_seconds ?? 0)}`,
              i < current ? h('span', { class: 'sr-only' }, ' (done)') : null,
            ),
          ),
        )
      : null,
  );
}

function planButtons(page, plan) {
  const status = planStatus(plan);
  const actions = ACTIONS_BY_STATUS[status] ?? ['start', 'pause', 'resume', 'advance', 'abort'];
  if (actions.length === 0) return null;
  return h(
    'div',
    { class: 'button-row', role: 'group', 'aria-label': 'Plan controls' },
    actions.map((action) =>
      h('button', { type: 'button', class: `btn ${action === 'abort' ? 'btn-danger' : action === 'start' || action === 'resume' ? 'btn-primary' : ''}`, onclick: () => runAction(page, action) }, ACTION_LABELS[action]),
    ),
  );
}

async function runAction(page, action) {
  let response;
  const result = await confirmDialog({
    title: `${ACTION_LABELS[action]} for ${page.flag.id}?`,
    body: h('p', {}, actionExplanation(action)),
    confirmLabel: ACTION_LABELS[action],
    danger: action === 'abort',
    onConfirm: async ({ reason }) => {
      response = await api.planAction(page.flag.id, action, reason);
    },
  });
  if (!result) return;
  if (result.error) return page.fail(notAvailable(result.error), ACTION_LABELS[action]);
  await page.apply(response, `Plan: ${ACTION_LABELS[action].toLowerCase()}`, 'plan');
}

function actionExplanation(action) {
  return {
    start: 'The flag moves to the first stage now and advances on schedule while healthy.',
    pause: 'The percentage stays where it is until you resume.',
    resume: 'The plan continues from the current stage.',
    advance: 'Moves to the next stage now, without waiting for the hold to end.',
    abort: 'Stops the plan. The percentage stays where it is; nothing more happens automatically.',
  }[action];
}

/** Rewords a 404: the flag exists (we are on its page), so the server has no plan routes. */
function notAvailable(err) {
  if (err?.status === 404) {
    err.message = 'Rollout plans are not available on this server yet.';
  }
  return err;
}

function planEditor(page, plan) {
  const template = h(
    'select',
    { name: 'template' },
    h('option', { value: 'article' }, 'The article: 1% → 5% → 25% → 50% → 100% over a week'),
    h('option', { value: 'double' }, 'Double every day from a start percentage'),
    h('option', { value: 'custom' }, 'Custom stages'),
  );
  const start = h('input', { type: 'number', name: 'start', min: '0.01', max: '100', step: '0.01', value: '1', inputmode: 'decimal' });
  const custom = h('textarea', { name: 'stages', rows: '5', spellcheck: 'false', value: ARTICLE_STAGES.map((s) => `${s.percentage}, ${s.hold_seconds / 3600}`).join('\n') });
  const onUnhealthy = h(
    'select',
    { name: 'on_unhealthy' },
    h('option', { value: 'pause' }, 'Pause and notify'),
    h('option', { value: 'rollback' }, 'Roll back to the previous stage'),
    h('option', { value: 'kill' }, 'Kill the flag'),
  );
  const reason = h('input', { name: 'reason', autocomplete: 'off', maxlength: '500' });
  const startField = field('Start percentage', start, { path: 'start', hint: 'Doubles daily from here, then 100%.' });
  const customField = field('Stages', custom, { path: 'stages', hint: 'One stage per line: percentage, hours to hold it. Percentages must rise; the last is usually 100.' });
  const sync = () => {
    startField.hidden = template.value !== 'double';
    customField.hidden = template.value !== 'custom';
  };
  template.addEventListener('change', sync);
  sync();

  const form = h(
    'form',
    { novalidate: true },
    errorSummary(),
    field('Schedule', template, { path: 'template' }),
    startField,
    customField,
    field('When unhealthy', onUnhealthy, { path: 'on_unhealthy' }),
    field('Reason', reason, { path: 'reason' }),
    h('button', { type: 'submit', class: 'btn btn-primary' }, plan ? 'Replace plan' : 'Set plan'),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    let stages;
    if (template.value === 'article') stages = ARTICLE_STAGES;
    else if (template.value === 'double') {
      const s = numberOrRaw(start.value);
      if (typeof s !== 'number' || s <= 0 || s > 100) {
        showErrors(form, [{ path: 'start', message: 'Enter a start percentage above 0 and at most 100.' }]);
        return;
      }
      stages = doublingStages(s);
    } else stages = parseStages(custom.value);
    const body = { stages, on_unhealthy: onUnhealthy.value };
    busy(form, async () => {
      await page.mutate(
        plan ? 'Replace the rollout plan' : 'Set a rollout plan',
        async (flag) => {
          try {
            return await api.setPlan(flag.id, flag.version, body, reason.value);
          } catch (err) {
            throw notAvailable(err);
          }
        },
        { form, focus: 'plan' },
      );
    });
  });
  return h('details', { class: 'editor' }, h('summary', {}, plan ? 'Replace the plan' : 'Set a plan'), form);
}

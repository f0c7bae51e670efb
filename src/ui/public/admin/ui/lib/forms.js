// Puts the API's validation messages next to the fields they name.
// A control declares the API path(s) it edits in data-path ("rollout_percentage", or several
// separated by spaces). An issue's path ("allowed_users.3", "rules.0.conditions.1.values") goes
// to the control with the longest matching prefix; issues no control claims go to the form's
// summary, still with their path, so nothing the API says is lost.
import { h, replace } from './dom.js';

export function clearErrors(form) {
  for (const el of form.querySelectorAll('[aria-invalid="true"]')) el.removeAttribute('aria-invalid');
  for (const el of form.querySelectorAll('.field-error')) {
    el.hidden = true;
    el.textContent = '';
  }
  const summary = form.querySelector('.form-errors');
  if (summary) {
    summary.hidden = true;
    summary.replaceChildren();
  }
}

function pathsOf(control) {
  return (control.dataset.path ?? '').split(/\s+/).filter(Boolean);
}

function matches(prefix, path) {
  return path === prefix || path.startsWith(`${prefix}.`) || path.startsWith(`${prefix}[`);
}

/** Finds the control for an issue path: the longest declared prefix wins. */
export function controlFor(form, path) {
  let best = null;
  let bestLength = -1;
  for (const control of form.querySelectorAll('[data-path]')) {
    for (const prefix of pathsOf(control)) {
      if (matches(prefix, path) && prefix.length > bestLength) {
        best = control;
        bestLength = prefix.length;
      }
    }
  }
  return best;
}

/**
 * Shows issues ([{ path, message }]) and a general message. Returns the first invalid control
 * (focused, so keyboard users land on the problem).
 */
export function showErrors(form, issues, generalMessage) {
  clearErrors(form);
  const unclaimed = [];
  let first = null;
  for (const issue of issues) {
    const control = issue.path ? controlFor(form, issue.path) : null;
    if (!control) {
      unclaimed.push(issue);
      continue;
    }
    control.setAttribute('aria-invalid', 'true');
    const slot = document.getElementById(`${control.id}-error`);
    if (slot) {
      const exact = pathsOf(control).includes(issue.path);
      const text = exact ? issue.message : `${issue.path}: ${issue.message}`;
      slot.textContent = slot.textContent ? `${slot.textContent} ${text}` : text;
      slot.hidden = false;
    }
    first ??= control;
  }
  const summary = form.querySelector('.form-errors');
  if (summary && (generalMessage || unclaimed.length > 0)) {
    replace(
      summary,
      generalMessage ? h('p', {}, generalMessage) : null,
      unclaimed.length > 0
        ? h('ul', {}, unclaimed.map((i) => h('li', {}, i.path ? h('code', {}, i.path) : null, i.path ? ': ' : null, i.message)))
        : null,
    );
    summary.hidden = false;
  }
  if (first) first.focus();
  else if (summary && !summary.hidden) summary.focus();
  return first;
}

/** The summary box a form uses for messages that belong to no single field. */
export function errorSummary() {
  return h('div', { class: 'form-errors', role: 'alert', tabindex: '-1', hidden: true });
}

/** Disables a form's submit buttons while a request is in flight. */
export async function busy(form, work) {
  const buttons = [...form.querySelectorAll('button')];
  const wasDisabled = buttons.map((b) => b.disabled);
  buttons.forEach((b) => (b.disabled = true));
  form.setAttribute('aria-busy', 'true');
  try {
    return await work();
  } finally {
    buttons.forEach((b, i) => (b.disabled = wasDisabled[i]));
    form.removeAttribute('aria-busy');
  }
}

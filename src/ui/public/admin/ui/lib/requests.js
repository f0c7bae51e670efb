// Change requests (issue 16) in words and as actions: what a request changes, where it stands,
// and the approve / reject / cancel buttons the signed-in person may use on it.
import { api } from '../api.js';
import { h } from './dom.js';
import { confirmDialog } from './dialog.js';
import { formatDate, percent } from './format.js';
import { session } from '../session.js';

/** "Set rollout to 50%", "Edit rollout percentage, owner", … */
export function describeChange(change) {
  switch (change?.kind) {
    case 'patch':
      return `Edit ${Object.keys(change.patch ?? {}).join(', ').replace(/_/g, ' ') || 'fields'}${patchValue(change.patch)}`;
    case 'rollout':
      return `Set rollout to ${percent(change.percentage)}`;
    case 'archive':
      return 'Archive the flag';
    case 'revert':
      return `Revert to version ${change.version}`;
    case 'plan_set':
      return 'Set the rollout plan';
    case 'plan_control':
      return `${String(change.command).replace(/^./, (c) => c.toUpperCase())} the rollout plan`;
    default:
      return 'Change';
  }
}

/** A one-field patch of a simple value says what it sets: "Edit enabled → false". */
function patchValue(patch) {
  const entries = Object.entries(patch ?? {});
  if (entries.length !== 1) return '';
  const value = entries[0][1];
  if (typeof value === 'number' && entries[0][0] === 'rollout_percentage') return ` → ${percent(value)}`;
  return ['string', 'number', 'boolean'].includes(typeof value) ? ` → ${String(value)}` : '';
}

export const STATUS_WORDS = {
  pending: 'waiting for approval',
  scheduled: 'scheduled',
  applied: 'applied',
  rejected: 'rejected',
  cancelled: 'cancelled',
  failed: 'failed',
};

/** What a held write's toast says. */
export function heldWords(request) {
  if (request.status === 'pending') return `waiting for an admin's approval (${request.id})`;
  return `scheduled for ${formatDate(request.apply_at)} (${request.id})`;
}

/** The buttons `session` may use on `request`; `done(answer)` gets the API's answer. */
export function requestActions(request, { done, fail }) {
  const mine = request.author === session.name;
  const open = ['pending', 'scheduled'].includes(request.status);
  const buttons = [];
  if (request.status === 'pending' && session.canApprove && !mine) {
    buttons.push(actionButton(request, 'approve', 'Approve', done, fail), actionButton(request, 'reject', 'Reject', done, fail));
  }
  if (open && (mine || session.canApprove)) buttons.push(actionButton(request, 'cancel', 'Cancel request', done, fail));
  return buttons.length ? h('div', { class: 'request-actions' }, buttons) : null;
}

const PAST = { approve: 'Approved', reject: 'Rejected', cancel: 'Cancelled' };

function actionButton(request, action, label, done, fail) {
  const open = async () => {
    let answer;
    const result = await confirmDialog({
      title: `${label} ${request.id}?`,
      body: h('p', {}, `${describeChange(request.change)}, asked by ${request.author}.`),
      confirmLabel: label,
      danger: action !== 'approve',
      onConfirm: async ({ reason }) => {
        answer = await api.actOnRequest(request.id, action, reason);
      },
    });
    if (!result) return;
    if (result.error) await fail(result.error, `${label} ${request.id}`);
    else await done(answer, `${PAST[action]} ${request.id}`);
  };
  return h('button', { type: 'button', class: `btn btn-small${action === 'approve' ? ' btn-primary' : ''}`, onclick: open, 'aria-label': `${label} ${request.id}` }, label);
}

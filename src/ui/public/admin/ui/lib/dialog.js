// Modal confirmation with an optional reason, built on <dialog> (focus trap, Escape to cancel
// and focus return come from the browser).
import { field, h } from './dom.js';
import { errorSummary, showErrors } from './forms.js';

/**
 * Opens a dialog and resolves with { reason, values } when confirmed, or null when cancelled.
 * `onConfirm(result)` may run the request: a validation error (400) keeps the dialog open with
 * the messages next to their fields; any other error closes it and comes back as `error` in the
 * result, for the page to report (a 412 conflict, say).
 *
 * @param {{ title: string, body?: Node|string, confirmLabel: string, danger?: boolean,
 *           reason?: 'required'|'optional'|false, reasonLabel?: string,
 *           fields?: Node[], collect?: (form: HTMLFormElement) => object,
 *           onConfirm?: (result: { reason: string, values: object }) => Promise<unknown> }} options
 */
export function confirmDialog(options) {
  const { title, body, confirmLabel, danger = false, reason = 'optional', reasonLabel = 'Reason', fields = [], collect, onConfirm } = options;
  return new Promise((resolve) => {
    const reasonInput = reason
      ? h('textarea', { name: 'reason', rows: '2', maxlength: '500', required: reason === 'required' })
      : null;
    const summary = errorSummary();
    const cancel = h('button', { type: 'button', class: 'btn', value: 'cancel' }, 'Cancel');
    const confirm = h('button', { type: 'submit', class: `btn ${danger ? 'btn-danger' : 'btn-primary'}` }, confirmLabel);
    const form = h(
      'form',
      { method: 'dialog', novalidate: true },
      h('h2', { class: 'dialog-title' }, title),
      body ? h('div', { class: 'dialog-body' }, body) : null,
      summary,
      ...fields,
      reasonInput
        ? field(reason === 'required' ? `${reasonLabel} (required)` : `${reasonLabel} (optional)`, reasonInput, {
            path: 'reason',
            hint: 'Recorded in the audit history and in notifications.',
          })
        : null,
      h('div', { class: 'dialog-actions' }, cancel, confirm),
    );
    const dialog = h('dialog', { class: 'dialog', 'aria-label': title }, form);
    let settled = false;
    const finish = (value) => {
      if (settled) return;
      settled = true;
      if (dialog.open) dialog.close();
      dialog.remove();
      resolve(value);
    };
    cancel.addEventListener('click', () => finish(null));
    dialog.addEventListener('cancel', (e) => {
      e.preventDefault();
      finish(null);
    });
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const result = { reason: reasonInput ? reasonInput.value.trim() : '', values: collect ? collect(form) : {} };
      if (reason === 'required' && !result.reason) {
        showErrors(form, [{ path: 'reason', message: 'Please say why; it goes into the audit history.' }]);
        return;
      }
      if (!onConfirm) return finish(result);
      confirm.disabled = true;
      cancel.disabled = true;
      try {
        await onConfirm(result);
        finish(result);
      } catch (err) {
        confirm.disabled = false;
        cancel.disabled = false;
        if (err && err.name === 'ApiError' && err.status === 400) {
          showErrors(form, err.issues, err.issues.length ? undefined : err.message);
        } else {
          // Conflicts and other failures are reported by the page; close so it can show them.
          finish({ ...result, error: err });
        }
      }
    });
    document.body.append(dialog);
    dialog.showModal();
    (reasonInput && fields.length === 0 ? reasonInput : form.querySelector('input, select, textarea, button[type=submit]'))?.focus();
  });
}

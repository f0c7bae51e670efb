// A tiny DOM builder. Text always goes in through text nodes, never innerHTML, so flag
// descriptions, reasons and history values can hold any characters safely.

let idCounter = 0;
/** A unique id for label/aria wiring. */
export function uid(prefix = 'id') {
  idCounter += 1;
  return `${prefix}-${idCounter}`;
}

/**
 * h('button', { class: 'btn', onclick: fn, 'aria-label': 'Close' }, 'Text', childNode, [more])
 * Attributes: `class`, `for`, `on<event>` handlers, `dataset` object, booleans (true → present,
 * false/null/undefined → absent), everything else via setAttribute. `value` and `checked` are set
 * as properties.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

const SVG_NS = 'http://www.w3.org/2000/svg';
/** Same as h() for SVG elements. */
export function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

function setAttrs(el, attrs) {
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2), value);
    } else if (key === 'dataset') {
      for (const [dk, dv] of Object.entries(value)) if (dv !== undefined && dv !== null) el.dataset[dk] = String(dv);
    } else if (key === 'value' || key === 'checked' || key === 'selected') {
      el[key] = value;
    } else if (value === true) {
      el.setAttribute(key, '');
    } else {
      el.setAttribute(key, String(value));
    }
  }
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** Replaces an element's content. */
export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

/** A section with a heading that can take focus after an action (for keyboard and screen readers). */
export function section(title, { id, className = 'card', level = 'h2' } = {}, ...children) {
  const headingId = uid('h');
  return h(
    'section',
    { class: className, 'aria-labelledby': headingId, id },
    h(level, { id: headingId, tabindex: '-1' }, title),
    ...children,
  );
}

/** A labelled form field: label, control, hint and an error slot wired with aria-describedby. */
export function field(label, control, { hint, path, className = 'field' } = {}) {
  const id = control.id || uid('f');
  control.id = id;
  const hintId = hint ? `${id}-hint` : null;
  const errorId = `${id}-error`;
  control.setAttribute('aria-describedby', [hintId, errorId].filter(Boolean).join(' '));
  if (path) control.dataset.path = path;
  const isCheck = control instanceof HTMLInputElement && (control.type === 'checkbox' || control.type === 'radio');
  const labelEl = h('label', { for: id }, label);
  return h(
    'div',
    { class: `${className}${isCheck ? ' field-check' : ''}` },
    isCheck ? [control, labelEl] : [labelEl, control],
    hint ? h('p', { class: 'hint', id: hintId }, hint) : null,
    h('p', { class: 'field-error', id: errorId, hidden: true }),
  );
}

/** A visually hidden element for screen-reader-only text. */
export const srOnly = (text) => h('span', { class: 'sr-only' }, text);

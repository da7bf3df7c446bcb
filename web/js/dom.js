// dom.js - building the page. Every string from the API goes in as text (a
// text node or textContent), never as HTML: there is no innerHTML in the app.
import { errorText } from './api.js';

// h('a', {href: '/x', class: 'tag', onclick: fn}, 'text', child, [more])
export function h(tag, props, ...kids) {
  const svg = tag.startsWith('svg:');
  const el = svg ? document.createElementNS('http://www.w3.org/2000/svg', tag.slice(4))
                 : document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v == null || v === false) continue;
    if (k === 'class') el.setAttribute('class', v);
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (!svg && (k === 'value' || k === 'checked' || k === 'disabled')) el[k] = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const kid of kids.flat(Infinity))
    if (kid != null && kid !== false) el.append(kid instanceof Node ? kid : String(kid));
  return el;
}

export function clear(el, ...kids) {
  el.replaceChildren();
  for (const kid of kids.flat(Infinity))
    if (kid != null && kid !== false) el.append(kid instanceof Node ? kid : String(kid));
  return el;
}

// A message for the next page drawn (app.js shows it at the top, once).
let flashText = null;
export function setFlash(text) { flashText = text; }
export function takeFlash() { const t = flashText; flashText = null; return t; }

// Say something to screen readers (the live region in index.html).
export function announce(text) {
  const region = document.getElementById('announcer');
  region.textContent = '';
  setTimeout(() => { region.textContent = text; }, 50);
}

const dateFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
export function fmtDate(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '—' : dateFmt.format(d);
}

export function fmtBytes(n) {
  if (n == null) return '—';
  const units = ['B', 'KB', 'MB', 'GB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return `${i ? n.toFixed(1) : n} ${units[i]}`;
}

// A job's type as people read it, on every page. "single" is one document processed while
// its request waited: a URL, or an upload of one file; "upload" is an upload of several.
export const JOB_TYPES = { single: 'Single document', upload: 'Upload', batch: 'Spreadsheet' };

export const STATUS_LABELS = {
  pending: 'Pending', processing: 'Processing', completed: 'Completed',
  partial: 'Partly failed', failed: 'Failed', cancelled: 'Cancelled',
};

export function badge(status) {
  return h('span', { class: `badge ${status}` }, STATUS_LABELS[status] || status);
}

// A snippet with [[highlighted]] words: <mark> elements around text nodes.
export function snippet(text) {
  const p = h('p', { class: 'snippet' });
  String(text).split(/(\[\[.*?\]\])/s).forEach((part) => {
    if (part.startsWith('[[') && part.endsWith(']]')) p.append(h('mark', null, part.slice(2, -2)));
    else if (part) p.append(part);
  });
  return p;
}

export function tagList(tags, { max = Infinity, scores = null, link = true } = {}) {
  const shown = max < tags.length ? tags.slice(0, max) : tags;
  const ul = h('ul', { class: 'tags', 'aria-label': 'Tags' });
  shown.forEach((t, i) => {
    const label = [t, scores && scores[i] != null ? h('span', { class: 'score' }, scores[i].toFixed(2)) : null];
    ul.append(h('li', null, link
      ? h('a', { class: 'tag', href: `/documents?tag=${encodeURIComponent(t.toLowerCase())}` }, label)
      : h('span', { class: 'tag' }, label)));
  });
  if (shown.length < tags.length)
    ul.append(h('li', null, h('span', { class: 'tag muted' }, `+${tags.length - shown.length} more`)));
  return ul;
}

export function emptyState(title, text, action) {
  return h('div', { class: 'empty card' }, h('h2', null, title), h('p', null, text), action || null);
}

export function errorState(err, retry) {
  return h('div', { class: 'error-state', role: 'alert' },
    h('p', null, errorText(err)),
    retry ? h('button', { type: 'button', onclick: retry }, 'Try again') : null);
}

// A modal dialog (native <dialog>: focus is kept inside, Escape closes it).
// Returns {dialog, body, close}; onclose runs once when it closes.
export function openDialog(title, { onclose } = {}) {
  const body = h('div', { class: 'dialog-body' });
  const heading = h('h2', { id: `dlg-${Date.now()}` }, title);
  const dialog = h('dialog', { 'aria-labelledby': heading.id },
    h('div', { class: 'dialog-head' }, heading,
      h('button', { type: 'button', class: 'close', 'aria-label': 'Close', onclick: () => dialog.close() }, '✕')),
    body);
  dialog.addEventListener('close', () => { dialog.remove(); if (onclose) onclose(); });
  document.body.append(dialog);
  dialog.showModal();
  return { dialog, body, heading, close: () => dialog.close() };
}

// A dialog showing "Loading…" until load() answers: {d, data}, or null once the error is shown.
export async function openDialogWith(title, load, opts) {
  const d = openDialog(title, opts);
  clear(d.body, h('p', { class: 'loading' }, 'Loading…'));
  try {
    return { d, data: await load() };
  } catch (e) {
    clear(d.body, errorState(e));
    return null;
  }
}

// The dialog a page's address names (?job=, ?doc=): open(id, {onchange, onclose}).
// Closing it takes the parameter off the address; after a change the page is redrawn.
export function dialogFromUrl(ctx, path, param, open) {
  const id = ctx.params.get(param);
  if (!id) return;
  let changed = false;
  open(id, {
    onchange: () => { changed = true; },
    onclose: () => {
      if (ctx.signal.aborted) return;
      const next = new URLSearchParams(ctx.params);
      next.delete(param);
      const url = `${path}${next.toString() ? `?${next}` : ''}`;
      if (changed) {
        ctx.navigate(url, { replace: true });
        return;
      }
      // Opened from the page (its entry says so): back from that entry; opened from a
      // link or a reload: the address without it.
      if (history.state && history.state.dialog === param) ctx.backTo(url);
      else ctx.replaceAddress(url);
      // Focus goes back to what opened it (drawn again with the page when it opened),
      // not to the top of the page.
      const opener = [...document.querySelectorAll(`[data-${param}]`)]
        .find((el) => el.dataset[param] === id)?.querySelector('button');
      if (opener) opener.focus();
    },
  });
}

// Ask before something that cannot be undone: resolves true or false.
export function confirmDialog(title, text, confirmLabel) {
  return new Promise((resolve) => {
    let answer = false;
    const d = openDialog(title, { onclose: () => resolve(answer) });
    d.dialog.setAttribute('role', 'alertdialog');
    d.body.append(h('p', null, text), h('div', { class: 'actions' },
      h('button', { type: 'button', class: 'danger', onclick: () => { answer = true; d.close(); } }, confirmLabel),
      h('button', { type: 'button', onclick: () => d.close() }, 'Keep it')));
    d.body.querySelector('button').focus();
  });
}

// A form field: label, input, hint and the error line tied to the input.
let fieldSeq = 0;
export function field(label, input, hint) {
  const id = input.id || (input.id = `f${++fieldSeq}`);
  const err = h('p', { class: 'error', id: `${id}-error`, 'aria-live': 'polite' });
  const described = [hint ? `${id}-hint` : null, err.id].filter(Boolean).join(' ');
  input.setAttribute('aria-describedby', described);
  const wrap = h('div', { class: 'field' }, h('label', { for: id }, label), input,
    hint ? h('p', { class: 'hint', id: `${id}-hint` }, hint) : null, err);
  wrap.setError = (msg) => {
    err.textContent = msg || '';
    if (msg) input.setAttribute('aria-invalid', 'true'); else input.removeAttribute('aria-invalid');
  };
  return wrap;
}

// Mark a button busy while fn runs; returns fn's result.
export async function busy(button, label, fn) {
  const text = button.textContent;
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  button.textContent = label;
  try {
    return await fn();
  } finally {
    // Disabled, the button lost the focus to the page: it gets it back, unless the
    // work moved it somewhere (a field in error, a new page).
    const lost = document.activeElement === document.body || document.activeElement === null;
    button.disabled = false;
    button.removeAttribute('aria-busy');
    button.textContent = text;
    if (lost && button.isConnected) button.focus();
  }
}

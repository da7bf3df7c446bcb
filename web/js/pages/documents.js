// documents.js - full-text search (query in the address), tag filter chips,
// document cards, and a document's detail dialog with Download.
import { api } from '../api.js';
import { h, clear, badge, fmtDate, fmtBytes, tagList, snippet, emptyState, errorState, openDialogWith, dialogFromUrl, confirmDialog, busy, setFlash } from '../dom.js';

const PAGE = 24;
const PREVIEW = 1000;
// The server reads a request line of up to 12 KiB: 1,000 characters of any
// script fit it percent-encoded (up to 12 bytes each), far more than a search needs.
const QUERY_MAX = 1000;

function card(doc, open) {
  const title = doc.title || doc.filename || doc.source_url || 'Untitled document';
  return h('article', { class: 'card doc-card', 'data-doc': doc.id },
    h('h3', null, h('button', { type: 'button', onclick: () => open(doc.id) }, title)),
    h('p', { class: 'source' }, doc.source_url || doc.filename || ''),
    doc.snippet ? snippet(doc.snippet) : null,
    doc.tags && doc.tags.length ? tagList(doc.tags, { max: 6 }) : null,
    h('div', { class: 'meta' }, badge(doc.status), doc.language ? h('span', null, doc.language.toUpperCase()) : null,
      h('span', null, fmtDate(doc.processed_at || doc.created_at))));
}

async function download(id, button) {
  const d = await busy(button, 'Preparing…', () => api(`/api/history/documents/${encodeURIComponent(id)}/download`));
  location.assign(d.url);
}

// The document's dialog; onchange runs after it was deleted.
export async function openDocument(id, { onchange, onclose } = {}) {
  const opened = await openDialogWith('Document', () => api(`/api/history/documents/${encodeURIComponent(id)}`), { onclose });
  if (!opened) return;
  const { d, data: doc } = opened;
  const m = doc.processing_metadata || {};
  d.heading.textContent = doc.title || doc.filename || doc.source_url || 'Untitled document';
  const text = doc.extracted_text || '';
  const pre = h('pre', { class: 'text', tabindex: 0, 'aria-label': 'Extracted text' }, text.slice(0, PREVIEW));
  const more = text.length > PREVIEW
    ? h('button', { type: 'button', class: 'link', onclick: (e) => { pre.textContent = text; e.target.remove(); pre.focus(); } }, `Show all (${text.length.toLocaleString()} characters)`)
    : null;
  const dl = h('button', { type: 'button', class: 'primary' }, 'Download');
  dl.addEventListener('click', () => download(doc.id, dl).catch((e) => d.body.prepend(errorState(e))));
  const del = h('button', { type: 'button', class: 'danger' }, 'Delete');
  del.addEventListener('click', async () => {
    if (!(await confirmDialog('Delete this document?', 'Its text, tags and stored file will be deleted.', 'Delete'))) return;
    try {
      await api(`/api/history/documents/${encodeURIComponent(doc.id)}`, { method: 'DELETE' });
      setFlash('The document was deleted.'); // shown and said with the page drawn again
      d.close();
      if (onchange) onchange();
    } catch (e) {
      d.body.prepend(errorState(e));
    }
  });
  const rows = [
    ['Status', badge(doc.status)], ['Source', doc.source_url || doc.filename], ['Language', doc.language],
    ['Pages', doc.page_count], ['Type', doc.mime_type], ['Size', doc.size_bytes != null ? fmtBytes(doc.size_bytes) : null],
    ['Author', m.author], ['Producer', m.producer], ['Created', m.created ? fmtDate(m.created) : null],
    ['Processed', fmtDate(doc.processed_at)],
    ['Processing time', m.processing_time != null ? `${(m.processing_time * 1000).toFixed(0)} ms` : null],
    ['SHA-256', doc.content_sha256],
  ].filter(([, v]) => v != null && v !== '');
  clear(d.body,
    doc.error_message ? h('div', { class: 'form-error', role: 'alert' }, h('strong', null, 'Processing failed: '), doc.error_message) : null,
    h('div', { class: 'actions' }, doc.status === 'completed' ? dl : null, del),
    h('section', null, h('h3', null, `Tags (${(doc.tags || []).length})`),
      doc.tags && doc.tags.length ? tagList(doc.tags, { scores: m.tag_scores }) : h('p', { class: 'muted' }, 'No tags.')),
    h('section', null, h('h3', null, 'Metadata'), h('dl', { class: 'meta-list' }, rows.map(([k, v]) => [h('dt', null, k), h('dd', null, v)]))),
    text ? h('section', null, h('h3', null, 'Text'), pre, more) : null);
}

// A document's statuses, as the filter offers them.
const DOC_STATUSES = { '': 'Any status', completed: 'Completed', failed: 'Failed', pending: 'Pending', processing: 'Processing' };
const DATE = /^\d{4}-\d{2}-\d{2}$/;

// The start of a YYYY-MM-DD day (plus days) where the browser is, as an ISO time with its
// offset: 2026-11-29 in Los Angeles is 2026-11-29T00:00:00-08:00. The cards show local
// dates; a bare date would be a UTC day to the API (a document of 06:15 UTC on Nov 30,
// shown "Nov 29" there, was not found by From = To = Nov 29). A day whose midnight the
// clocks skip starts at the first hour it has.
function localDayStart(d, plus = 0) {
  const [y, m, day] = d.split('-').map(Number);
  const t = new Date(y, m - 1, day + plus);
  const pad = (n) => String(n).padStart(2, '0');
  const off = -Math.round(t.getTimezoneOffset());
  const zone = `${off < 0 ? '-' : '+'}${pad(Math.trunc(Math.abs(off) / 60))}:${pad(Math.abs(off) % 60)}`;
  return `${String(t.getFullYear()).padStart(4, '0')}-${pad(t.getMonth() + 1)}-${pad(t.getDate())}`
    + `T${pad(t.getHours())}:${pad(t.getMinutes())}:${pad(t.getSeconds())}${zone}`;
}

// Status, language and dates: one row of fields; a change shows the first page of the result.
function filtersForm(params, go) {
  const status = h('select', { name: 'status', id: 'doc-status' },
    Object.entries(DOC_STATUSES).map(([v, text]) => h('option', { value: v }, text)));
  status.value = DOC_STATUSES[params.get('status')] ? params.get('status') : '';
  const lang = h('input', { type: 'text', name: 'lang', id: 'doc-lang', value: params.get('lang') || '', maxlength: 3,
    placeholder: 'en', autocomplete: 'off', spellcheck: 'false', pattern: '[A-Za-z]{2,3}', size: 4, title: 'A language code of two or three letters, such as en' });
  const from = h('input', { type: 'date', name: 'from', id: 'doc-from', value: params.get('from') || '' });
  const to = h('input', { type: 'date', name: 'to', id: 'doc-to', value: params.get('to') || '' });
  const form = h('form', { class: 'row filters', 'aria-label': 'Filters' },
    h('div', { class: 'field' }, h('label', { for: status.id }, 'Status'), status),
    h('div', { class: 'field' }, h('label', { for: lang.id }, 'Language'), lang),
    h('div', { class: 'field' }, h('label', { for: from.id }, 'From'), from),
    h('div', { class: 'field' }, h('label', { for: to.id }, 'To'), to));
  const apply = () => {
    if (lang.value && !lang.checkValidity()) { lang.reportValidity(); return; }
    // A date typed digit by digit changes with each one ("0002-11-29" on the way to 2026):
    // applied once it is a year the documents can have.
    for (const el of [from, to])
      if (el.value && Number(el.value.slice(0, 4)) < 1970) return;
    to.setCustomValidity(from.value && to.value && to.value < from.value ? 'The end is before the start.' : '');
    if (!to.checkValidity()) { to.reportValidity(); return; }
    const next = new URLSearchParams(params);
    next.delete('page');
    next.delete('doc');
    for (const el of [status, lang, from, to]) {
      const v = el.value.trim().toLowerCase();
      if (v) next.set(el.name, v); else next.delete(el.name);
    }
    if (next.toString() !== new URLSearchParams(location.search).toString()) go(next);
  };
  form.addEventListener('change', apply);
  // Enter in the language field applies it (a form of several fields and no button is
  // not submitted by Enter).
  lang.addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); apply(); } });
  return form;
}

export async function documentsPage(main, ctx) {
  const { params, signal, navigate } = ctx;
  const query = (params.get('q') || '').trim();
  const tags = params.getAll('tag');
  const page = Math.max(1, parseInt(params.get('page'), 10) || 1);
  const q = new URLSearchParams({ limit: PAGE, offset: (page - 1) * PAGE });
  tags.forEach((t) => q.append('tag', t));
  if (query) q.set('query', query);
  // The filters, as the API takes them (an address edited by hand is the API's to refuse).
  const status = params.get('status'), lang = params.get('lang');
  const from = params.get('from'), to = params.get('to');
  if (status) q.set('status', status);
  if (lang) q.set('lang', lang);
  // The page's days are the user's local days; the API's `to` is exclusive, the page's "To"
  // is not: it ends where the next day starts.
  if (from) {
    const start = DATE.test(from) ? localDayStart(from) : from;
    // 1970-01-01 east of UTC starts before the API's first day: the same as no start.
    if (start === from || Date.parse(start) >= 0) q.set('from', start);
  }
  if (to) q.set('to', DATE.test(to) ? localDayStart(to, 1) : to);
  const filtered = Boolean(status || lang || from || to);
  const [data, facets] = await Promise.all([
    api(`/api/history/documents${query ? '/search' : ''}?${q}`, { signal }),
    api('/api/history/tags?limit=20', { signal }),
  ]);
  const go = (next, opts) => navigate(`/documents${next.toString() ? `?${next}` : ''}`, opts);
  // Past the last page (the last document of a page deleted, an old link): the last one.
  const last = Math.max(1, Math.ceil(data.total / PAGE));
  if (!data.documents.length && page > last) {
    const next = new URLSearchParams(params);
    if (last > 1) next.set('page', last); else next.delete('page');
    go(next, { replace: true });
    return;
  }

  const input = h('input', { type: 'search', name: 'q', id: 'search-q', value: query, placeholder: 'Words, "a phrase", -exclude, tech*', autocomplete: 'off', maxlength: QUERY_MAX });
  const form = h('form', { role: 'search', class: 'row' },
    h('div', { class: 'field' }, h('label', { for: 'search-q' }, 'Search documents'), input),
    h('div', { class: 'field' }, h('button', { type: 'submit', class: 'primary' }, 'Search')));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const next = new URLSearchParams();
    if (input.value.trim()) next.set('q', input.value.trim());
    tags.forEach((t) => next.append('tag', t));
    for (const k of ['status', 'lang', 'from', 'to']) if (params.get(k)) next.set(k, params.get(k));
    go(next);
  });

  // Tags match in any case (the API's filter does): ?tag=ADRESSE is the chip "adresse".
  const same = (a, b) => a.toLowerCase() === b.toLowerCase();
  const chipTags = facets.tags.map((t) => t.tag);
  tags.forEach((t) => { if (!chipTags.some((c) => same(c, t))) chipTags.unshift(t); });
  const chips = h('div', { class: 'chips', role: 'group', 'aria-label': 'Filter by tag' },
    chipTags.map((t) => {
      const on = tags.some((x) => same(x, t));
      const count = facets.tags.find((f) => f.tag === t)?.count;
      return h('button', { type: 'button', class: 'chip', 'aria-pressed': String(on), onclick: () => {
        const next = new URLSearchParams();
        if (query) next.set('q', query);
        (on ? tags.filter((x) => !same(x, t)) : tags.concat(t)).forEach((x) => next.append('tag', x));
        for (const k of ['status', 'lang', 'from', 'to']) if (params.get(k)) next.set(k, params.get(k));
        go(next);
      } }, t, count != null ? h('span', { class: 'visually-hidden' }, ` (${count} document${count === 1 ? '' : 's'})`) : null);
    }));

  // A search counts its ranked window: at the cap, more documents may match.
  const total = data.total_capped ? `${data.total}+` : `${data.total}`;
  let body;
  if (!data.documents.length) {
    body = query || tags.length || filtered
      ? emptyState('No documents found', query ? `Nothing matches “${query}”${tags.length || filtered ? ' with these filters' : ''}.`
        : tags.length ? 'No document has all these tags.' : 'No document matches these filters.',
        h('a', { class: 'button', href: '/documents' }, 'Clear the search'))
      : emptyState('No documents yet', 'Documents you process show up here, searchable by their text and tags.',
        h('a', { class: 'button primary', href: '/new' }, 'Process a document'));
  } else {
    const from = data.offset + 1, to = data.offset + data.documents.length;
    const pageLink = (n) => { const next = new URLSearchParams(params); next.delete('doc'); if (n > 1) next.set('page', n); else next.delete('page'); return next; };
    body = [
      h('section', { class: 'grid docs', 'aria-label': 'Documents' }, data.documents.map((doc) => card(doc, (id) => {
        const next = new URLSearchParams(params);
        next.set('doc', id);
        go(next, { state: { dialog: 'doc' } });
      }))),
      h('nav', { class: 'pager', 'aria-label': 'Pages' },
        h('span', { class: 'muted' }, `${from}–${to} of ${total}`),
        h('span', { class: 'actions' },
          h('button', { type: 'button', disabled: page <= 1, onclick: () => go(pageLink(page - 1)) }, 'Previous'),
          h('button', { type: 'button', disabled: to >= data.total, onclick: () => go(pageLink(page + 1)) }, 'Next'))),
    ];
  }
  // The count is said by app.js after a search or a filter (data-summary).
  const empty = data.documents.length ? null : query || tags.length || filtered ? 'No documents found' : 'No documents yet';
  clear(main, h('div', { class: 'page-head' }, h('div', null, h('h1', null, 'Documents'),
    h('p', { class: 'muted', 'data-summary': empty || '' }, query ? `${total} result${data.total === 1 ? '' : 's'} for “${query}”` : `${total} document${data.total === 1 ? '' : 's'}`))),
  form, filtersForm(params, go), chipTags.length ? chips : null, body);

  dialogFromUrl(ctx, '/documents', 'doc', openDocument);
}

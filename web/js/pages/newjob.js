// newjob.js - submit documents three ways (a URL, files, a spreadsheet of
// links) and watch them being processed. The home page of anonymous visitors.
import { api, upload, jobEvents, user, rememberAnonymousJob, errorText } from '../api.js';
import { h, clear, field, busy, badge, tagList, announce, fmtBytes, errorState, STATUS_LABELS } from '../dom.js';

const MAX_TAGS_DEFAULT = 10;

// Languages and max tags, shared by the three ways in.
function optionsBox() {
  const langs = h('input', { name: 'languages', type: 'text', placeholder: 'en, fr', autocomplete: 'off', spellcheck: 'false' });
  const maxTags = h('input', { name: 'max_tags', type: 'number', min: 1, max: 100, value: String(MAX_TAGS_DEFAULT) });
  const langField = field('Languages', langs, 'Optional: ISO 639-1 codes the documents may be in, separated by commas.');
  const tagsField = field('Max tags', maxTags, 'Between 1 and 100.');
  const box = h('fieldset', { class: 'card' }, h('legend', { class: 'visually-hidden' }, 'Options'), h('div', { class: 'row top' }, langField, tagsField));
  // Valid options, or null after showing what is wrong.
  box.read = () => {
    const codes = langs.value.split(/[\s,]+/).filter(Boolean).map((c) => c.toLowerCase());
    const badCode = codes.find((c) => !/^[a-z]{2}$/.test(c));
    langField.setError(badCode ? `"${badCode}" is not a two-letter language code.` : '');
    const n = Number(maxTags.value);
    const badN = !Number.isInteger(n) || n < 1 || n > 100;
    tagsField.setError(badN ? 'Choose a whole number between 1 and 100.' : '');
    if (badCode || badN) return null;
    return { languages: codes, max_tags: n };
  };
  box.showError = (err) => {
    if (err.field === 'languages') { langField.setError(err.message); return true; }
    if (err.field === 'max_tags') { tagsField.setError(err.message); return true; }
    return false;
  };
  return box;
}

function invite() {
  return h('div', { class: 'invite' }, h('strong', null, 'Want to keep these results? '),
    h('a', { href: '/register' }, 'Create a free account'), ' or ', h('a', { href: '/login' }, 'sign in'),
    ' now: they move into your account, where you can search them and see your history.'
    + ' Otherwise they are deleted after 24 hours.');
}

// One processed document: the answer of process-single or upload.
function resultCard(d) {
  rememberAnonymousJob(d.job_id);
  const m = d.metadata || {};
  const title = m.title || m.filename || m.source_url || 'Document';
  return h('article', { class: 'card result' },
    h('div', { class: 'page-head' }, h('h2', null, title), badge(d.status || 'completed')),
    h('p', { class: 'muted small' }, [m.language_detected ? `Language: ${m.language_detected}` : null,
      m.page_count ? `${m.page_count} pages` : null, m.size_bytes ? fmtBytes(m.size_bytes) : null,
      m.processing_time != null ? `processed in ${(m.processing_time * 1000).toFixed(0)} ms` : null].filter(Boolean).join(' · ')),
    d.tags && d.tags.length ? tagList(d.tags, { scores: m.tag_scores, link: !!user() }) : h('p', null, 'No tags were found.'),
    d.document_id && user() ? h('p', null, h('a', { href: `/documents?doc=${encodeURIComponent(d.document_id)}` }, 'Open in Documents')) : null,
    user() ? null : invite());
}

// A document that was fetched (or not) but could not be processed: it is recorded, failed,
// with its reason - the address itself was fine.
function failedCard(err) {
  rememberAnonymousJob(err.jobId);
  return h('article', { class: 'card result', role: 'alert' },
    h('div', { class: 'page-head' }, h('h2', null, 'Processing failed'), badge('failed')),
    h('p', null, err.message),
    user() ? h('p', null, h('a', { href: `/documents?doc=${encodeURIComponent(err.documentId)}` }, 'Open in Documents')) : null);
}

// The live list shows a job's first documents (in the job's order) as they finish.
const LIVE_MAX = 100;

// Live progress of a job from its event stream, with results as they finish.
async function followJob(out, jobId, signal) {
  rememberAnonymousJob(jobId);
  const bar = h('progress', { max: 1, value: 0, 'aria-label': 'Job progress' });
  const counts = h('p', { class: 'counts', role: 'status', 'aria-live': 'polite' }, 'Starting…');
  const list = h('ul', { class: 'results', 'aria-label': 'Results' });
  const shown = new Set();
  const box = h('section', { class: 'card progress', 'aria-label': 'Progress' },
    h('h2', null, 'Processing'), bar, counts, list);
  clear(out, box);
  let total = 0, lastDone = -1, pulling = null, again = false;
  const pull = async () => {
    if (shown.size >= Math.min(total, LIVE_MAX)) return;
    const st = await api(`/api/process/batch-status/${encodeURIComponent(jobId)}?limit=${LIVE_MAX}`, { signal });
    for (const r of st.results) {
      if (shown.has(r.document_id) || (r.status !== 'completed' && r.status !== 'failed')) continue;
      shown.add(r.document_id);
      list.append(h('li', null, h('div', { class: 'actions' }, badge(r.status),
        h('strong', null, r.title || r.filename || r.url || 'Document'),
        r.language ? h('span', { class: 'muted small' }, r.language) : null),
      r.error ? h('p', { class: 'error' }, r.error) : null,
      r.tags && r.tags.length ? tagList(r.tags, { max: 6, link: !!user() }) : null));
    }
  };
  // At most one status request a second, however fast documents finish.
  const schedule = () => {
    if (pulling) { again = true; return; }
    pulling = (async () => {
      do {
        again = false;
        await pull();
        if (again) await new Promise((r) => setTimeout(r, 1000));
      } while (again && !signal.aborted);
    })().catch(() => {}).finally(() => { pulling = null; });
  };
  const update = (d) => {
    const done = d.completed + d.failed;
    total = d.total;
    bar.max = Math.max(d.total, 1);
    bar.value = done;
    bar.setAttribute('aria-valuetext', `${done} of ${d.total}`);
    counts.textContent = `${done} of ${d.total} processed · ${d.completed} completed · ${d.failed} failed · ${STATUS_LABELS[d.status] || d.status}`;
    if (done !== lastDone) {
      lastDone = done;
      schedule();
    }
  };
  try {
    await jobEvents(jobId, (name, d) => {
      update(d);
      if (name === 'done' && d.status === 'cancelled') {
        // Its documents not processed yet were stopped: they count as failed.
        box.querySelector('h2').textContent = 'Cancelled';
        announce(`Job cancelled: ${d.completed} completed, ${d.failed} failed or stopped.`);
      } else if (name === 'done') {
        box.querySelector('h2').textContent = d.failed ? 'Finished with failures' : 'Finished';
        announce(`Job finished: ${d.completed} completed, ${d.failed} failed.`);
      }
    }, signal);
  } catch (e) {
    if (signal.aborted) return;
    box.querySelector('h2').textContent = 'Progress unavailable';
    box.append(errorState(e));
  }
  while (pulling) await pulling;
  await pull().catch(() => {});
  if (signal.aborted) return;
  if (total > LIVE_MAX) box.append(h('p', { class: 'muted small' }, `The list shows the first ${LIVE_MAX} of the ${total} documents.`));
  box.append(user() ? h('p', null, h('a', { href: `/history?job=${encodeURIComponent(jobId)}` }, 'See this job in History'))
    : invite());
}

function urlPanel(opts, out, signal) {
  const url = h('input', { name: 'url', type: 'url', required: true, placeholder: 'https://example.com/report.pdf', autocomplete: 'url' });
  const f = field('Document URL', url, 'A PDF, EPUB, Word, OpenDocument, HTML or text document.');
  const button = h('button', { type: 'submit', class: 'primary' }, 'Process');
  const form = h('form', { novalidate: true }, f, h('div', { class: 'actions' }, button));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    let u;
    try { u = new URL(url.value.trim()); } catch { u = null; }
    if (!u || !/^https?:$/.test(u.protocol)) {
      f.setError('Enter a web address starting with http:// or https://.');
      url.focus();
      return;
    }
    f.setError('');
    const o = opts.read();
    if (!o) return;
    clear(out);
    try {
      const d = await busy(button, 'Processing…', () => api('/api/process/process-single', {
        method: 'POST', body: { url: u.href, ...o }, signal }));
      clear(out, resultCard(d));
      announce('The document was processed.');
    } catch (err) {
      if (err.name === 'AbortError') return;
      if (err.documentId) clear(out, failedCard(err));
      else if (opts.showError(err)) return; // languages or max_tags: shown by its field
      else if (err.field === 'url' || (err.status === 422 && !err.field)) f.setError(err.message);
      else clear(out, h('div', { class: 'form-error', role: 'alert' }, errorText(err)));
    }
  });
  return form;
}

function filesPanel(opts, out, signal) {
  let files = [];
  const input = h('input', { type: 'file', multiple: true, id: 'files-input', class: 'visually-hidden' });
  const list = h('ul', { class: 'files', 'aria-label': 'Chosen files' });
  const error = h('div', { class: 'form-error', role: 'alert' });
  const button = h('button', { type: 'submit', class: 'primary', disabled: true }, 'Upload and process');
  const drop = h('div', { class: 'drop' },
    h('p', null, 'Drop files here, or'),
    h('label', { for: 'files-input', class: 'button' }, 'Choose files'), input,
    h('p', { class: 'muted small' }, 'Several at once; up to 20 files.'));
  const draw = () => {
    clear(list, files.map((f) => {
      f.bar = h('progress', { max: f.size || 1, value: 0, 'aria-label': `Upload of ${f.name}` });
      return h('li', null, h('span', null, f.name), h('span', { class: 'muted small' }, fmtBytes(f.size)), f.bar);
    }));
    button.disabled = files.length === 0;
  };
  // Files already sent stay listed with full bars until new ones are chosen, which start a
  // new list (they were sent again with the new ones).
  let sent = false;
  const add = (fl) => {
    if (sent) files = [];
    sent = false;
    const all = files.concat([...fl]);
    files = all.slice(0, 20);
    const left = all.length - 20;
    error.textContent = left > 0 ? `An upload takes 20 files at most: ${left} of those chosen ${left === 1 ? 'was' : 'were'} left out.` : '';
    draw();
  };
  input.addEventListener('change', () => { add(input.files); input.value = ''; });
  drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => { e.preventDefault(); drop.classList.remove('over'); add(e.dataTransfer.files); });
  const form = h('form', null, error, drop, list, h('div', { class: 'actions' }, button));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    error.textContent = '';
    const o = opts.read();
    if (!o || !files.length) return;
    const fd = new FormData();
    fd.append('languages', o.languages.join(','));
    fd.append('max_tags', String(o.max_tags));
    files.forEach((f) => fd.append('file', f, f.name));
    // The parts go in order: the share of the body sent so far says how far each file
    // is (the form's own bytes, a few hundred, spread over the files).
    const sum = files.reduce((n, f) => n + f.size, 0);
    const onProgress = (loaded, total) => {
      const sent = total ? (loaded / total) * sum : 0;
      let start = 0;
      for (const f of files) {
        f.bar.value = f.size ? Math.max(0, Math.min(f.size, sent - start)) : Number(sent >= start);
        start += f.size;
      }
    };
    clear(out);
    try {
      const d = await busy(button, 'Uploading…', () => upload('/api/process/upload', fd, onProgress));
      files.forEach((f) => { f.bar.value = f.bar.max; });
      sent = true;
      if (d.tags) clear(out, resultCard(d));
      else await followJob(out, d.job_id, signal);
    } catch (err) {
      if (err.documentId) {
        // One file, processed at once, that failed: its result, as the URL tab shows one
        // (and remembered to be claimed); the next files chosen start a new list.
        files.forEach((f) => { f.bar.value = f.bar.max; });
        sent = true;
        clear(out, failedCard(err));
      } else if (!opts.showError(err)) {
        error.textContent = errorText(err);
      }
    }
    button.disabled = sent || files.length === 0;
  });
  return form;
}

// The "column with the links" field: a choice among the columns the server found in a
// spreadsheet's header row (read(source, where): a File or a URL; its errors go to where),
// or a text field while there are none. The element is box; value() is the column.
function columnPicker(signal) {
  const select = h('select', { name: 'url_column', id: 'sheet-column-select' });
  const text = h('input', { type: 'text', name: 'url_column', value: 'url', id: 'sheet-column-text' });
  const box = h('div');
  let current, asked = 0;
  const show = (found) => {
    if (found && found.columns.length) {
      clear(select, found.columns.map((c) => h('option', { value: c.is_link ? c.letter : c.name },
        c.is_link ? `Column ${c.letter} (links, no header row)` : c.name === c.letter ? `Column ${c.letter}` : `${c.name} (column ${c.letter})`)));
      if (found.suggested) select.value = found.suggested;
      const n = found.columns.length;
      current = field('Column with the links', select, `${n} column${n === 1 ? '' : 's'} in the ${found.format.toUpperCase()} file's header row.`);
    } else {
      current = field('Column with the links', text, 'Its header, or its letter (B).');
    }
    clear(box, current);
  };
  show(null);
  return {
    box,
    value: () => current.querySelector('input, select').value.trim(),
    setError: (msg) => current.setError(msg),
    // Forget the columns (and any answer still on its way: it is for another source).
    reset: () => { asked++; show(null); },
    async read(source, where) {
      const ask = ++asked;
      where.setError('');
      show(null);
      try {
        let found;
        if (source instanceof File) {
          const fd = new FormData();
          fd.append('file', source);
          found = await upload('/api/process/spreadsheet-columns', fd, () => {});
        } else {
          found = await api('/api/process/spreadsheet-columns', { method: 'POST', body: { spreadsheet_url: source }, signal });
        }
        if (ask === asked) show(found);
      } catch (err) {
        if (ask === asked && err.name !== 'AbortError') where.setError(err.message);
      }
    },
  };
}

function sheetPanel(opts, out, signal) {
  const fileInput = h('input', { type: 'file', name: 'file', accept: '.csv,.xlsx,.ods,text/csv' });
  const urlInput = h('input', { type: 'url', name: 'spreadsheet_url', placeholder: 'https://example.com/links.csv' });
  const fileField = field('Spreadsheet file', fileInput, 'CSV, XLSX or ODS.');
  const urlField = field('Spreadsheet URL', urlInput);
  const modeFile = h('input', { type: 'radio', name: 'sheet-source', value: 'file', id: 'sheet-file', checked: true });
  const modeUrl = h('input', { type: 'radio', name: 'sheet-source', value: 'url', id: 'sheet-url' });
  const column = columnPicker(signal);
  const error = h('div', { class: 'form-error', role: 'alert' });
  const button = h('button', { type: 'submit', class: 'primary' }, 'Start batch');
  const isUrl = (u) => /^https?:\/\//i.test(u);
  const sync = () => {
    column.reset();
    fileField.setError('');
    urlField.setError('');
    fileField.hidden = !modeFile.checked;
    urlField.hidden = !modeUrl.checked;
    if (modeFile.checked && fileInput.files[0]) column.read(fileInput.files[0], fileField);
    if (modeUrl.checked && urlInput.value.trim()) column.read(urlInput.value.trim(), urlField);
  };
  modeFile.addEventListener('change', sync);
  modeUrl.addEventListener('change', sync);
  fileInput.addEventListener('change', () => { if (fileInput.files[0]) column.read(fileInput.files[0], fileField); });
  urlInput.addEventListener('change', () => { if (isUrl(urlInput.value.trim())) column.read(urlInput.value.trim(), urlField); });
  sync();
  const form = h('form', { novalidate: true }, error,
    h('fieldset', { class: 'row' }, h('legend', null, 'Spreadsheet from'),
      h('label', { for: 'sheet-file' }, modeFile, ' an uploaded file'), h('label', { for: 'sheet-url' }, modeUrl, ' a URL')),
    fileField, urlField, column.box, h('div', { class: 'actions' }, button));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    error.textContent = '';
    const o = opts.read();
    const col = column.value();
    column.setError(col ? '' : 'Name the column that holds the links.');
    // Only the source in use is checked; the hidden one keeps no error to block with.
    const bad = modeFile.checked
      ? (fileInput.files[0] ? '' : 'Choose a spreadsheet file.')
      : (isUrl(urlInput.value.trim()) ? '' : 'Enter a web address starting with http:// or https://.');
    (modeFile.checked ? fileField : urlField).setError(bad);
    (modeFile.checked ? urlField : fileField).setError('');
    if (!o || !col || bad) return;
    clear(out);
    try {
      const d = await busy(button, 'Submitting…', () => {
        if (modeUrl.checked)
          return api('/api/process/process-batch', { method: 'POST', signal,
            body: { spreadsheet_url: urlInput.value.trim(), url_column: col, ...o } });
        const fd = new FormData();
        fd.append('url_column', col);
        fd.append('languages', o.languages.join(','));
        fd.append('max_tags', String(o.max_tags));
        fd.append('file', fileInput.files[0]);
        return upload('/api/process/process-batch', fd, () => {});
      });
      announce(`Batch started with ${d.total_documents} documents.`);
      await followJob(out, d.job_id, signal);
    } catch (err) {
      if (err.name === 'AbortError') return;
      if (err.field === 'url_column' || /column/.test(err.message)) column.setError(err.message);
      else if (!opts.showError(err)) error.textContent = errorText(err);
    }
  });
  return form;
}

export async function newJobPage(main, ctx) {
  const opts = optionsBox();
  const out = h('div', { class: 'output' });
  const panels = [
    ['url', 'From a URL', urlPanel(opts, out, ctx.signal)],
    ['files', 'Upload files', filesPanel(opts, out, ctx.signal)],
    ['sheet', 'Spreadsheet of links', sheetPanel(opts, out, ctx.signal)],
  ];
  const tabs = h('div', { class: 'tabs', role: 'tablist', 'aria-label': 'How to submit' });
  const select = (key, focus) => {
    for (const [k, , panel] of panels) {
      const tab = tabs.querySelector(`#tab-${k}`);
      tab.setAttribute('aria-selected', String(k === key));
      tab.tabIndex = k === key ? 0 : -1;
      panel.parentElement.hidden = k !== key;
      if (k === key && focus) tab.focus();
    }
    // The tab is in the address, so that a reload or a link keeps it (not a new page).
    const next = new URLSearchParams(location.search);
    if (key === 'url') next.delete('tab'); else next.set('tab', key);
    ctx.replaceAddress(`${location.pathname}${next.toString() ? `?${next}` : ''}`);
  };
  const wrapped = panels.map(([k, label, panel]) => {
    tabs.append(h('button', { type: 'button', role: 'tab', id: `tab-${k}`, 'aria-controls': `panel-${k}`, onclick: () => select(k) }, label));
    return h('div', { role: 'tabpanel', id: `panel-${k}`, 'aria-labelledby': `tab-${k}`, class: 'card' }, panel);
  });
  // The options are outside the three forms (shared by them): Enter in one of their fields
  // submits the form shown, as Enter in its own fields does - unless its button is disabled
  // (no files chosen yet, or it is already at work), as for those.
  opts.addEventListener('keydown', (e) => {
    if (e.key !== 'Enter' || e.isComposing || e.target.tagName !== 'INPUT') return;
    e.preventDefault();
    const form = panels.find((p) => !p[2].parentElement.hidden)[2];
    const button = form.querySelector('button[type=submit]');
    if (button && !button.disabled) form.requestSubmit(button);
  });
  tabs.addEventListener('keydown', (e) => {
    const keys = panels.map((p) => p[0]);
    const i = keys.indexOf(document.activeElement.id.replace('tab-', ''));
    if (e.key === 'ArrowRight') select(keys[(i + 1) % keys.length], true);
    if (e.key === 'ArrowLeft') select(keys[(i + keys.length - 1) % keys.length], true);
  });
  clear(main,
    h('div', { class: 'page-head' }, h('div', null, h('h1', null, 'New job'),
      h('p', { class: 'muted' }, 'Extract the text, language and keyword tags of your documents.'))),
    tabs, wrapped, h('div', { class: 'grid' }, opts), out);
  const tab = ctx.params.get('tab');
  select(panels.some((p) => p[0] === tab) ? tab : 'url');
}

// history.js - the jobs table (filters, sort, pages) and a job's detail dialog
// with its documents: retry failed, cancel running, delete.
import { api } from '../api.js';
import { h, clear, badge, fmtDate, tagList, emptyState, errorState, openDialogWith, dialogFromUrl, confirmDialog, busy, setFlash, STATUS_LABELS, JOB_TYPES } from '../dom.js';

const PAGE = 20;
// Documents per page of a job's dialog (the API's default page).
const PAGE_DOCS = 100;
// While a job of the page runs, the page is read again this often (ms).
const LIVE_MS = 2000;

// The type filter says what each type holds: a one-file upload is a "single" job, not an
// "upload" one, which a choice labelled "Upload" alone would let people expect.
const TYPE_CHOICES = { '': 'All types', single: 'Single document (a URL or one file)',
  upload: 'Upload of several files', batch: 'Spreadsheet of links' };

const isRunning = (j) => j.status === 'pending' || j.status === 'processing';
const docsCell = (j) => [`${j.processed_documents + j.failed_documents}/${j.total_documents}`,
  j.failed_documents ? h('span', { class: 'muted small' }, ` (${j.failed_documents} failed)`) : null];

// Running jobs' rows follow their progress in place (no redraw: focus and an open
// dialog stay), until none of the page's jobs runs or the page is left. A job that
// left the page's list (it ended under a status filter, newer ones pushed it off) is
// read by itself.
async function followRunning(query, tbody, jobs, signal) {
  const draw = (j) => {
    const tr = tbody.querySelector(`tr[data-job="${j.id}"]`);
    if (!tr) return;
    clear(tr.querySelector('.status'), badge(j.status));
    clear(tr.querySelector('.docs'), docsCell(j));
  };
  let running = new Set(jobs.filter(isRunning).map((j) => j.id));
  while (running.size && !signal.aborted) {
    await new Promise((r) => setTimeout(r, LIVE_MS));
    if (signal.aborted) return;
    if (document.hidden) continue;
    try {
      const listed = (await api(`/api/history/jobs?${query}`, { signal })).jobs;
      const seen = new Set(listed.map((j) => j.id));
      const gone = [...running].filter((id) => !seen.has(id));
      const alone = await Promise.all(gone.map((id) =>
        api(`/api/history/jobs/${encodeURIComponent(id)}?documents_limit=1`, { signal }).catch(() => null)));
      const fresh = [...listed, ...alone.filter(Boolean)];
      fresh.forEach(draw);
      running = new Set(fresh.filter((j) => running.has(j.id) && isRunning(j)).map((j) => j.id));
    } catch {
      return; // left, signed out, or the server is away: the page stays as it was
    }
  }
}

function select(name, label, options, value) {
  const el = h('select', { name, id: `filter-${name}` },
    Object.entries(options).map(([v, text]) => h('option', { value: v }, text)));
  el.value = value;
  return h('div', { class: 'field' }, h('label', { for: el.id }, label), el);
}

// The job's dialog; onchange runs after a delete, cancel or retry. While the job runs,
// its status, counts and actions follow it (read again every LIVE_MS).
export async function openJob(jobId, { onchange, onclose } = {}) {
  const opened = await openDialogWith('Job', () => api(`/api/history/jobs/${encodeURIComponent(jobId)}`), { onclose });
  if (!opened) return;
  const { d, data: job } = opened;
  d.heading.textContent = `${JOB_TYPES[job.job_type] || job.job_type} job`;
  const act = async (button, label, fn, message) => {
    try {
      await busy(button, label, fn);
      setFlash(message); // shown and said with the page drawn again
      d.close();
      if (onchange) onchange();
    } catch (e) {
      d.body.prepend(errorState(e));
    }
  };
  const actionsFor = (j) => {
    const actions = h('div', { class: 'actions' });
    // A cancelled job's stopped documents are failed too: retrying would undo the cancel (409).
    if (j.failed_documents > 0 && !isRunning(j) && j.status !== 'cancelled') {
      const b = h('button', { type: 'button' }, 'Retry failed');
      b.addEventListener('click', () => act(b, 'Retrying…', () => api(`/api/history/jobs/${j.id}/retry`, { method: 'POST', body: {} }), 'Failed documents were queued again.'));
      actions.append(b);
    }
    if (isRunning(j)) {
      const b = h('button', { type: 'button' }, 'Cancel job');
      b.addEventListener('click', () => act(b, 'Cancelling…', () => api(`/api/history/jobs/${j.id}/cancel`, { method: 'POST', body: {} }), 'The job was cancelled.'));
      actions.append(b);
    }
    const del = h('button', { type: 'button', class: 'danger' }, 'Delete job');
    del.addEventListener('click', async () => {
      if (!(await confirmDialog('Delete this job?', `Its ${j.total_documents} documents and their files will be deleted. This cannot be undone.`, 'Delete')))
        return;
      act(del, 'Deleting…', () => api(`/api/history/jobs/${j.id}`, { method: 'DELETE' }), 'The job was deleted.');
    });
    actions.append(del);
    return actions;
  };
  const counts = (j) => `${j.processed_documents + j.failed_documents} of ${j.total_documents} processed · ${j.processed_documents} completed · ${j.failed_documents} failed`;
  const status = h('dd', null, badge(job.status));
  const docs = h('dd', { role: 'status' }, counts(job));
  const finished = h('dd', null, fmtDate(job.completed_at));
  let actions = actionsFor(job);
  clear(d.body,
    h('dl', { class: 'meta-list' },
      h('dt', null, 'Status'), status,
      h('dt', null, 'Documents'), docs,
      h('dt', null, 'Created'), h('dd', null, fmtDate(job.created_at)),
      h('dt', null, 'Finished'), finished,
      job.error_message ? [h('dt', null, 'Error'), h('dd', null, job.error_message)] : null),
    actions,
    documentsSection(job));
  for (let j = job; isRunning(j) && d.dialog.open;) {
    await new Promise((r) => setTimeout(r, LIVE_MS));
    if (!d.dialog.open) return;
    try {
      j = await api(`/api/history/jobs/${encodeURIComponent(jobId)}?documents_limit=1`);
    } catch {
      return; // deleted, signed out, or the server is away: the dialog stays as it was
    }
    clear(status, badge(j.status));
    clear(docs, counts(j));
    clear(finished, fmtDate(j.completed_at));
    if (!isRunning(j)) {
      const next = actionsFor(j);
      actions.replaceWith(next);
      actions = next;
    }
  }
}

// The job's documents, a page of 100 at a time ("Show more" asks for the next).
function documentsSection(job) {
  const item = (doc) => h('li', null,
    h('div', { class: 'actions' }, badge(doc.status),
      h('a', { href: `/documents?doc=${encodeURIComponent(doc.id)}` }, doc.title || doc.filename || doc.source_url || doc.id)),
    doc.error_message ? h('p', { class: 'error' }, doc.error_message) : null,
    doc.tags && doc.tags.length ? tagList(doc.tags) : null);
  const list = h('ul', { class: 'results', 'aria-label': 'Documents of the job' }, job.documents.map(item));
  const count = h('p', { class: 'muted small', role: 'status' });
  const more = h('button', { type: 'button' }, 'Show more');
  let shown = job.documents.length;
  const update = () => {
    count.textContent = `${shown} of ${job.total_documents} documents`;
    more.hidden = shown >= job.total_documents;
  };
  more.addEventListener('click', async () => {
    try {
      const next = await busy(more, 'Loading…', () => api(
        `/api/history/jobs/${encodeURIComponent(job.id)}?documents_limit=${PAGE_DOCS}&documents_offset=${shown}`));
      list.append(...next.documents.map(item));
      shown += next.documents.length;
      if (!next.documents.length) shown = job.total_documents; // deleted meanwhile
      update();
    } catch (e) {
      more.after(errorState(e));
    }
  });
  update();
  if (!job.documents.length) return h('section', null, h('h3', null, 'Documents'), h('p', { class: 'muted' }, 'This job has no documents.'));
  return h('section', null, h('h3', null, 'Documents'), list, h('div', { class: 'actions' }, count, more));
}

export async function historyPage(main, ctx) {
  const { params, signal, navigate } = ctx;
  const status = params.get('status') || '';
  const type = params.get('type') || '';
  const sort = params.get('sort') === 'oldest' ? 'oldest' : 'newest';
  const page = Math.max(1, parseInt(params.get('page'), 10) || 1);
  const q = new URLSearchParams({ limit: PAGE, offset: (page - 1) * PAGE, sort });
  if (status) q.set('status', status);
  if (type) q.set('job_type', type);
  const data = await api(`/api/history/jobs?${q}`, { signal });

  const go = (changes, opts) => {
    const next = new URLSearchParams(params);
    next.delete('job'); // a dialog closed without a redraw may still be in params
    for (const [k, v] of Object.entries(changes)) if (v) next.set(k, v); else next.delete(k);
    navigate(`/history${next.toString() ? `?${next}` : ''}`, opts);
  };
  // Past the last page (its last job deleted, an old link): the last one.
  const last = Math.max(1, Math.ceil(data.total / PAGE));
  if (!data.jobs.length && page > last) {
    go({ page: last > 1 ? String(last) : '' }, { replace: true });
    return;
  }
  const filters = h('form', { class: 'row card', 'aria-label': 'Filters' },
    select('status', 'Status', { '': 'All statuses', ...STATUS_LABELS }, status),
    select('type', 'Type', TYPE_CHOICES, type),
    select('sort', 'Sort', { newest: 'Newest first', oldest: 'Oldest first' }, sort));
  filters.addEventListener('change', (e) => go({ [e.target.name]: e.target.value, page: '' }));

  let body, tbody = null;
  if (!data.jobs.length) {
    body = status || type ? emptyState('No matching jobs', 'No job has this status and type.', h('a', { class: 'button', href: '/history' }, 'Clear filters'))
      : emptyState('No jobs yet', 'Jobs you start show up here.', h('a', { class: 'button primary', href: '/new' }, 'Start a job'));
  } else {
    const from = data.offset + 1, to = data.offset + data.jobs.length;
    body = [h('div', { class: 'table-wrap' }, h('table', null,
      h('caption', { class: 'visually-hidden' }, 'Jobs'),
      h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Created'), h('th', { scope: 'col', class: 'hide-small' }, 'Type'),
        h('th', { scope: 'col' }, 'Status'), h('th', { scope: 'col' }, 'Documents'), h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Actions')))),
      tbody = h('tbody', null, data.jobs.map((j) => h('tr', { 'data-job': j.id },
        h('td', null, fmtDate(j.created_at)), h('td', { class: 'hide-small' }, JOB_TYPES[j.job_type] || j.job_type), h('td', { class: 'status' }, badge(j.status)),
        h('td', { class: 'docs' }, docsCell(j)),
        h('td', null, h('button', { type: 'button', class: 'link', onclick: () => go({ job: j.id }, { state: { dialog: 'job' } }), 'aria-label': `View ${JOB_TYPES[j.job_type] || j.job_type} job of ${fmtDate(j.created_at)}` }, 'View'))))))),
    h('nav', { class: 'pager', 'aria-label': 'Pages' },
      h('span', { class: 'muted' }, `${from}–${to} of ${data.total}`),
      h('span', { class: 'actions' },
        h('button', { type: 'button', disabled: page <= 1, onclick: () => go({ page: page - 1 > 1 ? String(page - 1) : '' }) }, 'Previous'),
        h('button', { type: 'button', disabled: to >= data.total, onclick: () => go({ page: String(page + 1) }) }, 'Next')))];
  }
  clear(main, h('div', { class: 'page-head' }, h('div', null, h('h1', null, 'History'),
    // Said by app.js after a filter, a sort or another page (data-summary).
    h('p', { class: 'muted', 'data-summary': data.jobs.length ? '' : status || type ? 'No matching jobs' : 'No jobs yet' },
      `${data.total} job${data.total === 1 ? '' : 's'}`)),
  h('a', { class: 'button primary', href: '/new' }, 'New job')), filters, body);

  dialogFromUrl(ctx, '/history', 'job', openJob);
  if (tbody) followRunning(q, tbody, data.jobs, signal);
}

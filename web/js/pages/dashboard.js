// dashboard.js - statistics, quick actions, documents per day, top tags, recent activity.
import { api, user } from '../api.js';
import { h, clear, badge, fmtDate, emptyState, JOB_TYPES } from '../dom.js';

function stat(label, value) {
  return h('div', { class: 'card stat' }, h('div', { class: 'value' }, value), h('div', { class: 'label' }, label));
}

// Documents per day as bars: our own few lines of SVG, no chart library.
function chart(days) {
  const W = 600, H = 170, top = 12, bottom = 24, left = 28;
  const max = Math.max(1, ...days.map((d) => d.count));
  const step = (W - left) / days.length;
  const total = days.reduce((n, d) => n + d.count, 0);
  const svg = h('svg:svg', { viewBox: `0 0 ${W} ${H}`, role: 'img',
    'aria-label': `Documents processed per day over the last ${days.length} days: ${total} in all, at most ${max} in a day.` });
  const y = (v) => H - bottom - (v / max) * (H - top - bottom);
  svg.append(h('svg:line', { class: 'axis', x1: left, x2: W, y1: H - bottom, y2: H - bottom }),
    h('svg:text', { x: 0, y: top + 4 }, String(max)), h('svg:text', { x: 0, y: H - bottom }, '0'));
  days.forEach((d, i) => {
    const x = left + i * step + step * 0.15;
    const barH = Math.max(d.count ? 2 : 0, H - bottom - y(d.count));
    svg.append(h('svg:rect', { class: 'bar', x: x.toFixed(1), y: (H - bottom - barH).toFixed(1), width: (step * 0.7).toFixed(1), height: barH.toFixed(1) },
      h('svg:title', null, `${d.date}: ${d.count} document${d.count === 1 ? '' : 's'}`)));
    if (i % 7 === 0 || (i === days.length - 1 && i % 7 > 2))
      svg.append(h('svg:text', { x: x.toFixed(1), y: H - 6 }, d.date.slice(5)));
  });
  return h('div', { class: 'chart' }, svg);
}

function activity(jobs) {
  if (!jobs.length) return h('p', { class: 'muted' }, 'No jobs yet.');
  return h('ul', { class: 'activity' }, jobs.map((j) => h('li', null,
    h('span', null, h('a', { href: `/history?job=${encodeURIComponent(j.id)}` }, `${JOB_TYPES[j.job_type] || j.job_type} job`),
      ' · ', `${j.processed_documents + j.failed_documents}/${j.total_documents} documents processed`),
    h('span', { class: 'actions' }, badge(j.status), h('span', { class: 'muted small' }, fmtDate(j.created_at))))));
}

export async function dashboardPage(main, { signal }) {
  const s = await api('/api/history/stats', { signal });
  const u = user();
  const first = (u.full_name || '').split(' ')[0] || u.email;
  const done = s.documents_processed + s.documents_failed;
  const rate = done ? `${Math.round((100 * s.documents_processed) / done)}%` : '—';
  const head = h('div', { class: 'page-head' },
    h('div', null, h('h1', null, `Welcome, ${first}`), h('p', { class: 'muted' }, 'Your documents at a glance.')),
    h('div', { class: 'actions', 'aria-label': 'Quick actions' },
      h('a', { class: 'button primary', href: '/new' }, 'New job'),
      h('a', { class: 'button', href: '/documents' }, 'Search documents'),
      h('a', { class: 'button', href: '/history' }, 'History')));
  if (!s.total_jobs) {
    clear(main, head, emptyState('No documents yet',
      'Submit a PDF by its URL, upload files or a spreadsheet of links: their text, language and tags will show up here.',
      h('a', { class: 'button primary', href: '/new' }, 'Start your first job')));
    return;
  }
  clear(main, head,
    h('section', { class: 'grid stats', 'aria-label': 'Statistics' },
      stat('Total jobs', s.total_jobs), stat('Documents completed', s.documents_processed),
      stat('Failed', s.documents_failed), stat('Success rate', rate)),
    h('div', { class: 'grid two' },
      h('section', { class: 'card' }, h('h2', null, 'Documents per day'), chart(s.documents_per_day || [])),
      h('section', { class: 'card' }, h('h2', null, 'Top tags'),
        s.top_tags && s.top_tags.length
          ? h('ul', { class: 'tags' }, s.top_tags.map((t) => h('li', null,
            h('a', { class: 'tag', href: `/documents?tag=${encodeURIComponent(t.tag)}` }, t.tag, h('span', { class: 'score' }, h('span', { class: 'visually-hidden' }, ', documents: '), t.count)))))
          : h('p', { class: 'muted' }, 'No tags yet.'))),
    h('section', { class: 'card' }, h('h2', null, 'Recent activity'), activity(s.recent_activity || [])));
}

// settings.js - profile, change password, active sessions.
import { api, user, errorText } from '../api.js';
import { h, clear, fmtDate, field, busy, announce, errorState, confirmDialog } from '../dom.js';

function profile(u) {
  return h('section', { class: 'card' }, h('h2', null, 'Profile'),
    h('dl', { class: 'meta-list' },
      h('dt', null, 'Name'), h('dd', null, u.full_name || '—'),
      h('dt', null, 'Email'), h('dd', null, u.email),
      h('dt', null, 'Member since'), h('dd', null, fmtDate(u.created_at)),
      u.is_admin ? [h('dt', null, 'Role'), h('dd', null, 'Administrator')] : null));
}

function passwordForm(redrawSessions) {
  const current = h('input', { type: 'password', name: 'current_password', autocomplete: 'current-password' });
  const next = h('input', { type: 'password', name: 'new_password', autocomplete: 'new-password' });
  const again = h('input', { type: 'password', name: 'confirm', autocomplete: 'new-password' });
  const fc = field('Current password', current), fn = field('New password', next, 'At least 8 characters.'), fa = field('Confirm new password', again);
  const notice = h('p', { class: 'notice', role: 'status' });
  const error = h('div', { class: 'form-error', role: 'alert' });
  const button = h('button', { type: 'submit', class: 'primary' }, 'Change password');
  const form = h('form', { novalidate: true }, notice, error, fc, fn, fa, h('div', { class: 'actions' }, button));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    notice.textContent = error.textContent = '';
    fc.setError(current.value ? '' : 'Enter your current password.');
    fn.setError(next.value.length >= 8 ? '' : 'Use at least 8 characters.');
    fa.setError(again.value === next.value ? '' : 'The passwords do not match.');
    if (form.querySelector('[aria-invalid="true"]')) return;
    try {
      const d = await busy(button, 'Changing…', () => api('/api/auth/change-password', { method: 'POST',
        body: { current_password: current.value, new_password: next.value } }));
      form.reset();
      notice.textContent = d.message.charAt(0).toUpperCase() + d.message.slice(1) + '.';
      redrawSessions();
    } catch (err) {
      if (err.field === 'current_password' || err.status === 401 || err.status === 403) fc.setError(err.message);
      else if (err.field === 'new_password') fn.setError(err.message);
      else error.textContent = errorText(err);
    }
  });
  return h('section', { class: 'card' }, h('h2', null, 'Change password'), form);
}

// Where a session signed in from, in words: the browser and system of its User-Agent.
function device(ua) {
  if (!ua) return 'Unknown device';
  const browser = /Edg\//.test(ua) ? 'Edge' : /Firefox\//.test(ua) ? 'Firefox' : /Chrom(e|ium)\//.test(ua) ? 'Chrome'
    : /Safari\//.test(ua) ? 'Safari' : /curl|python|node/i.test(ua) ? ua.split(/[/ ]/)[0] : 'Browser';
  const os = /Android/.test(ua) ? 'Android' : /iPhone|iPad/.test(ua) ? 'iOS' : /Windows/.test(ua) ? 'Windows'
    : /Mac OS/.test(ua) ? 'macOS' : /Linux/.test(ua) ? 'Linux' : '';
  return os ? `${browser} on ${os}` : browser;
}

async function drawSessions(box) {
  let data;
  try {
    data = await api('/api/auth/sessions');
  } catch (e) {
    clear(box, h('h2', null, 'Active sessions'), errorState(e, () => drawSessions(box)));
    return;
  }
  const others = data.sessions.filter((s) => !s.current);
  const revokeOthers = h('button', { type: 'button', class: 'danger', disabled: !others.length }, 'Sign out everywhere else');
  revokeOthers.addEventListener('click', async () => {
    if (!(await confirmDialog('Sign out everywhere else?', `${others.length} other session${others.length === 1 ? '' : 's'} will be signed out.`, 'Sign them out'))) return;
    try {
      const d = await busy(revokeOthers, 'Signing out…', () => api('/api/auth/logout-all', { method: 'POST', body: { keep_current: true } }));
      announce(`${d.sessions_revoked} other session${d.sessions_revoked === 1 ? ' was' : 's were'} signed out.`);
    } catch (e) {
      box.append(errorState(e));
    }
    drawSessions(box);
  });
  clear(box, h('h2', null, 'Active sessions'),
    h('p', { class: 'muted' }, 'Devices signed in to your account.'),
    h('div', { class: 'table-wrap' }, h('table', null,
      h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Device'), h('th', { scope: 'col', class: 'hide-small' }, 'Address'),
        h('th', { scope: 'col' }, 'Last active'), h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Actions')))),
      h('tbody', null, data.sessions.map((s) => {
        const b = s.current ? h('span', { class: 'badge completed' }, 'This device')
          : h('button', { type: 'button', 'aria-label': `Sign out ${device(s.user_agent)} (${s.ip}), last active ${fmtDate(s.last_used_at)}` }, 'Sign out');
        if (!s.current) b.addEventListener('click', async () => {
          try {
            await busy(b, 'Signing out…', () => api(`/api/auth/sessions/${encodeURIComponent(s.id)}`, { method: 'DELETE' }));
            announce('The session was signed out.');
          } catch (e) {
            box.append(errorState(e));
          }
          drawSessions(box);
        });
        return h('tr', { 'data-session': s.id }, h('td', null, device(s.user_agent), h('div', { class: 'muted small' }, `Signed in ${fmtDate(s.created_at)}`)),
          h('td', { class: 'hide-small' }, s.ip || '—'), h('td', null, fmtDate(s.last_used_at)), h('td', null, b));
      })))),
    h('div', { class: 'actions' }, revokeOthers));
}

export async function settingsPage(main) {
  const sessions = h('section', { class: 'card', 'aria-label': 'Active sessions' }, h('h2', null, 'Active sessions'), h('p', { class: 'loading' }, 'Loading…'));
  clear(main, h('div', { class: 'page-head' }, h('h1', null, 'Settings')),
    h('div', { class: 'grid two' }, profile(user()), passwordForm(() => drawSessions(sessions))), sessions);
  await drawSessions(sessions);
}

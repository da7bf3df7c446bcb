// app.js - the shell: header, user menu, footer, and the client-side router.
// mtag answers index.html for every page path (src/api/routes.c); this module
// draws the page for location.pathname and keeps links inside the app.
import { api, restore, user, logout, onSessionChange, errorText } from './api.js';
import { h, clear, announce, errorState, setFlash, takeFlash } from './dom.js';
import { loginPage, registerPage } from './pages/auth.js';
import { dashboardPage } from './pages/dashboard.js';
import { newJobPage } from './pages/newjob.js';
import { historyPage } from './pages/history.js';
import { documentsPage } from './pages/documents.js';
import { settingsPage } from './pages/settings.js';

// path -> [title, page function, needs a signed-in user]
const routes = {
  '/login': ['Sign in', loginPage, false],
  '/register': ['Create an account', registerPage, false],
  '/dashboard': ['Dashboard', dashboardPage, true],
  '/new': ['New job', newJobPage, false],
  '/history': ['History', historyPage, true],
  '/documents': ['Documents', documentsPage, true],
  '/settings': ['Settings', settingsPage, true],
};

const main = document.getElementById('main');
let pageAbort = null;
// The session as restored at start-up: pages are drawn only once it is known.
let ready = null;
// Closes the user menu, when there is one.
let closeMenu = () => {};
let firstRender = true;
// The address (path and query) of the page drawn last.
let drawn = null;

// A new address for the page drawn, without drawing it again (a dialog closed).
function replaceAddress(url) {
  history.replaceState(null, '', url);
  drawn = location.pathname + location.search;
}

// state: what the new history entry is ({ dialog: param } for one that opens a dialog).
export function navigate(url, { replace = false, state = null } = {}) {
  if (replace) history.replaceState(state, '', url);
  else history.pushState(state, '', url);
  render();
}

// Back to the previous entry, whose address is url, without drawing it again: a dialog
// closed goes back from the entry that opened it (else Back seemed to do nothing).
function backTo(url) {
  drawn = url;
  history.back();
}

function notFound() {
  document.title = 'Not found · Metadata Tagger';
  clear(main, h('div', { class: 'empty card' }, h('h1', null, 'Page not found'),
    h('p', null, 'There is no page at this address.'), h('a', { class: 'button primary', href: '/' }, 'Go home')));
}

// Parts said one after another, each a sentence: "History. The job was deleted. 1 job".
const sentences = (...parts) => parts.filter(Boolean)
  .map((p, i, all) => (i < all.length - 1 && !/[.!?”]$/.test(p) ? `${p}.` : p)).join(' ');

async function render() {
  // A control of the page that changed its address (a filter) keeps the focus when the
  // same page is drawn again with it, instead of sending it to the heading.
  const active = document.activeElement;
  const keep = drawn && drawn.split('?')[0] === location.pathname && main.contains(active) && active.id
    ? active.id : null;
  // The same page at another address (a search, a filter, the next page of a list), not a
  // dialog opened over it (its entry says so).
  const again = drawn && drawn.split('?')[0] === location.pathname && drawn !== location.pathname + location.search
    && !(history.state && history.state.dialog);
  drawn = location.pathname + location.search;
  if (pageAbort) pageAbort.abort();
  pageAbort = new AbortController();
  const signal = pageAbort.signal;
  await ready;
  if (signal.aborted) return;
  // A dialog belongs to the page it was opened on.
  document.querySelectorAll('dialog').forEach((d) => d.close());
  let path = location.pathname;
  if (path === '/') path = user() ? '/dashboard' : '/new';
  markNav(path);
  const route = routes[path];
  if (!route) return notFound();
  const [title, page, needsUser] = route;
  if (needsUser && !user()) {
    navigate(`/login?next=${encodeURIComponent(location.pathname + location.search)}`, { replace: true });
    return;
  }
  document.title = `${title} · Metadata Tagger`;
  clear(main, h('p', { class: 'loading' }, 'Loading…'));
  try {
    await page(main, { params: new URLSearchParams(location.search), signal, navigate, replaceAddress, backTo });
  } catch (e) {
    if (e.name === 'AbortError' || signal.aborted) return;
    clear(main, h('h1', null, title), errorState(e, () => render()));
  }
  if (signal.aborted) return;
  const flash = takeFlash();
  if (flash) main.prepend(h('p', { class: 'notice', role: 'status' }, flash));
  // What a search or a filter found ("3 documents", "No matching jobs": the element the page
  // marks data-summary) is said when it changed: a sighted user sees it at once, and a
  // live region drawn anew with the page is not read out.
  const marked = again ? main.querySelector('[data-summary]') : null;
  const found = marked && (marked.dataset.summary || marked.textContent);
  // After a change of page (not the first one, where the browser starts at the
  // top) a screen reader hears the new heading and keyboard focus starts there.
  const heading = main.querySelector('h1');
  const kept = keep && document.getElementById(keep);
  if (kept && main.contains(kept)) {
    kept.focus({ preventScroll: true });
    if (flash || found) announce(sentences(flash, found));
  } else if (heading && !firstRender) {
    heading.setAttribute('tabindex', '-1');
    if (!main.contains(document.activeElement)) heading.focus({ preventScroll: true });
    // What was just done (deleted, signed out) is said with the page it led to.
    announce(sentences(heading.textContent, flash, found));
  }
  firstRender = false;
}

function markNav(path) {
  document.querySelectorAll('.main-nav a').forEach((a) => {
    if (a.getAttribute('href') === path) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  });
}

// The avatar's letter: the name's first character as people see it (a grapheme: an emoji,
// a flag, a letter with its accents), not its first UTF-16 unit, which for 🦊 is half of it.
function initial(name) {
  const s = name.trim() || '?';
  const first = typeof Intl.Segmenter === 'function'
    ? new Intl.Segmenter(undefined, { granularity: 'grapheme' }).segment(s)[Symbol.iterator]().next().value.segment
    : String.fromCodePoint(s.codePointAt(0));
  return first.toUpperCase();
}

// The header's right side: Sign in / Get started, or the user menu.
function drawAccount(u) {
  const box = document.getElementById('account');
  document.querySelectorAll('.main-nav a[data-auth]').forEach((a) => { a.hidden = !u; });
  closeMenu = () => {};
  if (!u) {
    clear(box, h('a', { href: '/login', class: 'button' }, 'Sign in'),
      h('a', { href: '/register', class: 'button primary' }, 'Get started'));
    return;
  }
  const name = (u.full_name || '').trim() || u.email;
  const menu = h('div', { class: 'menu', id: 'user-menu', role: 'menu', hidden: true },
    h('div', { class: 'who' }, h('strong', null, name), h('div', { class: 'muted small' }, u.email)),
    h('a', { href: '/settings', role: 'menuitem' }, 'Settings'),
    h('button', { type: 'button', role: 'menuitem', onclick: signOut }, 'Sign out'));
  const toggle = h('button', {
    type: 'button', class: 'user-button', 'aria-haspopup': 'menu', 'aria-expanded': 'false',
    'aria-controls': 'user-menu', 'aria-label': `Account menu for ${name}`,
  }, h('span', { class: 'avatar', 'aria-hidden': 'true' }, initial(name)),
  h('span', { class: 'hide-small' }, name));
  const setOpen = (open) => {
    menu.hidden = !open;
    toggle.setAttribute('aria-expanded', String(open));
    if (open) menu.querySelector('[role=menuitem]').focus();
  };
  toggle.addEventListener('click', () => setOpen(menu.hidden));
  menu.addEventListener('click', () => setOpen(false));
  // Tabbing out of the menu closes it, as a click elsewhere does.
  box.addEventListener('focusout', (e) => { if (!box.contains(e.relatedTarget)) setOpen(false); });
  closeMenu = () => setOpen(false);
  menu.addEventListener('keydown', (e) => {
    const items = [...menu.querySelectorAll('[role=menuitem]')];
    const i = items.indexOf(document.activeElement);
    if (e.key === 'Escape') { setOpen(false); toggle.focus(); }
    if (e.key === 'ArrowDown') { e.preventDefault(); items[(i + 1) % items.length].focus(); }
    if (e.key === 'ArrowUp') { e.preventDefault(); items[(i - 1 + items.length) % items.length].focus(); }
  });
  clear(box, toggle, menu);
}

// A sign-out the server did not confirm leaves the user signed in (api.js logout says why):
// the page says so, at its top, with a way to try again.
async function signOut() {
  document.getElementById('signout-error')?.remove();
  try {
    await logout();
  } catch (e) {
    const retry = h('button', { type: 'button', onclick: signOut }, 'Try again');
    main.prepend(h('div', { class: 'error-state', role: 'alert', id: 'signout-error' },
      h('p', null, `You are still signed in: the server did not end your session. ${errorText(e)}`), retry));
    retry.focus();
    return;
  }
  setFlash('You are signed out.');
  navigate('/login');
}

// Links inside the app change the page without a reload; the back button works.
document.addEventListener('click', (e) => {
  const a = e.target.closest('a[href]');
  if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  if (a.target || a.hasAttribute('download')) return;
  // A link within the page (the skip link's #main) is the browser's: not a new page.
  if (a.getAttribute('href').startsWith('#')) return;
  const url = new URL(a.href, location.href);
  if (url.origin !== location.origin || url.pathname.startsWith('/api/') || url.pathname.startsWith('/assets/')) return;
  e.preventDefault();
  navigate(url.pathname + url.search);
});
// A move within the page (the skip link's #main) changes only the hash: Chromium reports
// it as a popstate too, and the page was fetched and drawn again.
window.addEventListener('popstate', () => {
  if (location.pathname + location.search !== drawn) render();
});
// A click anywhere else closes the user menu.
document.addEventListener('click', (e) => {
  if (!document.getElementById('account').contains(e.target)) closeMenu();
});

onSessionChange((u) => {
  drawAccount(u);
  // Signed out elsewhere (a revoked session, an expired refresh): leave protected pages.
  const route = routes[location.pathname];
  if (!u && route && route[2]) navigate(`/login?next=${encodeURIComponent(location.pathname + location.search)}`, { replace: true });
});

api('/health').then((d) => { document.getElementById('version').textContent = `v${d.version}`; }).catch(() => {});
ready = restore().then((u) => drawAccount(u));
render();

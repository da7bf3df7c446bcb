// auth.js - sign in and create an account.
import { login, register, user, errorText } from '../api.js';
import { h, clear, field, busy, setFlash } from '../dom.js';

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const PASSWORD_MIN = 8;

// Only a path of this app may be the place to go back to after signing in.
function nextPath(params) {
  let url;
  try {
    url = new URL(params.get('next') || '/dashboard', location.origin);
  } catch {
    return '/dashboard';
  }
  if (url.origin !== location.origin || url.pathname === '/login' || url.pathname === '/register') return '/dashboard';
  return url.pathname + url.search;
}

function authForm(main, ctx, { title, intro, fields, submitLabel, busyLabel, submit, footer }) {
  // Signed in already (a bookmark, the back button): straight to where they were going.
  if (user()) {
    ctx.navigate(nextPath(ctx.params), { replace: true });
    return;
  }
  const formError = h('div', { class: 'form-error', role: 'alert' });
  const button = h('button', { type: 'submit', class: 'primary' }, submitLabel);
  const form = h('form', { novalidate: true }, formError, fields.map((f) => f.wrap), h('div', { class: 'actions' }, button));
  const validate = (only) => {
    let ok = true;
    for (const f of fields) {
      if (only && f !== only) continue;
      const msg = f.check(f.input.value);
      f.wrap.setError(msg);
      if (msg) ok = false;
    }
    return ok;
  };
  // An error goes away as the field is fixed, while typing: cleared on blur instead, it
  // moved the button up between the press on it and the release, and the click was lost.
  fields.forEach((f) => {
    f.input.addEventListener('input', () => {
      if (f.input.getAttribute('aria-invalid') && !f.check(f.input.value)) f.wrap.setError('');
    });
    f.input.addEventListener('blur', () => { if (f.input.value && f.check(f.input.value)) validate(f); });
  });
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    formError.textContent = '';
    if (!validate()) {
      fields.find((f) => f.input.getAttribute('aria-invalid'))?.input.focus();
      return;
    }
    try {
      const claimed = await busy(button, busyLabel, submit);
      if (claimed) setFlash(`${claimed} document${claimed === 1 ? '' : 's'} you processed before signing in ${claimed === 1 ? 'is' : 'are'} now in your account.`);
      ctx.navigate(nextPath(ctx.params), { replace: true });
    } catch (err) {
      const target = fields.find((f) => f.name === err.field || (err.status === 409 && f.name === 'email'));
      if (target) {
        target.wrap.setError(err.message);
        target.input.focus();
      } else {
        formError.textContent = errorText(err);
      }
    }
  });
  clear(main, h('div', { class: 'card auth-card' }, h('h1', null, title), h('p', { class: 'muted' }, intro), form, footer));
  fields[0].input.focus();
}

function input(name, type, autocomplete) {
  return h('input', { name, type, autocomplete, required: true });
}

function make(name, label, el, check, hint) {
  return { name, input: el, wrap: field(label, el, hint), check };
}

const emailCheck = (v) => (!v ? 'Enter your email address.' : EMAIL.test(v.trim()) ? '' : 'Enter a valid email address, such as name@example.com.');

export async function loginPage(main, ctx) {
  const email = make('email', 'Email', input('email', 'email', 'username'), emailCheck);
  const password = make('password', 'Password', input('password', 'password', 'current-password'),
    (v) => (v ? '' : 'Enter your password.'));
  authForm(main, ctx, {
    title: 'Sign in', intro: 'Welcome back. Sign in to see your documents.',
    fields: [email, password], submitLabel: 'Sign in', busyLabel: 'Signing in…',
    submit: () => login(email.input.value.trim(), password.input.value),
    footer: h('p', { class: 'small' }, 'New here? ', h('a', { href: `/register${location.search}` }, 'Create an account')),
  });
}

export async function registerPage(main, ctx) {
  const name = make('full_name', 'Full name', h('input', { name: 'full_name', type: 'text', autocomplete: 'name', maxlength: 200 }),
    () => '', 'Optional.');
  const email = make('email', 'Email', input('email', 'email', 'username'), emailCheck);
  const password = make('password', 'Password', input('password', 'password', 'new-password'),
    (v) => (v.length >= PASSWORD_MIN ? '' : `Use at least ${PASSWORD_MIN} characters.`), `At least ${PASSWORD_MIN} characters.`);
  const confirm = make('confirm', 'Confirm password', input('confirm', 'password', 'new-password'),
    (v) => (v && v === password.input.value ? '' : 'The passwords do not match.'));
  authForm(main, ctx, {
    title: 'Create an account', intro: 'Keep your documents, tags and search history.',
    fields: [name, email, password, confirm], submitLabel: 'Create account', busyLabel: 'Creating account…',
    submit: () => register(email.input.value.trim(), password.input.value, name.input.value.trim()),
    footer: h('p', { class: 'small' }, 'Already have an account? ', h('a', { href: `/login${location.search}` }, 'Sign in')),
  });
}

// api.js - the session and every call to the API.
//
// The access token lives in this module's memory only (never localStorage):
// a page reload gets a new one from the refresh cookie, which is HttpOnly and
// sent only to /api/auth. A call answered 401 refreshes once and is retried.
// localStorage keeps one boolean, "a session may exist", so that a visitor
// who never signed in is not sent to /api/auth/refresh for nothing.

const HINT = 'mtag.session';
let accessToken = null;
let currentUser = null;
let refreshing = null;
const listeners = new Set();

// message: what to show next to the field it names (or alone when it names none);
// detail: the same sentence with the field's name, for a message shown away from it.
// jobId, documentId: a document that could not be processed is still recorded (a 422
// that names them).
export class ApiError extends Error {
  constructor(status, message, code, field, detail, body) {
    super(message);
    this.status = status;
    this.code = code;
    this.field = field;
    this.detail = detail || message;
    this.jobId = body && body.job_id;
    this.documentId = body && body.document_id;
  }
}

const UNREACHABLE = 'The server cannot be reached. Check your connection and try again.';

// The text of an error shown on its own (not next to a field).
export const errorText = (err) => (err && (err.detail || err.message)) || 'Something went wrong.';

export const user = () => currentUser;
export const onSessionChange = (fn) => listeners.add(fn);

function setSession(token, u) {
  accessToken = token;
  currentUser = u;
  if (u) localStorage.setItem(HINT, '1'); else localStorage.removeItem(HINT);
  listeners.forEach((fn) => fn(u));
}

// A detail as a sentence for people: capital first, a full stop last.
function sentence(s) {
  const t = s.charAt(0).toUpperCase() + s.slice(1);
  return /[.!?)]$/.test(t) ? t : `${t}.`;
}

// The field a 422 names: its detail starts with "field: ..." (DESIGN.md section 6). The
// message shown is the rest, as a sentence: the field's own label says which one it is.
async function toError(res) {
  let detail = `The server answered ${res.status}.`, code = null, body = null;
  try {
    body = await res.json();
    detail = body.detail || detail;
    code = body.code || null;
  } catch { /* not JSON: keep the generic sentence */ }
  const m = res.status === 422 && /^([a-z_]+): /.exec(detail);
  let message = sentence(m ? detail.slice(m[0].length) : detail);
  if (res.status === 429) {
    const after = res.headers.get('Retry-After');
    if (after) message = `${message.replace(/[;,] try again later\.$/, '.')} Try again in ${after} s.`;
  }
  const named = m ? `${sentence(m[1].replace(/_/g, ' ')).replace(/\.$/, '')}: ${message}` : message;
  return new ApiError(res.status, message, code, m ? m[1] : null, named, body);
}

// Whether the last refresh failed because the server refused it (the session is over),
// not because it could not be reached or failed itself (a proxy's 502 during a restart):
// only a refusal signs out.
let refreshRefused = false;

async function refreshOnce() {
  refreshRefused = false;
  const res = await fetch('/api/auth/refresh', {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}',
  });
  if (!res.ok) {
    refreshRefused = res.status < 500;
    return false;
  }
  accessToken = (await res.json()).access_token;
  return true;
}

// One refresh at a time: calls that fail together wait for the same one.
export function refresh() {
  if (!refreshing) refreshing = refreshOnce().catch(() => false).finally(() => { refreshing = null; });
  return refreshing;
}

// api('/api/history/jobs', {method, body, headers, signal}) -> parsed JSON.
export async function api(path, { method = 'GET', body, headers = {}, signal, retried = false } = {}) {
  const hs = { Accept: 'application/json', ...headers };
  if (accessToken) hs.Authorization = `Bearer ${accessToken}`;
  let payload = body;
  if (body !== undefined && !(body instanceof FormData)) {
    hs['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, { method, headers: hs, body: payload, signal });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, UNREACHABLE, 'network');
  }
  if (res.status === 401 && accessToken && !retried) {
    if (await refresh()) return api(path, { method, body, headers, signal, retried: true });
    if (!refreshRefused) throw new ApiError(0, UNREACHABLE, 'network');
    setSession(null, null);
  }
  if (!res.ok) throw await toError(res);
  return res.json();
}

// Restore the session at start-up from the refresh cookie; the user or null.
export async function restore() {
  if (!localStorage.getItem(HINT)) return null;
  // A server restarting answers again in a moment: three tries; past them the hint stays,
  // so that the next load, with the server back, restores the session.
  for (let attempt = 0; !(await refresh()); attempt++) {
    if (refreshRefused) { setSession(null, null); return null; }
    if (attempt === 2) return null;
    await new Promise((r) => setTimeout(r, 1000 * (attempt + 1)));
  }
  try {
    setSession(accessToken, await api('/api/auth/me'));
  } catch {
    setSession(null, null);
  }
  return currentUser;
}

// Jobs submitted before signing in, by id (the capability to read them), kept
// for this tab: signing in or registering claims them, so they are kept.
const ANONYMOUS_JOBS = 'mtag.anonymous-jobs';

export function rememberAnonymousJob(id) {
  if (currentUser || !id) return;
  const ids = JSON.parse(sessionStorage.getItem(ANONYMOUS_JOBS) || '[]');
  if (!ids.includes(id)) ids.push(id);
  sessionStorage.setItem(ANONYMOUS_JOBS, JSON.stringify(ids.slice(-50)));
}

// Claim the remembered jobs; the number of documents that became the user's.
// An id is forgotten once claimed or gone (404: purged, or claimed already); one
// that failed otherwise (the server busy, a limit) is tried at the next sign-in.
async function claimAnonymousJobs() {
  const ids = JSON.parse(sessionStorage.getItem(ANONYMOUS_JOBS) || '[]');
  const left = [];
  let documents = 0;
  for (const id of ids) {
    try {
      documents += (await api(`/api/history/jobs/${encodeURIComponent(id)}/claim`, { method: 'POST', body: {} })).documents;
    } catch (e) {
      if (e.status !== 404) left.push(id);
    }
  }
  if (left.length) sessionStorage.setItem(ANONYMOUS_JOBS, JSON.stringify(left));
  else sessionStorage.removeItem(ANONYMOUS_JOBS);
  return documents;
}

// Sign in or register; resolves to the number of anonymous documents claimed.
async function signedIn(d) {
  setSession(d.access_token, d.user);
  return claimAnonymousJobs();
}

export async function login(email, password) {
  return signedIn(await api('/api/auth/login', { method: 'POST', body: { email, password } }));
}

export async function register(email, password, fullName) {
  const body = { email, password };
  if (fullName) body.full_name = fullName;
  return signedIn(await api('/api/auth/register', { method: 'POST', body }));
}

// Sign out: the session ends here only once the server has ended it (or says it was over
// already, a 401). A sign-out that did not reach the server throws, and the session stays:
// cleared here alone, the page would say "signed out" while the refresh cookie still opens
// the session on the server (a reload, anyone at this browser, a stolen cookie), and the
// way to end it (this button) would be gone.
export async function logout() {
  try {
    await api('/api/auth/logout', { method: 'POST', body: {} });
  } catch (e) {
    if (e.status !== 401) throw e;
  }
  setSession(null, null);
}

// A multipart upload with progress: onProgress(loadedBytes, totalBytes).
// XMLHttpRequest because fetch cannot report upload progress.
export function upload(path, form, onProgress, retried = false) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', path);
    xhr.setRequestHeader('Accept', 'application/json');
    if (accessToken) xhr.setRequestHeader('Authorization', `Bearer ${accessToken}`);
    xhr.upload.onprogress = (e) => { if (e.lengthComputable) onProgress(e.loaded, e.total); };
    xhr.onerror = () => reject(new ApiError(0, 'The upload failed: the server cannot be reached.', 'network'));
    xhr.onload = async () => {
      const res = new Response(xhr.responseText, {
        status: xhr.status, headers: { 'Retry-After': xhr.getResponseHeader('Retry-After') || '' },
      });
      if (xhr.status === 401 && accessToken && !retried) {
        if (await refresh()) {
          upload(path, form, onProgress, true).then(resolve, reject);
          return;
        }
        if (!refreshRefused) {
          reject(new ApiError(0, UNREACHABLE, 'network'));
          return;
        }
        setSession(null, null);
      }
      if (xhr.status < 200 || xhr.status >= 300) {
        reject(await toError(res));
        return;
      }
      try {
        resolve(JSON.parse(xhr.responseText));
      } catch {
        reject(new ApiError(xhr.status, 'The server answered something that is not JSON.', 'bad_response'));
      }
    };
    xhr.send(form);
  });
}

// Follow a job's Server-Sent Events until "done" or signal aborts:
// onEvent(name, data). fetch rather than EventSource, which cannot send the
// Authorization header; a dropped stream is resumed with Last-Event-ID, and
// after 10 attempts in a row without an event it gives up with an ApiError.
export async function jobEvents(jobId, onEvent, signal) {
  let lastId = null;
  for (let failures = 0; !signal.aborted; failures++) {
    if (failures >= 10)
      throw new ApiError(0, 'Lost touch with the server while following this job; it goes on, and its progress is in History.', 'network');
    const hs = { Accept: 'text/event-stream' };
    if (accessToken) hs.Authorization = `Bearer ${accessToken}`;
    if (lastId) hs['Last-Event-ID'] = lastId;
    try {
      const res = await fetch(`/api/process/batch-status/${encodeURIComponent(jobId)}/events`, { headers: hs, signal });
      if (res.status === 401 && accessToken && await refresh()) continue;
      if (!res.ok) throw await toError(res);
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let cut;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          let name = 'message', data = '';
          for (const line of block.split('\n')) {
            if (line.startsWith('id:')) lastId = line.slice(3).trim();
            else if (line.startsWith('event:')) name = line.slice(6).trim();
            else if (line.startsWith('data:')) data += line.slice(5).trim();
          }
          if (!data) continue;
          failures = 0;
          onEvent(name, JSON.parse(data));
          if (name === 'done') return;
        }
      }
    } catch (e) {
      if (e.name === 'AbortError' || signal.aborted) return;
      if (e instanceof ApiError && e.status !== 0 && e.status < 500) throw e;
    }
    await new Promise((r) => setTimeout(r, Math.min(1000 * (failures + 1), 5000)));
  }
}

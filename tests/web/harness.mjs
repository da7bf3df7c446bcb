// harness.mjs - what the browser tests stand on: a real mtag (the binary in
// MTAG_TEST_BIN; SQLite and local storage in a fresh directory, or with
// MTAG_TEST_DB=postgresql a fresh database of MTAG_TEST_PG_URL and a fresh
// bucket of the S3 server at MTAG_TEST_S3_ENDPOINT), a plain HTTP
// server on loopback with the documents to submit, and Debian's Chromium
// driven by playwright-core. Screenshots go to MTAG_TEST_OUT (default
// build/test-output/web).
import { spawn, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, resolve, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = process.env.MTAG_TEST_BIN || join(ROOT, 'build/san/mtag');
export const CORPUS = resolve(ROOT, process.env.MTAG_TEST_CORPUS || '../shared/corpus/pdf');
export const OUT = process.env.MTAG_TEST_OUT || join(ROOT, 'build/test-output/web');
export const PASSWORD = 'correct horse battery staple';
mkdirSync(OUT, { recursive: true });

// Documents made for the tests, served under /gen/.
const GENERATED = new Map();
export function serveGenerated(name, type, body) {
  GENERATED.set(name, { type, body: Buffer.from(body) });
  return name;
}

// The documents server: /corpus/<file> from the public PDF corpus, /gen/<name>;
// /slow/<ms>/<path> answers <path> after a pause.
export async function startFiles() {
  const srv = createServer(async (req, res) => {
    let path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    const slow = path.match(/^\/slow\/(\d+)(\/.*)$/);
    if (slow) {
      await new Promise((r) => setTimeout(r, Number(slow[1])));
      path = slow[2];
    }
    let body = null, type = 'application/octet-stream';
    if (path.startsWith('/gen/') && GENERATED.has(path.slice(5))) {
      ({ body, type } = GENERATED.get(path.slice(5)));
    } else if (path.startsWith('/corpus/')) {
      const file = normalize(join(CORPUS, path.slice(8)));
      if (file.startsWith(CORPUS + '/') && existsSync(file)) {
        body = readFileSync(file);
        type = 'application/pdf';
      }
    }
    if (!body) { res.writeHead(404, { 'Content-Type': 'text/plain' }); res.end('not found'); return; }
    res.writeHead(200, { 'Content-Type': type, 'Content-Length': body.length });
    res.end(body);
  });
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${srv.address().port}`, stop: () => new Promise((r) => srv.close(r)) };
}

// The database and storage settings of one mtag: {} for the embedded defaults.
function storageEnv() {
  if (process.env.MTAG_TEST_DB !== 'postgresql') return {};
  const pg = process.env.MTAG_TEST_PG_URL, s3 = process.env.MTAG_TEST_S3_ENDPOINT;
  assert.ok(pg && s3, 'MTAG_TEST_DB=postgresql needs MTAG_TEST_PG_URL and MTAG_TEST_S3_ENDPOINT');
  const name = `mtag_web_${randomBytes(6).toString('hex')}`;
  const bindir = execFileSync('pg_config', ['--bindir']).toString().trim();
  execFileSync(join(bindir, 'psql'), [pg, '-q', '-c', `CREATE DATABASE ${name}`]);
  return {
    MTAG_DATABASE_URL: `${pg.slice(0, pg.lastIndexOf('/'))}/${name}`,
    MTAG_STORAGE_URL: `s3://mtag-web-${randomBytes(6).toString('hex')}?endpoint=${s3}&region=us-east-1&path_style=1`,
    MTAG_S3_ACCESS_KEY: 'S3RVER', MTAG_S3_SECRET_KEY: 'S3RVER',
  };
}

async function freePort() {
  const s = createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

// A fresh mtag serve; env adds to or overrides the test settings.
export async function startMtag(env = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'mtag-web-'));
  const port = await freePort();
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MTAG_')));
  const proc = spawn(BIN, ['serve'], {
    env: {
      ...clean, MTAG_LISTEN: `127.0.0.1:${port}`, MTAG_DATA_DIR: join(dir, 'data'), MTAG_LOG_LEVEL: 'warn',
      MTAG_FETCH_ALLOW_PRIVATE: '1', MTAG_RATE_LOGIN: '100000', MTAG_RATE_LOGIN_ACCOUNT: '100000',
      MTAG_RATE_REGISTER: '100000', MTAG_RATE_REFRESH: '100000', ...storageEnv(), ...env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  proc.stderr.on('data', (d) => { log += d; });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (proc.exitCode !== null) throw new Error(`mtag exited with ${proc.exitCode}:\n${log}`);
    try { if ((await fetch(`${url}/health`)).ok) break; } catch { /* not listening yet */ }
    if (i > 300) throw new Error(`mtag did not start:\n${log}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    log: () => log,
    async stop() {
      proc.kill('SIGTERM');
      const code = await new Promise((r) => (proc.exitCode !== null ? r(proc.exitCode) : proc.on('exit', (c) => r(c))));
      rmSync(dir, { recursive: true, force: true });
      // A sanitizer report makes the exit status non-zero: the tests fail with it.
      assert.equal(code, 0, `mtag exited with ${code}:\n${log.slice(-4000)}`);
    },
  };
}

export async function launch() {
  return chromium.launch({
    executablePath: process.env.MTAG_TEST_CHROMIUM || '/usr/bin/chromium',
    // As root Chromium needs --no-sandbox; the rest keeps it off the (closed) network.
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
}

// A page that records console errors, uncaught exceptions and alert() calls.
export async function newPage(browser, { viewport = { width: 1280, height: 900 }, context } = {}) {
  const ctx = context || await browser.newContext({ viewport, acceptDownloads: true });
  const page = await ctx.newPage();
  page.problems = [];
  page.on('console', (m) => { if (m.type() === 'error') page.problems.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => page.problems.push(`exception: ${e.message}`));
  page.on('dialog', (d) => { page.problems.push(`dialog: ${d.message()}`); d.dismiss(); });
  return page;
}

// Nothing went wrong in the page but what the test expects (e.g. the 401 of a wrong password).
export function assertClean(page, allowed = []) {
  const left = page.problems.filter((p) => !allowed.some((re) => re.test(p)));
  assert.deepEqual(left, [], 'the page logged errors');
}

export async function shot(page, name) {
  await page.screenshot({ path: join(OUT, `${name}.png`), fullPage: true });
}

let seq = 0;
export const newEmail = () => `web-${process.pid}-${Date.now()}-${++seq}@example.org`;

// Register through the form; the page ends on the dashboard.
export async function registerInUi(page, base, { email = newEmail(), name = 'Ada Lovelace' } = {}) {
  await page.goto(`${base}/register`);
  await page.getByLabel('Full name').fill(name);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByLabel('Confirm password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.waitForURL(`${base}/dashboard`);
  return email;
}

export async function loginInUi(page, base, email, path = '/login') {
  await page.goto(`${base}${path}`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

// A token of the user's own for preparing data through the API (a session of its own).
export async function apiToken(base, email) {
  const r = await fetch(`${base}/api/auth/login`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ email, password: PASSWORD }),
  });
  assert.equal(r.status, 200);
  return (await r.json()).access_token;
}

// Process one document by URL for that user; the answer's status code and body.
export async function apiProcess(base, token, url) {
  const r = await fetch(`${base}/api/process/process-single`, {
    method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
    body: JSON.stringify({ url }),
  });
  return { status: r.status, body: await r.json() };
}

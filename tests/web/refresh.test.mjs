// An access token that expires while the page is open: the page's next call
// gets 401, refreshes with the cookie once, and is retried; the user sees
// nothing of it. Access tokens live 1 minute on this server (the shortest
// MTAG_ACCESS_TOKEN_MINUTES allows), so the test waits 61 s.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startMtag, launch, newPage, assertClean, shot, registerInUi } from './harness.mjs';

let mtag, browser;
before(async () => {
  mtag = await startMtag({ MTAG_ACCESS_TOKEN_MINUTES: '1' });
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await mtag?.stop();
});

test('an expired access token is refreshed and the call retried once', async () => {
  const page = await newPage(browser);
  await registerInUi(page, mtag.url);
  await page.getByRole('heading', { name: 'Welcome, Ada' }).waitFor();
  const calls = [];
  page.on('response', (r) => {
    const path = new URL(r.url()).pathname;
    if (path.startsWith('/api/')) calls.push(`${r.request().method()} ${path} ${r.status()}`);
  });
  await page.waitForTimeout(61000);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'History' }).click();
  await page.getByRole('heading', { name: 'History' }).waitFor();
  await page.getByText('0 jobs').waitFor();
  assert.deepEqual(calls, [
    'GET /api/history/jobs 401',
    'POST /api/auth/refresh 200',
    'GET /api/history/jobs 200',
  ]);
  await shot(page, 'after-refresh');
  // The 401 itself is logged by Chromium; nothing else is.
  assertClean(page, [/status of 401/]);
  await page.context().close();
});

test('a refresh the server fails to answer (a 502 while it restarts) does not sign out', async () => {
  const page = await newPage(browser);
  await registerInUi(page, mtag.url);
  await page.getByRole('heading', { name: 'Welcome, Ada' }).waitFor();
  // One 502: the next try at start-up restores the session.
  let failures = 1;
  await page.route('**/api/auth/refresh', (route) => (failures-- > 0
    ? route.fulfill({ status: 502, contentType: 'text/html', body: '<h1>Bad Gateway</h1>' })
    : route.continue()));
  await page.goto(`${mtag.url}/history`);
  await page.getByRole('heading', { name: 'History' }).waitFor();
  // Every try failing: the sign-in page for now, but the session is kept for the next load.
  failures = 100;
  await page.goto(`${mtag.url}/history`);
  await page.waitForURL(/\/login\?next=/, { timeout: 15000 });
  assert.equal(await page.evaluate(() => localStorage.getItem('mtag.session')), '1');
  failures = 0;
  await page.goto(`${mtag.url}/history`);
  await page.getByRole('heading', { name: 'History' }).waitFor();
  // A refusal (the session ended) still signs out.
  await page.route('**/api/auth/refresh', (route) => route.fulfill({
    status: 401, contentType: 'application/json', body: '{"detail":"session ended","code":"unauthorized"}' }));
  await page.goto(`${mtag.url}/history`);
  await page.waitForURL(/\/login\?next=/);
  assert.equal(await page.evaluate(() => localStorage.getItem('mtag.session')), null);
  assertClean(page, [/status of (401|502)/]);
  await page.context().close();
});

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

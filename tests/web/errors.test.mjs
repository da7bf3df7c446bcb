// When the server cannot be reached the page says so, with a way to try
// again, instead of going blank or throwing. A real outage: mtag is stopped.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startMtag, launch, newPage, assertClean, shot, registerInUi } from './harness.mjs';

let mtag, browser;
before(async () => {
  mtag = await startMtag();
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

test('a page whose API calls fail shows an error state with "Try again"', async () => {
  const page = await newPage(browser);
  await registerInUi(page, mtag.url);
  await page.getByRole('heading', { name: 'Welcome, Ada' }).waitFor();
  await mtag.stop();
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'History' }).click();
  const alert = page.getByRole('alert');
  await alert.getByText('The server cannot be reached. Check your connection and try again.').waitFor();
  await page.getByRole('heading', { name: 'History' }).waitFor();
  await alert.getByRole('button', { name: 'Try again' }).click();
  await alert.getByText('The server cannot be reached.', { exact: false }).waitFor();
  await shot(page, 'error-state');
  assertClean(page, [/ERR_CONNECTION_REFUSED/]);
  assert.equal(page.url(), `${mtag.url}/history`);
  await page.context().close();
});

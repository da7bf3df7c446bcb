// The web UI in a real browser against a real mtag: accounts, the three ways
// to submit, live progress, search, detail, download, history, sessions, the
// XSS title, a phone-sized run. Each test leaves a screenshot in OUT.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  startMtag, startFiles, launch, newPage, assertClean, shot, registerInUi, loginInUi, newEmail,
  apiToken, apiProcess, serveGenerated, CORPUS, PASSWORD, ROOT,
} from './harness.mjs';

let mtag, files, browser;
const tmp = mkdtempSync(join(tmpdir(), 'mtag-web-files-'));
// Chromium logs every 4xx answer to fetch as a console error: tests that cause one on purpose allow it.
const HTTP_ERROR = /Failed to load resource: the server responded with a status of 4\d\d/;

before(async () => {
  files = await startFiles();
  mtag = await startMtag();
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await files?.stop();
  await mtag?.stop();
});

test('register, sign out, sign in, reload keeps the session, back button', async () => {
  const page = await newPage(browser);
  const base = mtag.url;
  // Inline validation before anything is sent.
  await page.goto(`${base}/register`);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByText('Enter your email address.').waitFor();
  await page.getByLabel('Email').fill('not-an-email');
  await page.getByLabel('Password', { exact: true }).fill('short');
  await page.getByLabel('Confirm password').fill('different');
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByText('Enter a valid email address, such as name@example.com.').waitFor();
  await page.getByText('Use at least 8 characters.').waitFor();
  await page.getByText('The passwords do not match.').waitFor();
  assert.equal(await page.getByLabel('Email').getAttribute('aria-invalid'), 'true');
  await shot(page, 'register-validation');

  // The fields fixed in place, one press on the button signs up: the errors used to go as
  // a field was left, which moved the button from under the pointer and lost the click.
  const email = newEmail();
  await page.getByLabel('Full name').fill('Ada Lovelace');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByLabel('Confirm password').fill(PASSWORD);
  assert.equal(await page.getByLabel('Confirm password').getAttribute('aria-invalid'), null);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.waitForURL(`${base}/dashboard`, { timeout: 5000 });
  await page.getByRole('heading', { name: 'Welcome, Ada' }).waitFor();
  await page.getByText('No documents yet').waitFor();
  // The access token is in memory only; the refresh cookie is out of the page's reach.
  const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + document.cookie);
  assert.ok(!stored.includes('eyJ') && !stored.includes('refresh'), stored);

  // Registering the same address again is an error shown next to the field.
  const other = await newPage(browser);
  await other.goto(`${base}/register`);
  await other.getByLabel('Email').fill(email);
  await other.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await other.getByLabel('Confirm password').fill(PASSWORD);
  await other.getByRole('button', { name: 'Create account' }).click();
  await other.locator('#' + (await other.getByLabel('Email').getAttribute('id')) + '-error').getByText(/already/).waitFor();
  assertClean(other, [HTTP_ERROR]);

  await page.getByRole('button', { name: 'Account menu for Ada Lovelace' }).click();
  await page.getByRole('menuitem', { name: 'Sign out' }).click();
  await page.waitForURL(`${base}/login`);
  await page.getByRole('link', { name: 'Get started' }).waitFor();

  // A protected page sends to sign-in and back; a wrong password is shown on the form.
  await page.goto(`${base}/history?status=completed`);
  await page.waitForURL(`${base}/login?next=%2Fhistory%3Fstatus%3Dcompleted`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill('wrong password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('alert').getByText(/incorrect|invalid/i).waitFor();
  // The button was disabled while it worked: the focus is back on it, not on the page.
  await page.waitForFunction(() => document.activeElement?.textContent === 'Sign in');
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${base}/history?status=completed`);
  // "next" only ever leads inside the app.
  const elsewhere = await newPage(browser);
  await loginInUi(elsewhere, base, email, '/login?next=%2F%5Cevil.example%2Fx');
  await elsewhere.waitForURL(`${base}/dashboard`);
  assertClean(elsewhere);
  await elsewhere.context().close();
  await page.getByRole('heading', { name: 'History' }).waitFor();

  await page.reload();
  await page.getByRole('heading', { name: 'History' }).waitFor();
  await page.getByRole('button', { name: 'Account menu for Ada Lovelace' }).waitFor();
  // Signed in, the sign-in page is only a way through to the next page.
  await page.goto(`${base}/login?next=%2Fsettings`);
  await page.waitForURL(`${base}/settings`);
  await page.goBack();
  await page.waitForURL(`${base}/history?status=completed`);
  assert.equal(await page.getByLabel('Status').inputValue(), 'completed');

  await page.getByRole('link', { name: 'Dashboard' }).click();
  await page.waitForURL(`${base}/dashboard`);
  assert.equal(await page.getByRole('link', { name: 'Dashboard' }).getAttribute('aria-current'), 'page');
  await page.goBack();
  await page.waitForURL(`${base}/history?status=completed`);
  await page.getByRole('heading', { name: 'History' }).waitFor();
  await shot(page, 'signed-in-history');
  assertClean(page, [HTTP_ERROR]);
  await page.context().close();
  await other.context().close();
});

test('submit a URL, signed in and anonymously', async () => {
  const page = await newPage(browser);
  await registerInUi(page, mtag.url);
  await page.getByRole('link', { name: 'New job' }).first().click();
  await page.getByLabel('Document URL').fill(`${files.url}/corpus/tracemonkey.pdf`);
  await page.getByRole('button', { name: 'Process' }).click();
  const result = page.locator('article.result');
  await result.waitFor();
  assert.equal(await result.locator('h2').textContent(), 'tracemonkey.pdf');
  assert.ok((await result.locator('.tag').allTextContents()).some((t) => t.startsWith('trace trees')));
  await result.getByRole('link', { name: 'Open in Documents' }).waitFor();
  await shot(page, 'new-url-result');
  assertClean(page);

  // A bad address is refused before it is sent (by the field); a document that fails is a
  // failed result with its reason and a link to its record, not an error of the address.
  await page.getByLabel('Document URL').fill('ftp://example.org/x.pdf');
  await page.getByRole('button', { name: 'Process' }).click();
  await page.getByText('Enter a web address starting with http:// or https://.').waitFor();
  await page.getByLabel('Document URL').fill(`${files.url}/corpus/no-such.pdf`);
  await page.getByRole('button', { name: 'Process' }).click();
  await result.getByRole('heading', { name: 'Processing failed' }).waitFor();
  await result.getByText('Download failed: HTTP 404.', { exact: true }).waitFor();
  assert.equal(await page.getByLabel('Document URL').getAttribute('aria-invalid'), null);
  await result.getByRole('link', { name: 'Open in Documents' }).click();
  await page.getByRole('dialog').getByRole('alert').getByText('Processing failed: download failed: HTTP 404').waitFor();
  await page.context().close();

  const anon = await newPage(browser);
  await anon.goto(`${mtag.url}/`);
  await anon.getByRole('heading', { name: 'New job' }).waitFor();
  await anon.getByLabel('Document URL').fill(`${files.url}/corpus/TAMReview.pdf`);
  await anon.getByRole('button', { name: 'Process' }).click();
  await anon.locator('article.result').waitFor();
  await anon.getByRole('link', { name: 'Create a free account' }).waitFor();
  assert.equal(await anon.getByRole('link', { name: 'Open in Documents' }).count(), 0);
  await shot(anon, 'new-url-anonymous');
  // Registering from the invitation keeps the result: it moves into the new account.
  await anon.getByRole('link', { name: 'Create a free account' }).click();
  await anon.getByLabel('Email').fill(newEmail());
  await anon.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await anon.getByLabel('Confirm password').fill(PASSWORD);
  await anon.getByRole('button', { name: 'Create account' }).click();
  await anon.waitForURL(`${mtag.url}/dashboard`);
  await anon.getByRole('status').getByText('1 document you processed before signing in is now in your account.').waitFor();
  await anon.getByText('Documents completed').waitFor();
  await anon.goto(`${mtag.url}/documents?q=acceptance`);
  await anon.getByText('1 result for “acceptance”').waitFor();
  assertClean(anon);
  await anon.context().close();
});

test('upload two PDFs with per-file progress', async () => {
  const page = await newPage(browser);
  await registerInUi(page, mtag.url);
  await page.goto(`${mtag.url}/new?tab=files`);
  await page.locator('#files-input').setInputFiles([join(CORPUS, 'TAMReview.pdf'), join(CORPUS, 'pdkids.pdf')]);
  const items = page.getByRole('list', { name: 'Chosen files' }).locator('li');
  assert.equal(await items.count(), 2);
  await page.getByRole('button', { name: 'Upload and process' }).click();
  await page.getByText(/^2 of 2 processed · 2 completed · 0 failed/).waitFor({ timeout: 60000 });
  await page.getByRole('heading', { name: 'Finished' }).waitFor();
  for (const bar of await items.locator('progress').all())
    assert.equal(await bar.evaluate((b) => b.value === b.max && b.max > 0), true);
  const results = page.getByRole('list', { name: 'Results' }).locator(':scope > li');
  await results.nth(1).waitFor();
  assert.equal(await results.count(), 2);
  await shot(page, 'upload-two');
  // Sent files are not sent again: the button waits for new ones, which start a new list.
  assert.equal(await page.getByRole('button', { name: 'Upload and process' }).isDisabled(), true);
  await page.locator('#files-input').setInputFiles([join(CORPUS, 'pdkids.pdf')]);
  assert.equal(await items.count(), 1);
  assert.equal(await page.getByRole('button', { name: 'Upload and process' }).isDisabled(), false);
  // More than 20 chosen: 20 are kept, and the page says so.
  await page.locator('#files-input').setInputFiles(Array.from({ length: 21 }, (_, i) =>
    ({ name: `n${i}.txt`, mimeType: 'text/plain', buffer: Buffer.from(`note ${i}`) })));
  assert.equal(await items.count(), 20);
  await page.getByText('An upload takes 20 files at most: 2 of those chosen were left out.').waitFor();
  assertClean(page);
  await page.context().close();

  // Anonymously, one file that cannot be read: its failed result, as for a URL; the job is
  // remembered (to be claimed), and the next file chosen starts a new list.
  const visitor = await newPage(browser);
  await visitor.goto(`${mtag.url}/new?tab=files`);
  await visitor.locator('#files-input').setInputFiles([join(CORPUS, 'invalid.pdf')]);
  await visitor.getByRole('button', { name: 'Upload and process' }).click();
  const failed = visitor.getByRole('alert').filter({ has: visitor.getByRole('heading', { name: 'Processing failed' }) });
  await failed.waitFor();
  assert.match(await failed.textContent(), /Corrupt PDF/);
  assert.equal(JSON.parse(await visitor.evaluate(() => sessionStorage.getItem('mtag.anonymous-jobs'))).length, 1);
  await visitor.locator('#files-input').setInputFiles([join(CORPUS, 'pdkids.pdf')]);
  assert.equal(await visitor.getByRole('list', { name: 'Chosen files' }).locator('li').count(), 1);
  assertClean(visitor, [HTTP_ERROR]);
  await visitor.context().close();
});

test('a spreadsheet of links: the column from its headers, progress to 100%', async () => {
  const page = await newPage(browser);
  await registerInUi(page, mtag.url);
  const csv = `title,link,notes\nA,${files.url}/corpus/tracemonkey.pdf,x\nB,${files.url}/corpus/pdkids.pdf,y\nC,${files.url}/corpus/missing.pdf,z\n`;
  const path = join(tmp, 'links.csv');
  writeFileSync(path, csv);
  await page.goto(`${mtag.url}/new`);
  await page.getByRole('tab', { name: 'Spreadsheet of links' }).click();
  // The chosen tab is in the address: a reload keeps it.
  await page.waitForURL(`${mtag.url}/new?tab=sheet`);
  await page.reload();
  assert.equal(await page.getByRole('tab', { name: 'Spreadsheet of links' }).getAttribute('aria-selected'), 'true');
  // The server reads the header row (in its sandbox) for any format: an ODS first.
  await page.getByLabel('Spreadsheet file').setInputFiles(join(ROOT, 'tests/data/sheet/links.ods'));
  const options = page.locator('#sheet-column-select option');
  await options.nth(1).waitFor({ state: 'attached' });
  assert.deepEqual(await options.allTextContents(), ['Title (column A)', 'Link (column B)']);
  await page.getByLabel('Spreadsheet file').setInputFiles(path);
  await options.nth(2).waitFor({ state: 'attached' });
  assert.deepEqual(await options.allTextContents(), ['title (column A)', 'link (column B)', 'notes (column C)']);
  const column = page.getByLabel('Column with the links');
  assert.equal(await column.inputValue(), 'link');
  await page.getByRole('button', { name: 'Start batch' }).click();
  await page.getByText(/^3 of 3 processed · 2 completed · 1 failed/).waitFor({ timeout: 60000 });
  await page.getByRole('heading', { name: 'Finished with failures' }).waitFor();
  const bar = page.getByRole('progressbar', { name: 'Job progress' });
  assert.equal(await bar.evaluate((b) => `${b.value}/${b.max}`), '3/3');
  await page.getByRole('list', { name: 'Results' }).locator(':scope > li').nth(2).waitFor();
  await page.getByRole('list', { name: 'Results' }).getByText('download failed: HTTP 404').waitFor();
  await shot(page, 'spreadsheet-progress');

  // The same sheet by URL (after a refused submit without a file, which must not block
  // the other source): a wrong address is shown by its field, then the columns come.
  serveGenerated('links.csv', 'text/csv', csv);
  await page.goto(`${mtag.url}/new?tab=sheet`);
  await page.getByRole('button', { name: 'Start batch' }).click();
  await page.getByText('Choose a spreadsheet file.').waitFor();
  await page.getByRole('radio', { name: 'a URL' }).check();
  await page.getByLabel('Spreadsheet URL').fill(`${files.url}/gen/nope.csv`);
  await page.getByLabel('Spreadsheet URL').press('Tab');
  await page.getByText('Download failed: HTTP 404.', { exact: true }).waitFor();
  await page.getByLabel('Spreadsheet URL').fill(`${files.url}/gen/links.csv`);
  await page.getByLabel('Spreadsheet URL').press('Tab');
  await options.nth(2).waitFor({ state: 'attached' });
  assert.equal(await column.inputValue(), 'link');
  await page.getByRole('button', { name: 'Start batch' }).click();
  await page.getByText(/^3 of 3 processed/).waitFor({ timeout: 60000 });
  assertClean(page, [HTTP_ERROR]);
  await page.context().close();
});

test('find a document by a word of its text, open it, download it', async () => {
  const page = await newPage(browser);
  const email = await registerInUi(page, mtag.url);
  const token = await apiToken(mtag.url, email);
  for (const f of ['TAMReview.pdf', 'tracemonkey.pdf', 'pdkids.pdf'])
    assert.equal((await apiProcess(mtag.url, token, `${files.url}/corpus/${f}`)).status, 200);
  await page.getByRole('link', { name: 'Documents', exact: true }).click();
  await page.getByText('3 documents').waitFor();
  // Whatever is pasted, the box sends what the server's request line holds.
  await page.getByLabel('Search documents').fill('日'.repeat(3000));
  assert.equal((await page.getByLabel('Search documents').inputValue()).length, 1000);
  await page.getByRole('button', { name: 'Search' }).click();
  await page.getByText(`0 results for “${'日'.repeat(1000)}”`).waitFor();
  // A query of 1,000 letters without a space wraps; the page stays as wide as the window.
  await page.getByLabel('Search documents').fill('x'.repeat(1000));
  await page.getByRole('button', { name: 'Search' }).click();
  await page.getByText(`0 results for “${'x'.repeat(1000)}”`).waitFor();
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth));
  await page.getByLabel('Search documents').fill('acceptance');
  await page.getByRole('button', { name: 'Search' }).click();
  await page.waitForURL(/\/documents\?q=acceptance$/);
  await page.getByText('1 result for “acceptance”').waitFor();
  const card = page.locator('.doc-card');
  assert.equal(await card.count(), 1);
  assert.ok((await card.locator('mark').allTextContents()).some((m) => /acceptance/i.test(m)));
  const shown = await card.locator('.tag').allTextContents();
  assert.equal(shown.length, 7);
  assert.match(shown[6], /^\+\d+ more$/);
  await shot(page, 'search-results');

  // Reloading keeps the query (it is in the address).
  await page.reload();
  assert.equal(await page.getByLabel('Search documents').inputValue(), 'acceptance');
  await card.getByRole('button', { name: /Technology Acceptance Model/ }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByRole('heading', { name: /Technology Acceptance Model/ }).waitFor();
  await dialog.getByText('23', { exact: true }).waitFor();
  const text = dialog.getByLabel('Extracted text');
  assert.equal((await text.textContent()).length, 1000);
  await dialog.getByRole('button', { name: /^Show all/ }).click();
  assert.ok((await text.textContent()).length > 1000);
  // The button goes; focus goes to the text it showed, not to the top of the page.
  assert.equal(await page.evaluate(() => document.activeElement.getAttribute('aria-label')), 'Extracted text');
  assert.match(await dialog.locator('.tag').first().textContent(), /1\.00$/);
  await shot(page, 'document-detail');
  const [download] = await Promise.all([page.waitForEvent('download'), dialog.getByRole('button', { name: 'Download' }).click()]);
  assert.equal(download.suggestedFilename(), 'TAMReview.pdf');
  const saved = join(tmp, 'download.pdf');
  await download.saveAs(saved);
  assert.ok(readFileSync(saved).equals(readFileSync(join(CORPUS, 'TAMReview.pdf'))));
  await dialog.getByRole('button', { name: 'Close' }).click();
  await page.waitForURL(/\/documents\?q=acceptance$/);

  // A tag chip narrows the list to the documents with that tag, as many as its count says;
  // the chip is pressed and its tag is in the address.
  await page.goto(`${mtag.url}/documents`);
  const chips = page.getByRole('group', { name: 'Filter by tag' }).getByRole('button');
  await chips.first().waitFor();
  assert.equal(await chips.count(), 20);
  const [, tag, count] = /^(.*) \((\d+) documents?\)$/.exec(await chips.first().textContent());
  await chips.first().click();
  await page.waitForURL(`${mtag.url}/documents?tag=${encodeURIComponent(tag).replace(/%20/g, '+')}`);
  await page.getByText(`${count} document${count === '1' ? '' : 's'}`, { exact: true }).waitFor();
  assert.equal(await page.locator('.doc-card').count(), Number(count));
  assert.equal(await chips.first().getAttribute('aria-pressed'), 'true');
  // The tag in another case, as typed in the address: the same chip, pressed, not a second one.
  await page.goto(`${mtag.url}/documents?tag=${encodeURIComponent(tag.toUpperCase())}`);
  await page.getByText(`${count} document${count === '1' ? '' : 's'}`, { exact: true }).waitFor();
  assert.equal(await chips.count(), 20);
  assert.equal(await page.getByRole('group', { name: 'Filter by tag' }).locator('[aria-pressed=true]').count(), 1);
  // Status, language and dates narrow the list too, and stay with it on reload.
  await page.goto(`${mtag.url}/documents`);
  await page.getByText('3 documents', { exact: true }).waitFor();
  await page.getByLabel('Status').selectOption('failed');
  await page.waitForURL(`${mtag.url}/documents?status=failed`);
  await page.getByText('No document matches these filters.').waitFor();
  await page.getByLabel('Status').selectOption('completed');
  await page.getByLabel('Language').fill('EN');
  await page.getByLabel('Language').press('Enter');
  await page.waitForURL(`${mtag.url}/documents?status=completed&lang=en`);
  await page.getByText('3 documents', { exact: true }).waitFor();
  const today = new Date().toISOString().slice(0, 10);
  const yesterday = new Date(Date.now() - 86400000).toISOString().slice(0, 10);
  await page.getByLabel('To').fill(yesterday);
  await page.waitForURL(new RegExp(`&to=${yesterday}$`));
  await page.getByText('No document matches these filters.').waitFor();
  await page.getByLabel('To').fill(today);  // "To" takes in its whole day
  await page.waitForURL(new RegExp(`&to=${today}$`));
  await page.getByText('3 documents', { exact: true }).waitFor();
  await page.reload();
  assert.equal(await page.getByLabel('Language').inputValue(), 'en');
  assert.equal(await page.getByLabel('Status').inputValue(), 'completed');
  await page.goto(`${mtag.url}/documents?tag=${encodeURIComponent(tag)}`);
  await page.locator('.doc-card').first().waitFor();
  // The card shows 6 tags; its detail shows them all, the chosen one among them.
  await page.locator('.doc-card h3 button').first().click();
  await page.getByRole('dialog').locator('.tag').first().waitFor();
  const all = await page.getByRole('dialog').locator('.tag').allTextContents();
  assert.ok(all.some((t) => t.toLowerCase().startsWith(tag)), `${tag} in ${all}`);
  assertClean(page);
  await page.context().close();
});

test('history: filter, open, delete with confirmation', async () => {
  const page = await newPage(browser);
  const email = await registerInUi(page, mtag.url);
  const token = await apiToken(mtag.url, email);
  assert.equal((await apiProcess(mtag.url, token, `${files.url}/corpus/TAMReview.pdf`)).status, 200);
  assert.equal((await apiProcess(mtag.url, token, `${files.url}/corpus/gone.pdf`)).status, 422);
  await page.goto(`${mtag.url}/history`);
  await page.getByText('2 jobs').waitFor();
  // A dialog closed without a change stays closed when the list changes.
  const firstJob = await page.locator('tbody tr').first().getAttribute('data-job');
  await page.locator('tbody tr').first().getByRole('button', { name: /^View/ }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Close' }).click();
  await page.waitForURL(`${mtag.url}/history`);
  // Focus is back on what opened the dialog, not at the top of the page.
  assert.equal(await page.evaluate(() => document.activeElement.closest('tr')?.dataset.job), firstJob);
  // The dialog's entry is gone from the history: Back leaves the page at once (it stayed
  // on an entry of the same address before).
  const entries = await page.evaluate(() => history.length);
  await page.goBack();
  await page.waitForURL((u) => !u.pathname.startsWith('/history'));
  await page.goForward();
  await page.waitForURL(`${mtag.url}/history`);
  await page.getByRole('heading', { name: 'History' }).waitFor();
  assert.equal(await page.evaluate(() => history.length), entries);
  await page.getByLabel('Sort').selectOption('oldest');
  await page.waitForURL(`${mtag.url}/history?sort=oldest`);
  await page.locator('tbody tr').nth(1).waitFor();
  assert.equal(await page.getByRole('dialog').count(), 0);
  await page.getByLabel('Status').selectOption('failed');
  await page.waitForURL(`${mtag.url}/history?sort=oldest&status=failed`);
  await page.getByText('1 job', { exact: true }).waitFor();
  const rows = page.locator('tbody tr');
  assert.equal(await rows.count(), 1);
  await rows.first().getByText('Failed', { exact: true }).waitFor();
  await shot(page, 'history-failed');
  await rows.first().getByRole('button', { name: /^View/ }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByText('download failed: HTTP 404').first().waitFor();
  // The failed document's own page says why; back returns to the job.
  await dialog.getByRole('link', { name: /gone\.pdf/ }).click();
  await page.waitForURL(/\/documents\?doc=/);
  await page.getByRole('dialog').getByRole('alert').getByText('Processing failed: download failed: HTTP 404').waitFor();
  assert.equal(await page.getByRole('dialog').getByRole('button', { name: 'Download' }).count(), 0);
  await shot(page, 'document-failed');
  await page.goBack();
  await page.waitForURL(/\/history\?sort=oldest&status=failed&job=/);
  await dialog.getByRole('button', { name: 'Delete job' }).click();
  const confirm = page.getByRole('alertdialog');
  await confirm.getByText('Delete this job?').waitFor();
  await confirm.getByRole('button', { name: 'Delete', exact: true }).click();
  await page.getByText('No matching jobs').waitFor();
  // What was done is shown and said with the page it leads to (it was said, then
  // overwritten by the page's heading at once).
  await page.locator('main .notice').getByText('The job was deleted.').waitFor();
  await page.waitForFunction(() => /The job was deleted\./.test(document.getElementById('announcer')?.textContent || ''));
  await page.getByRole('link', { name: 'Clear filters' }).click();
  await page.getByText('1 job', { exact: true }).waitFor();
  assert.equal(await page.locator('tbody tr').count(), 1);
  await page.locator('tbody tr').first().getByText('Completed').waitFor();
  // Past the last page (an old link, the last job of a page deleted): the last page, not
  // "No jobs yet" under "1 job".
  await page.goto(`${mtag.url}/history?page=7`);
  await page.waitForURL(`${mtag.url}/history`);
  // The address changes before the last page is drawn ("Loading…" in between).
  await page.locator('tbody tr').first().waitFor();
  assert.equal(await page.locator('tbody tr').count(), 1);
  await page.goto(`${mtag.url}/documents?page=99`);
  await page.waitForURL(`${mtag.url}/documents`);
  await page.locator('section.docs > *').first().waitFor();
  assertClean(page);
  await page.context().close();
});

test('history follows a running job without a reload', async () => {
  const page = await newPage(browser);
  const email = await registerInUi(page, mtag.url);
  const token = await apiToken(mtag.url, email);
  serveGenerated('live.csv', 'text/csv', `link\n${files.url}/slow/4000/corpus/TAMReview.pdf\n`);
  const r = await fetch(`${mtag.url}/api/process/process-batch`, {
    method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
    body: JSON.stringify({ spreadsheet_url: `${files.url}/gen/live.csv`, url_column: 'link' }),
  });
  assert.equal(r.status, 202);
  await page.goto(`${mtag.url}/history`);
  const row = page.locator('tbody tr').first();
  await row.getByText(/^(Pending|Processing)$/).waitFor();
  assert.equal(await row.locator('td.docs').textContent(), '0/1');
  await page.evaluate(() => { window.stillTheSamePage = true; });
  await row.getByText('Completed', { exact: true }).waitFor({ timeout: 30000 });
  assert.equal(await row.locator('td.docs').textContent(), '1/1');
  assert.equal(await page.evaluate(() => window.stillTheSamePage), true);
  // A running job's dialog follows it too: counts, status, and its actions once it ends.
  const third = await fetch(`${mtag.url}/api/process/process-batch`, {
    method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
    body: JSON.stringify({ spreadsheet_url: `${files.url}/gen/live.csv`, url_column: 'link' }),
  });
  const { job_id: watched } = await third.json();
  await page.goto(`${mtag.url}/history?job=${watched}`);
  const dialog = page.getByRole('dialog');
  await dialog.getByRole('button', { name: 'Cancel job' }).waitFor();
  await dialog.getByText('1 of 1 processed · 1 completed · 0 failed').waitFor({ timeout: 30000 });
  await dialog.getByText('Completed', { exact: true }).waitFor();
  assert.equal(await dialog.getByRole('button', { name: 'Cancel job' }).count(), 0);
  await dialog.getByRole('button', { name: 'Close' }).click();
  // Under a "Processing" filter the finished job leaves the list: its row still ends.
  const again = await fetch(`${mtag.url}/api/process/process-batch`, {
    method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
    body: JSON.stringify({ spreadsheet_url: `${files.url}/gen/live.csv`, url_column: 'link' }),
  });
  const { job_id: second } = await again.json();
  for (let i = 0; i < 100; i++) {
    const st = await (await fetch(`${mtag.url}/api/process/batch-status/${second}`, { headers: { Authorization: `Bearer ${token}` } })).json();
    if (st.status === 'processing') break;
    await new Promise((r) => setTimeout(r, 50));
  }
  await page.goto(`${mtag.url}/history?status=processing`);
  const filtered = page.locator(`tr[data-job="${second}"]`);
  await filtered.getByText('Processing', { exact: true }).waitFor();
  await filtered.getByText('Completed', { exact: true }).waitFor({ timeout: 30000 });
  assertClean(page);
  await page.context().close();
});

test('filters by keyboard: the control keeps the focus, a date typed digit by digit waits', async () => {
  const page = await newPage(browser);
  await registerInUi(page, mtag.url);
  await page.goto(`${mtag.url}/history`);
  await page.getByText('0 jobs').waitFor();
  await page.getByLabel('Status').focus();
  await page.keyboard.press('ArrowDown');
  await page.waitForURL(`${mtag.url}/history?status=pending`);
  const focused = (id) => page.waitForFunction((want) => document.activeElement.id === want, id, { timeout: 5000 });
  await focused('filter-status');
  await page.keyboard.press('ArrowDown');
  await page.waitForURL(`${mtag.url}/history?status=processing`);
  await focused('filter-status');
  // A date typed into Documents' "To": applied once whole, never as year 0002.
  await page.goto(`${mtag.url}/documents`);
  await page.getByLabel('To').focus();
  await page.keyboard.type('11292026');
  await page.waitForURL(`${mtag.url}/documents?to=2026-11-29`);
  await focused('doc-to');
  // A start after the end is said by the field, not sent.
  await page.getByLabel('From').fill('2026-12-01');
  await page.getByLabel('From').dispatchEvent('change');
  assert.equal(await page.getByLabel('To').evaluate((el) => el.validationMessage), 'The end is before the start.');
  assert.equal(page.url(), `${mtag.url}/documents?to=2026-11-29`);
  assertClean(page);
  await page.context().close();
});

test('a job of more than 100 documents shows them a page at a time', async () => {
  const page = await newPage(browser);
  const email = await registerInUi(page, mtag.url);
  const token = await apiToken(mtag.url, email);
  serveGenerated('note.txt', 'text/plain', 'Lighthouse keepers log the weather twice a day.');
  const links = Array.from({ length: 103 }, (_, i) => `${files.url}/gen/note.txt?n=${i}`);
  serveGenerated('many.csv', 'text/csv', `url\n${links.join('\n')}\n`);
  const r = await fetch(`${mtag.url}/api/process/process-batch`, {
    method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
    body: JSON.stringify({ spreadsheet_url: `${files.url}/gen/many.csv`, url_column: 'url' }),
  });
  assert.equal(r.status, 202);
  const job = (await r.json()).job_id;
  for (let i = 0; i < 300; i++) {
    const st = await (await fetch(`${mtag.url}/api/process/batch-status/${job}?limit=1`, { headers: { Authorization: `Bearer ${token}` } })).json();
    if (st.status !== 'pending' && st.status !== 'processing') break;
    await new Promise((res) => setTimeout(res, 200));
  }
  await page.goto(`${mtag.url}/history?job=${job}`);
  const dialog = page.getByRole('dialog');
  const docs = dialog.getByRole('list', { name: 'Documents of the job' }).locator(':scope > li');
  await dialog.getByText('100 of 103 documents').waitFor();
  assert.equal(await docs.count(), 100);
  await dialog.getByRole('button', { name: 'Show more' }).click();
  await dialog.getByText('103 of 103 documents').waitFor();
  assert.equal(await docs.count(), 103);
  assert.equal(await dialog.getByRole('button', { name: 'Show more' }).isVisible(), false);
  await shot(page, 'job-103-documents');
  assertClean(page);
  await page.context().close();
});

test('settings: sign out another session, and everywhere else', async () => {
  const page = await newPage(browser);
  const email = await registerInUi(page, mtag.url);
  const laptop = await newPage(browser);
  await loginInUi(laptop, mtag.url, email);
  await laptop.waitForURL(`${mtag.url}/dashboard`);
  await page.goto(`${mtag.url}/settings`);
  const rows = page.locator('tbody tr');
  await rows.nth(1).waitFor();
  assert.equal(await rows.count(), 2);
  await page.getByText('This device').waitFor();
  await shot(page, 'settings-sessions');
  await rows.filter({ hasNot: page.getByText('This device') }).getByRole('button', { name: /^Sign out/ }).click();
  await page.waitForFunction(() => document.querySelectorAll('tbody tr').length === 1);
  // The laptop's session is over: its next page asks it to sign in.
  await laptop.reload();
  await laptop.waitForURL(`${mtag.url}/login?next=%2Fdashboard`);

  await apiToken(mtag.url, email);
  await apiToken(mtag.url, email);
  await page.reload();
  await rows.nth(2).waitFor();
  await page.getByRole('button', { name: 'Sign out everywhere else' }).click();
  await page.getByRole('alertdialog').getByRole('button', { name: 'Sign them out' }).click();
  await page.waitForFunction(() => document.querySelectorAll('tbody tr').length === 1);
  await page.getByText('This device').waitFor();
  await page.reload();
  await page.getByRole('heading', { name: 'Settings' }).waitFor();
  assertClean(page);
  assertClean(laptop, [HTTP_ERROR]);
  await page.context().close();
  await laptop.context().close();
});

test('a document titled with HTML is shown as text', async () => {
  const evil = '<img src=x onerror=alert(1)>';
  const escaped = evil.replace(/</g, '&lt;').replace(/>/g, '&gt;');
  serveGenerated('xss.html', 'text/html', `<html><head><title>${escaped}</title></head><body><p>Volcanoes and lava fields of Iceland.</p></body></html>`);
  const page = await newPage(browser);
  await registerInUi(page, mtag.url);
  await page.goto(`${mtag.url}/new`);
  await page.getByLabel('Document URL').fill(`${files.url}/gen/xss.html`);
  await page.getByRole('button', { name: 'Process' }).click();
  await page.locator('article.result h2').waitFor();
  assert.equal(await page.locator('article.result h2').textContent(), evil);
  await page.goto(`${mtag.url}/documents?q=volcanoes`);
  const title = page.locator('.doc-card h3');
  await title.waitFor();
  assert.equal(await title.textContent(), evil);
  await title.getByRole('button').click();
  await page.getByRole('dialog').getByRole('heading', { name: evil }).waitFor();
  assert.equal(await page.locator('img[src="x"]').count(), 0);
  await shot(page, 'xss-title');
  assertClean(page);
  await page.context().close();
});

test('keyboard: skip link, user menu, dialogs', async () => {
  const page = await newPage(browser);
  await registerInUi(page, mtag.url);
  await page.goto(`${mtag.url}/dashboard`);
  await page.getByRole('heading', { name: 'Welcome, Ada' }).waitFor();
  await page.evaluate(() => document.activeElement.blur());
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Skip to content');
  // The skip link moves within the page: no new page is drawn (it was refetched and redrawn).
  await page.evaluate(() => { document.querySelector('h1').dataset.mark = 'kept'; });
  await page.keyboard.press('Enter');
  assert.equal(await page.evaluate(() => document.querySelector('h1').dataset.mark), 'kept');
  const toggle = page.getByRole('button', { name: 'Account menu for Ada Lovelace' });
  await toggle.focus();
  await page.keyboard.press('Enter');
  assert.equal(await toggle.getAttribute('aria-expanded'), 'true');
  assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Settings');
  await page.keyboard.press('ArrowDown');
  assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Sign out');
  await page.keyboard.press('Escape');
  assert.equal(await toggle.getAttribute('aria-expanded'), 'false');
  assert.equal(await page.evaluate(() => document.activeElement.getAttribute('aria-controls')), 'user-menu');
  // Tabbing out of the open menu closes it.
  await page.keyboard.press('Enter');
  assert.equal(await toggle.getAttribute('aria-expanded'), 'true');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
  assert.equal(await toggle.getAttribute('aria-expanded'), 'false');
  await toggle.focus();
  // Focus is visible: the focused control draws a ring.
  assert.notEqual(await toggle.evaluate((el) => getComputedStyle(el).boxShadow), 'none');
  await page.emulateMedia({ colorScheme: 'dark' });
  assert.equal(await page.evaluate(() => getComputedStyle(document.body).backgroundColor), 'rgb(17, 20, 24)');
  await shot(page, 'dashboard-dark');
  assertClean(page);
  await page.context().close();
});

test('phone-sized: the main pages fit 360 px', async () => {
  const page = await newPage(browser, { viewport: { width: 360, height: 740 } });
  const email = await registerInUi(page, mtag.url);
  const token = await apiToken(mtag.url, email);
  assert.equal((await apiProcess(mtag.url, token, `${files.url}/corpus/tracemonkey.pdf`)).status, 200);
  // Long unbroken names wrap: a file chosen for upload, a tag chip from the address.
  const fits = async (what) => {
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 360, `${what} is ${width} px wide`);
  };
  const longName = join(tmp, `${'Quarterly_Report_2024_Q3_final_v2_signed_'.repeat(4)}.pdf`);
  writeFileSync(longName, readFileSync(join(CORPUS, 'tracemonkey.pdf')));
  await page.goto(`${mtag.url}/new?tab=files`);
  await page.locator('input[type=file]').first().setInputFiles(longName);
  await page.getByText(/Quarterly_Report/).first().waitFor();
  await fits('/new with a long file name');
  await page.goto(`${mtag.url}/documents?tag=${'supercalifragilistic'.repeat(6)}`);
  await page.getByRole('heading', { name: 'Documents', exact: true }).waitFor();
  await page.waitForFunction(() => !document.querySelector('main .loading'));
  await fits('/documents with a long tag');
  const pages = [['/dashboard', 'Welcome, Ada'], ['/new', 'New job'], ['/history', 'History'],
    ['/documents', 'Documents'], ['/settings', 'Settings'], ['/login', 'Sign in']];
  for (const [path, heading] of pages) {
    if (path === '/login') { // the sign-in page as a visitor sees it
      await page.getByRole('button', { name: 'Account menu for Ada Lovelace' }).click();
      await page.getByRole('menuitem', { name: 'Sign out' }).click();
      await page.waitForURL(`${mtag.url}/login`);
    }
    await page.goto(`${mtag.url}${path}`);
    await page.getByRole('heading', { name: heading, exact: true }).waitFor();
    await page.waitForFunction(() => !document.querySelector('main .loading'));
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 360, `${path} is ${width} px wide`);
    await shot(page, `phone${path.replace('/', '-')}`);
  }
  assertClean(page);
  await page.context().close();
});

test('signing out while the server is unreachable says so, keeps the session, and can be tried again', async () => {
  const page = await newPage(browser);
  await registerInUi(page, mtag.url);
  await page.getByRole('heading', { name: 'Welcome, Ada' }).waitFor();
  await page.route('**/api/auth/logout', (route) => route.abort('connectionrefused'));
  await page.getByRole('button', { name: 'Account menu for Ada Lovelace' }).click();
  await page.getByRole('menuitem', { name: 'Sign out' }).click();
  const alert = page.getByRole('alert');
  await alert.getByText('You are still signed in: the server did not end your session. The server cannot be reached.',
    { exact: false }).waitFor();
  // Not "You are signed out.": still on the page, signed in here and on the server.
  assert.equal(page.url(), `${mtag.url}/dashboard`);
  assert.equal(await page.locator('main .notice').count(), 0);
  await page.getByRole('button', { name: 'Account menu for Ada Lovelace' }).waitFor();
  assert.equal(await page.evaluate(() => localStorage.getItem('mtag.session')), '1');
  assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Try again');
  await shot(page, 'sign-out-unreachable');
  const refresh = () => page.evaluate(async () => (await fetch('/api/auth/refresh', {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' })).status);
  assert.equal(await refresh(), 200);
  // The server back: "Try again" signs out, here and there.
  await page.unroute('**/api/auth/logout');
  await alert.getByRole('button', { name: 'Try again' }).click();
  await page.waitForURL(`${mtag.url}/login`);
  await page.locator('main .notice').getByText('You are signed out.').waitFor();
  assert.equal(await refresh(), 401);
  assertClean(page, [/ERR_CONNECTION_REFUSED/, /status of 401/]);
  await page.context().close();
});

test('the date filter takes days as the browser shows them, in its time zone', async () => {
  const first = await newPage(browser);
  const email = await registerInUi(first, mtag.url);
  await first.context().close();
  const token = await apiToken(mtag.url, email);
  assert.equal((await apiProcess(mtag.url, token, `${files.url}/corpus/pdkids.pdf`)).status, 200);
  const { documents: [doc] } = await (await fetch(`${mtag.url}/api/history/documents`,
    { headers: { Authorization: `Bearer ${token}` } })).json();
  // A zone where the document's day is not its UTC day: UTC-11 before 10:30 UTC, UTC+14 after.
  const t = new Date(doc.created_at);
  const timezoneId = t.getUTCHours() + t.getUTCMinutes() / 60 < 10.5 ? 'Pacific/Pago_Pago' : 'Pacific/Kiritimati';
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, timezoneId });
  const page = await newPage(browser, { context });
  await loginInUi(page, mtag.url, email);
  await page.waitForURL(`${mtag.url}/dashboard`);
  const [local, shown] = await page.evaluate((iso) => [new Date(iso).toLocaleDateString('en-CA'),
    new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' }).format(new Date(iso))], doc.created_at);
  const utc = doc.created_at.slice(0, 10);
  assert.notEqual(local, utc, timezoneId);
  await page.goto(`${mtag.url}/documents`);
  await page.locator('.doc-card .meta').getByText(shown, { exact: false }).waitFor();
  // From and To the day the card shows: the document is found.
  await page.getByLabel('From').fill(local);
  await page.waitForURL(`${mtag.url}/documents?from=${local}`);
  await page.getByLabel('To').fill(local);
  await page.waitForURL(`${mtag.url}/documents?from=${local}&to=${local}`);
  await page.getByText('1 document', { exact: true }).waitFor();
  // The UTC day, which is not that day here: not found.
  await page.goto(`${mtag.url}/documents?from=${utc}&to=${utc}`);
  await page.getByText('No document matches these filters.').waitFor();
  await shot(page, 'documents-dates-local');
  assertClean(page);
  await context.close();
});

test('the user menu stays inside a phone\'s window with a long name and email', async () => {
  const page = await newPage(browser, { viewport: { width: 360, height: 740 } });
  const name = 'Wolfeschlegelsteinhausenbergerdorff Featherstonehaugh-Cholmondeley';
  const email = `long-mailbox-name-${process.pid}-${Date.now()}@an-unusually-long-subdomain.example.org`;
  await registerInUi(page, mtag.url, { email, name });
  await page.getByRole('button', { name: `Account menu for ${name}` }).click();
  const menu = page.getByRole('menu');
  await menu.getByText(email).waitFor();
  const inside = await menu.evaluate((m) => {
    const r = m.getBoundingClientRect();
    const parts = [...m.querySelectorAll('.who > *, [role=menuitem]')].map((el) => el.getBoundingClientRect());
    return r.left >= 0 && r.right <= document.documentElement.clientWidth
      && parts.every((p) => p.left >= r.left && p.right <= r.right);
  });
  assert.ok(inside, JSON.stringify(await menu.boundingBox()));
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 360));
  await shot(page, 'phone-user-menu');
  assertClean(page);
  await page.context().close();
});

test('a one-file upload is a "Single document" job, and the type filter says what each holds', async () => {
  const page = await newPage(browser);
  await registerInUi(page, mtag.url);
  await page.goto(`${mtag.url}/new?tab=files`);
  await page.locator('#files-input').setInputFiles([join(CORPUS, 'pdkids.pdf')]);
  await page.getByRole('button', { name: 'Upload and process' }).click();
  await page.locator('article.result').waitFor();
  await page.goto(`${mtag.url}/history`);
  const row = page.locator('tbody tr').first();
  await row.waitFor();
  assert.equal(await row.locator('td').nth(1).textContent(), 'Single document');
  assert.deepEqual(await page.locator('#filter-type option').allTextContents(),
    ['All types', 'Single document (a URL or one file)', 'Upload of several files', 'Spreadsheet of links']);
  await page.getByLabel('Type').selectOption('single');
  await page.waitForURL(`${mtag.url}/history?type=single`);
  await page.getByText('1 job', { exact: true }).waitFor();
  await page.locator('tbody tr').first().getByRole('button', { name: /^View Single document job/ }).click();
  await page.getByRole('dialog').getByRole('heading', { name: 'Single document job' }).waitFor();
  await page.goto(`${mtag.url}/dashboard`);
  await page.getByRole('link', { name: 'Single document job' }).waitFor();
  assert.equal(await page.getByText('Single URL').count(), 0);
  assertClean(page);
  await page.context().close();
});

test('a name starting with an emoji gives a whole avatar', async () => {
  const page = await newPage(browser);
  await registerInUi(page, mtag.url, { name: '👩🏽‍💻 Grace Hopper' });
  const avatar = page.locator('.avatar');
  await avatar.waitFor();
  assert.equal(await avatar.textContent(), '👩🏽‍💻');
  await page.getByRole('button', { name: 'Account menu for 👩🏽‍💻 Grace Hopper' }).waitFor();
  assertClean(page);
  await page.context().close();
});

test('Enter in Languages or Max tags submits, as in the URL field', async () => {
  const page = await newPage(browser);
  await page.goto(`${mtag.url}/new`);
  await page.getByLabel('Document URL').fill(`${files.url}/corpus/pdkids.pdf`);
  await page.getByLabel('Languages').fill('english');
  await page.getByLabel('Languages').press('Enter');
  await page.getByText('"english" is not a two-letter language code.').waitFor();
  await page.getByLabel('Languages').fill('');
  await page.getByLabel('Max tags').fill('3');
  await page.getByLabel('Max tags').press('Enter');
  const result = page.locator('article.result');
  await result.waitFor();
  const tags = await result.locator('.tag').count();
  assert.ok(tags >= 1 && tags <= 3, `${tags} tags`);
  // On the upload tab with no file chosen its button is disabled: Enter does nothing either.
  await page.getByRole('tab', { name: 'Upload files' }).click();
  await page.getByLabel('Max tags').press('Enter');
  assert.equal(await page.locator('.output').evaluate((o) => o.childElementCount), 1);
  assertClean(page);
  await page.context().close();
});

test('what a search or a filter found is said to screen readers', async () => {
  const page = await newPage(browser);
  const email = await registerInUi(page, mtag.url);
  const token = await apiToken(mtag.url, email);
  for (const f of ['TAMReview.pdf', 'pdkids.pdf'])
    assert.equal((await apiProcess(mtag.url, token, `${files.url}/corpus/${f}`)).status, 200);
  const said = (text) => page.waitForFunction((t) => document.getElementById('announcer').textContent === t, text);
  await page.goto(`${mtag.url}/documents`);
  await page.getByText('2 documents', { exact: true }).waitFor();
  // Enter in the box: the box keeps the focus, the count is said.
  await page.getByLabel('Search documents').fill('acceptance');
  await page.getByLabel('Search documents').press('Enter');
  await said('1 result for “acceptance”');
  // The button: the focus goes to the heading, said with the count.
  await page.getByLabel('Search documents').fill('zyzzyvas');
  await page.getByRole('button', { name: 'Search' }).click();
  await said('Documents. No documents found');
  // A filter changed from the keyboard keeps the focus: the count alone is said.
  await page.goto(`${mtag.url}/documents`);
  await page.getByText('2 documents', { exact: true }).waitFor();
  await page.getByLabel('Status').focus();
  await page.keyboard.press('ArrowDown');
  await page.waitForURL(`${mtag.url}/documents?status=completed`);
  await said('2 documents');
  // Opening a document's dialog is not a new result.
  await page.locator('.doc-card h3 button').first().click();
  await page.getByRole('dialog').getByRole('heading').first().waitFor();
  await page.waitForTimeout(300);
  assert.doesNotMatch(await page.evaluate(() => document.getElementById('announcer').textContent), /documents/);
  await page.getByRole('dialog').getByRole('button', { name: 'Close' }).click();
  await page.waitForURL(`${mtag.url}/documents?status=completed`);
  await page.goto(`${mtag.url}/history`);
  await page.getByText('2 jobs', { exact: true }).waitFor();
  await page.getByLabel('Status').focus();
  await page.keyboard.press('ArrowDown');
  await page.waitForURL(`${mtag.url}/history?status=pending`);
  await said('No matching jobs');
  // Chosen without the focus on it, the focus goes to the heading, said with the count.
  await page.evaluate(() => document.activeElement.blur());
  await page.getByLabel('Status').selectOption('completed');
  await said('History. 2 jobs');
  assertClean(page);
  await page.context().close();
});

test('text has 4.5:1 contrast on tags, the current page and highlighted words, light and dark', async () => {
  const page = await newPage(browser);
  const email = await registerInUi(page, mtag.url);
  const token = await apiToken(mtag.url, email);
  assert.equal((await apiProcess(mtag.url, token, `${files.url}/corpus/TAMReview.pdf`)).status, 200);
  await page.goto(`${mtag.url}/documents?q=acceptance`);
  await page.locator('.doc-card mark').first().waitFor();
  // WCAG's contrast ratio of an element's text against the first background under it.
  const contrast = (selector) => page.locator(selector).first().evaluate((el) => {
    const rgb = (s) => s.match(/[\d.]+/g).map(Number);
    let bg = [255, 255, 255];
    for (let e = el; e; e = e.parentElement) {
      const c = rgb(getComputedStyle(e).backgroundColor);
      if (c.length < 4 || c[3] > 0) { bg = c; break; }
    }
    const lum = (c) => c.slice(0, 3).map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; })
      .reduce((s, v, i) => s + v * [0.2126, 0.7152, 0.0722][i], 0);
    const [a, b] = [lum(rgb(getComputedStyle(el).color)), lum(bg)].sort((x, y) => y - x);
    return (a + 0.05) / (b + 0.05);
  });
  const selectors = ['.doc-card .tag', '.main-nav a[aria-current="page"]', '.doc-card mark', '.doc-card .snippet', '.chip'];
  for (const scheme of ['light', 'dark']) {
    await page.emulateMedia({ colorScheme: scheme });
    for (const s of selectors) {
      const ratio = await contrast(s);
      assert.ok(ratio >= 4.5, `${scheme}: ${s} has ${ratio.toFixed(2)}:1`);
    }
  }
  await shot(page, 'search-results-dark');
  assertClean(page);
  await page.context().close();
});

test('plurals: one column, one file left out', async () => {
  const page = await newPage(browser);
  await registerInUi(page, mtag.url);
  await page.goto(`${mtag.url}/new?tab=files`);
  await page.locator('#files-input').setInputFiles(Array.from({ length: 21 }, (_, i) =>
    ({ name: `n${i}.txt`, mimeType: 'text/plain', buffer: Buffer.from(`note ${i}`) })));
  await page.getByText('An upload takes 20 files at most: 1 of those chosen was left out.').waitFor();
  const path = join(tmp, 'one-column.csv');
  writeFileSync(path, `link\n${files.url}/corpus/pdkids.pdf\n`);
  await page.goto(`${mtag.url}/new?tab=sheet`);
  await page.getByLabel('Spreadsheet file').setInputFiles(path);
  await page.getByText('1 column in the CSV file\'s header row.').waitFor();
  assertClean(page);
  await page.context().close();
});

test('a job cancelled while New job follows it is said to be cancelled', async () => {
  const page = await newPage(browser);
  const email = await registerInUi(page, mtag.url);
  const token = await apiToken(mtag.url, email);
  const links = [1, 2, 3, 4, 5, 6].map((i) => `${files.url}/slow/5000/corpus/pdkids.pdf?n=${i}`);
  serveGenerated('slow.csv', 'text/csv', `link\n${links.join('\n')}\n`);
  await page.goto(`${mtag.url}/new?tab=sheet`);
  await page.getByRole('radio', { name: 'a URL' }).check();
  await page.getByLabel('Spreadsheet URL').fill(`${files.url}/gen/slow.csv`);
  await page.getByLabel('Spreadsheet URL').press('Tab');
  await page.locator('#sheet-column-select option').first().waitFor({ state: 'attached' });
  await page.getByRole('button', { name: 'Start batch' }).click();
  await page.getByRole('heading', { name: 'Processing', exact: true }).waitFor();
  const auth = { Authorization: `Bearer ${token}` };
  const { jobs: [job] } = await (await fetch(`${mtag.url}/api/history/jobs`, { headers: auth })).json();
  const r = await fetch(`${mtag.url}/api/history/jobs/${job.id}/cancel`, {
    method: 'POST', headers: { ...auth, 'Content-Type': 'application/json' }, body: '{}' });
  assert.equal(r.status, 200);
  await page.getByRole('heading', { name: 'Cancelled', exact: true }).waitFor({ timeout: 30000 });
  await page.waitForFunction(() => /^Job cancelled: \d+ completed, \d+ failed or stopped\.$/
    .test(document.getElementById('announcer').textContent));
  assert.equal(await page.getByRole('heading', { name: /^Finished/ }).count(), 0);
  await shot(page, 'new-job-cancelled');
  assertClean(page);
  await page.context().close();
});

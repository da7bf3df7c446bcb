// web.mjs - the dashboard in headless Chromium, served by mtag and by nginx
// (same files, the API proxied to the same mtag): bytes over the wire cold
// and warm, time to the dashboard's first render, and when the page's own
// files (document, CSS, modules) had arrived. Run by bench/web.sh.
//   node bench/web.mjs MTAG_URL NGINX_URL EMAIL PASSWORD RUNS
import { chromium } from 'playwright-core';

const [mtagUrl, nginxUrl, email, password, runsArg] = process.argv.slice(2);
const RUNS = Number(runsArg || 15);

const browser = await chromium.launch({
  executablePath: process.env.MTAG_TEST_CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
});

// One visit: bytes received (static files / API), time to the stat cards, files done.
async function visit(page, cdp, base) {
  const sizes = new Map();
  let staticBytes = 0, apiBytes = 0, requests = 0;
  const onResponse = (e) => sizes.set(e.requestId, e.response.url);
  const onDone = (e) => {
    const url = sizes.get(e.requestId) || '';
    requests++;
    if (new URL(url, base).pathname.startsWith('/api/') || url.endsWith('/health')) apiBytes += e.encodedDataLength;
    else staticBytes += e.encodedDataLength;
  };
  cdp.on('Network.responseReceived', onResponse);
  cdp.on('Network.loadingFinished', onDone);
  await page.goto(`${base}/dashboard`);
  await page.waitForSelector('.stat');
  const t = await page.evaluate(() => {
    const render = performance.now();
    const own = performance.getEntriesByType('resource').filter((r) => r.name.includes('/assets/'));
    const nav = performance.getEntriesByType('navigation')[0];
    return { render, files: Math.max(nav.responseEnd, ...own.map((r) => r.responseEnd)) };
  });
  await page.waitForTimeout(100); // the last loadingFinished events
  cdp.off('Network.responseReceived', onResponse);
  cdp.off('Network.loadingFinished', onDone);
  return { ...t, staticBytes, apiBytes, requests };
}

async function run(base) {
  const context = await browser.newContext();
  // The session as a returning user has it: the refresh cookie, and the hint the app keeps.
  const r = await context.request.post(`${base}/api/auth/login`, { data: { email, password } });
  if (r.status() !== 200) throw new Error(`login on ${base}: ${r.status()}`);
  await context.addInitScript(() => localStorage.setItem('mtag.session', '1'));
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  const cold = await visit(page, cdp, base);
  const warm = await visit(page, cdp, base);
  await context.close();
  return { cold, warm };
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const results = { mtag: [], nginx: [] };
await run(mtagUrl); // warm-up: the server's caches, Chromium's start
await run(nginxUrl);
for (let i = 0; i < RUNS; i++) {
  results.mtag.push(await run(mtagUrl));
  results.nginx.push(await run(nginxUrl));
}
await browser.close();

const row = (name, key, field) => median(results[name].map((x) => x[key][field]));
console.log(`runs: ${RUNS} each, alternating; medians`);
console.log('server  visit  static bytes  API bytes  requests  files done ms  first render ms');
for (const name of ['mtag', 'nginx'])
  for (const key of ['cold', 'warm'])
    console.log(`${name.padEnd(7)} ${key.padEnd(5)} ${String(row(name, key, 'staticBytes')).padStart(13)} ${String(row(name, key, 'apiBytes')).padStart(10)}`
      + ` ${String(row(name, key, 'requests')).padStart(9)} ${row(name, key, 'files').toFixed(1).padStart(14)} ${row(name, key, 'render').toFixed(1).padStart(16)}`);
for (const key of ['cold', 'warm']) {
  const ratio = row('mtag', key, 'render') / row('nginx', key, 'render');
  const bytes = row('mtag', key, 'staticBytes') / row('nginx', key, 'staticBytes');
  console.log(`ratio mtag/nginx ${key}: first render ${ratio.toFixed(2)}, static bytes ${bytes.toFixed(2)}`);
}

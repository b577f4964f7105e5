// page.mjs -- drives the client node's page in headless Chromium with
// playwright-core (run by page.sh, which starts the cluster): the page
// loads without console errors, shows the leader and the members, a value
// written in its form is chosen and shows up in the log, a value made of
// HTML stays inert text, the read button lists the log, the page works
// under a path prefix, behind a small prefix-stripping proxy started here,
// and it asks for the client token when the node answers 401 (simulated
// here: the test cluster has no token).
// Prints one "ok   - ..." or "FAIL - ..." line per check, and saves
// screenshots.
//
//   node page.mjs --probe     only checks that Chromium starts (exit 0, or 1)
//   node page.mjs             the checks; environment below
//
// Environment: PAXOS_NPM_DIR (where playwright-core is installed),
// PAXOS_CHROMIUM (the browser), PAGE_URL (the client node's page),
// PAGE_LEADER (the leading proposer), PAGE_TAG (makes the values unique),
// PAGE_XSS (the HTML value), PAGE_SHOT and PAGE_SHOT_PHONE (screenshot
// files), PAGE_SCALE (multiplies every timeout).
import fs from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';

const env = process.env;
const require = createRequire(path.join(env.PAXOS_NPM_DIR, 'package.json'));
const { chromium } = require('playwright-core');

const SCALE = Number(env.PAGE_SCALE || 1);
const WAIT_MS = 15000 * SCALE;
const PREFIX = '/client1';

let passed = 0;
let failed = 0;

function ok(desc) {
  passed++;
  console.log('ok   - ' + desc);
}

function fail(desc, detail) {
  failed++;
  console.log('FAIL - ' + desc);
  if (detail)
    for (const line of String(detail).split('\n').slice(0, 20))
      console.log('       ' + line);
}

// Runs one check: passes unless fn throws (or returns a string: the
// failure's detail).
async function check(desc, fn) {
  try {
    const detail = await fn();
    if (typeof detail === 'string')
      fail(desc, detail);
    else
      ok(desc);
  } catch (e) {
    fail(desc, e.message.split('\n')[0]);
  }
}

async function launch() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'paxos-chromium-'));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: env.PAXOS_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
      '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
    viewport: { width: 1280, height: 900 },
    timeout: 30000 * SCALE,
  });
  return { context, dir };
}

async function close({ context, dir }) {
  await context.close();
  fs.rmSync(dir, { recursive: true, force: true });
}

// Everything that went wrong on a page: console errors, uncaught errors,
// failed requests, answers >= 400, dialogs (alert() and friends).
function watch(page) {
  const w = { errors: [], dialogs: [], requests: [] };
  page.on('console', (m) => {
    if (m.type() === 'error')
      w.errors.push('console: ' + m.text());
  });
  page.on('pageerror', (e) => w.errors.push('page error: ' + e.message));
  page.on('requestfailed', (r) => {
    // A poll cut short by a navigation is not an error of the page.
    if (r.failure()?.errorText !== 'net::ERR_ABORTED')
      w.errors.push('request failed: ' + r.url() + ' ' + r.failure()?.errorText);
  });
  page.on('response', (r) => {
    if (r.status() >= 400)
      w.errors.push('HTTP ' + r.status() + ': ' + r.url());
  });
  page.on('request', (r) => w.requests.push(r.url()));
  page.on('dialog', (d) => {
    w.dialogs.push(d.type() + ': ' + d.message());
    d.dismiss().catch(() => {});
  });
  return w;
}

// A reverse proxy that serves the client node under PREFIX and strips it,
// as the Ingress does; any other path is answered 404 and remembered.
function startProxy(target) {
  const stray = [];
  const server = http.createServer((req, res) => {
    const m = /^\/client1(?:\/|$)(.*)$/s.exec(req.url);
    if (!m) {
      stray.push(req.url);
      res.writeHead(404).end();
      return;
    }
    const upstream = http.request({
      host: target.hostname, port: target.port, method: req.method,
      path: '/' + m[1], headers: req.headers,
    }, (answer) => {
      res.writeHead(answer.statusCode, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.writeHead(502).end());
    req.pipe(upstream);
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, stray, url: 'http://127.0.0.1:' + server.address().port }));
  });
}

async function waitExact(page, selector, text) {
  await page.waitForFunction(([sel, t]) => {
    const e = document.querySelector(sel);
    return e && e.textContent === t;
  }, [selector, text], { timeout: WAIT_MS });
}

async function waitText(page, selector, pattern) {
  await page.waitForFunction(([sel, src]) => {
    const e = document.querySelector(sel);
    return e && new RegExp(src).test(e.textContent);
  }, [selector, pattern.source], { timeout: WAIT_MS });
  return page.textContent(selector);
}

// Writes value with the page's form; returns the slot the page reports.
async function writeWithForm(page, value) {
  await page.fill('#send-value', value);
  await page.click('#send-button');
  const text = await waitText(page, '#send-result.ok, #send-result.error', /./);
  const m = /Chosen at slot (\d+) in \d+ ms/.exec(text);
  if (!m)
    throw new Error('the form answered: ' + text);
  return Number(m[1]);
}

async function waitInLog(page, value) {
  await page.waitForFunction((v) =>
    [...document.querySelectorAll('#log-body td.val')].some((td) => td.textContent === v),
  value, { timeout: WAIT_MS });
}

async function mainChecks(context) {
  const page = await context.newPage();
  const w = watch(page);
  const tag = env.PAGE_TAG;
  const value = 'from the browser ' + tag;
  const xss = env.PAGE_XSS;
  let slot = 0;

  await check('GET / answers 200 text/html', async () => {
    const r = await page.goto(env.PAGE_URL);
    const type = r.headers()['content-type'];
    if (r.status() !== 200 || type !== 'text/html; charset=utf-8')
      return `status ${r.status()}, content type ${type}`;
  });
  await check('the page shows client1, live', async () => {
    await waitText(page, '#node-name', /^client1$/);
    await page.waitForSelector('#conn.live', { timeout: WAIT_MS });
  });
  await check(`the page shows the leader (${env.PAGE_LEADER}) and its ballot`, async () => {
    const leader = await waitText(page, '#leader', /^proposer\d$/);
    const ballot = await page.textContent('#ballot');
    if (leader !== env.PAGE_LEADER || !/^\d+\.\d+$/.test(ballot))
      return `leader '${leader}', ballot '${ballot}'`;
  });
  await check('the members table lists the ten nodes, all alive', async () => {
    await page.waitForFunction(() =>
      document.querySelectorAll('#members-body tr').length === 10 &&
      [...document.querySelectorAll('#members-body .badge')].every((b) => b.textContent === 'alive'),
    null, { timeout: WAIT_MS });
  });
  await check('a value written with the form is chosen', async () => {
    slot = await writeWithForm(page, value);
  });
  await check('it appears in the log after consensus', () => waitInLog(page, value));
  await check('the responses list it with its slot and latency', async () => {
    await waitExact(page, '#responses-body tr:first-child td:nth-child(1)', value);
    const row = await page.$$eval('#responses-body tr:first-child td', (tds) => tds.map((t) => t.textContent));
    if (row[1] !== 'chosen' || row[2] !== String(slot) || !/^\d+ ms$/.test(row[3]))
      return 'row: ' + JSON.stringify(row);
  });

  await check('a value made of <script> and <img onerror> is chosen', async () => {
    await writeWithForm(page, xss);
  });
  await check('it is shown literally, as text, in the log and the responses', async () => {
    await waitInLog(page, xss);
    await waitExact(page, '#responses-body tr:first-child td:nth-child(1)', xss);
  });
  await check('the read button lists the log, both values included', async () => {
    await page.click('#read-button');
    await waitText(page, '#read-head', /^Linearizable read from learner\d: \d+ values?/);
    const items = await page.$$eval('#read-list li .val', (l) => l.map((e) => e.textContent));
    if (!items.includes(value) || !items.includes(xss))
      return `${items.length} values, the last: ${JSON.stringify(items.slice(-3))}`;
  });
  await check('the HTML value stays inert: no dialog, no injected element ran', async () => {
    await page.waitForTimeout(1500 * SCALE);   // for an onerror to fire
    const state = await page.evaluate(() => ({
      xss: window.paxosXss,
      imgs: document.querySelectorAll('img').length,
      scripts: document.querySelectorAll('script').length,
    }));
    if (w.dialogs.length || state.xss !== undefined || state.imgs || state.scripts !== 2)
      return `dialogs ${JSON.stringify(w.dialogs)}, window.paxosXss ${state.xss}, ` +
        `img elements ${state.imgs}, script elements ${state.scripts}`;
  });
  await check('no console error, page error or failed request', () =>
    w.errors.length ? w.errors.join('\n') : undefined);
  await check('every request of the page stayed on the client node', () => {
    const origin = new URL(env.PAGE_URL).origin + '/';
    const other = w.requests.filter((u) => !u.startsWith(origin) && !u.startsWith('data:'));
    return other.length ? other.join('\n') : undefined;
  });

  await page.screenshot({ path: env.PAGE_SHOT, fullPage: true });
  console.log('# screenshot: ' + env.PAGE_SHOT);
  await check('at phone width (390 px) the page fits the screen', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForTimeout(300);
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    await page.screenshot({ path: env.PAGE_SHOT_PHONE, fullPage: true });
    console.log('# screenshot: ' + env.PAGE_SHOT_PHONE);
    if (width > 390)
      return `the page is ${width} px wide`;
  });
  await page.close();
}

async function prefixChecks(context) {
  const proxy = await startProxy(new URL(env.PAGE_URL));
  const page = await context.newPage();
  const w = watch(page);
  const value = 'under the prefix ' + env.PAGE_TAG;
  const base = proxy.url + PREFIX + '/';

  try {
    await check(`under ${PREFIX}/ the page loads and shows the cluster`, async () => {
      await page.goto(base);
      await waitText(page, '#node-name', /^client1$/);
      await page.waitForSelector('#conn.live', { timeout: WAIT_MS });
      await waitText(page, '#leader', /^proposer\d$/);
      await page.waitForFunction(() => document.querySelectorAll('#members-body tr').length === 10,
        null, { timeout: WAIT_MS });
      await page.waitForFunction(() => document.querySelectorAll('#log-body tr').length > 0,
        null, { timeout: WAIT_MS });
    });
    await check(`under ${PREFIX}/ a value written with the form appears in the log`, async () => {
      await writeWithForm(page, value);
      await waitInLog(page, value);
    });
    await check(`under ${PREFIX}/ every request kept the prefix, and none failed`, () => {
      const outside = w.requests.filter((u) => !u.startsWith(base) && !u.startsWith('data:'));
      const problems = [...outside.map((u) => 'outside the prefix: ' + u),
        ...proxy.stray.map((u) => 'reached the proxy without the prefix: ' + u), ...w.errors];
      return problems.length ? problems.join('\n') : undefined;
    });
    await check(`${PREFIX} without its slash moves to ${PREFIX}/ and works`, async () => {
      await page.goto(proxy.url + PREFIX);
      await page.waitForURL(base, { timeout: WAIT_MS });
      await page.waitForSelector('#conn.live', { timeout: WAIT_MS });
    });
  } finally {
    await page.close();
    proxy.server.close();
  }
}

// The node's API behind a client token, as with --client-token: calls
// without "Authorization: Bearer TOKEN" are answered 401 here.
async function tokenChecks(context) {
  const TOKEN = 'a-client-token';
  const page = await context.newPage();
  const sent = [];
  await page.route(/\/(status|gossip\/nodes|read|get-responses|send)(\?[^/]*)?$/, (route) => {
    const auth = route.request().headers().authorization || '';
    sent.push(auth);
    if (auth === 'Bearer ' + TOKEN)
      return route.continue();
    return route.fulfill({ status: 401, contentType: 'application/json',
      body: JSON.stringify({ error: 'unauthorized: a client token is required' }) });
  });
  try {
    await check('when the node wants a client token (401), the page asks for it', async () => {
      await page.goto(env.PAGE_URL);
      await page.waitForSelector('#token-form', { state: 'visible', timeout: WAIT_MS });
    });
    await check('given the token, it shows the cluster, sending the token on every call', async () => {
      await page.fill('#token-value', TOKEN);
      await page.click('#token-form button');
      await page.waitForSelector('#conn.live', { timeout: WAIT_MS });
      await page.waitForFunction(() => document.querySelectorAll('#members-body tr').length === 10,
        null, { timeout: WAIT_MS });
      await page.waitForTimeout(1500 * SCALE);
      const last = sent.slice(-8);
      if (await page.isVisible('#token-form') || last.some((a) => a !== 'Bearer ' + TOKEN))
        return 'the last calls sent: ' + JSON.stringify(last);
    });
  } finally {
    await page.close();
  }
}

if (process.argv[2] === '--probe') {
  try {
    const browser = await launch();
    const page = await browser.context.newPage();
    await page.setContent('<p>probe</p>');
    console.log('# Chromium ' + browser.context.browser()?.version() + ' starts');
    await close(browser);
  } catch (e) {
    console.log(e.message.split('\n').slice(0, 3).join('\n'));
    process.exit(1);
  }
  process.exit(0);
}

const browser = await launch().catch((e) => {
  fail('Chromium starts', e.message.split('\n')[0]);
  return null;
});
if (browser) {
  try {
    await mainChecks(browser.context);
    await prefixChecks(browser.context);
    await tokenChecks(browser.context);
  } catch (e) {
    fail('the browser checks ran to their end', e.stack);
  }
  await close(browser);
}
process.exit(failed ? 1 : 0);

// Browser tests of the Overwatch console (www/) in Debian's chromium, driven by
// playwright-core. Starts its own stack with stack.py (private MariaDB, a
// service master with a 15 s access-token lifetime, lighttpd serving www/ and
// /api/v1/ on a free loopback port) and stops it at the end.
//
//   node --test tests/browser/console.test.mjs      (tests/browser/run.sh does this)
//
// Environment: OVERWATCH_BROWSER_ARTIFACTS (screenshots; default a new temp
// dir), CHROMIUM (default /usr/bin/chromium), OVERWATCH_BROWSER_KEEP=1 keeps
// the stack's temp dir, OVERWATCH_BROWSER_TMP (where the fresh chromium
// profile is made; default the system's temp dir).
//
// The tests run in order and share one signed-in browser, like a user would.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const ARTIFACTS = process.env.OVERWATCH_BROWSER_ARTIFACTS ||
  fs.mkdtempSync(path.join(os.tmpdir(), 'overwatch-browser-'));
fs.mkdirSync(ARTIFACTS, { recursive: true });
const ATTACKER_HOST = 'attacker.test';   // mapped to 127.0.0.1: another site

let stack;          // the stack.py child
let info;           // its READY line: base_url, users, access_ttl
let BASE;
let context;        // persistent context (fresh --user-data-dir)
let page;
let userDataDir;
let attacker;       // http.Server of the foreign-origin pages
let attackerPort;
let shot = 0;
const pageErrors = [];
const consoleProblems = [];
const consoleErrors = [];   // console.error and the like, from the page's own scripts
const responses = [];   // {t, method, url, status}
const foreignRequests = [];

// ------------------------------------------------------------------ helpers

function sleep(ms) { return new Promise((r) => setTimeout(r, ms)); }

async function apiFetch(method, p, { token, key, body, headers = {} } = {}) {
  const h = { Accept: 'application/json', ...headers };
  if (token) h.Authorization = 'Bearer ' + token;
  if (key) h['X-API-Key'] = key;
  let payload;
  if (body !== undefined) {
    h['Content-Type'] = 'application/json';
    payload = typeof body === 'string' ? body : JSON.stringify(body);
  }
  const res = await fetch(BASE + '/api/v1' + p, { method, headers: h, body: payload });
  const text = await res.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { json = null; }
  return { status: res.status, headers: res.headers, json, text };
}

async function login(who) {
  const u = info.users[who];
  const r = await apiFetch('POST', '/auth/login', { body: { email: u.email, password: u.password } });
  assert.equal(r.status, 200, 'API login of ' + who + ': ' + r.text);
  return r.json.access_token;
}

async function screenshot(name, p = page) {
  shot += 1;
  const file = path.join(ARTIFACTS, String(shot).padStart(2, '0') + '-' + name + '.png');
  await p.screenshot({ path: file, fullPage: true });
  return file;
}

function apiResponses(since, filter = () => true) {
  return responses.filter((r) => r.t >= since && r.url.includes('/api/v1/') && filter(r));
}

// Signs in through the form with the keyboard only; returns the login response time.
async function signInWithKeyboard(who) {
  const u = info.users[who];
  await page.locator('#signin-view').waitFor({ state: 'visible' });
  await page.locator('#signin-email').focus();
  await page.keyboard.press('Control+A');
  await page.keyboard.type(u.email);
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'signin-password',
    'Tab moves from the email to the password field');
  await page.keyboard.type(u.password);
  const loginResponse = page.waitForResponse((r) => r.url().endsWith('/api/v1/auth/login'));
  await page.keyboard.press('Enter');
  const res = await loginResponse;
  const t = Date.now();
  assert.equal(res.status(), 200, 'login through the form');
  await page.locator('#app-view').waitFor({ state: 'visible' });
  await page.locator('#who-name').waitFor({ state: 'visible' });
  return t;
}

async function reloadIncidents() {
  const done = page.waitForResponse((r) => /\/api\/v1\/incidents\?/.test(r.url()) && r.status() !== 401);
  await page.locator('#incidents-reload').click();
  return done;
}

// The console's scripts: the module script of the page and every module it
// imports (relative specifiers), as a Map from path to source text.
async function consoleModules(html) {
  const found = new Map();
  const queue = [...html.matchAll(/<script type="module" src="([^"]+)"/g)].map((m) => new URL(m[1], BASE + '/'));
  assert.ok(queue.length >= 1, 'a module script in the page');
  while (queue.length) {
    const u = queue.shift();
    if (found.has(u.pathname)) continue;
    const r = await fetch(u);
    assert.equal(r.status, 200, u.pathname);
    assert.match(r.headers.get('content-type') || '', /javascript/, u.pathname + ' served as JavaScript');
    const text = await r.text();
    found.set(u.pathname, text);
    for (const m of text.matchAll(/^\s*import\s+(?:[^'"]*\sfrom\s+)?'([^']+)'/gm)) queue.push(new URL(m[1], u));
  }
  return found;
}

// Goes to a page of the console through its navigation link.
async function gotoPage(name) {
  await page.locator(`#nav a[data-page="${name}"]`).click();
  await page.locator('#page-' + name).waitFor({ state: 'visible' });
  await page.waitForFunction((n) => !document.getElementById('page-' + n).hasAttribute('aria-busy'), name);
}

async function openKeyDialog() {
  await gotoPage('keys');
  await page.locator('#key-new').click();
  await page.locator('#key-dialog').waitFor({ state: 'visible' });
}

// Focus the page moves in a later task (a dialog gives it back in its close
// event, queued after the dialog hides): wait for it, 5 s at most, then
// assert, naming where focus is instead.
async function focusReturnsTo(selector, msg) {
  const at = (s) => document.activeElement !== null && document.activeElement.matches(s);
  await page.waitForFunction(at, selector, { timeout: 5000 }).catch(() => {});
  const where = await page.evaluate(() => document.activeElement &&
    (document.activeElement.id || document.activeElement.tagName));
  assert.equal(await page.evaluate(at, selector), true, msg + ' (focus is on ' + where + ')');
}

async function closeDialog(id) {
  await page.keyboard.press('Escape');
  await page.locator('#' + id).waitFor({ state: 'hidden' });
}

function cookieByName(cookies, name) { return cookies.find((c) => c.name === name); }

// ------------------------------------------------------------------- setup

function startStack() {
  return new Promise((resolve, reject) => {
    const env = { ...process.env };
    if (process.env.OVERWATCH_BROWSER_KEEP) env.PYTHONUNBUFFERED = '1';
    const args = [path.join(HERE, 'stack.py')];
    if (process.env.OVERWATCH_BROWSER_KEEP) args.push('--keep');
    const python = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
    stack = spawn(python, args, { stdio: ['pipe', 'pipe', 'pipe'], env });
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      reject(new Error('stack.py did not get ready in 240 s\n' + err.slice(-3000)));
    }, 240000);
    stack.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/^READY (.*)$/m);
      if (m && !info) {
        clearTimeout(timer);
        info = JSON.parse(m[1]);
        resolve(info);
      }
    });
    stack.stderr.on('data', (d) => { err += d; });
    stack.on('exit', (code) => {
      if (!info) {
        clearTimeout(timer);
        reject(new Error('stack.py exited with status ' + code + '\n' + err.slice(-3000)));
      }
    });
  });
}

function stopStack() {
  if (!stack || stack.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => stack.kill('SIGKILL'), 60000);
    stack.on('exit', () => { clearTimeout(kill); resolve(); });
    stack.kill('SIGTERM');
  });
}

// Pages of another origin that try to make the signed-in browser act (CSRF).
function startAttacker() {
  const body = JSON.stringify({ name: 'csrf-by-form', permissions: ['incidents:read'] });
  // text/plain form: name + '=' + value must be JSON.
  const formName = body.slice(0, -2) + ',"pad":"';
  const formValue = '"}';
  const pages = {
    '/form': (target) => `<!doctype html><title>form</title>
      <form id="f" method="POST" enctype="text/plain" action="${target}/api/v1/api-keys">
      <input type="hidden" name='${formName}' value='${formValue}'></form>
      <script>document.getElementById('f').submit();</script>`,
    '/fetch': (target) => `<!doctype html><title>fetch</title><script>
      fetch(${JSON.stringify(target + '/api/v1/api-keys')}, {method: 'POST', mode: 'no-cors',
        credentials: 'include', headers: {'Content-Type': 'text/plain'},
        body: ${JSON.stringify(JSON.stringify({ name: 'csrf-by-fetch', permissions: ['incidents:read'] }))}})
        .then(() => { document.title = 'sent'; }, () => { document.title = 'failed'; });
      fetch(${JSON.stringify(target + '/api/v1/api-keys')}, {method: 'POST', credentials: 'include',
        headers: {'Content-Type': 'application/json'},
        body: ${JSON.stringify(JSON.stringify({ name: 'csrf-by-cors', permissions: ['incidents:read'] }))}})
        .then(() => { document.body.dataset.cors = 'readable'; }, () => { document.body.dataset.cors = 'blocked'; });
      </script>`,
  };
  attacker = http.createServer((req, res) => {
    const u = new URL(req.url, 'http://x');
    const make = pages[u.pathname];
    if (!make) { res.writeHead(404); res.end(); return; }
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(make(BASE));
  });
  return new Promise((resolve) => {
    attacker.listen(0, '127.0.0.1', () => { attackerPort = attacker.address().port; resolve(); });
  });
}

before(async () => {
  await startStack();
  BASE = info.base_url;
  await startAttacker();
  userDataDir = fs.mkdtempSync(path.join(process.env.OVERWATCH_BROWSER_TMP || os.tmpdir(), 'overwatch-chromium-'));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      `--host-resolver-rules=MAP ${ATTACKER_HOST} 127.0.0.1`],
    viewport: { width: 1280, height: 900 },
    timeout: 60000,
  });
  context.setDefaultTimeout(15000);
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: BASE });
  page = context.pages()[0] || await context.newPage();
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  page.on('console', (m) => {
    const text = m.text();
    if (/Content Security Policy|Refused to/i.test(text)) consoleProblems.push(text);
    // "Failed to load resource" is the browser noting an API answer >= 400
    // (the 401 of a visit without a session, the documented errors the tests
    // provoke): not an error of the page.
    else if (m.type() === 'error' && !/Failed to load resource/.test(text)) consoleErrors.push(text);
  });
  page.on('request', (r) => {
    const u = r.url();
    if (!u.startsWith(BASE + '/') && !u.startsWith('data:')) foreignRequests.push(u);
  });
  page.on('response', (r) => {
    responses.push({ t: Date.now(), method: r.request().method(), url: r.url(), status: r.status() });
  });
}, { timeout: 300000 });

after(async () => {
  try { if (context) await context.close(); } catch { /* already gone */ }
  if (userDataDir) fs.rmSync(userDataDir, { recursive: true, force: true });
  if (attacker) attacker.close();
  await stopStack();
  console.log('# screenshots: ' + ARTIFACTS);
}, { timeout: 120000 });

// --------------------------------------------------------------------- tests

let incidentTitle;
let signedInAt;

test('the console is served next to the API, CSP-friendly', async () => {
  const res = await fetch(BASE + '/');
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /text\/html/);
  const html = await res.text();
  assert.doesNotMatch(html, /<script>|<script\s+(?![^>]*\bsrc=)/i, 'no inline script');
  assert.doesNotMatch(html, /<style|\sstyle=/i, 'no inline style');
  assert.doesNotMatch(html, /(src|href)="(https?:)?\/\//i, 'no external resources');
  const css = await fetch(BASE + '/console.css');
  assert.equal(css.status, 200, 'console.css');
  // Every module the page loads, followed from its entry point.
  const modules = await consoleModules(html);
  assert.ok(modules.size >= 5, 'the console is split into modules: ' + [...modules.keys()].join(', '));
  // ...and each is installed by `make install` (the Debian package, /overwatch/).
  const makefile = fs.readFileSync(path.join(HERE, '..', '..', 'Makefile.am'), 'utf8');
  for (const f of modules.keys()) {
    assert.ok(makefile.includes('www' + f), f + ' is listed in Makefile.am (dist_consolejs_DATA)');
  }
  for (const [f, js] of modules) {
    assert.doesNotMatch(js, /localStorage|sessionStorage|document\.cookie/, f + ' keeps no tokens');
    assert.doesNotMatch(js, /innerHTML|insertAdjacentHTML|eval\(|new Function/, f + ' builds no markup from strings');
  }
  const health = await apiFetch('GET', '/health');
  assert.equal(health.status, 200);
});

test('a wrong password is shown in words, not as a code', async () => {
  await page.goto(BASE + '/');
  await page.locator('#signin-view').waitFor({ state: 'visible' });
  await screenshot('signin-form');
  await page.locator('#signin-email').fill(info.users.engineer.email);
  await page.locator('#signin-password').fill('not-the-password-' + Date.now());
  await page.locator('#signin-submit').click();
  const box = page.locator('#signin-error');
  await box.waitFor({ state: 'visible' });
  const text = (await box.innerText()).trim();
  assert.match(text, /Wrong email or password/);
  assert.doesNotMatch(text, /INVALID_CREDENTIALS|[A-Z]{3,}_[A-Z]{3,}|\b401\b/);
  assert.equal(await box.getAttribute('role'), 'alert');
  assert.equal(await page.locator('#signin-password').inputValue(), '', 'the wrong password is cleared');
  await screenshot('wrong-password');
});

test('a locked account is told when to try again, in minutes', async () => {
  const u = info.users.locked;
  let last;
  for (let i = 0; i < 6; i++) {
    last = await apiFetch('POST', '/auth/login', { body: { email: u.email, password: 'wrong-' + i } });
  }
  assert.equal(last.status, 423, 'locked after 5 failures: ' + last.text);
  await page.locator('#signin-email').fill(u.email);
  await page.locator('#signin-password').fill(u.password);
  await page.locator('#signin-submit').click();
  const box = page.locator('#signin-error');
  await page.waitForFunction(() => /Too many/.test(document.getElementById('signin-error').textContent));
  const text = (await box.innerText()).trim();
  assert.match(text, /Too many failed attempts\. Try again in \d+ minutes?\./);
  assert.doesNotMatch(text, /ACCOUNT_LOCKED|\b423\b/);
  await screenshot('account-locked');
});

test('sign in (keyboard only) shows who is signed in and the incidents', async () => {
  const admin = await login('admin');
  incidentTitle = 'Database replica lagging ' + Date.now();
  const created = await apiFetch('POST', '/incidents', {
    token: admin, body: { title: incidentTitle, severity: 'high', description: 'made by the browser test' },
  });
  assert.equal(created.status, 201, created.text);

  await page.goto(BASE + '/');
  signedInAt = await signInWithKeyboard('engineer');
  assert.equal(await page.locator('#who-name').innerText(), 'Eve Engineer');
  assert.equal(await page.locator('#who-email').innerText(), info.users.engineer.email);
  assert.equal(await page.locator('#who-role').innerText(), 'engineer');
  // The organization's name, from GET /auth/me (no request of its own).
  assert.equal(await page.locator('#who-org-name').innerText(), 'Browser Test Org');
  assert.equal(await page.locator('#who-org').isVisible(), true);
  assert.equal(await page.locator('#signin-view').isVisible(), false);
  await page.waitForFunction(() => /Signed in as/.test(document.getElementById('status').textContent));

  const row = page.locator('#incidents-body tr', { hasText: incidentTitle });
  await row.waitFor();
  const cells = await row.locator('td').allInnerTexts();
  assert.equal(cells[0], incidentTitle);
  assert.equal(cells[1], 'High');
  assert.equal(cells[2], 'Open');
  assert.match(await row.locator('td time').getAttribute('datetime'), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.ok(cells[3].length > 0, 'created shown');
  await screenshot('signed-in');
});

test('the tokens are httpOnly, SameSite=Strict cookies the page cannot read', async () => {
  assert.equal(await page.evaluate(() => document.cookie), '', 'document.cookie is empty');
  const cookies = await context.cookies(BASE);
  const access = cookieByName(cookies, 'access_token');
  assert.ok(access, 'access_token cookie set');
  assert.equal(access.httpOnly, true);
  assert.equal(access.sameSite, 'Strict');
  assert.equal(access.path, '/');
  const all = await context.cookies(BASE + '/api/v1/auth/refresh');
  const refresh = cookieByName(all, 'refresh_token');
  assert.ok(refresh, 'refresh_token cookie set');
  assert.equal(refresh.httpOnly, true);
  assert.equal(refresh.sameSite, 'Strict');
  assert.equal(refresh.path, '/api/v1/auth');
  const stored = await page.evaluate(() => ({
    local: localStorage.length, session: sessionStorage.length, html: document.documentElement.outerHTML,
  }));
  assert.equal(stored.local, 0, 'nothing in localStorage');
  assert.equal(stored.session, 0, 'nothing in sessionStorage');
  assert.ok(!stored.html.includes(access.value), 'the access token is nowhere in the page');
  assert.ok(!stored.html.includes(refresh.value), 'the refresh token is nowhere in the page');
  // No global of the page holds a token either.
  const leaked = await page.evaluate(([a, r]) => Object.keys(window).filter((k) => {
    try {
      const v = window[k];
      const s = typeof v === 'string' ? v : (v && typeof v === 'object' ? JSON.stringify(v) : '');
      return s && (s.includes(a) || s.includes(r));
    } catch { return false; }
  }), [access.value, refresh.value]);
  assert.deepEqual(leaked, []);
});

test('permission checkboxes offer exactly what the user holds', async () => {
  await openKeyDialog();
  const token = await login('engineer');
  const me = await apiFetch('GET', '/auth/me', { token });
  const offered = await page.locator('#key-perms-list input[type=checkbox]').evaluateAll(
    (els) => els.map((e) => e.value));
  assert.deepEqual(offered, me.json.permissions);
  assert.ok(!offered.includes('users:manage') && !offered.includes('audit:read'),
    'an engineer is not offered admin-only permissions');
  // Every checkbox has a label.
  const unlabeled = await page.locator('input, select, textarea').evaluateAll((els) =>
    els.filter((e) => e.type !== 'hidden' && !(e.labels && e.labels.length) &&
      !e.getAttribute('aria-label')).map((e) => e.id || e.name));
  assert.deepEqual(unlabeled, []);
});

test('the key form explains what is missing, in words', async () => {
  await page.locator('#key-name').fill('');
  await page.locator('#key-create').click();
  const box = page.locator('#key-form-error');
  await box.waitFor({ state: 'visible' });
  const text = await box.innerText();
  assert.match(text, /Enter a name for the key/);
  assert.match(text, /Choose at least one permission/);
  assert.equal(await page.locator('#key-name').getAttribute('aria-invalid'), 'true');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'key-name', 'focus on the first problem');
  await page.locator('#key-expiry-preset').selectOption('custom');
  await page.locator('#key-expiry').fill('2001-01-01T10:00');
  await page.locator('#key-name').fill('x');
  await page.locator('#key-perms-list input[value="incidents:read"]').check();
  await page.locator('#key-create').click();
  await page.waitForFunction(() => /future/.test(document.getElementById('key-form-error').textContent));
  await closeDialog('key-dialog');
});

let apiKey;
let keyId;

test('create a key: shown once with a copy button; it works with X-API-Key', async () => {
  const name = 'Browser test key';
  const expiry = new Date(Date.now() + 2 * 24 * 3600 * 1000);
  const pad = (n) => String(n).padStart(2, '0');
  const local = `${expiry.getFullYear()}-${pad(expiry.getMonth() + 1)}-${pad(expiry.getDate())}T${pad(expiry.getHours())}:${pad(expiry.getMinutes())}`;
  await openKeyDialog();
  await page.locator('#key-name').fill(name);
  await page.locator('#key-expiry-preset').selectOption('custom');
  await page.locator('#key-perms-list input[value="incidents:read"]').check();
  await page.locator('#key-expiry').fill(local);
  const reqP = page.waitForRequest((r) => r.url().endsWith('/api/v1/api-keys') && r.method() === 'POST');
  const resP = page.waitForResponse((r) => r.url().endsWith('/api/v1/api-keys') && r.request().method() === 'POST');
  await page.locator('#key-create').click();
  const req = await reqP;
  const res = await resP;
  assert.equal(res.status(), 201);
  const sent = req.postDataJSON();
  assert.equal(sent.name, name);
  assert.deepEqual(sent.permissions, ['incidents:read']);
  const want = new Date(local).toISOString().replace(/\.\d{3}Z$/, 'Z');
  assert.equal(sent.expires_at, want, 'datetime-local sent as RFC 3339 UTC with Z');
  assert.match(sent.expires_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  const reqHeaders = await req.allHeaders();
  assert.equal(reqHeaders.authorization, undefined, 'no Authorization header: cookies only');

  const panel = page.locator('#new-key');
  await panel.waitFor({ state: 'visible' });
  assert.match(await panel.innerText(), /you will not see it again/i);
  apiKey = await page.locator('#new-key-value').inputValue();
  assert.match(apiKey, /^overwatch_ak_[0-9A-Za-z]{36}$/);
  keyId = (await res.json()).id;

  await page.locator('#new-key-copy').click();
  await page.waitForFunction(() => document.getElementById('new-key-copied').textContent !== '');
  const copied = await page.locator('#new-key-copied').innerText();
  if (/Copied/.test(copied)) {
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), apiKey, 'clipboard holds the key');
  } else {
    assert.match(copied, /press Ctrl\+C/);
  }
  await screenshot('new-key');

  // The key works from outside the browser.
  const byKey = await apiFetch('GET', '/incidents', { key: apiKey });
  assert.equal(byKey.status, 200, byKey.text);
  assert.ok(byKey.json.some((i) => i.title === incidentTitle));
  const me = await apiFetch('GET', '/auth/me', { key: apiKey });
  assert.equal(me.json.type, 'api_key');
  assert.deepEqual(me.json.permissions, ['incidents:read']);

  // Listed with its prefix, permissions and expiry; hidden once stored.
  const row = page.locator(`#keys-body tr[data-key-id="${keyId}"]`);
  await row.waitFor();
  const cells = await row.locator('td').allInnerTexts();
  assert.equal(await page.locator('#key-dialog').isVisible(), false, 'the dialog closed');
  assert.equal(await row.locator('.key-name').innerText(), name);
  assert.equal(await row.locator('.key-prefix').innerText(), apiKey.slice(0, 21) + '…');
  assert.equal(cells[1], 'Active');
  assert.match(cells[2], /incidents:read/);
  assert.match(cells[3], /by You/);
  assert.match(cells[4], /^Never\s+0 uses$/);
  assert.notEqual(cells[5], 'Never');
  assert.match(cells[6], /\d/, 'rotation due date shown');
  await page.locator('#new-key-done').click();
  assert.equal(await panel.isVisible(), false);
  assert.equal(await page.locator('#new-key-value').inputValue(), '', 'the key is gone from the page');
  assert.ok(!(await page.content()).includes(apiKey));

  // "Last used" follows within seconds.
  let lastUsed = 'Never';
  for (let i = 0; i < 20 && /^Never/.test(lastUsed); i++) {
    await sleep(1000);
    await page.locator('#keys-reload').click();
    await page.waitForFunction(() => !document.getElementById('keys-reload').disabled);
    lastUsed = await row.locator('td').nth(4).innerText();
  }
  assert.doesNotMatch(lastUsed, /^Never/, 'last used shown after the key was used');
  assert.match(lastUsed, /from 127\.0\.0\.1/, 'with the address it was used from');
  assert.match(lastUsed, /[1-9]\d* uses?$/, 'use count shown');
});

test('revoke asks first, then the same key is refused', async () => {
  const button = page.locator(`#keys-body tr[data-key-id="${keyId}"] button[aria-label^="Revoke"]`);
  assert.equal(await button.getAttribute('aria-label'), 'Revoke key Browser test key');
  await button.click();
  const dialog = page.locator('#revoke-dialog');
  await dialog.waitFor({ state: 'visible' });
  assert.match(await dialog.innerText(), /Browser test key/);
  await screenshot('revoke-confirm');
  await page.keyboard.press('Escape');            // cancel with the keyboard
  await dialog.waitFor({ state: 'hidden' });
  assert.equal((await apiFetch('GET', '/incidents', { key: apiKey })).status, 200, 'cancel keeps the key');
  await focusReturnsTo('[aria-label="Revoke key Browser test key"]', 'focus returns to the button');

  await button.click();
  await dialog.waitFor({ state: 'visible' });
  const del = page.waitForResponse((r) => r.request().method() === 'DELETE');
  await dialog.locator('button[value=revoke]').click();
  assert.equal((await del).status(), 204);
  await page.locator(`#keys-body tr[data-key-id="${keyId}"]`).waitFor({ state: 'detached' });
  await page.waitForFunction(() => /revoked/.test(document.getElementById('status').textContent));
  const after = await apiFetch('GET', '/incidents', { key: apiKey });
  assert.equal(after.status, 401);
  assert.equal(after.json.code, 'INVALID_API_KEY');
});

test('API errors are shown in words (mapped codes, Retry-After, network)', async () => {
  const cases = [
    [{ status: 403, body: { detail: 'x', status_code: 403, code: 'INSUFFICIENT_PERMISSIONS' } },
      /You do not have permission to do that\./],
    [{ status: 400, body: { detail: 'x', status_code: 400, code: 'VALIDATION_ERROR',
      errors: [{ field: 'name', message: 'is too long' }, { field: 'permissions', message: 'unknown permission' }] } },
    /Name is too long\.[\s\S]*Permissions unknown permission\./],
    [{ status: 503, headers: { 'Retry-After': '30' },
      body: { detail: 'x', status_code: 503, code: 'SERVICE_UNAVAILABLE' } },
    /temporarily unavailable\. Try again in 30 seconds\./],
    [{ status: 429, headers: { 'Retry-After': '120' },
      body: { detail: 'x', status_code: 429, code: 'RATE_LIMITED' } },
    /Too many attempts[\s\S]*Wait 2 minutes/],
    ['abort', /Cannot reach the Overwatch service/],
  ];
  await openKeyDialog();
  await page.locator('#key-name').fill('mapped errors');
  await page.locator('#key-perms-list input[value="incidents:read"]').check();
  for (const [reply, words] of cases) {
    await page.route('**/api/v1/api-keys', (route) => {
      if (route.request().method() !== 'POST') return route.fallback();
      if (reply === 'abort') return route.abort('connectionrefused');
      return route.fulfill({ status: reply.status, headers: reply.headers || {},
        contentType: 'application/json', body: JSON.stringify(reply.body) });
    });
    await page.locator('#key-create').click();
    await page.waitForFunction(() => !document.getElementById('key-form-error').hidden &&
      !document.getElementById('key-create').disabled);
    const text = await page.locator('#key-form-error').innerText();
    assert.match(text, words);
    assert.doesNotMatch(text, /[A-Z]{3,}_[A-Z]{3,}/, 'no raw code: ' + text);
    await page.unroute('**/api/v1/api-keys');
  }
  assert.equal(await page.locator('#key-name').getAttribute('aria-invalid'), null,
    'field marks cleared on the next attempt');
  await closeDialog('key-dialog');
  const list = await apiFetch('GET', '/api-keys', { token: await login('engineer') });
  assert.ok(!list.json.some((k) => k.name === 'mapped errors'), 'no key made by the mocked requests');
});

test('the access token is refreshed before it expires and the page keeps working', async () => {
  const ttl = info.access_ttl;
  await page.goto(BASE + '/');      // boot with the session cookies
  await page.locator('#app-view').waitFor({ state: 'visible' });
  await page.locator('#signout').click();
  await page.locator('#signin-view').waitFor({ state: 'visible' });
  const t0 = await signInWithKeyboard('engineer');
  const firstAccess = cookieByName(await context.cookies(BASE), 'access_token').value;
  await sleep((ttl + 5) * 1000);      // past the first access token's expiry
  const refreshes = apiResponses(t0, (r) => r.url.endsWith('/auth/refresh'));
  assert.ok(refreshes.length >= 1, 'refreshed at least once in ' + (ttl + 5) + ' s');
  assert.equal(refreshes[0].status, 200);
  const after = (refreshes[0].t - t0) / 1000;
  assert.ok(after >= ttl * 0.6 && after < ttl, `first refresh ${after.toFixed(1)} s after login, before the ${ttl} s expiry`);
  const unauthorized = apiResponses(t0, (r) => r.status === 401);
  assert.deepEqual(unauthorized, [], 'no request was refused meanwhile');
  const nowAccess = cookieByName(await context.cookies(BASE), 'access_token');
  assert.ok(nowAccess && nowAccess.value !== firstAccess, 'a new access cookie');
  const before = Date.now();
  const res = await reloadIncidents();
  assert.equal(res.status(), 200);
  assert.deepEqual(apiResponses(before, (r) => r.status === 401), []);
  await page.locator('#incidents-body tr', { hasText: incidentTitle }).waitFor();
  assert.equal(await page.locator('#signin-view').isVisible(), false);
});

test('a 401 is answered by one refresh and a retry', async () => {
  // Right after a scheduled refresh, so the timer does not interfere.
  await page.waitForResponse((r) => r.url().endsWith('/api/v1/auth/refresh'), { timeout: info.access_ttl * 1000 + 5000 });
  await context.clearCookies({ name: 'access_token' });
  const t = Date.now();
  const res = await reloadIncidents();
  assert.equal(res.status(), 200);
  const seen = apiResponses(t).map((r) => `${r.method} ${new URL(r.url).pathname} ${r.status}`);
  assert.deepEqual(seen, ['GET /api/v1/incidents 401', 'POST /api/v1/auth/refresh 200',
    'GET /api/v1/incidents 200']);
  assert.equal(await page.locator('#app-view').isVisible(), true);
});

test('without the refresh cookie the page returns to the sign-in form', async () => {
  await context.clearCookies();
  const t = Date.now();
  await page.locator('#incidents-reload').click();
  await page.locator('#signin-view').waitFor({ state: 'visible', timeout: 5000 });
  const seen = apiResponses(t).map((r) => `${r.method} ${new URL(r.url).pathname} ${r.status}`);
  assert.deepEqual(seen, ['GET /api/v1/incidents 401', 'POST /api/v1/auth/refresh 401']);
  assert.match(await page.locator('#signin-error').innerText(), /session has ended/i);
  assert.equal(await page.locator('#app-view').isVisible(), false);
  assert.equal(await page.locator('#incidents-body tr').count(), 0, 'the data is cleared');
  await screenshot('session-ended');
});

test('another origin cannot make the signed-in browser create a key (CSRF)', async () => {
  await signInWithKeyboard('engineer');
  const token = await login('engineer');
  const count = async () => (await apiFetch('GET', '/api-keys', { token })).json
    .filter((k) => k.name.startsWith('csrf-')).length;

  // Same site, other origin (another port of 127.0.0.1): the SameSite=Strict
  // cookie is sent, and the Origin check refuses it.
  const evil = await context.newPage();
  const nav = evil.waitForResponse((r) => r.url() === BASE + '/api/v1/api-keys');
  await evil.goto(`http://127.0.0.1:${attackerPort}/form`);
  const res = await nav;
  assert.equal(res.status(), 403);
  assert.equal((await res.json()).code, 'CSRF_REJECTED');
  const sentCookie = (await res.request().allHeaders()).cookie || '';
  assert.match(sentCookie, /access_token=/, 'the browser did send the cookie: the Origin check refused it');
  await evil.goto(`http://127.0.0.1:${attackerPort}/fetch`);
  await evil.waitForFunction(() => document.title !== 'fetch' && document.body.dataset.cors);
  assert.equal(await evil.evaluate(() => document.body.dataset.cors), 'blocked', 'CORS keeps the answer away');

  // Another site: the cookie is not even sent.
  const nav2 = evil.waitForResponse((r) => r.url() === BASE + '/api/v1/api-keys');
  await evil.goto(`http://${ATTACKER_HOST}:${attackerPort}/form`);
  const res2 = await nav2;
  assert.ok([401, 403].includes(res2.status()), 'refused: ' + res2.status());
  await evil.close();

  assert.equal(await count(), 0, 'no key was created by the foreign pages');
});

test('sign out: the page and the API refuse the old cookies', async () => {
  await page.bringToFront();
  const old = await context.cookies([BASE + '/', BASE + '/api/v1/auth/refresh']);
  const oldAccess = cookieByName(old, 'access_token');
  const oldRefresh = cookieByName(old, 'refresh_token');
  assert.ok(oldAccess && oldRefresh);
  const out = page.waitForResponse((r) => r.url().endsWith('/api/v1/auth/logout'));
  await page.locator('#signout').click();
  assert.equal((await out).status(), 204);
  await page.locator('#signin-view').waitFor({ state: 'visible' });
  await page.waitForFunction(() => /signed out/.test(document.getElementById('status').textContent));
  const left = (await context.cookies([BASE + '/', BASE + '/api/v1/auth/refresh']))
    .filter((c) => c.name === 'access_token' || c.name === 'refresh_token');
  assert.deepEqual(left, [], 'both cookies expired');

  // The old access cookie is refused by the API...
  const me = await apiFetch('GET', '/auth/me', { headers: { Cookie: 'access_token=' + oldAccess.value } });
  assert.equal(me.status, 401);
  assert.equal(me.json.detail, 'Token has been revoked');
  // ...and the page, given both old cookies back, stays on the sign-in form.
  await context.addCookies([oldAccess, oldRefresh]);
  const refreshed = page.waitForResponse((r) => r.url().endsWith('/api/v1/auth/refresh'));
  await page.reload();
  assert.equal((await refreshed).status(), 401);
  await page.locator('#signin-view').waitFor({ state: 'visible' });
  assert.equal(await page.locator('#app-view').isVisible(), false);
  await screenshot('signed-out');
});

// Text contrast of everything visible (WCAG AA: 4.5:1, 3:1 for large text).
async function assertContrast(what) {
  const low = await page.evaluate(() => {
    function rgba(s) {
      const m = s.match(/rgba?\(([^)]+)\)/);
      if (!m) return [0, 0, 0, 0];
      const p = m[1].split(/[,\s/]+/).filter(Boolean).map(Number);
      return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
    }
    function lum([r, g, b]) {
      const f = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
      return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    }
    function bg(el) {
      for (let e = el; e; e = e.parentElement) {
        const c = rgba(getComputedStyle(e).backgroundColor);
        if (c[3] >= 1) return c;
      }
      return [255, 255, 255, 1];
    }
    const bad = [];
    for (const el of document.querySelectorAll('body *')) {
      const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
      if (!own || !el.checkVisibility || !el.checkVisibility()) continue;
      const cs = getComputedStyle(el);
      const fg = rgba(cs.color);
      const b = bg(el);
      const l1 = lum(fg), l2 = lum(b);
      const ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
      const size = parseFloat(cs.fontSize);
      const large = size >= 24 || (size >= 18.66 && Number(cs.fontWeight) >= 700);
      if (ratio < (large ? 3 : 4.5)) bad.push(`${el.tagName}#${el.id}.${el.className}: ${ratio.toFixed(2)}`);
    }
    return bad;
  });
  assert.deepEqual(low, [], `${what}: text below the WCAG AA contrast`);
}

test('phone-sized screen (360x740): no sideways scrolling, readable, contrast', async () => {
  await context.clearCookies();
  await page.setViewportSize({ width: 360, height: 740 });
  await page.goto(BASE + '/');
  await signInWithKeyboard('admin');
  // A key to show, and the one-time panel open.
  await openKeyDialog();
  await page.locator('#key-name').fill('Phone key');
  await page.locator('#key-perms-list input[value="incidents:read"]').check();
  await page.locator('#key-perms-list input[value="incidents:create"]').check();
  await page.locator('#key-create').click();
  await page.locator('#new-key').waitFor({ state: 'visible' });
  await page.locator('#keys-body tr', { hasText: 'Phone key' }).waitFor();
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 360, 'page width ' + width + ' px at a 360 px viewport');
  const file = await screenshot('phone-360x740');
  // The same page as a phone shows it, one screen at a time.
  const height = await page.evaluate(() => document.documentElement.scrollHeight);
  for (let y = 0, n = 1; y < height - 40; y += 740, n++) {
    await page.screenshot({ path: path.join(ARTIFACTS, `phone-360x740-screen${n}.png`), fullPage: true,
      clip: { x: 0, y, width: 360, height: Math.min(740, height - y) } });
  }
  assert.ok(fs.statSync(file).size > 1000);

  await assertContrast('the keys page at 360 px');
  await page.setViewportSize({ width: 1280, height: 900 });
});

test('keyboard: Tab reaches every control, and focus is always visible', async () => {
  await page.evaluate(() => { document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0); });
  await page.locator('body').focus();
  const seen = [];
  const invisible = [];
  for (let i = 0; i < 80; i++) {
    await page.keyboard.press('Tab');
    const f = await page.evaluate(() => {
      const el = document.activeElement;
      if (!el || el === document.body) return null;
      const cs = getComputedStyle(el);
      return { id: el.id || el.getAttribute('aria-label') || el.textContent.trim().slice(0, 30),
        outline: cs.outlineStyle, width: parseFloat(cs.outlineWidth) };
    });
    if (!f) continue;
    if (seen[seen.length - 1] === f.id) continue;   // a datetime-local has several stops
    if (seen.length > 1 && f.id === seen[0]) break;  // wrapped around
    seen.push(f.id);
    if (f.outline === 'none' || f.width < 2) invisible.push(f.id);
    if (seen.length > 60) break;
  }
  for (const id of ['signout', 'key-new', 'new-key-copy', 'new-key-done', 'keys-search', 'keys-sort',
    'keys-reload', 'Activity of key Phone key', 'Rotate key Phone key', 'Revoke key Phone key']) {
    assert.ok(seen.includes(id), id + ' is reachable with Tab (saw ' + seen.join(', ') + ')');
  }
  assert.deepEqual(invisible, [], 'controls without a visible focus ring');
});

// ------------------------------------------------------- the console's pages

// Presses Tab until the focused element's id or aria-label is `want`.
async function tabTo(want, max = 200) {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    const at = await page.evaluate(() => {
      const el = document.activeElement;
      return el ? (el.getAttribute('aria-label') || el.id || '') : '';
    });
    if (at === want) return;
  }
  assert.fail(want + ' is not reachable with Tab');
}

async function signInAs(who) {
  await context.clearCookies();
  await page.goto(BASE + '/');
  await signInWithKeyboard(who);
  await page.waitForFunction(() => !document.querySelector('.page:not([hidden])[aria-busy]'));
}

// A user of the stack's organization, made through the API by its admin.
async function makeUser(role, name) {
  const email = `${role}-${Date.now()}-${Math.floor(Math.random() * 1e6)}@browser.example`;
  const password = 'Pw-' + Math.random().toString(36).slice(2) + '-long-enough';
  const r = await apiFetch('POST', '/users', { token: await login('admin'),
    body: { email, password, name, role } });
  assert.equal(r.status, 201, r.text);
  info.users[name] = { email, password, id: r.json.id };
  return info.users[name];
}

async function noSidewaysScroll(what) {
  const [sw, vw] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
  assert.ok(sw <= vw, `${what}: page width ${sw} px at a ${vw} px viewport`);
}

test('sign-in page: centred, with single sign-on and, when open, registration', async () => {
  await context.clearCookies();
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto(BASE + '/');
  const card = page.locator('.signin-card').first();
  await card.waitFor();
  const box = await card.boundingBox();
  assert.ok(Math.abs(box.x + box.width / 2 - 640) <= 2, 'centred: ' + JSON.stringify(box));
  await page.locator('#register-offer').waitFor({ state: 'visible' });   // the harness turns registration on
  assert.equal(await page.locator('#sso-submit').innerText(), 'Sign in with SSO');
  // An empty organization is explained; a slug goes to the service's start URL.
  await page.locator('#sso-submit').click();
  assert.match(await page.locator('#sso-org-error').innerText(), /organization/);
  await page.locator('#sso-org').fill('no-such-org-' + Date.now());
  const nav = page.waitForRequest((r) => /\/api\/v1\/auth\/sso\/no-such-org-\d+\/start$/.test(r.url()));
  await page.locator('#sso-org').press('Enter');
  await nav;
  await page.goto(BASE + '/');
  await page.locator('#signin-view').waitFor({ state: 'visible' });
  await screenshot('signin-page');

  // Registration: a new organization, its first admin signed in at once.
  await page.locator('#register-show').click();
  assert.equal(await page.evaluate(() => document.activeElement.id), 'register-org');
  await page.locator('#register-submit').click();
  assert.match(await page.locator('#register-error').innerText(), /organization’s name[\s\S]*12 characters/);
  const email = `founder-${Date.now()}@browser.example`;
  await page.locator('#register-org').fill('Registered In The Browser');
  await page.locator('#register-name').fill('Fay Founder');
  await page.locator('#register-email').fill(email);
  await page.locator('#register-password').fill('a-password-long-enough');
  await page.locator('#register-submit').click();
  await page.locator('#app-view').waitFor({ state: 'visible' });
  assert.equal(await page.locator('#who-role').innerText(), 'admin');
  assert.equal(await page.locator('#who-name').innerText(), 'Fay Founder');
  assert.equal(await page.locator('#nav li:not([hidden])').count(), 5, 'an admin sees every page');
  await page.locator('#signout').click();
  await page.locator('#signin-view').waitFor({ state: 'visible' });
});

test('navigation: a link per page, the current one marked, the role always visible', async () => {
  await signInAs('admin');
  const names = await page.locator('#nav li:not([hidden]) a').allInnerTexts();
  assert.deepEqual(names, ['Incidents', 'API keys', 'Users', 'Audit log', 'Settings']);
  for (const p of ['keys', 'users', 'audit', 'settings', 'incidents']) {
    await gotoPage(p);
    assert.equal(await page.locator(`#nav a[data-page="${p}"]`).getAttribute('aria-current'), 'page');
    assert.equal(await page.locator('.page:not([hidden])').count(), 1, 'one page at a time');
    assert.ok(page.url().endsWith('#' + p));
    assert.equal(await page.locator('#who-role').isVisible(), true);
  }
  await page.goBack();
  await page.locator('#page-settings').waitFor({ state: 'visible' });
  assert.match(await page.title(), /^Settings/);
});

test('incidents: open, acknowledge, resolve, filter by status, paging', async () => {
  const admin = await login('admin');
  for (let i = 0; i < 21; i++) {
    const r = await apiFetch('POST', '/incidents', { token: admin, body: { title: 'Paged incident ' + i, severity: 'low' } });
    assert.equal(r.status, 201);
  }
  await gotoPage('incidents');
  await page.locator('#incidents-reload').click();
  await page.waitForFunction(() => !document.getElementById('incidents-reload').disabled);
  await page.locator('#incident-new').click();
  await page.locator('#incident-create').click();
  assert.match(await page.locator('#incident-form-error').innerText(), /Enter a title/);
  const title = 'Opened in the console ' + Date.now();
  await page.locator('#incident-title').fill(title);
  await page.locator('#incident-severity').selectOption('high');
  await page.locator('#incident-description').fill('steps to reproduce');
  await page.locator('#incident-create').click();
  const row = page.locator('#incidents-body tr', { hasText: title });
  await row.waitFor();
  assert.equal(await page.locator('#incident-dialog').isVisible(), false);
  assert.equal(await row.locator('td').nth(2).innerText(), 'Open');
  await row.locator(`button[aria-label="Acknowledge incident ${title}"]`).click();
  await page.waitForFunction((t) => [...document.querySelectorAll('#incidents-body tr')]
    .some((r) => r.textContent.includes(t) && r.textContent.includes('Acknowledged')), title);
  await page.locator(`button[aria-label="Resolve incident ${title}"]`).click();
  await page.waitForFunction((t) => [...document.querySelectorAll('#incidents-body tr')]
    .some((r) => r.textContent.includes(t) && r.textContent.includes('Resolved')), title);
  const id = await page.locator('#incidents-body tr', { hasText: title }).getAttribute('data-incident-id');
  const stored = await apiFetch('GET', '/incidents/' + id, { token: admin });
  assert.equal(stored.json.status, 'resolved');
  assert.equal(stored.json.severity, 'high');
  assert.equal(stored.json.description, 'steps to reproduce');
  // Filter: only resolved ones.
  await page.locator('#incidents-status').selectOption('resolved');
  await page.waitForFunction(() => !document.getElementById('incidents-reload').disabled &&
    document.querySelectorAll('#incidents-body tr').length > 0);
  const statuses = await page.locator('#incidents-body tr td:nth-child(3)').allInnerTexts();
  assert.ok(statuses.every((t) => t === 'Resolved'), statuses.join(','));
  assert.equal(await page.locator('#incidents-pager').isVisible(), false, 'one page of resolved incidents');
  await page.locator('#incidents-status').selectOption('');
  // Paging: 20 a page.
  await page.locator('#incidents-pager').waitFor({ state: 'visible' });
  assert.equal(await page.locator('#incidents-body tr').count(), 20);
  const first = await page.locator('#incidents-body tr').first().innerText();
  await page.locator('button[aria-label="Next page of incidents"]').click();
  await page.waitForFunction(() => /Page 2/.test(document.getElementById('incidents-pager').textContent) &&
    !document.getElementById('incidents-reload').disabled);
  assert.notEqual(await page.locator('#incidents-body tr').first().innerText(), first);
  assert.equal(await page.locator('button[aria-label="Previous page of incidents"]').isEnabled(), true);
  await screenshot('incidents-page-2');
});

test('API keys: permission presets and expiry presets', async () => {
  const me = await apiFetch('GET', '/auth/me', { token: await login('admin') });
  const mine = me.json.permissions;
  await openKeyDialog();
  const ticked = () => page.locator('#key-perms-list input:checked').evaluateAll((els) => els.map((e) => e.value));
  await page.locator('#key-form input[name=preset][value=read]').check();
  assert.deepEqual(await ticked(), mine.filter((p) => p.endsWith(':read')));
  await page.locator('#key-form input[name=preset][value=ci]').check();
  assert.deepEqual(await ticked(), ['incidents:read', 'incidents:create', 'procedures:read', 'procedures:execute']);
  await page.locator('#key-form input[name=preset][value=all]').check();
  assert.deepEqual(await ticked(), mine);
  await page.locator('#key-form input[name=preset][value=read]').check();
  await page.locator('#key-name').fill('Preset key');
  await page.locator('#key-expiry-preset').selectOption('30');
  assert.equal(await page.locator('#key-expiry').isVisible(), false, 'no date field for a preset');
  const req = page.waitForRequest((r) => r.url().endsWith('/api/v1/api-keys') && r.method() === 'POST');
  const t = Date.now();
  await page.locator('#key-create').click();
  const sent = (await req).postDataJSON();
  const days = (Date.parse(sent.expires_at) - t) / 86400000;
  assert.ok(days > 29.99 && days < 30.01, 'expires in 30 days: ' + sent.expires_at);
  assert.deepEqual(sent.permissions, mine.filter((p) => p.endsWith(':read')));
  await page.locator('#new-key').waitFor({ state: 'visible' });
  await page.locator('#new-key-done').click();
});

test('API keys: search, sort and paging', async () => {
  const admin = await login('admin');
  for (let i = 0; i < 21; i++) {
    const r = await apiFetch('POST', '/api-keys', { token: admin,
      body: { name: 'bulk-' + String(i).padStart(2, '0'), permissions: ['incidents:read'] } });
    assert.equal(r.status, 201);
  }
  await page.locator('#keys-reload').click();
  await page.waitForFunction(() => !document.getElementById('keys-reload').disabled);
  assert.equal(await page.locator('#keys-body tr').count(), 20, '20 a page');
  await page.locator('#keys-pager').waitFor({ state: 'visible' });
  await page.locator('#keys-search').fill('bulk-0');
  await page.waitForFunction(() => document.querySelectorAll('#keys-body tr').length === 10);
  assert.match(await page.locator('#keys-note').innerText(), /10 keys of \d+ match/);
  await page.locator('#keys-search').fill('bulk');
  await page.locator('#keys-sort').selectOption('name-asc');
  const names = await page.locator('#keys-body tr .key-name').allInnerTexts();
  assert.deepEqual(names, [...names].sort());
  assert.equal(names[0], 'bulk-00');
  await page.locator('button[aria-label="Next page of API keys"]').click();
  assert.deepEqual(await page.locator('#keys-body tr .key-name').allInnerTexts(), ['bulk-20']);
  await page.locator('#keys-search').fill('');
  await page.locator('#keys-sort').selectOption('created-desc');
});

let rotatedKey;

test('API keys: rotate with overlap; the old key works until then', async () => {
  const admin = await login('admin');
  const made = await apiFetch('POST', '/api-keys', { token: admin,
    body: { name: 'to rotate', permissions: ['incidents:read'] } });
  const oldKey = made.json.api_key;
  await page.locator('#keys-reload').click();
  await page.waitForFunction(() => !document.getElementById('keys-reload').disabled);
  await page.locator('button[aria-label="Rotate key to rotate"]').click();
  await page.locator('#rotate-dialog').waitFor({ state: 'visible' });
  await page.locator('#rotate-overlap').selectOption('3600');
  const res = page.waitForResponse((r) => r.url().endsWith('/rotate'));
  await page.locator('#rotate-submit').click();
  assert.equal((await res).status(), 201);
  await page.locator('#new-key').waitFor({ state: 'visible' });
  assert.match(await page.locator('#new-key-overlap').innerText(), /keeps working until/);
  const newKey = await page.locator('#new-key-value').inputValue();
  assert.notEqual(newKey, oldKey);
  assert.equal((await apiFetch('GET', '/incidents', { key: newKey })).status, 200, 'the new key works');
  assert.equal((await apiFetch('GET', '/incidents', { key: oldKey })).status, 200, 'the old one too, for the overlap');
  const oldRow = page.locator(`#keys-body tr[data-key-id="${made.json.id}"]`);
  await page.waitForFunction((id) => /Rotated works until/.test(
    document.querySelector(`#keys-body tr[data-key-id="${id}"]`).textContent), made.json.id);
  assert.equal(await oldRow.locator('button[aria-label^="Rotate"]').count(), 0, 'a rotated key cannot be rotated again');
  rotatedKey = { key: newKey, name: 'to rotate' };
  await screenshot('key-rotated');
  await page.locator('#new-key-done').click();
});

test('API keys: the activity of a key as a chart', async () => {
  for (let i = 0; i < 3; i++) await apiFetch('GET', '/incidents', { key: rotatedKey.key });
  const me = await apiFetch('GET', '/auth/me', { key: rotatedKey.key });
  const id = me.json.api_key.id;
  let summary = '';
  for (let i = 0; i < 20 && !/[1-9]\d* requests? served/.test(summary); i++) {
    await page.locator(`#keys-body tr[data-key-id="${id}"] button[aria-label^="Activity"]`).click();
    await page.waitForFunction(() => !/Loading/.test(document.getElementById('key-activity-summary').textContent));
    summary = await page.locator('#key-activity-summary').innerText();
    if (!/[1-9]\d* requests? served/.test(summary)) await sleep(1000);
  }
  assert.match(summary, /[1-9]\d* requests? served/);
  const chart = page.locator('#key-activity-chart svg[role=img]');
  assert.match(await chart.getAttribute('aria-label'), /Requests per day/);
  assert.ok(await chart.locator('rect').count() >= 2, 'bars drawn');
  assert.ok(await page.locator('#key-activity-ips-body tr', { hasText: '127.0.0.1' }).count() === 1);
  await screenshot('key-activity');
  await page.locator('#key-activity-close').click();
  assert.equal(await page.locator('#key-activity').isVisible(), false);
});

test('keyboard only: create a key, then revoke it; revoking hides the new-key panel', async () => {
  await page.locator('#key-new').focus();
  await page.keyboard.press('Enter');
  await page.locator('#key-dialog').waitFor({ state: 'visible' });
  assert.equal(await page.evaluate(() => document.activeElement.id), 'key-name');
  await page.keyboard.type('Keyboard key');
  await page.keyboard.press('Tab');                    // the preset radios: "Choose below" is checked
  await page.keyboard.press('ArrowUp');                // "Everything I hold"
  await page.keyboard.press('ArrowUp');                // "CI/CD"
  await page.keyboard.press('Shift+Tab');
  const created = page.waitForResponse((r) => r.url().endsWith('/api/v1/api-keys') && r.request().method() === 'POST');
  await page.keyboard.press('Enter');                  // submits from the name field
  assert.equal((await created).status(), 201);
  assert.deepEqual((await created).request().postDataJSON().permissions,
    ['incidents:read', 'incidents:create', 'procedures:read', 'procedures:execute']);
  await page.locator('#new-key').waitFor({ state: 'visible' });
  assert.equal(await page.evaluate(() => document.activeElement.id), 'new-key-value', 'focus on the key');
  const key = await page.locator('#new-key-value').inputValue();
  // Revoke another key while the panel is still open: the panel goes.
  await tabTo('Revoke key bulk-20');
  await page.keyboard.press('Enter');
  await page.locator('#revoke-dialog').waitFor({ state: 'visible' });
  await page.keyboard.press('Tab');                    // from Cancel to "Revoke key"
  const del = page.waitForResponse((r) => r.request().method() === 'DELETE');
  await page.keyboard.press('Enter');
  assert.equal((await del).status(), 204);
  await page.locator('#new-key').waitFor({ state: 'hidden' });
  assert.equal(await page.locator('#new-key-value').inputValue(), '');
  // And revoke the new one, keyboard only.
  await page.locator('#keys-list-heading').focus();
  await tabTo('Revoke key Keyboard key');
  await page.keyboard.press('Enter');
  await page.locator('#revoke-dialog').waitFor({ state: 'visible' });
  await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  await page.locator('#keys-body tr', { hasText: 'Keyboard key' }).waitFor({ state: 'detached' });
  assert.equal((await apiFetch('GET', '/incidents', { key })).status, 401);
});

test('users: add with a role no higher than mine, change a role by keyboard, last-admin rule', async () => {
  await gotoPage('users');
  await page.locator('#user-new').click();
  const roles = await page.locator('#user-role option').evaluateAll((os) => os.map((o) => o.value));
  assert.deepEqual(roles, ['admin', 'engineer', 'viewer']);
  const email = `added-${Date.now()}@browser.example`;
  await page.locator('#user-name').fill('Una Added');
  await page.locator('#user-email').fill(email);
  await page.locator('#user-role').selectOption('viewer');
  await page.locator('#user-password').fill('short');
  await page.locator('#user-create').click();
  assert.match(await page.locator('#user-form-error').innerText(), /12 characters/);
  await page.locator('#user-password').fill('a-first-password-long');
  await page.locator('#user-create').click();
  const row = page.locator('#users-body tr', { hasText: email });
  await row.waitFor();
  const id = await row.getAttribute('data-user-id');

  // Change the role with the keyboard only.
  await page.locator('#users-heading').focus();
  await tabTo('Role of Una Added');
  await page.keyboard.press('ArrowUp');                 // viewer -> engineer
  await page.keyboard.press('Tab');
  const patched = page.waitForResponse((r) => r.request().method() === 'PATCH');
  await page.keyboard.press('Enter');
  assert.equal((await patched).status(), 200);
  const admin = await login('admin');
  const users = (await apiFetch('GET', '/users', { token: admin })).json;
  assert.equal(users.find((u) => u.id === id).role, 'engineer');

  // Deactivate: the user can no longer sign in; reactivate.
  await page.locator('button[aria-label="Deactivate Una Added"]').click();
  await page.locator('button[aria-label="Reactivate Una Added"]').waitFor();
  const refused = await apiFetch('POST', '/auth/login', { body: { email, password: 'a-first-password-long' } });
  assert.equal(refused.status, 401);
  await page.locator('button[aria-label="Reactivate Una Added"]').click();
  await page.locator('button[aria-label="Deactivate Una Added"]').waitFor();

  // The last admin cannot step down: explained in words.
  await page.locator('select[aria-label="Role of Ada Admin"]').selectOption('engineer');
  await page.locator('button[aria-label="Save the role of Ada Admin"]').click();
  await page.locator('#users-error').waitFor({ state: 'visible' });
  assert.match(await page.locator('#users-error').innerText(), /at least one active admin/);
  await screenshot('users-last-admin');
});

test('users: a locked account is unlocked from the list', async () => {
  const u = info.users.locked;
  const row = page.locator('#users-body tr', { hasText: u.email });
  await page.locator('#users-reload').click();
  await row.waitFor();
  assert.match(await row.innerText(), /Locked until/);
  await row.locator('button[aria-label="Unlock Lou Locked"]').click();
  await page.waitForFunction((e) => [...document.querySelectorAll('#users-body tr')]
    .some((r) => r.textContent.includes(e) && !r.textContent.includes('Locked until')), u.email);
  const ok = await apiFetch('POST', '/auth/login', { body: { email: u.email, password: u.password } });
  assert.equal(ok.status, 200, 'signs in again: ' + ok.text);
});

test('audit log: filter by action, follow an actor and a target, paging', async () => {
  await gotoPage('audit');
  await page.locator('#audit-body tr').first().waitFor();
  await page.locator('#audit-pager').waitFor({ state: 'visible' });   // more than 50 events by now
  await page.locator('#audit-action').selectOption('api_key.created');
  await page.locator('#audit-apply').click();
  await page.waitForFunction(() => /filtered/.test(document.getElementById('status').textContent));
  const actions = await page.locator('#audit-body tr td:nth-child(2)').allInnerTexts();
  assert.ok(actions.length > 0 && actions.every((a) => a === 'api_key.created'), actions.join(','));
  // The actor: their other events.
  const actor = page.locator('#audit-body tr').first().locator('td').nth(3).locator('a', { hasText: 'its events' });
  await actor.click();
  await page.waitForFunction(() => /actor_id=/.test(location.hash) && document.getElementById('audit-actor').value);
  await page.waitForFunction(() => !document.getElementById('page-audit').hasAttribute('aria-busy'));
  const actorId = await page.locator('#audit-actor').inputValue();
  const shown = await page.locator('#audit-body tr td:nth-child(4) a:first-child').evaluateAll(
    (els) => els.map((e) => e.getAttribute('aria-label')));
  assert.ok(shown.length > 0 && shown.every((l) => l.endsWith(' ' + actorId)), 'only their events: ' + shown.join(','));
  // Since a time: sent as RFC 3339 UTC; a time to come has no events yet.
  const later = new Date(Date.now() + 3600 * 1000);
  const pad = (n) => String(n).padStart(2, '0');
  await page.locator('#audit-since').fill(`${later.getFullYear()}-${pad(later.getMonth() + 1)}-` +
    `${pad(later.getDate())}T${pad(later.getHours())}:${pad(later.getMinutes())}`);
  const sinceReq = page.waitForRequest((r) => r.url().includes('/api/v1/audit-log?'));
  await page.locator('#audit-apply').click();
  const sinceUrl = new URL((await sinceReq).url());
  assert.match(sinceUrl.searchParams.get('since'), /^\d{4}-\d\d-\d\dT\d\d:\d\d:00Z$/);
  assert.equal(sinceUrl.searchParams.get('actor_id'), actorId, 'filters combine');
  await page.waitForFunction(() => /No events match/.test(document.getElementById('audit-note').textContent));
  // A bad actor id is explained before any request.
  await page.locator('#audit-actor').fill('not-an-id');
  await page.locator('#audit-apply').click();
  assert.match(await page.locator('#audit-actor-error').innerText(), /8-4-4-4-12/);
  await screenshot('audit-log');
  // The target of a rotation: the old key, marked in the keys list.
  await page.locator('#audit-filter').evaluate((f) => f.reset());
  await page.locator('#audit-action').selectOption('api_key.rotated');
  await page.locator('#audit-apply').click();
  await page.waitForFunction(() => [...document.querySelectorAll('#audit-body tr td:nth-child(2)')]
    .some((td) => td.textContent === 'api_key.rotated'));
  const href = await page.locator('#audit-body tr').first().locator('td').nth(4).locator('a').getAttribute('href');
  assert.match(href, /^#keys\?id=/);
  await page.goto(BASE + '/' + href);
  await page.locator('#keys-body tr.wanted').waitFor();
  await focusReturnsTo('#keys-body tr.wanted', 'focus on the wanted key');
});

test('settings: change the password, in words when it is wrong', async () => {
  const u = await makeUser('engineer', 'Pat Password');
  await signInAs('Pat Password');
  await gotoPage('settings');
  assert.equal(await page.locator('#sso-settings').isVisible(), false, 'an engineer cannot manage SSO');
  assert.equal(await page.locator('#settings-two-factor').count(), 1, 'room for the two-factor block');
  await page.locator('#password-current').fill('not the password');
  await page.locator('#password-new').fill('a-new-password-long');
  await page.locator('#password-repeat').fill('a-new-password-long');
  await page.locator('#password-submit').click();
  await page.locator('#password-error').waitFor({ state: 'visible' });
  assert.match(await page.locator('#password-error').innerText(), /current password is wrong/);
  await page.locator('#password-current').fill(u.password);
  await page.locator('#password-new').fill('a-new-password-long');
  await page.locator('#password-repeat').fill('a-new-password-lonG');
  await page.locator('#password-submit').click();
  assert.match(await page.locator('#password-error').innerText(), /differ/);
  await page.locator('#password-repeat').fill('a-new-password-long');
  const res = page.waitForResponse((r) => r.url().endsWith('/auth/password'));
  await page.locator('#password-submit').click();
  assert.equal((await res).status(), 204);
  await page.waitForFunction(() => /password was changed/.test(document.getElementById('status').textContent));
  const r = await apiFetch('POST', '/auth/login', { body: { email: u.email, password: 'a-new-password-long' } });
  assert.equal(r.status, 200);
});

// A minimal OpenID provider for discovery: its document and key set, on loopback
// (http to loopback is allowed in development, doc/api.md section 6).
async function startDiscovery() {
  const { publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid: 'browser-test', use: 'sig', alg: 'RS256' };
  const server = http.createServer((req, res) => {
    const base = `http://127.0.0.1:${server.address().port}`;
    const docs = {
      '/.well-known/openid-configuration': { issuer: base, authorization_endpoint: base + '/authorize',
        token_endpoint: base + '/token', jwks_uri: base + '/jwks' },
      '/jwks': { keys: [jwk] },
    };
    const d = docs[req.url];
    res.writeHead(d ? 200 : 404, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(d || {}));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return server;
}

test('settings: the SSO connection (write-only secret, callback URL, test connection)', async () => {
  const idp = await startDiscovery();
  try {
    const issuer = `http://127.0.0.1:${idp.address().port}`;
    await signInAs('admin');
    await gotoPage('settings');
    await page.locator('#sso-settings').waitFor({ state: 'visible' });
    assert.match(await page.locator('#sso-settings-state').innerText(), /No single sign-on connection/);
    // Test connection before any is saved: the issuer's discovery, shown, nothing saved.
    const puts = [];
    const onRequest = (r) => { if (r.url().includes('/sso-connections') && r.method() === 'PUT') puts.push(r.url()); };
    page.on('request', onRequest);
    await page.locator('#sso-issuer').fill(issuer);
    const tested = page.waitForResponse((r) => r.url().endsWith('/sso-connections/test'));
    await page.locator('#sso-test').click();
    assert.equal((await tested).status(), 200);
    await page.waitForFunction(() => /provider answered/.test(document.getElementById('sso-test-result').textContent));
    const said = await page.locator('#sso-test-result').innerText();
    assert.match(said, new RegExp(issuer + '/authorize'));
    assert.match(said, new RegExp(issuer + '/token'));
    assert.match(said, /RS256/);
    assert.match(said, /Nothing was saved/);
    page.off('request', onRequest);
    assert.deepEqual(puts, [], 'Test connection saved the connection');
    assert.equal((await apiFetch('GET', '/sso-connections', { token: await login('admin') })).status, 404,
      'no connection after a test');
    assert.match(await page.locator('#sso-settings-state').innerText(), /No single sign-on connection/);
    await screenshot('settings-sso-tested');
    // A refused issuer (a private address): the reason beside the field.
    await page.locator('#sso-issuer').fill('https://10.0.0.1/realms/x');
    await page.locator('#sso-test').click();
    await page.locator('#sso-issuer-error').waitFor({ state: 'visible' });
    assert.match(await page.locator('#sso-issuer-error').innerText(), /^Issuer /);
    assert.equal(await page.locator('#sso-test-result').innerText(), '');
    await page.locator('#sso-issuer').fill('');
    await page.locator('#sso-save').click();
    assert.match(await page.locator('#sso-settings-error').innerText(), /issuer[\s\S]*client ID[\s\S]*secret/);
    const secret = 'browser-secret-' + Date.now();
    await page.locator('#sso-issuer').fill(issuer);
    await page.locator('#sso-client-id').fill('overwatch-console');
    await page.locator('#sso-client-secret').fill(secret);
    await page.locator('#sso-domains').fill('browser.example, example.org');
    await page.locator('#sso-default-role').selectOption('viewer');
    const put = page.waitForResponse((r) => r.url().endsWith('/sso-connections') && r.request().method() === 'PUT');
    await page.locator('#sso-save').click();
    assert.equal((await put).status(), 200);
    await page.waitForFunction(() => /Connected to/.test(document.getElementById('sso-settings-state').textContent));
    assert.match(await page.locator('#sso-callback').inputValue(), /\/api\/v1\/auth\/sso\/[^/]+\/callback$/);
    assert.equal(await page.locator('#sso-client-secret').inputValue(), '', 'the secret is not shown again');
    assert.ok(!(await page.content()).includes(secret), 'nor anywhere in the page');
    const stored = (await apiFetch('GET', '/sso-connections', { token: await login('admin') })).json;
    assert.deepEqual(stored.allowed_domains, ['browser.example', 'example.org']);
    await page.locator('#sso-test').click();
    await page.waitForFunction(() => /provider answered/.test(document.getElementById('sso-test-result').textContent));
    assert.match(await page.locator('#sso-test-result').innerText(), new RegExp(issuer + '/authorize'));
    await screenshot('settings-sso');
    // A provider that does not answer: the reason, beside the issuer.
    await page.locator('#sso-issuer').fill('http://127.0.0.1:9/');
    await page.locator('#sso-client-secret').fill(secret);
    await page.locator('#sso-save').click();
    await page.locator('#sso-issuer-error').waitFor({ state: 'visible' });
    assert.match(await page.locator('#sso-issuer-error').innerText(), /^Issuer /);
  } finally {
    idp.close();
  }
});

test('settings: your sessions; sign one out, then sign out everywhere', async () => {
  await signInAs('admin');
  // Another client signed in as the same user, told apart by its User-Agent.
  const ua = 'Browser-test other client ' + Date.now();
  const u = info.users.admin;
  const other = await apiFetch('POST', '/auth/login', { body: { email: u.email, password: u.password },
    headers: { 'User-Agent': ua } });
  assert.equal(other.status, 200, other.text);
  await gotoPage('settings');
  const row = page.locator('#sessions-body tr', { hasText: ua });
  await row.waitFor();
  const current = page.locator('#sessions-body tr', { hasText: 'This session' });
  assert.equal(await current.count(), 1, 'one row is this session');
  assert.equal(await current.locator('button').count(), 0, 'this session has no Sign out of its own');
  assert.match(await row.locator('td[data-label="IP address"]').innerText(), /127\.0\.0\.1/);
  assert.match(await row.locator('time').first().getAttribute('datetime'), /^\d{4}-\d\d-\d\dT/);
  await assertContrast('settings with sessions');
  await screenshot('settings-sessions');
  const revoked = page.waitForResponse((r) => /\/auth\/sessions\/[0-9a-f-]{36}$/.test(r.url()) &&
    r.request().method() === 'DELETE');
  await row.locator('button', { hasText: 'Sign out' }).click();
  assert.equal((await revoked).status(), 204);
  await row.waitFor({ state: 'detached' });
  assert.equal((await apiFetch('GET', '/auth/me', { token: other.json.access_token })).status, 401,
    'the signed-out session\'s token is refused');
  assert.equal(await current.count(), 1, 'this session is still listed');
  // Sign out everywhere: every session ends, this one too.
  const third = await login('admin');
  const all = page.waitForResponse((r) => r.url().endsWith('/auth/sessions') && r.request().method() === 'DELETE');
  await page.locator('#sessions-everywhere').click();
  assert.equal((await all).status(), 204);
  await page.locator('#signin-view').waitFor({ state: 'visible' });
  assert.match(await page.locator('#signin-error').innerText(), /signed out everywhere/);
  assert.equal((await apiFetch('GET', '/auth/me', { token: third })).status, 401, 'another session ended too');
  const cookies = (await context.cookies()).map((c) => c.name);
  assert.ok(!cookies.includes('access_token') && !cookies.includes('refresh_token'),
    'the console\'s cookies are gone: ' + cookies);
});

// Step-up (doc/api.md section 3): the stack's database is reached as the
// harness reaches it (tests/lib/harness.py sql: its MariaDB socket, the
// socket-authenticated local user) to make a user's sessions' proof 20
// minutes old, past the default [jwt] reauthentication_window of 600 s.
function ageProof(who) {
  const email = info.users[who].email;
  assert.match(email, /^[\w.@-]+$/, 'a plain address, safe to quote');
  const r = spawnSync(fs.existsSync('/usr/bin/mariadb') ? '/usr/bin/mariadb' : 'mariadb',
    ['--no-defaults', '--socket=' + path.join(info.tmp, 'mysqld.sock'), '-u', os.userInfo().username,
      '-e', 'UPDATE overwatch_it.sessions SET proved_at = UTC_TIMESTAMP(6) - INTERVAL 20 MINUTE ' +
      `WHERE user_id = (SELECT id FROM overwatch_it.users WHERE email = '${email}')`],
    { encoding: 'utf8', timeout: 60000 });
  assert.equal(r.status, 0, 'aging the proof: ' + r.stderr);
}

// Waits for the confirm-who-you-are dialog; focus is in its proof's field.
async function stepUpAsked(what, field = 'reauth-password') {
  await page.locator('#reauth-dialog').waitFor({ state: 'visible' });
  assert.equal(await page.evaluate(() => document.activeElement.id), field,
    what + ': focus starts in #' + field);
}

// Tab and Shift+Tab reach no control of the page behind the modal dialog
// (beyond its last control focus may pass to the browser's own UI, as with
// every dialog of the console), and come round to the dialog's controls.
async function focusStaysIn(id) {
  const seen = new Set();
  for (const key of ['Tab', 'Tab', 'Tab', 'Tab', 'Tab', 'Shift+Tab', 'Shift+Tab', 'Shift+Tab', 'Shift+Tab']) {
    await page.keyboard.press(key);
    const [inside, outside, where] = await page.evaluate((d) => {
      const a = document.activeElement;
      const dlg = document.getElementById(d);
      return [dlg.contains(a), a !== null && a !== document.body && !dlg.contains(a), a ? a.id : ''];
    }, id);
    assert.ok(!outside, `after ${key} focus left #${id} for #${where}`);
    if (inside) seen.add(where);
  }
  for (const c of ['reauth-password', 'reauth-cancel', 'reauth-submit']) {
    assert.ok(seen.has(c), `Tab reaches #${c}: ${[...seen]}`);
  }
}

async function stillSignedIn(what) {
  assert.ok(await page.locator('#app-view').isVisible(), what + ': still signed in');
  assert.equal(await page.locator('#signin-view').isVisible(), false, what + ': no sign-in form');
}

test('step-up: an old sign-in asks who you are before creating a key (wrong, cancel, right)', async () => {
  await signInAs('admin');
  ageProof('admin');
  await openKeyDialog();
  await page.locator('#key-name').fill('Step-up key');
  await page.locator('#key-perms-list input[value="incidents:read"]').check();
  await page.locator('#key-name').focus();
  await page.keyboard.press('Enter');
  await stepUpAsked('creating a key');
  assert.ok(await page.locator('#key-dialog').isVisible(), 'the key form waits underneath');
  assert.equal(await page.locator('#reauth-how').isVisible(), false, 'no second factor: the password only');
  await focusStaysIn('reauth-dialog');
  for (const width of [360, 768, 1280]) {
    await page.setViewportSize({ width, height: 740 });
    await noSidewaysScroll(`the confirm dialog at ${width} px`);
    const box = await page.locator('#reauth-dialog').boundingBox();
    assert.ok(box.x >= 0 && box.x + box.width <= width, `the dialog fits ${width} px: ${JSON.stringify(box)}`);
    await screenshot(`step-up-${width}`);
  }
  await page.setViewportSize({ width: 1280, height: 900 });

  // A wrong password: said in the dialog, which stays; nothing was created.
  await page.locator('#reauth-password').focus();
  await page.keyboard.type('not the password at all');
  const wrong = page.waitForResponse((r) => r.url().endsWith('/api/v1/auth/reauthenticate'));
  await page.keyboard.press('Enter');
  assert.equal((await wrong).status(), 400);
  await page.locator('#reauth-error').waitFor({ state: 'visible' });
  assert.match(await page.locator('#reauth-error').innerText(), /Password/);
  assert.equal(await page.locator('#reauth-password').getAttribute('aria-invalid'), 'true');
  assert.ok(await page.locator('#reauth-dialog').isVisible(), 'the dialog stays after a wrong password');
  await stillSignedIn('after a wrong password');

  // The right one: the key is created by the one retry and shown once.
  await page.locator('#reauth-password').focus();
  await page.keyboard.press('Control+A');
  await page.keyboard.type(info.users.admin.password);
  const created = page.waitForResponse((r) => r.url().endsWith('/api/v1/api-keys') &&
    r.request().method() === 'POST' && r.status() !== 401);
  await page.keyboard.press('Enter');
  assert.equal((await created).status(), 201, 'the retried creation');
  await page.locator('#new-key').waitFor({ state: 'visible' });
  assert.match(await page.locator('#new-key-value').inputValue(), /^overwatch_ak_/);
  assert.equal(await page.locator('#reauth-dialog').isVisible(), false);
  assert.equal(await page.locator('#key-dialog').isVisible(), false);
  await page.locator('#new-key-done').click();

  // Cancel (Escape): not created, said in words, still signed in.
  ageProof('admin');
  await openKeyDialog();
  await page.locator('#key-name').fill('Step-up cancelled');
  await page.locator('#key-perms-list input[value="incidents:read"]').check();
  await page.locator('#key-create').click();
  await stepUpAsked('creating a key again');
  await page.keyboard.press('Escape');
  await page.locator('#reauth-dialog').waitFor({ state: 'hidden' });
  await page.locator('#key-form-error').waitFor({ state: 'visible' });
  assert.match(await page.locator('#key-form-error').innerText(), /confirm who you are/);
  assert.doesNotMatch(await page.locator('#key-form-error').innerText(), /REAUTHENTICATION/);
  await stillSignedIn('after cancelling');
  await closeDialog('key-dialog');
  const names = (await apiFetch('GET', '/api-keys?limit=100', { token: await login('admin') })).json.map((k) => k.name);
  assert.ok(names.includes('Step-up key') && !names.includes('Step-up cancelled'), 'keys: ' + names);
});

test('step-up: sign out everywhere from an old sign-in asks first (cancel, then the password)', async () => {
  await signInAs('admin');
  await gotoPage('settings');
  await page.locator('#sessions-body tr').first().waitFor();
  ageProof('admin');
  await page.locator('#sessions-everywhere').focus();
  await page.keyboard.press('Enter');
  await stepUpAsked('signing out everywhere');
  await page.locator('#reauth-cancel').focus();
  await page.keyboard.press('Enter');
  await page.locator('#reauth-dialog').waitFor({ state: 'hidden' });
  await focusReturnsTo('#sessions-everywhere', 'focus goes back to the button');
  await page.locator('#sessions-error').waitFor({ state: 'visible' });
  assert.match(await page.locator('#sessions-error').innerText(), /Could not sign out everywhere\. .*confirm who you are/);
  await stillSignedIn('after cancelling the sign-out everywhere');
  const other = await login('admin');
  await page.keyboard.press('Enter');
  await stepUpAsked('signing out everywhere again');
  await page.keyboard.type(info.users.admin.password);
  const all = page.waitForResponse((r) => r.url().endsWith('/auth/sessions') &&
    r.request().method() === 'DELETE' && r.status() !== 401);
  await page.keyboard.press('Enter');
  assert.equal((await all).status(), 204);
  await page.locator('#signin-view').waitFor({ state: 'visible' });
  assert.match(await page.locator('#signin-error').innerText(), /signed out everywhere/);
  assert.equal((await apiFetch('GET', '/auth/me', { token: other })).status, 401, 'the other session ended');
});

test('a viewer sees no control they cannot use', async () => {
  await makeUser('viewer', 'Vic Viewer');
  await signInAs('Vic Viewer');
  assert.deepEqual(await page.locator('#nav li:not([hidden]) a').allInnerTexts(), ['Incidents', 'Settings']);
  assert.equal(await page.locator('#page-incidents').isVisible(), true);
  assert.equal(await page.locator('#incident-new').isVisible(), false);
  await page.locator('#incidents-body tr').first().waitFor();
  assert.equal(await page.locator('#incidents-body button').count(), 0, 'no acknowledge or resolve');
  for (const p of ['keys', 'users', 'audit']) {
    await page.goto(BASE + '/#' + p);
    await page.locator('#page-incidents').waitFor({ state: 'visible' });
    assert.equal(await page.locator('#page-' + p).isVisible(), false, p + ' is not shown to a viewer');
  }
  await gotoPage('settings');
  assert.equal(await page.locator('#sso-settings').isVisible(), false);
  // Every visible enabled control is one the viewer may use (their own
  // second factor and their own sessions included: any user may manage them).
  const controls = await page.locator('button:visible, a[href]:visible, input:visible, select:visible')
    .evaluateAll((els) => els.map((e) => e.id || e.getAttribute('aria-label') || e.textContent.trim()));
  for (const c of controls) {
    assert.match(c, /^(Skip to content|signout|Incidents|Settings|password-.*|mfa-enrol-start|sessions-everywhere|Sign out the session .*)$/,
      'unexpected control ' + c);
  }
  await screenshot('viewer-settings');
});

test('every page at 360, 768 and 1280 px (and 705 to 830, 1024 to 1100): no sideways scroll, contrast', async () => {
  await signInAs('admin');
  for (const width of [360, 768, 1280]) {
    await page.setViewportSize({ width, height: 900 });
    for (const p of ['incidents', 'keys', 'users', 'audit', 'settings']) {
      await gotoPage(p);
      if (p === 'keys') {
        await page.locator('#keys-body tr').first().waitFor();
        await page.locator('#keys-body tr button[aria-label^="Activity"]').first().click();
        await page.waitForFunction(() => !/Loading/.test(document.getElementById('key-activity-summary').textContent));
      }
      await noSidewaysScroll(`${p} at ${width} px`);
      await assertContrast(`${p} at ${width} px`);
      await screenshot(`${p}-${width}`);
    }
    await gotoPage('keys');
    await page.locator('#key-new').click();
    await noSidewaysScroll(`key dialog at ${width} px`);
    await assertContrast(`key dialog at ${width} px`);
    await screenshot(`key-dialog-${width}`);
    await closeDialog('key-dialog');
  }
  await gotoPage('keys');
  for (const width of [705, 730, 755, 780, 805, 830, 1024, 1040, 1100]) {
    await page.setViewportSize({ width, height: 900 });
    await noSidewaysScroll(`keys at ${width} px`);
    const revoke = await page.locator('#keys-body tr button[aria-label^="Revoke"]').first().boundingBox();
    assert.ok(revoke.x >= 0 && revoke.x + revoke.width <= width, `Revoke on screen at ${width} px`);
  }
  await context.clearCookies();
  await page.setViewportSize({ width: 360, height: 740 });
  await page.goto(BASE + '/');
  await page.locator('#signin-view').waitFor({ state: 'visible' });
  await noSidewaysScroll('sign-in at 360 px');
  await assertContrast('sign-in at 360 px');
  await screenshot('signin-360');
  await page.setViewportSize({ width: 1280, height: 900 });
});

// ------------------------------------------------- two-factor sign-in

// RFC 6238 with Node's crypto: HMAC-SHA1 of the 30-second step, 6 digits.
function base32Decode(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const out = [];
  let bits = 0;
  let value = 0;
  for (const c of text.replace(/=+$/, '')) {
    const i = alphabet.indexOf(c);
    assert.ok(i >= 0, 'base32 character ' + c);
    value = ((value << 5) | i) & 0xffff;
    bits += 5;
    if (bits >= 8) { out.push((value >>> (bits - 8)) & 0xff); bits -= 8; }
  }
  return Buffer.from(out);
}

function totp(secret, step) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const h = crypto.createHmac('sha1', base32Decode(secret)).update(counter).digest();
  const o = h[h.length - 1] & 15;
  return String((h.readUInt32BE(o) & 0x7fffffff) % 1000000).padStart(6, '0');
}

function stepNow() { return Math.floor(Date.now() / 30000); }

// The QR code the page drew, photographed and read by zbarimg (zbar-tools).
async function decodeDrawnQr(locator, name) {
  const file = path.join(ARTIFACTS, String(++shot).padStart(2, '0') + '-' + name + '.png');
  await locator.screenshot({ path: file });
  const r = spawnSync('zbarimg', ['--quiet', '--raw', file], { encoding: 'utf8', timeout: 60000 });
  assert.equal(r.status, 0, 'zbarimg read a code in ' + file + ': ' + r.stderr);
  return r.stdout.replace(/\n$/, '');
}

// At each width the page scrolls only up and down.
async function noSidewaysScrollAt3(name) {
  for (const width of [360, 768, 1280]) {
    await page.setViewportSize({ width, height: 800 });
    const [scroll, wide] = await page.evaluate((w) => [document.documentElement.scrollWidth,
      [...document.querySelectorAll('body *')].filter((el) => el.getBoundingClientRect().right > w)
        .slice(0, 5).map((el) => el.tagName + '#' + el.id + '.' + el.className)], width);
    assert.ok(scroll <= width, `${name}: page width ${scroll} px at a ${width} px viewport: ${wide}`);
    await screenshot(`${name}-${width}`);
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}

// Email and password through the form; the page then asks for a second factor.
async function signInToSecondFactor(who) {
  const u = info.users[who];
  await page.locator('#signin-view').waitFor({ state: 'visible' });
  await page.locator('#signin-email').fill(u.email);
  await page.locator('#signin-password').fill(u.password);
  const answer = page.waitForResponse((r) => r.url().endsWith('/api/v1/auth/login'));
  await page.locator('#signin-submit').click();
  const res = await answer;
  assert.equal(res.status(), 200);
  const body = await res.json();
  assert.equal(body.mfa_required, true, 'the login asks for a second factor');
  assert.equal(body.access_token, undefined, 'no token before the second factor');
  await page.locator('#mfa-step-view').waitFor({ state: 'visible' });
  assert.equal(await page.locator('#signin-view').isVisible(), false);
  assert.equal(await page.locator('#signin-password').inputValue(), '', 'the password is not kept');
  return body;
}

async function signOut() {
  const out = page.waitForResponse((r) => r.url().endsWith('/api/v1/auth/logout'));
  await page.locator('#signout').click();
  assert.equal((await out).status(), 204);
  await page.locator('#signin-view').waitFor({ state: 'visible' });
}

async function verifyThroughStep(value, status) {
  await page.locator('#mfa-step-code').fill(value);
  const answer = page.waitForResponse((r) => r.url().endsWith('/api/v1/auth/mfa/verify'));
  await page.locator('#mfa-step-submit').click();
  assert.equal((await answer).status(), status, 'verify ' + value);
}

// Confirms the enrolment panel prefix with the current code; returns the recovery codes.
async function confirmEnrolment(prefix, secret) {
  await page.locator(`#${prefix}-code`).fill(totp(secret, stepNow()));
  const answer = page.waitForResponse((r) => r.url().endsWith('/api/v1/auth/mfa/totp/confirm'));
  await page.locator(`#${prefix} [data-part="confirm"]`).click();
  assert.equal((await answer).status(), 200);
  await page.locator(`#${prefix} [data-part="recovery"]`).waitFor({ state: 'visible' });
  const codes = (await page.locator(`#${prefix}-codes`).inputValue()).split('\n');
  assert.equal(codes.length, 10);
  for (const c of codes) assert.match(c, /^[A-Z2-7]{4}(-[A-Z2-7]{4}){3}$/);
  const href = await page.locator(`#${prefix} [data-part="download"]`).getAttribute('href');
  assert.equal(decodeURIComponent(href.replace(/^data:text\/plain;charset=utf-8,/, '')),
    codes.join('\n') + '\n', 'the download holds the codes');
  return codes;
}

// The enrolment panel prefix as drawn: the QR code reads as the API's
// otpauth URI, the key in text is the API's secret.
async function checkDrawnEnrolment(prefix, enrol, name) {
  const qr = page.locator(`#${prefix}-qr`);
  await qr.waitFor({ state: 'visible' });
  assert.equal(await qr.evaluate((el) => el.tagName.toLowerCase()), 'svg');
  assert.equal(await decodeDrawnQr(qr, name), enrol.otpauth_uri, 'the drawn code is the otpauth URI');
  assert.match(enrol.otpauth_uri, /^otpauth:\/\/totp\/.*[?&]secret=/);
  const shown = await page.locator(`#${prefix} [data-part="secret"]`).innerText();
  assert.equal(shown.replace(/\s+/g, ''), enrol.secret, 'the key for typing by hand');
}

let mfaSecret;
let mfaSpentStep = 0;     // the last time step whose code was spent

// A time step not spent yet whose code the service accepts (now, give or
// take one step): waits, at most one step, while the last spent one is ahead.
async function unspentStep() {
  while (stepNow() < mfaSpentStep) await sleep(1000);
  mfaSpentStep = Math.max(stepNow() - 1, mfaSpentStep + 1);
  return mfaSpentStep;
}
let recoveryCodes;

test('two-factor: enrol through the console; the drawn QR code is the API\'s otpauth URI', async () => {
  await context.clearCookies();
  await page.goto(BASE + '/');
  await signInWithKeyboard('mfa');
  await page.evaluate(() => { location.hash = 'settings'; });
  await page.locator('#mfa-status').waitFor({ state: 'visible' });
  assert.match(await page.locator('#mfa-status').innerText(), /^Off/);
  const enrolled = page.waitForResponse((r) => r.url().endsWith('/api/v1/auth/mfa/totp'));
  await page.locator('#mfa-enrol-start').click();
  const res = await enrolled;
  assert.equal(res.status(), 200);
  const enrol = await res.json();
  mfaSecret = enrol.secret;
  await checkDrawnEnrolment('mfa-enrol', enrol, 'mfa-qr-console');
  await noSidewaysScrollAt3('mfa-enrol');

  // A wrong code is refused beside the field; the right one gives the codes once.
  const wrong = totp(mfaSecret, stepNow()) === '000000' ? '111111' : '000000';
  await page.locator('#mfa-enrol-code').fill(wrong);
  const refused = page.waitForResponse((r) => r.url().endsWith('/api/v1/auth/mfa/totp/confirm'));
  await page.locator('#mfa-enrol [data-part="confirm"]').click();
  assert.equal((await refused).status(), 400);
  await page.locator('#mfa-enrol-code-error').waitFor({ state: 'visible' });
  recoveryCodes = await confirmEnrolment('mfa-enrol', mfaSecret);
  await page.locator('#mfa-enrol [data-part="copy"]').click();
  await page.waitForFunction(() => document.querySelector('#mfa-enrol [data-part="copied"]').textContent !== '');
  await noSidewaysScrollAt3('mfa-recovery-codes');
  await page.locator('#mfa-enrol [data-part="done"]').click();
  assert.equal(await page.locator('#mfa-enrol').count(), 0, 'the codes are gone from the page');
  assert.match(await page.locator('#mfa-status').innerText(), /^On/);
  assert.equal(await page.locator('#mfa-enrol-start').isVisible(), false);
});

test('two-factor: sign out, then sign in through the code step (a wrong code in words)', async () => {
  await signOut();
  await signInToSecondFactor('mfa');
  await noSidewaysScrollAt3('mfa-code-step');
  const later = stepNow() + 1;       // the next step: the confirmation spent this one
  const wrong = ['000000', '111111', '222222'].find((c) =>
    ![-1, 0, 1, 2].some((d) => totp(mfaSecret, later + d - 1) === c));
  await verifyThroughStep(wrong, 401);
  await page.locator('#mfa-step-error').waitFor({ state: 'visible' });
  assert.match(await page.locator('#mfa-step-error').innerText(), /wrong or was already used/);
  assert.equal(await page.locator('#mfa-step-code').getAttribute('aria-invalid'), 'true');
  await verifyThroughStep(totp(mfaSecret, later), 200);
  mfaSpentStep = later;
  await page.locator('#app-view').waitFor({ state: 'visible' });
  assert.equal(await page.locator('#mfa-step-view').isVisible(), false);
  assert.equal(await page.locator('#who-email').innerText(), info.users.mfa.email);
  assert.match(await page.locator('#mfa-status').innerText(), /^On/);
});

test('two-factor: a recovery code signs in once', async () => {
  await signOut();
  await signInToSecondFactor('mfa');
  await page.locator('#mfa-step-switch').click();
  assert.match(await page.locator('#mfa-step-label').innerText(), /Recovery code/);
  await verifyThroughStep(recoveryCodes[0], 200);
  await page.locator('#app-view').waitFor({ state: 'visible' });

  await signOut();
  await signInToSecondFactor('mfa');
  await page.locator('#mfa-step-switch').click();
  await verifyThroughStep(recoveryCodes[0], 401);
  // The answer is in before the page has shown it: wait for the page, not the network.
  await page.locator('#mfa-step-error').waitFor({ state: 'visible' });
  assert.match(await page.locator('#mfa-step-error').innerText(), /recovery code is wrong or was already used/);
  // Another one, as a user may type it: lower case, no dashes.
  await verifyThroughStep(recoveryCodes[1].replace(/-/g, '').toLowerCase(), 200);
  await page.locator('#app-view').waitFor({ state: 'visible' });
});

test('step-up: with two-factor on, the dialog asks for the authenticator code', async () => {
  ageProof('mfa');
  await gotoPage('settings');
  await page.locator('#sessions-body tr').first().waitFor();
  await page.locator('#sessions-everywhere').click();
  await stepUpAsked('two-factor on', 'reauth-code');
  assert.ok(await page.locator('#reauth-how').isVisible(), 'a choice of code or password');
  assert.equal(await page.locator('#reauth-password').isVisible(), false, 'one proof at a time');
  const step = await unspentStep();
  const wrong = ['000000', '111111', '222222'].find((c) =>
    ![-1, 0, 1, 2].some((d) => totp(mfaSecret, step + d - 1) === c));
  await page.keyboard.type(wrong);
  const refused = page.waitForResponse((r) => r.url().endsWith('/api/v1/auth/reauthenticate'));
  await page.keyboard.press('Enter');
  assert.equal((await refused).status(), 400);
  await page.locator('#reauth-code-error').waitFor({ state: 'visible' });
  assert.ok(await page.locator('#reauth-dialog').isVisible(), 'the dialog stays after a wrong code');
  await page.locator('#reauth-code').fill(totp(mfaSecret, step));
  const all = page.waitForResponse((r) => r.url().endsWith('/auth/sessions') &&
    r.request().method() === 'DELETE' && r.status() !== 401);
  await page.keyboard.press('Enter');
  assert.equal((await all).status(), 204);
  await page.locator('#signin-view').waitFor({ state: 'visible' });
  // Back in for the tests that follow.
  await signInToSecondFactor('mfa');
  await verifyThroughStep(totp(mfaSecret, await unspentStep()), 200);
  await page.locator('#app-view').waitFor({ state: 'visible' });
  await gotoPage('settings');
});

test('two-factor: turned off with the password, the password alone signs in again', async () => {
  await page.locator('#mfa-disable-form').waitFor({ state: 'visible' });
  await page.locator('#mfa-disable-password').fill(info.users.mfa.password);
  const off = page.waitForResponse((r) => r.url().endsWith('/api/v1/auth/mfa/disable'));
  await page.locator('#mfa-disable-submit').click();
  assert.equal((await off).status(), 204);
  await page.waitForFunction(() => /^Off/.test(document.getElementById('mfa-status').textContent));
  assert.equal(await page.locator('#mfa-disable-form').isVisible(), false);
  await signOut();
  await signInWithKeyboard('mfa');
});

test('two-factor: the organization requires it, so sign-in goes through enrolment first', async () => {
  const token = await login('forced');
  const set = await apiFetch('PUT', '/mfa-policy', { token, body: { require: 'all' } });
  assert.equal(set.status, 200, set.text);
  await signOut();
  const enrolled = page.waitForResponse((r) => r.url().endsWith('/api/v1/auth/mfa/totp'));
  const answer = await signInToSecondFactor('forced');
  assert.equal(answer.mfa_enrolment_required, true);
  assert.equal(await page.locator('#mfa-step-form').isVisible(), false, 'no code to ask for yet');
  const enrol = await (await enrolled).json();
  await checkDrawnEnrolment('mfa-forced', enrol, 'mfa-qr-forced');
  await noSidewaysScrollAt3('mfa-forced-enrol');
  // Nothing else is open to the enrolment's token.
  const me = await apiFetch('GET', '/auth/me', { token: answer.mfa_token });
  assert.equal(me.status, 401);
  await confirmEnrolment('mfa-forced', enrol.secret);
  await page.locator('#mfa-forced [data-part="done"]').click();
  await page.locator('#app-view').waitFor({ state: 'visible' });
  assert.equal(await page.locator('#who-email').innerText(), info.users.forced.email);
  assert.match(await page.locator('#mfa-status').innerText(), /^On/);
  assert.equal(await page.locator('#mfa-step-view').isVisible(), false);
});

test('no script errors, no CSP violations, nothing fetched from elsewhere', () => {
  assert.deepEqual(pageErrors, []);
  assert.deepEqual(consoleProblems, []);
  assert.deepEqual(consoleErrors, []);
  assert.deepEqual(foreignRequests, []);
});

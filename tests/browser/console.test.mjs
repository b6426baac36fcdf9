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
  const todo = [...html.matchAll(/<script type="module" src="([^"]+)"/g)].map((m) => new URL(m[1], BASE + '/'));
  assert.ok(todo.length >= 1, 'a module script in the page');
  while (todo.length) {
    const u = todo.shift();
    if (found.has(u.pathname)) continue;
    const r = await fetch(u);
    assert.equal(r.status, 200, u.pathname);
    assert.match(r.headers.get('content-type') || '', /javascript/, u.pathname + ' served as JavaScript');
    const text = await r.text();
    found.set(u.pathname, text);
    for (const m of text.matchAll(/^\s*import\s+(?:[^'"]*\sfrom\s+)?'([^']+)'/gm)) todo.push(new URL(m[1], u));
  }
  return found;
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
  await page.locator('#key-expiry').fill('2001-01-01T10:00');
  await page.locator('#key-name').fill('x');
  await page.locator('#key-perms-list input[value="incidents:read"]').check();
  await page.locator('#key-create').click();
  await page.waitForFunction(() => /future/.test(document.getElementById('key-form-error').textContent));
  await page.locator('#key-form').evaluate((f) => f.reset());
});

let apiKey;
let keyId;

test('create a key: shown once with a copy button; it works with X-API-Key', async () => {
  const name = 'Browser test key';
  const expiry = new Date(Date.now() + 2 * 24 * 3600 * 1000);
  const pad = (n) => String(n).padStart(2, '0');
  const local = `${expiry.getFullYear()}-${pad(expiry.getMonth() + 1)}-${pad(expiry.getDate())}T${pad(expiry.getHours())}:${pad(expiry.getMinutes())}`;
  await page.locator('#key-name').fill(name);
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
  assert.equal(cells[0], name);
  assert.equal(cells[1], apiKey.slice(0, 21) + '…');
  assert.match(cells[2], /incidents:read/);
  assert.equal(cells[4], 'Never');
  assert.notEqual(cells[5], 'Never');
  await page.locator('#new-key-done').click();
  assert.equal(await panel.isVisible(), false);
  assert.equal(await page.locator('#new-key-value').inputValue(), '', 'the key is gone from the page');
  assert.ok(!(await page.content()).includes(apiKey));

  // "Last used" follows within seconds.
  let lastUsed = 'Never';
  for (let i = 0; i < 20 && lastUsed === 'Never'; i++) {
    await sleep(1000);
    await page.locator('#keys-reload').click();
    await page.waitForFunction(() => !document.getElementById('keys-reload').disabled);
    lastUsed = await row.locator('td').nth(4).innerText();
  }
  assert.notEqual(lastUsed, 'Never', 'last used shown after the key was used');
});

test('revoke asks first, then the same key is refused', async () => {
  const button = page.locator(`#keys-body tr[data-key-id="${keyId}"] button`);
  assert.equal(await button.getAttribute('aria-label'), 'Revoke key Browser test key');
  await button.click();
  const dialog = page.locator('#revoke-dialog');
  await dialog.waitFor({ state: 'visible' });
  assert.match(await dialog.innerText(), /Browser test key/);
  await screenshot('revoke-confirm');
  await page.keyboard.press('Escape');            // cancel with the keyboard
  await dialog.waitFor({ state: 'hidden' });
  assert.equal((await apiFetch('GET', '/incidents', { key: apiKey })).status, 200, 'cancel keeps the key');
  assert.equal(await page.evaluate(() => document.activeElement.getAttribute('aria-label')),
    'Revoke key Browser test key', 'focus returns to the button');

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
  await page.locator('#key-form').evaluate((f) => f.reset());
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

test('phone-sized screen (360x740): no sideways scrolling, readable, contrast', async () => {
  await context.clearCookies();
  await page.setViewportSize({ width: 360, height: 740 });
  await page.goto(BASE + '/');
  await signInWithKeyboard('admin');
  // A key to show, and the one-time panel open.
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

  // Text contrast of everything visible (WCAG AA: 4.5:1, 3:1 for large text).
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
  assert.deepEqual(low, []);
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
  }
  for (const id of ['signout', 'incidents-reload', 'key-name', 'key-expiry', 'key-create',
    'new-key-copy', 'new-key-done', 'keys-reload', 'Revoke key Phone key']) {
    assert.ok(seen.includes(id), id + ' is reachable with Tab (saw ' + seen.join(', ') + ')');
  }
  assert.deepEqual(invisible, [], 'controls without a visible focus ring');
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
async function noSidewaysScroll(name) {
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
let recoveryCodes;

test('two-factor: enrol through the console; the drawn QR code is the API\'s otpauth URI', async () => {
  await context.clearCookies();
  await page.goto(BASE + '/');
  await signInWithKeyboard('mfa');
  await page.locator('#mfa-status').waitFor({ state: 'visible' });
  assert.match(await page.locator('#mfa-status').innerText(), /^Off/);
  const enrolled = page.waitForResponse((r) => r.url().endsWith('/api/v1/auth/mfa/totp'));
  await page.locator('#mfa-enrol-start').click();
  const res = await enrolled;
  assert.equal(res.status(), 200);
  const enrol = await res.json();
  mfaSecret = enrol.secret;
  await checkDrawnEnrolment('mfa-enrol', enrol, 'mfa-qr-console');
  await noSidewaysScroll('mfa-enrol');

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
  await noSidewaysScroll('mfa-recovery-codes');
  await page.locator('#mfa-enrol [data-part="done"]').click();
  assert.equal(await page.locator('#mfa-enrol').count(), 0, 'the codes are gone from the page');
  assert.match(await page.locator('#mfa-status').innerText(), /^On/);
  assert.equal(await page.locator('#mfa-enrol-start').isVisible(), false);
});

test('two-factor: sign out, then sign in through the code step (a wrong code in words)', async () => {
  await signOut();
  await signInToSecondFactor('mfa');
  await noSidewaysScroll('mfa-code-step');
  const later = stepNow() + 1;       // the next step: the confirmation spent this one
  const wrong = ['000000', '111111', '222222'].find((c) =>
    ![-1, 0, 1, 2].some((d) => totp(mfaSecret, later + d - 1) === c));
  await verifyThroughStep(wrong, 401);
  await page.locator('#mfa-step-error').waitFor({ state: 'visible' });
  assert.match(await page.locator('#mfa-step-error').innerText(), /wrong or was already used/);
  assert.equal(await page.locator('#mfa-step-code').getAttribute('aria-invalid'), 'true');
  await verifyThroughStep(totp(mfaSecret, later), 200);
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
  assert.match(await page.locator('#mfa-step-error').innerText(), /recovery code is wrong or was already used/);
  // Another one, as a user may type it: lower case, no dashes.
  await verifyThroughStep(recoveryCodes[1].replace(/-/g, '').toLowerCase(), 200);
  await page.locator('#app-view').waitFor({ state: 'visible' });
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
  await noSidewaysScroll('mfa-forced-enrol');
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
  assert.deepEqual(foreignRequests, []);
});

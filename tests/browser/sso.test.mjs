// Browser tests of the console's "Sign in with SSO" (www/js/signin.js) in Debian's
// chromium, driven by playwright-core, at 360, 768 and 1280 px: the organization's
// short name typed in the sign-in page, the provider's redirect, and back signed in
// (doc/api.md section 6, "Single sign-on": ssoStart, ssoCallback); an unknown
// organization, one without a connection and one whose connection is disabled are
// told in words, on the sign-in page. A named connection (putNamedSsoConnection) is
// added, edited and deleted on the settings page, and its users sign in naming it in
// the sign-in page's optional connection field.
//
//   node --test tests/browser/sso.test.mjs          (tests/browser/run.sh does this)
//
// Starts its own stack with stack.py (the one console.test.mjs uses) and an OpenID
// provider of its own on loopback: discovery, keys, an authorization endpoint that
// signs in whoever the test names (no login page) and a token endpoint that checks
// the client secret, the code and PKCE, and signs an RS256 ID token. The
// organization's connection to it is saved through the API, as an admin would.
// Environment: OVERWATCH_BROWSER_ARTIFACTS and CHROMIUM, as for console.test.mjs.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ARTIFACTS = process.env.OVERWATCH_BROWSER_ARTIFACTS ||
  fs.mkdtempSync(path.join(os.tmpdir(), 'overwatch-browser-'));
const CLIENT_ID = 'console-sso-test';
const CLIENT_SECRET = 'sso-browser-secret-' + crypto.randomBytes(8).toString('hex');
const WIDTHS = [360, 768, 1280];

let stack;
let info;
let browser;
let idp;
let slug;              // the organization with the connection
let otherOrgId;        // an organization without one
const pageErrors = [];

// ------------------------------------------------------------------ the stack

function startStack() {
  const python = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
  stack = spawn(python, [path.join(HERE, 'stack.py')], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = readline.createInterface({ input: stack.stdout });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('stack.py not ready in 240 s')), 240000);
    stack.once('exit', (code) => reject(new Error('stack.py exited with status ' + code)));
    lines.on('line', (line) => {
      if (!line.startsWith('READY ') || info) return;
      clearTimeout(timer);
      info = JSON.parse(line.slice(6));
      resolve();
    });
  });
}

async function call(method, p, token, body) {
  const headers = { Accept: 'application/json' };
  if (token) headers.Authorization = 'Bearer ' + token;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(info.base_url + '/api/v1' + p,
    { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null, text };
}

async function tokenOf(who) {
  const u = info.users[who];
  const r = await call('POST', '/auth/login', null, { email: u.email, password: u.password });
  assert.equal(r.status, 200, 'API login of ' + who + ': ' + r.text);
  return r.json.access_token;
}

// ------------------------------------------------------------------ the provider

function b64u(buf) { return Buffer.from(buf).toString('base64url'); }

// Who the provider signs in next: set by the test before it clicks.
const provider = { next: null, tokens: 0 };

function idToken(base, code) {
  const now = Math.floor(Date.now() / 1000);
  const claims = { iss: base, aud: CLIENT_ID, sub: code.who.sub, email: code.who.email,
    email_verified: true, name: code.who.name, nonce: code.nonce, iat: now, exp: now + 300 };
  const input = b64u(JSON.stringify({ alg: 'RS256', kid: 'sso-browser', typ: 'JWT' })) + '.' +
    b64u(JSON.stringify(claims));
  return input + '.' + b64u(crypto.sign('sha256', Buffer.from(input), provider.key));
}

function tokenAnswer(base, form, auth, codes) {
  const basic = 'Basic ' + Buffer.from(encodeURIComponent(CLIENT_ID) + ':' +
    encodeURIComponent(CLIENT_SECRET)).toString('base64');
  if (auth !== basic) return [401, { error: 'invalid_client' }];
  const code = codes.get(form.get('code'));
  codes.delete(form.get('code'));
  const verifier = form.get('code_verifier') || '';
  if (!code || form.get('redirect_uri') !== code.redirect_uri ||
      b64u(crypto.createHash('sha256').update(verifier).digest()) !== code.challenge) {
    return [400, { error: 'invalid_grant' }];
  }
  provider.tokens += 1;
  return [200, { access_token: 'at-' + b64u(crypto.randomBytes(9)), token_type: 'Bearer',
    expires_in: 300, id_token: idToken(base, code) }];
}

// Each call is another issuer (its own port) signing with the one key: a second provider.
function startProvider() {
  if (!provider.key) {
    const { publicKey, privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
    provider.key = privateKey;
    provider.publicKey = publicKey;
  }
  const jwk = { ...provider.publicKey.export({ format: 'jwk' }), kid: 'sso-browser', use: 'sig', alg: 'RS256' };
  const codes = new Map();
  const server = http.createServer((req, res) => {
    const base = `http://127.0.0.1:${server.address().port}`;
    const u = new URL(req.url, base);
    const reply = (status, body, headers = {}) => {
      res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    if (u.pathname === '/.well-known/openid-configuration') {
      return reply(200, { issuer: base, authorization_endpoint: base + '/authorize',
        token_endpoint: base + '/token', jwks_uri: base + '/jwks', response_types_supported: ['code'],
        id_token_signing_alg_values_supported: ['RS256'], code_challenge_methods_supported: ['S256'] });
    }
    if (u.pathname === '/jwks') return reply(200, { keys: [jwk] });
    if (u.pathname === '/authorize') {
      const q = u.searchParams;
      const code = b64u(crypto.randomBytes(18));
      codes.set(code, { who: provider.next, nonce: q.get('nonce'), challenge: q.get('code_challenge'),
        redirect_uri: q.get('redirect_uri') });
      const back = new URL(q.get('redirect_uri'));
      back.searchParams.set('code', code);
      back.searchParams.set('state', q.get('state'));
      return reply(302, {}, { Location: back.href });
    }
    if (u.pathname === '/token' && req.method === 'POST') {
      let raw = '';
      req.on('data', (d) => { raw += d; });
      req.on('end', () => reply(...tokenAnswer(base, new URLSearchParams(raw),
        req.headers.authorization, codes)));
      return undefined;
    }
    return reply(404, { error: 'not_found' });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

// ------------------------------------------------------------------ set-up

before(async () => {
  await startStack();
  idp = await startProvider();
  const put = await call('PUT', '/sso-connections', await tokenOf('admin'), {
    issuer: `http://127.0.0.1:${idp.address().port}`, client_id: CLIENT_ID, client_secret: CLIENT_SECRET,
    auto_create: true, default_role: 'viewer' });
  assert.equal(put.status, 200, 'PUT /sso-connections: ' + put.text);
  slug = put.json.redirect_uri.match(/\/auth\/sso\/([^/]+)\/callback$/)[1];
  const other = await call('GET', '/auth/me', await tokenOf('forced'));
  otherOrgId = other.json.user.organization_id;
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true, timeout: 60000,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'] });
}, { timeout: 300000 });

after(async () => {
  if (browser) await browser.close().catch(() => {});
  if (idp) idp.close();
  if (stack && stack.exitCode === null) {
    // The end of its standard input stops it (stack.py); SIGTERM if it lingers.
    const gone = new Promise((resolve) => stack.once('exit', resolve));
    const kill = setTimeout(() => stack.kill('SIGTERM'), 60000);
    stack.stdin.end();
    await gone;
    clearTimeout(kill);
  }
  console.log('# screenshots: ' + ARTIFACTS);
}, { timeout: 120000 });

// A fresh browser (no cookies) at the sign-in page, this wide.
async function signInPage(width) {
  const context = await browser.newContext({ viewport: { width, height: 800 } });
  context.setDefaultTimeout(20000);
  const page = await context.newPage();
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  await page.goto(info.base_url + '/');
  await page.locator('#signin-view').waitFor({ state: 'visible' });
  return page;
}

async function noSidewaysScroll(page, width, what) {
  const sw = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(sw <= width, `${what}: page width ${sw} px at a ${width} px viewport`);
}

async function submitOrganization(page, org) {
  await page.locator('#sso-org').fill(org);
  await page.locator('#sso-submit').click();
}

// ------------------------------------------------------------------ tests

for (const width of WIDTHS) {
  test(`Sign in with SSO at ${width} px: the provider, then back signed in`, async () => {
    const tag = crypto.randomBytes(4).toString('hex');
    provider.next = { sub: 'browser-' + tag, email: `sso-${tag}@browser.example`, name: 'Sam SSO ' + tag };
    const page = await signInPage(width);
    try {
      await noSidewaysScroll(page, width, 'sign-in page');
      const tokensBefore = provider.tokens;
      const seen = [];
      page.on('response', (r) => seen.push([r.status(), new URL(r.url()).pathname]));
      await submitOrganization(page, slug);
      await page.locator('#app-view').waitFor({ state: 'visible' });
      await page.locator('#who-name').waitFor({ state: 'visible' });
      assert.match(await page.locator('#who-name').innerText(), new RegExp('Sam SSO ' + tag));
      assert.equal(page.url(), info.base_url + '/', 'back at the console');
      assert.equal(provider.tokens, tokensBefore + 1, 'one code exchanged at the provider');
      const paths = seen.map(([, p]) => p);
      assert.ok(paths.includes(`/api/v1/auth/sso/${slug}/start`) && paths.includes('/authorize') &&
        paths.includes(`/api/v1/auth/sso/${slug}/callback`), 'went through the provider: ' + paths.join(' '));
      assert.deepEqual(seen.filter(([s, p]) => p.includes('/auth/sso/') && s >= 400), [],
        'no refused SSO step');
      await noSidewaysScroll(page, width, 'signed in by SSO');
      await page.screenshot({ path: path.join(ARTIFACTS, `sso-signed-in-${width}.png`), fullPage: true });
      const users = await call('GET', '/users?limit=200', await tokenOf('admin'));
      const made = users.json.find((u) => u.email === provider.next.email);
      assert.ok(made && made.role === 'viewer' && made.name === provider.next.name,
        'the new user: ' + JSON.stringify(made));
    } finally {
      await page.context().close();
    }
  });
}

// The organization field's answer for each, in words, without leaving the page.
async function refusedInWords(width, org, what) {
  const page = await signInPage(width);
  try {
    await submitOrganization(page, org);
    const msg = page.locator('#sso-org-error');
    await msg.waitFor({ state: 'visible' });
    const text = (await msg.innerText()).trim();
    assert.match(text, /single sign-on/i, what + ': ' + text);
    assert.doesNotMatch(text, /NOT_FOUND|[A-Z]{3,}_[A-Z]{3,}|\b404\b|[{}"]/, what + ': ' + text);
    assert.equal(page.url(), info.base_url + '/', what + ': still on the console');
    assert.equal(await page.locator('#sso-org').getAttribute('aria-invalid'), 'true', what);
    assert.equal(await page.evaluate(() => document.activeElement.id), 'sso-org', what + ': focus');
    assert.equal(await page.locator('#sso-submit').isEnabled(), true, what + ': the button again');
    await noSidewaysScroll(page, width, what);
    await page.screenshot({ path: path.join(ARTIFACTS, `sso-refused-${width}-${what.replace(/\W+/g, '-')}.png`),
      fullPage: true });
    return text;
  } finally {
    await page.context().close();
  }
}

test('an unknown organization and one without SSO are told in words, at every width', async () => {
  for (const width of WIDTHS) {
    await refusedInWords(width, 'no-such-org-' + crypto.randomBytes(4).toString('hex'), 'unknown slug');
    await refusedInWords(width, otherOrgId, 'an organization without a connection');
  }
  // A connection switched off is the same answer (doc/api.md section 6: no enabled connection).
  const off = await call('PUT', '/sso-connections', await tokenOf('admin'), {
    issuer: `http://127.0.0.1:${idp.address().port}`, client_id: CLIENT_ID, auto_create: true,
    default_role: 'viewer', enabled: false });
  assert.equal(off.status, 200, 'disable the connection: ' + off.text);
  try {
    await refusedInWords(1280, slug, 'a disabled connection');
  } finally {
    const on = await call('PUT', '/sso-connections', await tokenOf('admin'), {
      issuer: `http://127.0.0.1:${idp.address().port}`, client_id: CLIENT_ID, auto_create: true,
      default_role: 'viewer', enabled: true });
    assert.equal(on.status, 200, 're-enable the connection: ' + on.text);
  }
  // An empty field is asked for before anything is sent.
  const page = await signInPage(360);
  try {
    const asked = [];
    page.on('request', (r) => { if (r.url().includes('/auth/sso/')) asked.push(r.url()); });
    await page.locator('#sso-submit').click();
    await page.locator('#sso-org-error').waitFor({ state: 'visible' });
    assert.match(await page.locator('#sso-org-error').innerText(), /short name/);
    assert.deepEqual(asked, [], 'nothing sent for an empty field');
  } finally {
    await page.context().close();
  }
});

// The settings page, signed in as the stack's admin with the password form.
async function settingsPage(width) {
  const page = await signInPage(width);
  const u = info.users.admin;
  await page.locator('#signin-email').fill(u.email);
  await page.locator('#signin-password').fill(u.password);
  await page.locator('#signin-submit').click();
  await page.locator('#app-view').waitFor({ state: 'visible' });
  await page.goto(info.base_url + '/#settings');
  await page.locator('#sso-settings').waitFor({ state: 'visible' });
  await page.waitForFunction(() => document.getElementById('sso-choice').options.length > 1);
  return page;
}

test('a named connection: added, edited, used to sign in and deleted from the console', async () => {
  const second = await startProvider();
  const issuer = `http://127.0.0.1:${second.address().port}`;
  const page = await settingsPage(1280);
  try {
    const choices = async () => page.locator('#sso-choice option').allInnerTexts();
    assert.deepEqual(await choices(), ['default', 'New connection…'], 'the default connection, then new');
    await page.locator('#sso-choice').selectOption('');
    await page.locator('#sso-name').waitFor({ state: 'visible' });
    await page.locator('#sso-issuer').fill(issuer);
    await page.locator('#sso-client-id').fill(CLIENT_ID);
    await page.locator('#sso-client-secret').fill(CLIENT_SECRET);
    await page.locator('#sso-domains').fill('contractors.example');
    await page.locator('#sso-auto-create').check();
    await page.locator('#sso-name').fill('Bad Name');
    await page.locator('#sso-save').click();
    await page.locator('#sso-name-error').waitFor({ state: 'visible' });
    await page.locator('#sso-name').fill('contractors');
    const put = page.waitForResponse((r) => r.url().endsWith('/sso-connections/named/contractors') &&
      r.request().method() === 'PUT');
    await page.locator('#sso-save').click();
    assert.equal((await put).status(), 201);
    await page.waitForFunction(() => document.getElementById('sso-choice').value === 'contractors' &&
      /Connected to/.test(document.getElementById('sso-settings-state').textContent));
    assert.deepEqual(await choices(), ['contractors', 'default', 'New connection…']);
    assert.match(await page.locator('#sso-start').inputValue(), /\/start\?connection=contractors$/);
    assert.ok(!(await page.content()).includes(CLIENT_SECRET), 'the secret is not shown again');
    // Edit: the same form, the stored secret kept.
    await page.locator('#sso-domains').fill('contractors.example, partners.example');
    const edit = page.waitForResponse((r) => r.url().endsWith('/sso-connections/named/contractors') &&
      r.request().method() === 'PUT');
    await page.locator('#sso-save').click();
    assert.equal((await edit).status(), 200);
    const stored = await call('GET', '/sso-connections/named/contractors', await tokenOf('admin'));
    assert.deepEqual(stored.json.allowed_domains, ['contractors.example', 'partners.example']);
    // Its users name it on the sign-in page; a wrong name is told in words beside the field.
    const tag = crypto.randomBytes(4).toString('hex');
    provider.next = { sub: 'named-' + tag, email: `c-${tag}@contractors.example`, name: 'Cora ' + tag };
    const signin = await signInPage(768);
    try {
      await signin.locator('#sso-connection').fill('nosuch');
      await submitOrganization(signin, slug);
      await signin.locator('#sso-connection-error').waitFor({ state: 'visible' });
      assert.match(await signin.locator('#sso-connection-error').innerText(), /connection by that name/);
      const seen = [];
      signin.on('request', (r) => seen.push(r.url()));
      await signin.locator('#sso-connection').fill('contractors');
      await signin.locator('#sso-submit').click();
      await signin.locator('#who-name').waitFor({ state: 'visible' });
      assert.match(await signin.locator('#who-name').innerText(), new RegExp('Cora ' + tag));
      assert.ok(seen.some((u) => u.startsWith(issuer + '/authorize')), 'went to the second provider');
    } finally {
      await signin.context().close();
    }
    // Delete, confirmed in a dialog: back to the default connection.
    await page.locator('#sso-delete').click();
    await page.locator('#sso-delete-dialog').waitFor({ state: 'visible' });
    const del = page.waitForResponse((r) => r.url().endsWith('/sso-connections/named/contractors') &&
      r.request().method() === 'DELETE');
    await page.locator('#sso-delete-dialog button[value="delete"]').click();
    assert.equal((await del).status(), 204);
    await page.waitForFunction(() => document.getElementById('sso-choice').options.length === 2);
    assert.equal(await page.locator('#sso-choice').inputValue(), 'default');
    assert.equal(await page.locator('#sso-delete').isVisible(), false, 'no delete for the default connection');
    await page.screenshot({ path: path.join(ARTIFACTS, 'sso-settings-named.png'), fullPage: true });
  } finally {
    await page.context().close();
    second.close();
  }
});

test('no script error on any page', () => {
  assert.deepEqual(pageErrors, []);
});

/* Settings page: the user's password; for users:manage, the organization's
 * single sign-on connections (GET /sso-connections/named to list them; the
 * "default" one read and saved at /sso-connections, the others at
 * /sso-connections/named/{name}, where a new one is added and one deleted)
 * and "Test connection" (POST /sso-connections/test, which saves nothing). The
 * two-factor block (www/js/mfa.js) has its own place in index.html,
 * #settings-two-factor; the sessions block is www/js/settings-sessions.js. */

import { $, formatTime } from './dom.js';
import { ApiError, SessionEnded, api, describe, has } from './api.js';
import { announce, busy, clearError, clearFieldErrors, confirmWith, formError, formProblems, showError } from './forms.js';
import { registerPage } from './nav.js';
import { fillRoles } from './page-users.js';
import { renderTwoFactor, resetTwoFactor } from './mfa.js';
import { loadSessions, resetSessions } from './settings-sessions.js';

var stored = null;      // the connection as last read or saved
var connections = [];   // every connection of the organization, as last listed
var selected = 'default';   // the name of the connection in the form; '' for a new one

// Where a connection is read, saved and deleted: "default" keeps its own path.
function pathOf(name) {
  return name === 'default' ? '/sso-connections' : '/sso-connections/named/' + encodeURIComponent(name);
}

// The connection chooser: every name (default first, even before it is set up), then "New connection".
function fillChoices() {
  var sel = $('sso-choice');
  var names = connections.map(function (c) { return c.name; });
  if (names.indexOf('default') < 0) names.unshift('default');
  sel.textContent = '';
  names.concat(['']).forEach(function (n) {
    var o = document.createElement('option');
    o.value = n;
    o.textContent = n || 'New connection…';
    sel.appendChild(o);
  });
  sel.value = selected;
}

function connectionNamed(name) {
  return connections.filter(function (c) { return c.name === name; })[0] || null;
}

function onPassword(ev) {
  ev.preventDefault();
  var form = $('password-form');
  var box = $('password-error');
  clearFieldErrors(form);
  clearError(box);
  var cur = $('password-current').value, next = $('password-new').value;
  var problems = [];
  if (!cur) problems.push(['current_password', 'Enter your current password.']);
  if (next.length < 12) problems.push(['new_password', 'Choose a new password of 12 characters or more.']);
  else if (next !== $('password-repeat').value) problems.push(['repeat', 'The two new passwords differ.']);
  if (problems.length) { formProblems(form, box, problems); return; }
  busy(form, $('password-submit'), api('POST', '/auth/password', { current_password: cur, new_password: next }))
    .then(function () {
      form.reset();
      announce('Your password was changed. Your other sessions were signed out.');
    }).catch(function (e) {
      if (e instanceof ApiError && e.code === 'VALIDATION_ERROR' && e.body && Array.isArray(e.body.errors) &&
          e.body.errors.some(function (f) { return f.field === 'current_password'; })) {
        $('password-current').value = '';
        formProblems(form, box, [['current_password', 'The current password is wrong.']]);
        return;
      }
      formError(form, box, e);
    });
}

function fillConnection(c) {
  stored = c;
  $('sso-issuer').value = c ? c.issuer : '';
  $('sso-client-id').value = c ? c.client_id : '';
  $('sso-client-secret').value = '';
  $('sso-client-secret-hint').textContent = c
    ? 'Write-only: never shown again. Leave empty to keep the stored one (a new issuer needs it again).'
    : 'Required for a new connection. Write-only: never shown again.';
  $('sso-domains').value = c ? (c.allowed_domains || []).join(', ') : '';
  fillRoles($('sso-default-role'), c ? c.default_role : 'viewer');
  $('sso-auto-create').checked = !!(c && c.auto_create);
  $('sso-enabled').checked = !c || c.enabled !== false;
  $('sso-callback').value = c ? c.redirect_uri : '';
  $('sso-callback').parentNode.hidden = !c;
  // Its users' start URL: the callback's sibling, naming the connection unless it is the default.
  $('sso-start').value = c && c.redirect_uri ? c.redirect_uri.replace(/\/callback$/, '/start') +
    (selected === 'default' ? '' : '?connection=' + encodeURIComponent(selected)) : '';
  $('sso-start').parentNode.hidden = !c;
  $('sso-name').value = '';
  $('sso-name').parentNode.hidden = selected !== '';
  $('sso-delete').hidden = !c || selected === 'default';
  $('sso-settings-state').textContent = c
    ? 'Connected to ' + c.issuer + '; its discovery document was read ' + formatTime(c.fetched_at) + '.'
    : selected === '' ? 'A new connection: name it, then save.' : 'No single sign-on connection yet.';
}

function loadConnection() {
  var box = $('sso-settings-error');
  clearError(box);
  return api('GET', '/sso-connections/named').then(function (list) {
    connections = list;
    if (selected !== '' && selected !== 'default' && !connectionNamed(selected)) selected = 'default';
    fillChoices();
    fillConnection(connectionNamed(selected));
  }, function (e) {
    if (e instanceof SessionEnded) return;
    showError(box, 'Could not load the connections. ' + describe(e));
  });
}

function onChoice() {
  selected = $('sso-choice').value;
  clearFieldErrors($('sso-settings'));
  clearError($('sso-settings-error'));
  $('sso-test-result').textContent = '';
  fillConnection(connectionNamed(selected));
}

function connectionBody() {
  var body = {
    issuer: $('sso-issuer').value.trim(),
    client_id: $('sso-client-id').value.trim(),
    allowed_domains: $('sso-domains').value.split(',').map(function (d) { return d.trim(); })
      .filter(Boolean),
    default_role: $('sso-default-role').value,
    auto_create: $('sso-auto-create').checked,
    enabled: $('sso-enabled').checked
  };
  if ($('sso-client-secret').value) body.client_secret = $('sso-client-secret').value;
  return body;
}

// PUT the connection; saving fetches and checks the provider's discovery
// document (doc/api.md section 6) before it stores anything.
function putConnection(body, btn, words) {
  var form = $('sso-settings');
  var box = $('sso-settings-error');
  clearFieldErrors(form);
  clearError(box);
  $('sso-test-result').textContent = '';
  var name = selected === '' ? $('sso-name').value.trim() : selected;
  return busy(form, btn, api('PUT', pathOf(name), body)).then(function (c) {
    selected = name;
    fillConnection(c);
    announce(words);
    return loadConnection();
  }).catch(function (e) { formError(form, box, e); });
}

function onSave(ev) {
  ev.preventDefault();
  var body = connectionBody();
  var problems = [];
  if (!body.issuer) problems.push(['issuer', 'Enter the issuer URL.']);
  if (!body.client_id) problems.push(['client_id', 'Enter the client ID.']);
  if (!stored && !body.client_secret) problems.push(['client_secret', 'Enter the client secret.']);
  if (selected === '' && !/^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$/.test($('sso-name').value.trim())) {
    problems.push(['name', 'Name the connection: 1 to 32 of a–z, 0–9 and -, e.g. “contractors”.']);
  }
  if (problems.length) { formProblems($('sso-settings'), $('sso-settings-error'), problems); return; }
  putConnection(body, $('sso-save'), 'The single sign-on connection was saved.');
}

// Runs the discovery of the issuer typed in, as a save would, and shows
// what the provider answered; nothing is saved (testSsoConnection).
function onTest() {
  var form = $('sso-settings');
  var box = $('sso-settings-error');
  var issuer = $('sso-issuer').value.trim();
  clearFieldErrors(form);
  clearError(box);
  $('sso-test-result').textContent = '';
  if (!issuer) { formProblems(form, box, [['issuer', 'Enter the issuer URL.']]); return; }
  busy(form, $('sso-test'), api('POST', '/sso-connections/test', { issuer: issuer })).then(function (d) {
    var algs = d.signing_algorithms.length ? d.signing_algorithms.join(', ') : 'none';
    $('sso-test-result').textContent = 'The provider answered: sign-in at ' + d.authorization_endpoint +
      ', tokens at ' + d.token_endpoint + ', keys at ' + d.jwks_uri + ' (signed with ' + algs + ').' +
      ' Nothing was saved.';
    announce('Connection tested: the provider answered.');
  }).catch(function (e) { formError(form, box, e); });
}

// Deleting a connection signs out every session its sign-ins made (deleteNamedSsoConnection).
function onDelete() {
  var name = selected, btn = $('sso-delete');
  $('sso-delete-text').textContent = 'The connection “' + name + '” will be deleted and everyone signed in ' +
    'through it signed out at once. Its users keep their accounts.';
  confirmWith($('sso-delete-dialog')).then(function (v) {
    if (v !== 'delete') { btn.focus(); return null; }
    return busy($('sso-settings'), btn, api('DELETE', pathOf(name))).then(function () {
      selected = 'default';
      announce('The connection “' + name + '” was deleted; its sessions were signed out.');
      return loadConnection();
    });
  }).catch(function (e) { formError($('sso-settings'), $('sso-settings-error'), e); });
}

$('password-form').addEventListener('submit', onPassword);
$('sso-settings').addEventListener('submit', onSave);
$('sso-test').addEventListener('click', onTest);
$('sso-choice').addEventListener('change', onChoice);
$('sso-delete').addEventListener('click', onDelete);

registerPage({
  name: 'settings',
  allowed: function () { return true; },
  enter: function () {
    renderTwoFactor();
    var manage = has('users:manage');
    $('sso-settings').hidden = !manage;
    // Busy while it loads, as the other pages are: nothing on it is stale or half-filled meanwhile.
    $('page-settings').setAttribute('aria-busy', 'true');
    return Promise.all([loadSessions(), manage ? loadConnection() : Promise.resolve()]).then(function () {
      $('page-settings').removeAttribute('aria-busy');
    }, function (e) {
      $('page-settings').removeAttribute('aria-busy');
      throw e;
    });
  },
  reset: function () {
    resetTwoFactor();
    resetSessions();
    stored = null;
    connections = [];
    selected = 'default';
    $('password-form').reset();
    $('sso-settings').reset();
    $('sso-settings').hidden = true;
  }
});

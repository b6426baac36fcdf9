/* Settings page: the user's password; for users:manage, the organization's
 * single sign-on connection (GET/PUT /sso-connections) and its "Test
 * connection" (POST /sso-connections/test, which saves nothing). The
 * two-factor block (www/js/mfa.js) has its own place in index.html,
 * #settings-two-factor; the sessions block is www/js/settings-sessions.js. */

import { $, formatTime } from './dom.js';
import { ApiError, SessionEnded, api, describe, has } from './api.js';
import { announce, busy, clearError, clearFieldErrors, formError, formProblems, showError } from './forms.js';
import { registerPage } from './nav.js';
import { fillRoles } from './page-users.js';
import { renderTwoFactor, resetTwoFactor } from './mfa.js';
import { loadSessions, resetSessions } from './settings-sessions.js';

var stored = null;      // the connection as last read or saved

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
  $('sso-settings-state').textContent = c
    ? 'Connected to ' + c.issuer + '; its discovery document was read ' + formatTime(c.fetched_at) + '.'
    : 'No single sign-on connection yet.';
}

function loadConnection() {
  var box = $('sso-settings-error');
  clearError(box);
  return api('GET', '/sso-connections').then(fillConnection, function (e) {
    if (e instanceof ApiError && e.code === 'NOT_FOUND') { fillConnection(null); return; }
    if (e instanceof SessionEnded) return;
    showError(box, 'Could not load the connection. ' + describe(e));
  });
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
  return busy(form, btn, api('PUT', '/sso-connections', body)).then(function (c) {
    fillConnection(c);
    announce(words);
    return c;
  }).catch(function (e) { formError(form, box, e); });
}

function onSave(ev) {
  ev.preventDefault();
  var body = connectionBody();
  var problems = [];
  if (!body.issuer) problems.push(['issuer', 'Enter the issuer URL.']);
  if (!body.client_id) problems.push(['client_id', 'Enter the client ID.']);
  if (!stored && !body.client_secret) problems.push(['client_secret', 'Enter the client secret.']);
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

$('password-form').addEventListener('submit', onPassword);
$('sso-settings').addEventListener('submit', onSave);
$('sso-test').addEventListener('click', onTest);

registerPage({
  name: 'settings',
  allowed: function () { return true; },
  enter: function () {
    renderTwoFactor();
    var manage = has('users:manage');
    $('sso-settings').hidden = !manage;
    return Promise.all([loadSessions(), manage ? loadConnection() : Promise.resolve()]);
  },
  reset: function () {
    resetTwoFactor();
    resetSessions();
    stored = null;
    $('password-form').reset();
    $('sso-settings').reset();
    $('sso-settings').hidden = true;
  }
});

/* The sign-in page: email and password (POST /auth/login), single sign-on
 * through the organization's provider, and registration when the service
 * offers it. */

import { $ } from './dom.js';
import { ApiError, SessionEnded, describe, redirects, send, session, scheduleRefresh,
  stopRefresh } from './api.js';
import { announce, clearError, clearFieldErrors, focusFirstInvalid, formError, formProblems,
  setFieldError, showError } from './forms.js';
import { enterApp } from './nav.js';

/*
 * Two-factor sign-in (www/js/mfa.js) hooks in here: when the login answer
 * says mfa_required, signin.mfaStep(answer, finish) is called with that
 * answer and finish(loginAnswer), to call with the answer that carries the
 * session (POST /auth/mfa/verify). Without it the user is told in words.
 */
export var signin = { mfaStep: null };

// Called with an answer that opened a session (login, or the MFA step's).
export function finishSignIn(data) {
  $('signin-password').value = '';
  scheduleRefresh(data && data.expires_in);
  session.signedIn = true;          // the 401 retry applies from here on
  return enterApp().then(function () {
    announce('Signed in as ' + (session.user.name || session.user.email) + '.');
    $('main').focus();
  });
}

function loginAnswer(data) {
  if (data && data.mfa_required) {
    if (signin.mfaStep) return signin.mfaStep(data, finishSignIn);
    throw new ApiError(401, { code: 'MFA_UNSUPPORTED' }, null, false);
  }
  return finishSignIn(data);
}

function onSignIn(ev) {
  ev.preventDefault();
  var form = $('signin-form');
  var box = $('signin-error');
  var passEl = $('signin-password');
  clearFieldErrors(form);
  clearError(box);
  var email = $('signin-email').value.trim();
  var password = passEl.value;
  var missing = false;
  if (!email) { setFieldError(form, 'email', 'Enter your email address.'); missing = true; }
  if (!password) { setFieldError(form, 'password', 'Enter your password.'); missing = true; }
  if (missing) { focusFirstInvalid(form); return; }

  var button = $('signin-submit');
  button.disabled = true;
  form.setAttribute('aria-busy', 'true');
  announce('Signing in…');
  send('POST', '/auth/login', { email: email, password: password }).then(loginAnswer).catch(function (e) {
    if (e instanceof SessionEnded) return;
    session.signedIn = false;
    stopRefresh();
    announce('');
    if (e instanceof ApiError && e.code === 'MFA_UNSUPPORTED') {
      showError(box, 'Your account signs in with a second factor, which this console cannot ask for yet. ' +
        'Use the API, or ask your administrator.');
      return;
    }
    if (e instanceof ApiError && e.code === 'INVALID_CREDENTIALS') {
      passEl.value = '';
      passEl.focus();
    }
    formError(form, box, e);
  }).then(function () {
    button.disabled = false;
    form.removeAttribute('aria-busy');
  });
}

// Words for a start URL that did not redirect: its 404 (no such organization,
// or none with an enabled connection: one answer, doc/api.md section 6,
// ssoStart) is the user's to correct; the rest is the service's.
function ssoRefusal(e, connection) {
  if (e.status === 404 && connection) {
    return 'No single sign-on connection by that name in that organization. ' +
      'Check both names with your administrator, or leave the connection empty.';
  }
  if (e.status === 404) {
    return 'No organization by that name signs in with single sign-on. ' +
      'Check its short name with your administrator.';
  }
  return 'Single sign-on cannot start right now. ' + describe(e);
}

// Single sign-on: the browser goes to the service's start URL, which sends
// it on to the organization's provider (doc/api.md section 6, ssoStart).
// The URL is asked first without following its redirect: a refusal would
// otherwise replace the console with the service's JSON error body.
function onSso(ev) {
  ev.preventDefault();
  var form = $('sso-form');
  clearFieldErrors(form);
  var org = $('sso-org').value.trim();
  if (!org) {
    setFieldError(form, 'organization', 'Enter your organization’s short name.');
    focusFirstInvalid(form);
    return;
  }
  // A named connection (ssoStart's connection parameter); none: the organization's default one.
  var connection = $('sso-connection').value.trim();
  var start = '/api/v1/auth/sso/' + encodeURIComponent(org) + '/start' +
    (connection ? '?connection=' + encodeURIComponent(connection) : '');
  var button = $('sso-submit');
  button.disabled = true;
  redirects(start).then(function (ok) {
    if (ok) window.location.assign(start);
    return ok ? null : new ApiError(500, null, null, false);
  }, function (e) {
    return e;
  }).then(function (refused) {
    button.disabled = false;
    if (!refused) return;
    setFieldError(form, connection && refused.status === 404 ? 'connection' : 'organization',
      ssoRefusal(refused, connection));
    focusFirstInvalid(form);
  });
}

// Whether the service takes registrations: switched off, POST /auth/register
// is 404 whatever the body; on, an empty object is a 400 that registers nothing.
function probeRegistration() {
  send('POST', '/auth/register', {}).then(function () {}, function (e) {
    $('register-offer').hidden = !(e instanceof ApiError && e.status === 400);
  });
}

function showRegister(show) {
  $('register-view').hidden = !show;
  $('signin-form').parentNode.hidden = show;
  if (show) $('register-org').focus();
  else $('register-show').focus();
}

function onRegister(ev) {
  ev.preventDefault();
  var form = $('register-form');
  var box = $('register-error');
  clearFieldErrors(form);
  clearError(box);
  var body = { organization_name: $('register-org').value.trim(), name: $('register-name').value.trim(),
    email: $('register-email').value.trim(), password: $('register-password').value };
  var problems = [];
  if (!body.organization_name) problems.push(['organization_name', 'Enter the organization’s name.']);
  if (!body.name) problems.push(['name', 'Enter your name.']);
  if (!body.email) problems.push(['email', 'Enter your email address.']);
  if (body.password.length < 12) problems.push(['password', 'Choose a password of 12 characters or more.']);
  if (problems.length) { formProblems(form, box, problems); return; }
  var btn = $('register-submit');
  btn.disabled = true;
  send('POST', '/auth/register', body).then(function () {
    return send('POST', '/auth/login', { email: body.email, password: body.password });
  }).then(function (data) {
    form.reset();
    $('register-view').hidden = true;
    $('signin-form').parentNode.hidden = false;
    return loginAnswer(data);
  }).catch(function (e) {
    if (e instanceof ApiError && e.code === 'CONFLICT') {
      showError(box, 'That email already has an account. Sign in instead.');
      return;
    }
    formError(form, box, e);
  }).then(function () { btn.disabled = false; });
}

$('signin-form').addEventListener('submit', onSignIn);
$('sso-form').addEventListener('submit', onSso);
$('register-show').addEventListener('click', function () { showRegister(true); });
$('register-cancel').addEventListener('click', function () { showRegister(false); });
$('register-form').addEventListener('submit', onRegister);
probeRegistration();

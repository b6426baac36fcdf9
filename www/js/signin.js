/* The sign-in form: email and password to POST /auth/login, then the console. */

import { $ } from './dom.js';
import { ApiError, SessionEnded, send, session, scheduleRefresh, stopRefresh } from './api.js';
import { announce, clearError, clearFieldErrors, focusFirstInvalid, formError, setFieldError } from './forms.js';
import { enterApp } from './nav.js';
import { secondFactor } from './mfa.js';

// Called with the login answer once the password was accepted.
function signedIn(data) {
  $('signin-password').value = '';
  scheduleRefresh(data && data.expires_in);
  session.signedIn = true;          // the 401 retry applies from here on
  return enterApp().then(function () {
    announce('Signed in as ' + (session.user.name || session.user.email) + '.');
    $('main').focus();
  });
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
  send('POST', '/auth/login', { email: email, password: password }).then(function (data) {
    // A second factor is asked for, or must be set up first (js/mfa.js).
    return data && data.mfa_required ? secondFactor(data, signedIn) : signedIn(data);
  }).catch(function (e) {
    if (e instanceof SessionEnded) return;
    session.signedIn = false;
    stopRefresh();
    announce('');
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

$('signin-form').addEventListener('submit', onSignIn);

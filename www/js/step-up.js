/* Step-up (doc/api.md section 3): when the API answers 401
 * REAUTHENTICATION_REQUIRED, api.js asks session.onStepUp, and this dialog
 * asks for the password, or the authenticator code when the user has
 * two-factor sign-in on (GET /auth/me mfa_enabled), then POSTs
 * /auth/reauthenticate. A wrong proof is shown in the dialog, which stays;
 * Cancel or Escape declines, and the action that asked shows why it was
 * not done. */

import { $ } from './dom.js';
import { api, session } from './api.js';
import { busy, clearError, clearFieldErrors, formDialog, formError } from './forms.js';

var dialog = formDialog('reauth-dialog', 'reauth-cancel', prepare);
var form = $('reauth-form');
var pending = null;         // the resolve of the onStepUp promise being answered

function how() {
  var el = form.querySelector('input[name="reauth-how"]:checked');
  return session.mfaEnabled && el ? el.value : 'password';
}

// Shows the field of the chosen proof only, so that exactly one is sent.
function showHow() {
  var code = how() === 'code';
  $('reauth-code-field').hidden = !code;
  $('reauth-password-field').hidden = code;
}

function proofInput() { return how() === 'code' ? $('reauth-code') : $('reauth-password'); }

function prepare() {
  $('reauth-how').hidden = !session.mfaEnabled;
  showHow();
}

function answer(proved) {
  var resolve = pending;
  pending = null;
  if (resolve) resolve(proved);
}

function onSubmit(ev) {
  ev.preventDefault();
  var box = $('reauth-error');
  clearFieldErrors(form);
  clearError(box);
  var body = how() === 'code' ? { code: $('reauth-code').value.trim() }
    : { password: $('reauth-password').value };
  busy(form, $('reauth-submit'), api('POST', '/auth/reauthenticate', body)).then(function () {
    answer(true);
    dialog.close();
  }, function (e) {
    formError(form, box, e);
  });
}

// Several requests may ask at once: they share one dialog and one answer.
var asking = null;
session.onStepUp = function () {
  if (!asking) {
    asking = new Promise(function (resolve) { pending = resolve; }).then(function (proved) {
      asking = null;
      return proved;
    });
    dialog.open();
    proofInput().focus();
  }
  return asking;
};

form.addEventListener('submit', onSubmit);
form.addEventListener('change', function (ev) {
  if (ev.target.name === 'reauth-how') {
    showHow();
    proofInput().focus();
  }
});
// The control the user last focused outside this dialog. The action that
// asked has usually disabled its button while its request runs, and a
// disabled button drops focus, so the dialog's own opener is often the body.
var lastFocus = null;
document.addEventListener('focusin', function (ev) {
  if (!dialog.dialog.contains(ev.target)) lastFocus = ev.target;
});

// Focus back where the user was, once the declined action has re-enabled it
// (its promise settles before this timer).
function restoreFocus() {
  setTimeout(function () {
    var el = document.activeElement;
    if ((el === null || el === document.body) && lastFocus && document.contains(lastFocus) &&
        !lastFocus.disabled) {
      lastFocus.focus();
    }
  }, 0);
}

// Closed any other way than by a proof (Cancel, Escape, signing out): declined.
dialog.dialog.addEventListener('close', function () {
  answer(false);
  restoreFocus();
});

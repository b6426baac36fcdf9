/* Two-factor sign-in in the console (doc/api.md section 6, "Two-factor
 * sign-in"):
 *   - the "Two-factor sign-in" card: enrolment (the otpauth URI drawn as a QR
 *     code here by qr.js, never by another site; the key in text for typing
 *     by hand; a code confirms it; the recovery codes shown once, to copy or
 *     download), and turning it off with a code or the password;
 *   - the code step after a right password ({mfa_required, mfa_token}), with
 *     a code or a recovery code;
 *   - the enrolment the organization's policy requires
 *     ({mfa_enrolment_required}), whose confirmation finishes the sign-in.
 * The mfa_token is kept in this module only, for the one sign-in it belongs
 * to: never stored, never shown.
 */

import { $, copyField } from './dom.js';
import { ApiError, SessionEnded, api, describe, send, session } from './api.js';
import { announce, busy, clearError, clearFieldErrors, formError, setFieldError, showError } from './forms.js';
import { showSignIn } from './nav.js';
import { signin } from './signin.js';
import { encode, svg } from './qr.js';

var CODE = /^[0-9]{6}$/;
var RECOVERY = /^[A-Za-z2-7]{4}(-?[A-Za-z2-7]{4}){3}$/;   // 16 base32 characters, dashes optional

var step = { token: null, finish: null, recovery: false };
var panel = null;      // the open enrolment panel

function part(root, name) { return root.querySelector('[data-part="' + name + '"]'); }

// --------------------------------------------------------------- enrolment

function closeEnrolment() {
  if (panel) panel.remove();
  panel = null;
}

// A copy of the template with ids of its own (labels, field errors).
function makePanel(prefix) {
  var root = $('mfa-enrol-template').content.firstElementChild.cloneNode(true);
  var ids = { heading: '-heading', code: '-code', 'code-error': '-code-error', codes: '-codes',
    'recovery-heading': '-recovery-heading' };
  Object.keys(ids).forEach(function (name) { part(root, name).id = prefix + ids[name]; });
  part(root, 'code-label').htmlFor = prefix + '-code';
  part(root, 'codes-label').htmlFor = prefix + '-codes';
  root.setAttribute('aria-labelledby', prefix + '-heading');
  return root;
}

function showKey(root, t) {
  part(root, 'secret').textContent = t.secret.replace(/(.{4})(?=.)/g, '$1 ');
  var code = svg(encode(t.otpauth_uri), document, { scale: 4 });
  code.setAttribute('aria-label', 'QR code of the key for your authenticator app');
  code.id = root.id + '-qr';
  part(root, 'qr').appendChild(code);
}

function showRecoveryCodes(root, codes) {
  var text = codes.join('\n') + '\n';
  part(root, 'form').hidden = true;
  part(root, 'codes').value = text.trim();
  part(root, 'download').href = 'data:text/plain;charset=utf-8,' + encodeURIComponent(text);
  part(root, 'recovery').hidden = false;
  part(root, 'recovery-heading').focus();
}

// Opens the enrolment in slot. call(method, path, body) sends with the
// right credential; done(answer) runs once the recovery codes are stored,
// confirmed(answer) as soon as the code is accepted.
function openEnrolment(slot, prefix, call, hooks) {
  closeEnrolment();
  var root = makePanel(prefix);
  root.id = prefix;
  panel = root;
  slot.appendChild(root);
  var form = part(root, 'form');
  var box = part(root, 'error');
  var confirmed = null;
  part(root, 'cancel').addEventListener('click', hooks.cancel);
  part(root, 'copy').addEventListener('click', function () {
    copyField(part(root, 'codes'), part(root, 'copied'), 'The list');
  });
  part(root, 'done').addEventListener('click', function () { hooks.done(confirmed); });
  form.addEventListener('submit', function (ev) {
    ev.preventDefault();
    clearFieldErrors(form);
    clearError(box);
    var code = part(root, 'code').value.replace(/\s+/g, '');
    if (!CODE.test(code)) {
      setFieldError(form, 'code', 'Enter the 6 digits your app shows.');
      part(root, 'code').focus();
      return;
    }
    busy(form, part(root, 'confirm'), call('POST', '/auth/mfa/totp/confirm', { code: code }))
      .then(function (answer) {
        confirmed = answer;
        hooks.confirmed(answer);
        showRecoveryCodes(root, answer.recovery_codes || []);
      }).catch(function (e) { formError(form, box, e); });
  });
  return call('POST', '/auth/mfa/totp', {}).then(function (t) {
    showKey(root, t);
    part(root, 'heading').focus();
  }, function (e) {
    if (e instanceof SessionEnded) throw e;
    form.hidden = true;
    showError(box, enrolWords(e));
  });
}

function enrolWords(e) {
  if (e instanceof ApiError && e.status === 404) {
    return 'This Overwatch service does not offer two-factor sign-in (its operator has not set it up).';
  }
  if (e instanceof ApiError && e.code === 'CONFLICT') return 'Two-factor sign-in is already on.';
  return describe(e);
}

// ------------------------------------------------------- the console card

function renderCard() {
  var on = session.mfaEnabled;
  $('mfa-status').textContent = on
    ? 'On: signing in asks for a code from your authenticator app.'
    : 'Off: your password alone signs you in. A second factor keeps your account safe if the password leaks.';
  $('mfa-enrol-start').hidden = on || panel !== null;
  $('mfa-disable-form').hidden = !on;
}

function startEnrolment() {
  clearError($('mfa-error'));
  var opened = openEnrolment($('mfa-enrol-slot'), 'mfa-enrol', api, {
    confirmed: function () {
      session.mfaEnabled = true;
      announce('Two-factor sign-in is on.');
    },
    done: function () { closeEnrolment(); renderCard(); $('mfa-heading').focus(); },
    cancel: function () { closeEnrolment(); renderCard(); $('mfa-enrol-start').focus(); }
  });
  renderCard();
  opened.catch(function () { /* SessionEnded: the page is back at sign-in */ });
}

function onDisable(ev) {
  ev.preventDefault();
  var form = $('mfa-disable-form');
  var box = $('mfa-disable-error');
  clearFieldErrors(form);
  clearError(box);
  var code = $('mfa-disable-code').value.replace(/\s+/g, '');
  var password = $('mfa-disable-password').value;
  if (!code === !password) {
    setFieldError(form, 'code', 'Enter a code from your app, or your password (one of them).');
    $('mfa-disable-code').focus();
    return;
  }
  var body = code ? { code: code } : { password: password };
  busy(form, $('mfa-disable-submit'), api('POST', '/auth/mfa/disable', body)).then(function () {
    form.reset();
    session.mfaEnabled = false;
    renderCard();
    announce('Two-factor sign-in is off.');
    $('mfa-heading').focus();
  }).catch(function (e) { formError(form, box, e); });
}

// The settings page (page-settings.js) shows the block and forgets it.
export function renderTwoFactor() { renderCard(); }

export function resetTwoFactor() {
  closeEnrolment();
  session.mfaEnabled = false;
  $('mfa-disable-form').reset();
  clearError($('mfa-error'));
  leaveStep();
}
$('mfa-enrol-start').addEventListener('click', startEnrolment);
$('mfa-disable-form').addEventListener('submit', onDisable);

// ------------------------------------------------------------- at sign-in

function leaveStep() {
  step.token = null;
  step.finish = null;
  $('mfa-step-view').hidden = true;
  $('mfa-step-form').reset();
  clearFieldErrors($('mfa-step-form'));
  clearError($('mfa-step-error'));
  useRecovery(false);
  if (panel && panel.id === 'mfa-forced') closeEnrolment();
}

function useRecovery(on) {
  step.recovery = on;
  var input = $('mfa-step-code');
  input.value = '';
  input.setAttribute('data-field', on ? 'recovery_code' : 'code');
  input.maxLength = on ? 19 : 6;
  input.inputMode = on ? 'text' : 'numeric';
  input.autocomplete = on ? 'off' : 'one-time-code';
  $('mfa-step-label').textContent = on ? 'Recovery code' : 'Code from your authenticator app';
  $('mfa-step-hint').textContent = on
    ? 'One of the codes you stored when you set up two-factor sign-in (XXXX-XXXX-XXXX-XXXX); each works once.'
    : '6 digits; a new code every 30 seconds.';
  $('mfa-step-switch').textContent = on ? 'Use a code from the app' : 'Use a recovery code';
}

// Called by signin.js with the login answer that asks for a second factor;
// finish(answer) completes the sign-in with an answer that has the tokens.
export function secondFactor(data, finish) {
  step.token = data.mfa_token;
  step.finish = finish;
  $('signin-password').value = '';
  $('signin-view').hidden = true;
  $('mfa-step-view').hidden = false;
  document.title = 'Two-factor sign-in · Overwatch console';
  var enrol = data.mfa_enrolment_required === true;
  $('mfa-step-form').hidden = enrol;
  if (!enrol) {
    $('mfa-step-code').focus();
    announce('Enter the code from your authenticator app.');
    return Promise.resolve();
  }
  announce('Your organization requires two-factor sign-in: set it up to continue.');
  var token = step.token;
  var call = function (method, path, body) {
    body.mfa_token = token;
    return send(method, path, body);
  };
  return openEnrolment($('mfa-step-enrol'), 'mfa-forced', call, {
    confirmed: function () {},
    done: function (answer) { var f = step.finish; leaveStep(); return f(answer); },
    cancel: cancelStep
  }).then(function () {
    var h = panel && part(panel, 'heading');
    if (h) h.textContent = 'Your organization requires two-factor sign-in';
  });
}

function cancelStep() {
  leaveStep();
  showSignIn();
}

function onStep(ev) {
  ev.preventDefault();
  var form = $('mfa-step-form');
  var box = $('mfa-step-error');
  var input = $('mfa-step-code');
  clearFieldErrors(form);
  clearError(box);
  var field = step.recovery ? 'recovery_code' : 'code';
  var value = input.value.trim().replace(/\s+/g, '');
  if (!(step.recovery ? RECOVERY : CODE).test(value)) {
    setFieldError(form, field, step.recovery
      ? 'Enter a recovery code: 16 letters and digits, dashes optional.'
      : 'Enter the 6 digits your app shows.');
    input.focus();
    return;
  }
  var body = { mfa_token: step.token };
  body[field] = value;
  busy(form, $('mfa-step-submit'), send('POST', '/auth/mfa/verify', body)).then(function (answer) {
    var finish = step.finish;
    leaveStep();
    return finish(answer);
  }).catch(function (e) { stepFailed(e, form, box, input, field); });
}

function stepFailed(e, form, box, input, field) {
  if (e instanceof ApiError && e.code === 'INVALID_TOKEN') {
    leaveStep();
    showSignIn('The sign-in took too long. Please enter your password again.');
    return;
  }
  if (e instanceof ApiError && e.code === 'INVALID_CREDENTIALS') {
    input.value = '';
    setFieldError(form, field, 'Wrong or already used.');
    showError(box, step.recovery
      ? 'That recovery code is wrong or was already used.'
      : 'That code is wrong or was already used. Wait for the next code and try again.');
    input.focus();
    return;
  }
  formError(form, box, e);
}

$('mfa-step-form').addEventListener('submit', onStep);
$('mfa-step-switch').addEventListener('click', function () {
  useRecovery(!step.recovery);
  clearFieldErrors($('mfa-step-form'));
  clearError($('mfa-step-error'));
  $('mfa-step-code').focus();
});
$('mfa-step-cancel').addEventListener('click', cancelStep);

signin.mfaStep = secondFactor;

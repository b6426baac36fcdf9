/* Which view is shown: the sign-in form, or the signed-in console with its
 * pages. Each page file registers itself here (registerPage) with
 *   enter()  load its data when the console is entered; returns a promise,
 *   reset()  forget everything it shows when the session ends.
 */

import { $ } from './dom.js';
import { ApiError, SessionEnded, api, describe, isAuthFailure, session, stopRefresh } from './api.js';
import { announce, clearError, clearStatus, showError } from './forms.js';

var pages = [];

export function registerPage(page) { pages.push(page); }

export function forgetSession() {
  stopRefresh();
  clearStatus();
  session.signedIn = false;
  session.user = null;
  session.organization = null;
  session.permissions = [];
  pages.forEach(function (p) { p.reset(); });
  document.querySelectorAll('dialog[open]').forEach(function (d) { d.close('cancel'); });
}

function sessionEnded() {
  if (!session.signedIn) return;
  forgetSession();
  showSignIn('Your session has ended. Please sign in again.');
}

session.onEnded = sessionEnded;
session.onRefreshTrouble = function (words) { showError($('app-error'), words); };

export function showSignIn(message) {
  $('loading').hidden = true;
  $('app-view').hidden = true;
  $('whoami').hidden = true;
  $('signin-view').hidden = false;
  var box = $('signin-error');
  if (message) showError(box, message); else clearError(box);
  document.title = 'Sign in · Overwatch console';
  if (message) $('signin-heading').focus();
  else $('signin-email').focus();
}

function showWho(me) {
  $('who-name').textContent = me.user.name || me.user.email;
  $('who-email').textContent = me.user.email;
  $('who-role').textContent = me.user.role;
  $('whoami').hidden = false;
}

// Loads /auth/me, shows the console and lets every page load its data.
export function enterApp() {
  return api('GET', '/auth/me').then(function (me) {
    if (!me || me.type !== 'user' || !me.user) throw new ApiError(401, null, null, false);
    session.user = me.user;
    session.organization = me.organization || null;
    session.permissions = Array.isArray(me.permissions) ? me.permissions : [];
    session.mfaEnabled = me.mfa_enabled === true;
    session.signedIn = true;
    showWho(me);
    $('loading').hidden = true;
    $('signin-view').hidden = true;
    clearError($('app-error'));
    $('app-view').hidden = false;
    document.title = 'Overwatch console';
    return Promise.all(pages.map(function (p) { return p.enter(); }));
  });
}

function signOutDone() {
  forgetSession();
  showSignIn();
  announce('You have signed out.');
}

function onSignOut() {
  var button = $('signout');
  button.disabled = true;
  api('POST', '/auth/logout', {}).then(signOutDone, function (e) {
    if (e instanceof SessionEnded) return;
    if (isAuthFailure(e)) { signOutDone(); return; }   // already gone: nothing left to end
    showError($('app-error'), 'Could not sign out. ' + describe(e));
  }).then(function () { button.disabled = false; });
}

$('signout').addEventListener('click', onSignOut);

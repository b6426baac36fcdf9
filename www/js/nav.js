/* Which view is shown: the sign-in form, or the signed-in console with its
 * pages (one at a time, chosen by the address's #fragment, so the back
 * button and bookmarks work).
 *
 * Each page file registers itself here (registerPage) with
 *   name     its #fragment and the data-page of its link,
 *   allowed  () -> whether the signed-in user may see it at all (a page the
 *            user cannot use has no link and is never shown),
 *   enter(params)  load its data when it is shown (params: the
 *            URLSearchParams after the page's name in the #fragment); a promise,
 *   reset()  forget everything it shows when the session ends.
 */

import { $ } from './dom.js';
import { ApiError, SessionEnded, api, describe, isAuthFailure, session, stopRefresh } from './api.js';
import { announce, clearError, clearStatus, showError } from './forms.js';

var pages = [];
var current = null;

export function registerPage(page) { pages.push(page); }

function pageNamed(name) {
  for (var i = 0; i < pages.length; i++) {
    if (pages[i].name === name && pages[i].allowed()) return pages[i];
  }
  return null;
}

function firstAllowed() {
  for (var i = 0; i < pages.length; i++) if (pages[i].allowed()) return pages[i];
  return null;
}

export function forgetSession() {
  stopRefresh();
  clearStatus();
  session.signedIn = false;
  session.user = null;
  session.organization = null;
  session.permissions = [];
  current = null;
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
  $('nav').hidden = true;
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
  var org = me.organization && me.organization.name;
  $('who-org-name').textContent = org || '';
  $('who-org').hidden = !org;
  $('whoami').hidden = false;
}

function showNav() {
  document.querySelectorAll('#nav a[data-page]').forEach(function (a) {
    a.parentNode.hidden = !pageNamed(a.getAttribute('data-page'));
  });
  $('nav').hidden = false;
}

// Shows one page (its link marked as the current one) and loads its data.
export function showPage(hash, focus) {
  var q = hash.indexOf('?');
  var name = q < 0 ? hash : hash.slice(0, q);
  var params = new URLSearchParams(q < 0 ? '' : hash.slice(q + 1));
  var page = pageNamed(name) || firstAllowed();
  if (!page) return Promise.resolve();
  current = page;
  pages.forEach(function (p) { $('page-' + p.name).hidden = p !== page; });
  document.querySelectorAll('#nav a[data-page]').forEach(function (a) {
    if (a.getAttribute('data-page') === page.name) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  });
  var heading = $('page-' + page.name).querySelector('h2');
  document.title = heading.textContent + ' · Overwatch console';
  if (focus) heading.focus();
  return page.enter(params);
}

export function currentPage() { return current ? current.name : null; }

window.addEventListener('hashchange', function () {
  if (session.signedIn) showPage(location.hash.slice(1), true);
});

// Loads /auth/me, shows the console and the page the address names.
export function enterApp() {
  return api('GET', '/auth/me').then(function (me) {
    if (!me || me.type !== 'user' || !me.user) throw new ApiError(401, null, null, false);
    session.user = me.user;
    session.organization = me.organization || null;
    session.permissions = Array.isArray(me.permissions) ? me.permissions : [];
    session.mfaEnabled = me.mfa_enabled === true;
    session.signedIn = true;
    showWho(me);
    showNav();
    $('loading').hidden = true;
    $('signin-view').hidden = true;
    clearError($('app-error'));
    $('app-view').hidden = false;
    return showPage(location.hash.slice(1), false);
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
  api('POST', '/auth/logout', {}).then(function (body) {
    signOutDone();
    // A single sign-on session: the provider ends its own session too and
    // sends the browser back to the console (RP-initiated logout).
    if (body && body.endSession) location.assign(body.endSession);
  }, function (e) {
    if (e instanceof SessionEnded) return;
    if (isAuthFailure(e)) { signOutDone(); return; }   // already gone: nothing left to end
    showError($('app-error'), 'Could not sign out. ' + describe(e));
  }).then(function () { button.disabled = false; });
}

$('signout').addEventListener('click', onSignOut);

// A link to a page, with parameters for it: "#audit?actor_id=..." (an
// audit event's actor), "#users?id=..." (one row marked).
export function pageLink(name, params, text, label) {
  var a = document.createElement('a');
  var q = params ? new URLSearchParams(params).toString() : '';
  a.href = '#' + name + (q ? '?' + q : '');
  a.textContent = text;
  if (label) a.setAttribute('aria-label', label);
  return a;
}

// Marks and focuses the row whose attr is id, once the page has drawn it.
export function markRow(body, attr, id) {
  if (!id) return;
  var rows = body.querySelectorAll('tr[' + attr + ']');
  for (var i = 0; i < rows.length; i++) {
    if (rows[i].getAttribute(attr) === id) {
      rows[i].classList.add('wanted');
      rows[i].setAttribute('tabindex', '-1');
      rows[i].focus();
      return;
    }
  }
  announce('That item is not on this page of the list.');
}

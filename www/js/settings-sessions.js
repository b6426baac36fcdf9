/* The settings page's sessions block: the signed-in user's live sessions
 * (GET /auth/sessions), ending one (DELETE /auth/sessions/{id}) and signing
 * out everywhere (DELETE /auth/sessions), doc/api.md section 6 "Sessions". */

import { $, badge, button, cell, timeEl } from './dom.js';
import { SessionEnded, api, describe } from './api.js';
import { announce, clearError, showError } from './forms.js';
import { forgetSession, showSignIn } from './nav.js';

// One page: a user rarely has more live sessions than this, and the block
// says so when there are.
var LIMIT = 100;

function sessionRow(s) {
  var tr = document.createElement('tr');
  tr.setAttribute('role', 'row');
  tr.setAttribute('data-session-id', s.id);
  var where = s.user_agent || 'Unknown browser or client';
  tr.appendChild(cell('Client', s.current ? badge('This session', 'session-current') : where));
  if (s.current) tr.cells[0].appendChild(document.createTextNode(' ' + where));
  tr.appendChild(cell('IP address', s.ip || 'Unknown'));
  tr.appendChild(cell('Signed in', timeEl(s.created_at, '')));
  tr.appendChild(cell('Last seen', timeEl(s.last_seen_at, 'Not yet')));
  var actions = cell('Actions', '', 'actions');
  if (!s.current) {
    var b = button('Sign out', 'danger-outline', 'Sign out the session from ' + (s.ip || 'an unknown address') +
      ' signed in ' + (s.created_at || ''));
    b.addEventListener('click', function () { revoke(s, b); });
    actions.appendChild(b);
  }
  tr.appendChild(actions);
  return tr;
}

function show(list) {
  var body = $('sessions-body');
  body.textContent = '';
  list.forEach(function (s) { body.appendChild(sessionRow(s)); });
  $('sessions-table').hidden = list.length === 0;
  $('sessions-more').hidden = list.length < LIMIT;
}

export function loadSessions() {
  var box = $('sessions-error');
  clearError(box);
  return api('GET', '/auth/sessions?limit=' + LIMIT).then(function (list) {
    show(Array.isArray(list) ? list : []);
  }, function (e) {
    if (e instanceof SessionEnded) return;
    showError(box, 'Could not load your sessions. ' + describe(e));
  });
}

function revoke(s, btn) {
  btn.disabled = true;
  api('DELETE', '/auth/sessions/' + encodeURIComponent(s.id)).then(function () {
    announce('That session is signed out: its browser or client must sign in again.');
    return loadSessions();
  }).catch(function (e) {
    if (e instanceof SessionEnded) return;
    btn.disabled = false;
    showError($('sessions-error'), 'Could not sign out that session. ' + describe(e));
  });
}

// Ends every session, this one included: the console returns to the sign-in form.
function onEverywhere() {
  var btn = $('sessions-everywhere');
  btn.disabled = true;
  api('DELETE', '/auth/sessions').then(function () {
    btn.disabled = false;
    forgetSession();
    showSignIn('You signed out everywhere: every session of yours has ended.');
  }).catch(function (e) {
    btn.disabled = false;
    if (e instanceof SessionEnded) return;
    showError($('sessions-error'), 'Could not sign out everywhere. ' + describe(e));
  });
}

export function resetSessions() {
  $('sessions-body').textContent = '';
  $('sessions-table').hidden = true;
  $('sessions-more').hidden = true;
  clearError($('sessions-error'));
}

$('sessions-everywhere').addEventListener('click', onEverywhere);

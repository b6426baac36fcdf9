/* Audit log page (audit:read): filters by action, actor and time, paging,
 * and links from an event to its actor and target. */

import { $, badge, cell, localInputValue, localToRfc3339, timeEl } from './dom.js';
import { SessionEnded, api, describe, has, query, session } from './api.js';
import { announce, clearError, clearFieldErrors, formProblems, showError } from './forms.js';
import { pager } from './pager.js';
import { pageLink, registerPage } from './nav.js';

// doc/api.md section 6, "Audit": the recorded actions.
var ACTIONS = ['auth.register', 'auth.login', 'auth.login_failed', 'auth.locked', 'auth.refresh',
  'auth.logout', 'auth.password_changed', 'auth.mfa_enrolled', 'auth.mfa_failed',
  'auth.mfa_recovery_used', 'auth.mfa_disabled', 'auth.mfa_reset', 'organization.mfa_policy_changed',
  'api_key.created', 'api_key.deleted', 'api_key.rejected', 'api_key.rotated', 'api_key.new_ip',
  'api_key.policy_changed', 'user.created', 'user.updated', 'user.unlocked', 'incident.created',
  'incident.updated', 'procedure.created', 'procedure.executed', 'permission.denied', 'sso.login',
  'sso.login_failed', 'sso_connection.created', 'sso_connection.updated',
  'sso_connection.deleted'];
var UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
var PAGE_SIZE = 50;
var paging = pager($('audit-pager'), PAGE_SIZE, function () { loadEvents(); }, 'audit events');

function short(id) { return String(id || '').slice(0, 8); }

// A principal or target, linked to where it is shown: users and keys to their
// pages, and an actor to its other events.
function who(ref, role) {
  var span = document.createElement('span');
  if (!ref || !ref.type) return span;
  var text = ref.type.replace('_', ' ') + (ref.id ? ' ' + short(ref.id) : '');
  if (ref.type === 'user' && session.user && ref.id === session.user.id) text = 'you';
  var page = ref.type === 'user' && has('users:read') ? 'users'
    : (ref.type === 'api_key' && has('api_keys:read') ? 'keys' : null);
  if (page && ref.id) span.appendChild(pageLink(page, { id: ref.id }, text, role + ': ' + ref.type + ' ' + ref.id));
  else span.appendChild(document.createTextNode(text));
  if (role === 'Actor' && ref.id && UUID.test(ref.id)) {
    span.appendChild(document.createTextNode(' '));
    span.appendChild(pageLink('audit', { actor_id: ref.id }, 'its events', 'Events of ' + ref.type + ' ' + ref.id));
  }
  return span;
}

function eventRow(ev) {
  var tr = document.createElement('tr');
  tr.setAttribute('role', 'row');
  tr.appendChild(cell('When', timeEl(ev.occurred_at, '')));
  var action = document.createElement('code');
  action.textContent = ev.action;
  tr.appendChild(cell('Action', action));
  tr.appendChild(cell('Outcome', badge(ev.outcome, 'outcome-' + ev.outcome)));
  tr.appendChild(cell('Actor', who(ev.actor, 'Actor')));
  tr.appendChild(cell('Target', who(ev.target, 'Target')));
  tr.appendChild(cell('Address', ev.ip || '', 'mono'));
  return tr;
}

function filters() {
  var since = $('audit-since').value;
  return { action: $('audit-action').value, actor_id: $('audit-actor').value.trim(),
    since: since ? localToRfc3339(since) : '' };
}

export function loadEvents() {
  var form = $('audit-filter');
  var box = $('audit-error');
  clearError(box);
  clearFieldErrors(form);
  var f = filters();
  if (f.actor_id && !UUID.test(f.actor_id)) {
    formProblems(form, box, [['actor_id', 'An actor id looks like 8-4-4-4-12 hexadecimal digits.']]);
    return Promise.resolve();
  }
  $('page-audit').setAttribute('aria-busy', 'true');
  f.limit = paging.limitPlusOne();
  f.offset = paging.offset;
  return api('GET', '/audit-log' + query(f)).then(function (list) {
    var rows = paging.show(Array.isArray(list) ? list : []);
    var body = $('audit-body');
    body.textContent = '';
    rows.forEach(function (ev) { body.appendChild(eventRow(ev)); });
    $('audit-table').hidden = rows.length === 0;
    $('audit-note').textContent = rows.length === 0 ? 'No events match.' : '';
    $('audit-note').hidden = rows.length !== 0;
  }).catch(function (e) {
    if (e instanceof SessionEnded) return;
    showError(box, 'Could not load the audit log. ' + describe(e));
  }).then(function () {
    $('page-audit').removeAttribute('aria-busy');
  });
}

ACTIONS.forEach(function (a) {
  var o = document.createElement('option');
  o.value = a;
  o.textContent = a;
  $('audit-action').appendChild(o);
});
$('audit-filter').addEventListener('submit', function (ev) {
  ev.preventDefault();
  paging.offset = 0;
  loadEvents().then(function () { if (session.signedIn) announce('Audit log filtered.'); });
});
$('audit-clear').addEventListener('click', function () {
  $('audit-filter').reset();
  paging.offset = 0;
  loadEvents();
});

registerPage({
  name: 'audit',
  allowed: function () { return has('audit:read'); },
  enter: function (params) {
    // A link names an actor: show their events from the first page.
    if (params.get('actor_id')) {
      $('audit-filter').reset();
      $('audit-actor').value = params.get('actor_id');
      paging.offset = 0;
    }
    $('audit-since').max = localInputValue(new Date(Date.now() + 60 * 1000));
    return loadEvents();
  },
  reset: function () { $('audit-body').textContent = ''; $('audit-filter').reset(); paging.reset(); }
});

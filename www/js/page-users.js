/* Users page (users:read; changes need users:manage): list, add with a role
 * no higher than mine, change role, deactivate / reactivate, unlock. */

import { $, badge, button, capital, cell, formatTime, timeEl } from './dom.js';
import { ApiError, SessionEnded, api, describe, has, query, session } from './api.js';
import { announce, clearError, clearFieldErrors, formDialog, formError, formProblems, showError } from './forms.js';
import { pager } from './pager.js';
import { markRow, pageLink, registerPage } from './nav.js';

// doc/api.md section 5: each role's permissions, from the most to the least.
var ROLES = {
  admin: ['incidents:read', 'incidents:create', 'incidents:update', 'procedures:read',
    'procedures:create', 'procedures:execute', 'api_keys:read', 'api_keys:create',
    'api_keys:delete', 'users:read', 'users:manage', 'audit:read'],
  engineer: ['incidents:read', 'incidents:create', 'incidents:update', 'procedures:read',
    'procedures:execute', 'api_keys:read', 'api_keys:create', 'api_keys:delete', 'users:read'],
  viewer: ['incidents:read', 'procedures:read']
};
var LAST_ADMIN = 'An organization must keep at least one active admin. ' +
  'Make another user an admin first, then change this one.';
var PAGE_SIZE = 50;
var paging = pager($('users-pager'), PAGE_SIZE, function () { loadUsers(null); }, 'users');
var dialog = formDialog('user-dialog', 'user-cancel', function () { fillRoles($('user-role'), 'viewer'); });

// A role may be given when all its permissions are mine (no role above my own).
export function grantableRoles() {
  return Object.keys(ROLES).filter(function (r) {
    return ROLES[r].every(function (p) { return has(p); });
  });
}

export function fillRoles(select, selected) {
  select.textContent = '';
  grantableRoles().forEach(function (r) {
    var o = document.createElement('option');
    o.value = r;
    o.textContent = capital(r);
    o.selected = r === selected;
    select.appendChild(o);
  });
}

function canChange(u) {
  return has('users:manage') && grantableRoles().indexOf(u.role) >= 0;
}

function patchUser(u, change, words, btn) {
  btn.disabled = true;
  clearError($('users-error'));
  return api('PATCH', '/users/' + encodeURIComponent(u.id), change).then(function () {
    announce(words);
    return loadUsers(null);
  }).catch(function (e) {
    if (e instanceof SessionEnded) return;
    btn.disabled = false;
    showError($('users-error'), 'Could not change ' + (u.name || u.email) + '. ' +
      (e instanceof ApiError && e.code === 'CONFLICT' ? LAST_ADMIN : describe(e)));
  });
}

function roleCell(u) {
  if (!canChange(u)) return document.createTextNode(capital(u.role));
  var wrap = document.createElement('span');
  wrap.className = 'inline-edit';
  var sel = document.createElement('select');
  sel.setAttribute('aria-label', 'Role of ' + (u.name || u.email));
  fillRoles(sel, u.role);
  var save = button('Save role', 'secondary', 'Save the role of ' + (u.name || u.email));
  save.addEventListener('click', function () {
    if (sel.value === u.role) { announce('The role is unchanged.'); return; }
    patchUser(u, { role: sel.value }, (u.name || u.email) + ' is now ' + sel.value + '.', save);
  });
  wrap.appendChild(sel);
  wrap.appendChild(save);
  return wrap;
}

function statusCell(u) {
  var wrap = document.createElement('span');
  wrap.appendChild(badge(u.active ? 'Active' : 'Deactivated', u.active ? 'user-active' : 'user-inactive'));
  if (u.locked_until) {
    var l = document.createElement('span');
    l.className = 'sub';
    l.textContent = 'Locked until ' + formatTime(u.locked_until);
    wrap.appendChild(l);
  }
  return wrap;
}

function actionsCell(u) {
  var td = cell('Actions', '', 'actions');
  var who = u.name || u.email;
  if (canChange(u) && u.id !== session.user.id) {
    var act = button(u.active ? 'Deactivate' : 'Reactivate', u.active ? 'danger-outline' : 'secondary',
      (u.active ? 'Deactivate ' : 'Reactivate ') + who);
    act.addEventListener('click', function () {
      patchUser(u, { active: !u.active }, who + (u.active ? ' is deactivated: their sessions and keys stop working.'
        : ' can sign in again.'), act);
    });
    td.appendChild(act);
  }
  if (u.locked_until && has('users:manage')) {
    var un = button('Unlock', 'secondary', 'Unlock ' + who);
    un.addEventListener('click', function () { unlock(u, un); });
    td.appendChild(un);
  }
  if (has('audit:read')) {
    td.appendChild(pageLink('audit', { actor_id: u.id }, 'Events', 'Audit events of ' + who));
  }
  return td;
}

function unlock(u, btn) {
  btn.disabled = true;
  api('POST', '/users/' + encodeURIComponent(u.id) + '/unlock', {}).then(function () {
    announce((u.name || u.email) + ' is unlocked.');
    return loadUsers(null);
  }).catch(function (e) {
    if (e instanceof SessionEnded) return;
    btn.disabled = false;
    showError($('users-error'), 'Could not unlock. ' + describe(e));
  });
}

function userRow(u) {
  var tr = document.createElement('tr');
  tr.setAttribute('role', 'row');
  tr.setAttribute('data-user-id', u.id);
  tr.appendChild(cell('Name', u.name + (u.id === session.user.id ? ' (you)' : '')));
  tr.appendChild(cell('Email', u.email));
  tr.appendChild(cell('Role', roleCell(u)));
  tr.appendChild(cell('Status', statusCell(u)));
  tr.appendChild(cell('Created', timeEl(u.created_at, '')));
  tr.appendChild(actionsCell(u));
  return tr;
}

export function loadUsers(params) {
  var box = $('users-error');
  clearError(box);
  $('user-new').hidden = !has('users:manage');
  $('users-reload').disabled = true;
  $('page-users').setAttribute('aria-busy', 'true');
  return api('GET', '/users' + query({ limit: paging.limitPlusOne(), offset: paging.offset })).then(function (list) {
    var rows = paging.show(Array.isArray(list) ? list : []);
    var body = $('users-body');
    body.textContent = '';
    rows.forEach(function (u) { body.appendChild(userRow(u)); });
    $('users-table').hidden = rows.length === 0;
    $('users-note').textContent = rows.length === 0 ? 'No users.' : '';
    $('users-note').hidden = rows.length !== 0;
    if (params) markRow(body, 'data-user-id', params.get('id'));
  }).catch(function (e) {
    if (e instanceof SessionEnded) return;
    showError(box, 'Could not load users. ' + describe(e));
  }).then(function () {
    $('users-reload').disabled = false;
    $('page-users').removeAttribute('aria-busy');
  });
}

function onCreate(ev) {
  ev.preventDefault();
  var form = $('user-form');
  var box = $('user-form-error');
  clearFieldErrors(form);
  clearError(box);
  var body = { name: $('user-name').value.trim(), email: $('user-email').value.trim(),
    role: $('user-role').value, password: $('user-password').value };
  var problems = [];
  if (!body.name) problems.push(['name', 'Enter their name.']);
  if (!body.email) problems.push(['email', 'Enter their email address.']);
  if (body.password.length < 12) problems.push(['password', 'Choose a password of 12 characters or more.']);
  if (problems.length) { formProblems(form, box, problems); return; }
  var btn = $('user-create');
  btn.disabled = true;
  api('POST', '/users', body).then(function (u) {
    dialog.close();
    announce((u.name || u.email) + ' was added as ' + u.role + '.');
    return loadUsers(null);
  }).catch(function (e) {
    if (e instanceof ApiError && e.code === 'CONFLICT') {
      showError(box, 'A user with that email already exists in your organization.');
      return;
    }
    formError(form, box, e);
  }).then(function () { btn.disabled = false; });
}

$('user-new').addEventListener('click', dialog.open);
$('user-form').addEventListener('submit', onCreate);
$('users-reload').addEventListener('click', function () {
  loadUsers(null).then(function () { if (session.signedIn) announce('Users reloaded.'); });
});

registerPage({
  name: 'users',
  allowed: function () { return has('users:read'); },
  enter: loadUsers,
  reset: function () { $('users-body').textContent = ''; paging.reset(); }
});

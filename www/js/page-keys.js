/* API keys page: create (shown once), list, revoke. */

import { $, cell, copyField, localInputValue, localToRfc3339, plural, timeEl } from './dom.js';
import { ApiError, SessionEnded, api, describe, has, session } from './api.js';
import { announce, clearError, clearFieldErrors, formError, formProblems, showError } from './forms.js';
import { registerPage } from './nav.js';

export var PERMISSIONS = {
  'incidents:read': 'View incidents',
  'incidents:create': 'Open incidents',
  'incidents:update': 'Change incidents',
  'procedures:read': 'View procedures',
  'procedures:create': 'Create procedures',
  'procedures:execute': 'Run procedures',
  'api_keys:read': 'List API keys',
  'api_keys:create': 'Create API keys',
  'api_keys:delete': 'Revoke API keys',
  'users:read': 'List users',
  'users:manage': 'Manage users',
  'audit:read': 'Read the audit log'
};

function permissionChoice(perm, i) {
  var id = 'perm-' + i;
  var label = document.createElement('label');
  label.className = 'perm';
  label.htmlFor = id;
  var input = document.createElement('input');
  input.type = 'checkbox';
  input.id = id;
  input.name = 'permissions';
  input.value = perm;
  var text = document.createElement('span');
  var code = document.createElement('code');
  code.textContent = perm;
  var desc = document.createElement('span');
  desc.className = 'perm-desc';
  desc.textContent = PERMISSIONS[perm] || '';
  text.appendChild(code);
  text.appendChild(desc);
  label.appendChild(input);
  label.appendChild(text);
  return label;
}

function renderPermissionChoices() {
  var list = $('key-perms-list');
  list.textContent = '';
  var canCreate = has('api_keys:create');
  $('key-form').hidden = !canCreate;
  $('key-create-denied').hidden = canCreate;
  if (!canCreate) return;
  $('key-expiry').min = localInputValue(new Date(Date.now() + 60 * 1000));
  session.permissions.forEach(function (perm, i) { list.appendChild(permissionChoice(perm, i)); });
}

function expiresCell(k, now) {
  var exp = timeEl(k.expires_at, 'Never');
  if (k.expires_at && Date.parse(k.expires_at) <= now) {
    var wrap = document.createElement('span');
    wrap.className = 'expired';
    wrap.appendChild(document.createTextNode('Expired '));
    wrap.appendChild(exp);
    exp = wrap;
  }
  return exp;
}

function keyRow(k, now) {
  var tr = document.createElement('tr');
  tr.setAttribute('role', 'row');
  tr.setAttribute('data-key-id', k.id);
  tr.appendChild(cell('Name', k.name));
  var prefix = document.createElement('code');
  prefix.textContent = k.prefix + '…';
  tr.appendChild(cell('Prefix', prefix));
  var tags = document.createElement('ul');
  tags.className = 'perm-tags';
  (k.permissions || []).forEach(function (p) {
    var li = document.createElement('li');
    li.textContent = p;
    tags.appendChild(li);
  });
  tr.appendChild(cell('Permissions', tags));
  tr.appendChild(cell('Created', timeEl(k.created_at, '')));
  tr.appendChild(cell('Last used', timeEl(k.last_used_at, 'Never')));
  tr.appendChild(cell('Expires', expiresCell(k, now)));
  var actions = cell('Actions', '', 'actions');
  if (has('api_keys:delete')) {
    var btn = document.createElement('button');
    btn.type = 'button';
    btn.className = 'danger-outline';
    btn.textContent = 'Revoke';
    btn.setAttribute('aria-label', 'Revoke key ' + k.name);
    btn.addEventListener('click', function () { revokeKey(k, btn); });
    actions.appendChild(btn);
  }
  tr.appendChild(actions);
  return tr;
}

export function loadKeys() {
  var table = $('keys-table');
  var note = $('keys-note');
  var box = $('keys-error');
  var reload = $('keys-reload');
  clearError(box);
  if (!has('api_keys:read')) {
    table.hidden = true;
    reload.hidden = true;
    note.textContent = 'Your role cannot list API keys.';
    note.hidden = false;
    return Promise.resolve();
  }
  reload.hidden = false;
  reload.disabled = true;
  $('keys').setAttribute('aria-busy', 'true');
  return api('GET', '/api-keys?limit=200').then(function (list) {
    list = Array.isArray(list) ? list : [];
    var body = $('keys-body');
    body.textContent = '';
    var now = Date.now();
    list.forEach(function (k) { body.appendChild(keyRow(k, now)); });
    table.hidden = list.length === 0;
    note.textContent = list.length === 0 ? 'No API keys yet.' : plural(list.length, 'key') + '.';
    note.hidden = false;
  }).catch(function (e) {
    if (e instanceof SessionEnded) return;
    showError(box, 'Could not load API keys. ' + describe(e));
  }).then(function () {
    reload.disabled = false;
    $('keys').removeAttribute('aria-busy');
  });
}

// Problems of the form found before sending: [field, beside it, in the summary].
function keyFormProblems(name, perms, expiryEl) {
  var problems = [];
  if (!name) problems.push(['name', 'Enter a name for the key.']);
  else if (name.length > 100) problems.push(['name', 'The name is too long (at most 100 characters).']);
  if (!perms.length) problems.push(['permissions', 'Choose at least one permission.']);
  if (expiryEl.value) {
    var at = localToRfc3339(expiryEl.value);
    if (!at) problems.push(['expires_at', 'Enter a valid date and time.', 'Enter a valid date and time for the expiry.']);
    else if (Date.parse(at) <= Date.now()) problems.push(['expires_at', 'Choose a time in the future.', 'Choose an expiry time in the future.']);
  } else if (expiryEl.validity && expiryEl.validity.badInput) {
    problems.push(['expires_at', 'Enter a complete date and time, or leave it empty.',
      'Enter a complete expiry date and time, or leave it empty.']);
  }
  return problems;
}

function onCreateKey(ev) {
  ev.preventDefault();
  var form = $('key-form');
  var box = $('key-form-error');
  clearFieldErrors(form);
  clearError(box);
  var name = $('key-name').value.trim();
  var perms = Array.prototype.map.call(
    form.querySelectorAll('input[name="permissions"]:checked'),
    function (el) { return el.value; });
  var problems = keyFormProblems(name, perms, $('key-expiry'));
  if (problems.length) { formProblems(form, box, problems); return; }

  var body = { name: name, permissions: perms };
  if ($('key-expiry').value) body.expires_at = localToRfc3339($('key-expiry').value);
  var button = $('key-create');
  button.disabled = true;
  form.setAttribute('aria-busy', 'true');
  api('POST', '/api-keys', body).then(function (k) {
    form.reset();
    showNewKey(k);
    announce('API key “' + k.name + '” created. Copy it now: you will not see it again.');
    return loadKeys();
  }).catch(function (e) {
    formError(form, box, e);
  }).then(function () {
    button.disabled = false;
    form.removeAttribute('aria-busy');
  });
}

function showNewKey(k) {
  $('new-key-name').textContent = k.name;
  var input = $('new-key-value');
  input.value = k.api_key;
  $('new-key-copied').textContent = '';
  $('new-key').hidden = false;
  input.focus();
  input.select();
}

function clearNewKey() {
  $('new-key-value').value = '';
  $('new-key-name').textContent = '';
  $('new-key-copied').textContent = '';
  $('new-key').hidden = true;
}

function copyNewKey() {
  copyField($('new-key-value'), $('new-key-copied'), 'The key');
}

function confirmRevoke(k) {
  var text = 'The key “' + k.name + '” (' + k.prefix + '…) will stop working at once: ' +
    'every program using it will be refused. This cannot be undone.';
  var dlg = $('revoke-dialog');
  if (typeof dlg.showModal !== 'function') {
    return Promise.resolve(window.confirm('Revoke this API key? ' + text));
  }
  $('revoke-text').textContent = text;
  dlg.returnValue = '';
  return new Promise(function (resolve) {
    dlg.addEventListener('close', function onClose() {
      dlg.removeEventListener('close', onClose);
      resolve(dlg.returnValue === 'revoke');
    });
    dlg.showModal();
  });
}

function revokeKey(k, button) {
  confirmRevoke(k).then(function (yes) {
    if (!yes) { button.focus(); return; }
    button.disabled = true;
    clearError($('keys-error'));
    return api('DELETE', '/api-keys/' + encodeURIComponent(k.id)).then(function () {
      announce('API key “' + k.name + '” revoked.');
    }, function (e) {
      if (e instanceof SessionEnded) throw e;
      if (e instanceof ApiError && e.code === 'NOT_FOUND') {
        announce('API key “' + k.name + '” was already revoked.');
        return;
      }
      showError($('keys-error'), 'Could not revoke the key. ' + describe(e));
    }).then(function () {
      return loadKeys();
    }).then(function () {
      $('keys-list-heading').focus();
    });
  }).catch(function (e) {
    if (!(e instanceof SessionEnded)) showError($('keys-error'), describe(e));
  });
}

$('keys-reload').addEventListener('click', function () {
  loadKeys().then(function () {
    if (session.signedIn) announce('API keys reloaded.');
  });
});
$('key-form').addEventListener('submit', onCreateKey);
$('new-key-copy').addEventListener('click', copyNewKey);
$('new-key-done').addEventListener('click', function () {
  clearNewKey();
  $('keys-list-heading').focus();
});
$('key-expiry').addEventListener('focus', function () {
  this.min = localInputValue(new Date(Date.now() + 60 * 1000));
});

registerPage({
  enter: function () { renderPermissionChoices(); return loadKeys(); },
  reset: function () {
    clearNewKey();
    $('keys-body').textContent = '';
    $('key-perms-list').textContent = '';
    $('key-form').reset();
  }
});

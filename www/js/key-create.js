/* Creating an API key: the dialog (permission and expiry presets) and the
 * panel that shows a new key once (also used by rotation). */

import { $, copyField, localInputValue, localToRfc3339 } from './dom.js';
import { api, has, session } from './api.js';
import { announce, clearError, clearFieldErrors, formDialog, formError, formProblems } from './forms.js';

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

// What each preset asks for; only the permissions the user holds are ticked.
var PRESETS = {
  read: function (p) { return /:read$/.test(p); },
  ci: function (p) {
    return ['incidents:read', 'incidents:create', 'procedures:read', 'procedures:execute'].indexOf(p) >= 0;
  },
  all: function () { return true; }
};

var DAY_MS = 24 * 3600 * 1000;
var afterCreate = function () { return Promise.resolve(); };
var dialog = formDialog('key-dialog', 'key-cancel', renderPermissionChoices);

function permissionChoice(perm, i) {
  var label = document.createElement('label');
  label.className = 'perm';
  label.htmlFor = 'perm-' + i;
  var input = document.createElement('input');
  input.type = 'checkbox';
  input.id = 'perm-' + i;
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
  session.permissions.forEach(function (perm, i) { list.appendChild(permissionChoice(perm, i)); });
  $('key-expiry-field').hidden = true;
  $('key-expiry').min = localInputValue(new Date(Date.now() + 60 * 1000));
}

function applyPreset(name) {
  var pick = PRESETS[name];
  if (!pick) return;
  $('key-perms-list').querySelectorAll('input[name="permissions"]').forEach(function (box) {
    box.checked = pick(box.value);
  });
}

// The expiry the form asks for: [RFC 3339 or null, problem or null].
function chosenExpiry() {
  var preset = $('key-expiry-preset').value;
  var input = $('key-expiry');
  if (preset === '') return [null, null];
  if (preset !== 'custom') {
    return [new Date(Date.now() + Number(preset) * DAY_MS).toISOString().replace(/\.\d{3}Z$/, 'Z'), null];
  }
  if (!input.value) {
    return [null, input.validity && input.validity.badInput
      ? ['expires_at', 'Enter a complete date and time.', 'Enter a complete expiry date and time.']
      : ['expires_at', 'Choose a date and time.', 'Choose the expiry date and time.']];
  }
  var at = localToRfc3339(input.value);
  if (!at) return [null, ['expires_at', 'Enter a valid date and time.', 'Enter a valid date and time for the expiry.']];
  if (Date.parse(at) <= Date.now()) {
    return [null, ['expires_at', 'Choose a time in the future.', 'Choose an expiry time in the future.']];
  }
  return [at, null];
}

function onCreateKey(ev) {
  ev.preventDefault();
  var form = $('key-form');
  var box = $('key-form-error');
  clearFieldErrors(form);
  clearError(box);
  var name = $('key-name').value.trim();
  var perms = Array.prototype.map.call(form.querySelectorAll('input[name="permissions"]:checked'),
    function (el) { return el.value; });
  var expiry = chosenExpiry();
  var problems = [];
  if (!name) problems.push(['name', 'Enter a name for the key.']);
  else if (name.length > 100) problems.push(['name', 'The name is too long (at most 100 characters).']);
  if (!perms.length) problems.push(['permissions', 'Choose at least one permission.']);
  if (expiry[1]) problems.push(expiry[1]);
  if (problems.length) { formProblems(form, box, problems); return; }

  var body = { name: name, permissions: perms };
  if (expiry[0]) body.expires_at = expiry[0];
  var button = $('key-create');
  button.disabled = true;
  form.setAttribute('aria-busy', 'true');
  api('POST', '/api-keys', body).then(function (k) {
    dialog.close(true);
    showNewKey(k);
    announce('API key “' + k.name + '” created. Copy it now: you will not see it again.');
    return afterCreate();
  }).catch(function (e) {
    formError(form, box, e);
  }).then(function () {
    button.disabled = false;
    form.removeAttribute('aria-busy');
  });
}

// The one-time panel; overlapWords says until when the key it replaces works.
export function showNewKey(k, overlapWords) {
  $('new-key-name').textContent = k.name;
  var input = $('new-key-value');
  input.value = k.api_key;
  $('new-key-copied').textContent = '';
  $('new-key-overlap').textContent = overlapWords || '';
  $('new-key-overlap').hidden = !overlapWords;
  $('new-key').hidden = false;
  input.focus();
  input.select();
}

export function clearNewKey() {
  $('new-key-value').value = '';
  $('new-key-name').textContent = '';
  $('new-key-copied').textContent = '';
  $('new-key-overlap').textContent = '';
  $('new-key').hidden = true;
}

function copyNewKey() {
  copyField($('new-key-value'), $('new-key-copied'), 'The key');
}

// reload: what to do once a key was created (the list shows it).
export function setupKeyCreate(reload) {
  afterCreate = reload;
  $('key-new').addEventListener('click', dialog.open);
  $('key-form').addEventListener('submit', onCreateKey);
  $('key-form').addEventListener('change', function (ev) {
    if (ev.target.name === 'preset') applyPreset(ev.target.value);
    else if (ev.target.name === 'permissions') $('key-form').querySelector('input[value="custom"]').checked = true;
    else if (ev.target.id === 'key-expiry-preset') {
      $('key-expiry-field').hidden = ev.target.value !== 'custom';
    }
  });
  $('new-key-copy').addEventListener('click', copyNewKey);
  $('new-key-done').addEventListener('click', function () {
    clearNewKey();
    $('keys-list-heading').focus();
  });
  $('key-expiry').addEventListener('focus', function () {
    this.min = localInputValue(new Date(Date.now() + 60 * 1000));
  });
}

export function canCreateKeys() { return has('api_keys:create'); }

/* API keys page: the list (search, sort, paging, usage, status, rotation),
 * revoke, rotate with overlap; creating is key-create.js, the activity view
 * key-activity.js. */

import { $, badge, button, cell, formatTime, plural, timeEl } from './dom.js';
import { ApiError, SessionEnded, api, describe, has, session } from './api.js';
import { announce, clearError, clearFieldErrors, confirmWith, formDialog, formError, showError } from './forms.js';
import { pager } from './pager.js';
import { markRow, registerPage } from './nav.js';
import { canCreateKeys, clearNewKey, setupKeyCreate, showNewKey } from './key-create.js';
import { hideActivity, showActivity } from './key-activity.js';

var PAGE_SIZE = 20;
var FETCH = 200;          // the API's largest page
var FETCH_MAX = 2000;     // enough for any organization's keys, bounded
var all = [];
var paging = pager($('keys-pager'), PAGE_SIZE, function () { render(); }, 'API keys');
var rotation = formDialog('rotate-dialog', 'rotate-cancel');
var rotating = null;

var STATUS_WORDS = {
  active: 'Active', expired: 'Expired', creator_inactive: 'Creator deactivated',
  parent_revoked: 'Parent key revoked', rotated: 'Rotated'
};

function creatorWords(by) {
  if (!by) return '';
  if (by.type === 'user' && session.user && by.id === session.user.id) return 'You';
  return (by.type === 'api_key' ? 'Key ' : 'User ') + String(by.id).slice(0, 8);
}

// A key replaced by rotation stays "active" for the overlap (doc/api.md
// section 6, rotateApiKey): shown as rotated, with when it stops.
function statusCell(k) {
  var replaced = !!k.rotated_to && (k.status === 'active' || k.status === 'rotated');
  var s = replaced ? badge('Rotated', 'key-rotated') : badge(STATUS_WORDS[k.status] || k.status, 'key-' + k.status);
  if (!replaced || !k.rotation_ends_at) return s;
  var wrap = document.createElement('span');
  wrap.appendChild(s);
  var ends = Date.parse(k.rotation_ends_at) > Date.now() ? ' works until ' : ' ended ';
  wrap.appendChild(document.createTextNode(ends + formatTime(k.rotation_ends_at)));
  return wrap;
}

function rotationCell(k) {
  if (k.rotated_to || k.status !== 'active') return document.createTextNode('—');
  if (k.rotation_due) return badge('Due since ' + formatTime(k.rotation_due_at), 'due');
  return timeEl(k.rotation_due_at, '—');
}

function lastUsedCell(k) {
  var span = document.createElement('span');
  span.appendChild(timeEl(k.last_used_at, 'Never'));
  if (k.last_used_ip) {
    var ip = document.createElement('span');
    ip.className = 'sub mono';
    ip.textContent = 'from ' + k.last_used_ip;
    span.appendChild(ip);
  }
  var uses = document.createElement('span');
  uses.className = 'sub key-uses';
  uses.textContent = plural(k.use_count || 0, 'use');
  span.appendChild(uses);
  return span;
}

function expiresCell(k) {
  var exp = timeEl(k.expires_at, 'Never');
  if (!k.expires_at || Date.parse(k.expires_at) > Date.now()) return exp;
  var wrap = document.createElement('span');
  wrap.className = 'expired';
  wrap.appendChild(document.createTextNode('Expired '));
  wrap.appendChild(exp);
  return wrap;
}

function tags(list) {
  var ul = document.createElement('ul');
  ul.className = 'perm-tags';
  (list || []).forEach(function (p) {
    var li = document.createElement('li');
    li.textContent = p;
    ul.appendChild(li);
  });
  return ul;
}

function actionsCell(k) {
  var td = cell('Actions', '', 'actions');
  td.appendChild(button('Activity', 'secondary', 'Activity of key ' + k.name, function (ev) {
    showActivity(k, ev.currentTarget);
  }));
  if (k.status === 'active' && !k.rotated_to && has('api_keys:create') && has('api_keys:delete')) {
    td.appendChild(button('Rotate', 'secondary', 'Rotate key ' + k.name, function (ev) {
      openRotate(k, ev.currentTarget);
    }));
  }
  if (has('api_keys:delete')) {
    var rb = button('Revoke', 'danger-outline', 'Revoke key ' + k.name);
    rb.addEventListener('click', function () { revokeKey(k, rb); });
    td.appendChild(rb);
  }
  return td;
}

function keyRow(k) {
  var tr = document.createElement('tr');
  tr.setAttribute('role', 'row');
  tr.setAttribute('data-key-id', k.id);
  var name = document.createElement('span');
  var strong = document.createElement('strong');
  strong.className = 'key-name';
  strong.textContent = k.name;
  var prefix = document.createElement('code');
  prefix.className = 'sub key-prefix';
  prefix.textContent = k.prefix + '…';
  name.appendChild(strong);
  name.appendChild(prefix);
  tr.appendChild(cell('Name', name));
  tr.appendChild(cell('Status', statusCell(k)));
  tr.appendChild(cell('Permissions', tags(k.permissions)));
  var created = document.createElement('span');
  created.appendChild(timeEl(k.created_at, ''));
  var by = document.createElement('span');
  by.className = 'sub';
  by.textContent = 'by ' + creatorWords(k.created_by);
  created.appendChild(by);
  tr.appendChild(cell('Created', created));
  tr.appendChild(cell('Last used', lastUsedCell(k)));
  tr.appendChild(cell('Expires', expiresCell(k)));
  tr.appendChild(cell('Rotation', rotationCell(k)));
  tr.appendChild(actionsCell(k));
  return tr;
}

var SORTS = {
  'created-desc': function (a, b) { return b.created_at < a.created_at ? -1 : (b.created_at > a.created_at ? 1 : 0); },
  'created-asc': function (a, b) { return a.created_at < b.created_at ? -1 : (a.created_at > b.created_at ? 1 : 0); },
  'name-asc': function (a, b) { return a.name.localeCompare(b.name); },
  'used-desc': function (a, b) { return (b.use_count || 0) - (a.use_count || 0); },
  'last-desc': function (a, b) { return (b.last_used_at || '') < (a.last_used_at || '') ? -1 : 1; }
};

function matching() {
  var q = $('keys-search').value.trim().toLowerCase();
  var list = all.filter(function (k) {
    if (!q) return true;
    return k.name.toLowerCase().indexOf(q) >= 0 || k.prefix.toLowerCase().indexOf(q) >= 0 ||
      (k.permissions || []).some(function (p) { return p.indexOf(q) >= 0; });
  });
  return list.sort(SORTS[$('keys-sort').value] || SORTS['created-desc']);
}

function render() {
  var list = matching();
  if (paging.offset >= list.length) paging.offset = Math.max(0, list.length - 1 - ((list.length - 1) % PAGE_SIZE));
  var rows = paging.show(list.slice(paging.offset, paging.offset + PAGE_SIZE + 1));
  var body = $('keys-body');
  body.textContent = '';
  rows.forEach(function (k) { body.appendChild(keyRow(k)); });
  $('keys-table').hidden = rows.length === 0;
  var note = $('keys-note');
  note.textContent = all.length === 0 ? 'No API keys yet.' :
    (list.length === all.length ? plural(all.length, 'key') + '.' :
      plural(list.length, 'key') + ' of ' + all.length + ' match.');
  note.hidden = false;
}

// A link named one key (an audit event's target): its page of the list, marked.
function showKey(id) {
  if (!id) return;
  $('keys-search').value = '';
  var i = matching().map(function (k) { return k.id; }).indexOf(id);
  if (i < 0) { markRow($('keys-body'), 'data-key-id', id); return; }
  paging.offset = i - (i % PAGE_SIZE);
  render();
  markRow($('keys-body'), 'data-key-id', id);
}

function fetchAll(offset, acc) {
  return api('GET', '/api-keys?limit=' + FETCH + '&offset=' + offset).then(function (page) {
    page = Array.isArray(page) ? page : [];
    acc = acc.concat(page);
    if (page.length < FETCH || acc.length >= FETCH_MAX) return acc;
    return fetchAll(offset + FETCH, acc);
  });
}

export function loadKeys() {
  var box = $('keys-error');
  var reload = $('keys-reload');
  clearError(box);
  $('key-new').hidden = !canCreateKeys();
  $('key-create-denied').hidden = canCreateKeys();
  reload.disabled = true;
  $('page-keys').setAttribute('aria-busy', 'true');
  return fetchAll(0, []).then(function (list) {
    all = list;
    render();
  }).catch(function (e) {
    if (e instanceof SessionEnded) return;
    showError(box, 'Could not load API keys. ' + describe(e));
  }).then(function () {
    reload.disabled = false;
    $('page-keys').removeAttribute('aria-busy');
  });
}

function confirmRevoke(k) {
  var text = 'The key “' + k.name + '” (' + k.prefix + '…) will stop working at once: ' +
    'every program using it will be refused, and so will every key it created. This cannot be undone.';
  $('revoke-text').textContent = text;
  return confirmWith($('revoke-dialog')).then(function (v) { return v === 'revoke'; });
}

function revokeKey(k, btn) {
  confirmRevoke(k).then(function (yes) {
    if (!yes) { btn.focus(); return; }
    btn.disabled = true;
    clearNewKey();          // a key shown once must not stay on screen next to a revoked one
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
    }).then(loadKeys).then(function () { $('keys-list-heading').focus(); });
  }).catch(function (e) {
    if (!(e instanceof SessionEnded)) showError($('keys-error'), describe(e));
  });
}

function openRotate(k) {
  rotating = k;
  $('rotate-text').textContent = 'A new key “' + k.name + '” with the same permissions and expiry ' +
    'replaces ' + k.prefix + '…. Give the new key to its programs before the old one stops.';
  rotation.open();
}

function onRotate(ev) {
  ev.preventDefault();
  var form = $('rotate-form');
  var box = $('rotate-error');
  var k = rotating;
  clearFieldErrors(form);
  clearError(box);
  var btn = $('rotate-submit');
  btn.disabled = true;
  var overlap = Number($('rotate-overlap').value);
  api('POST', '/api-keys/' + encodeURIComponent(k.id) + '/rotate', { overlap_seconds: overlap }).then(function (nk) {
    rotation.close(true);
    var until = nk.previous_key_valid_until;
    showNewKey(nk, overlap > 0 && until
      ? 'The old key (' + k.prefix + '…) keeps working until ' + formatTime(until) + '.'
      : 'The old key (' + k.prefix + '…) is refused from now on.');
    announce('API key “' + k.name + '” rotated. Copy the new key now: you will not see it again.');
    return loadKeys();
  }).catch(function (e) {
    if (e instanceof ApiError && e.code === 'CONFLICT') {
      showError(box, 'This key was rotated already, or is no longer active. Reload the list.');
    } else {
      formError(form, box, e);
    }
  }).then(function () { btn.disabled = false; });
}

setupKeyCreate(loadKeys);
$('rotate-form').addEventListener('submit', onRotate);
$('keys-reload').addEventListener('click', function () {
  loadKeys().then(function () {
    if (session.signedIn) announce('API keys reloaded.');
  });
});
$('keys-search').addEventListener('input', function () { paging.offset = 0; render(); });
$('keys-sort').addEventListener('change', function () { paging.offset = 0; render(); });

registerPage({
  name: 'keys',
  allowed: function () { return has('api_keys:read'); },
  enter: function (params) {
    return loadKeys().then(function () { showKey(params.get('id')); });
  },
  reset: function () {
    clearNewKey();
    hideActivity();
    all = [];
    $('keys-body').textContent = '';
    $('keys-search').value = '';
    paging.reset();
  }
});

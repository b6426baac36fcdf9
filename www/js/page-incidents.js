/* Incidents page: list (filter by status, paging), open, acknowledge, resolve. */

import { $, badge, button, capital, cell, timeEl } from './dom.js';
import { SessionEnded, api, describe, has, query, session } from './api.js';
import { announce, clearError, clearFieldErrors, formDialog, formError, formProblems, showError } from './forms.js';
import { pager } from './pager.js';
import { registerPage } from './nav.js';

var PAGE_SIZE = 20;
var paging = pager($('incidents-pager'), PAGE_SIZE, function () { loadIncidents(); }, 'incidents');
var dialog = formDialog('incident-dialog', 'incident-cancel');

// The next steps of an incident, as buttons for whoever holds incidents:update.
var NEXT = {
  open: [['acknowledged', 'Acknowledge'], ['resolved', 'Resolve']],
  acknowledged: [['resolved', 'Resolve']],
  resolved: []
};

function setStatus(inc, status, btn) {
  btn.disabled = true;
  clearError($('incidents-error'));
  api('PATCH', '/incidents/' + encodeURIComponent(inc.id), { status: status }).then(function () {
    announce('Incident “' + inc.title + '” ' + status + '.');
    return loadIncidents();
  }).then(function () {
    $('incidents-heading').focus();
  }).catch(function (e) {
    if (e instanceof SessionEnded) return;
    btn.disabled = false;
    showError($('incidents-error'), 'Could not change the incident. ' + describe(e));
  });
}

function row(inc) {
  var tr = document.createElement('tr');
  tr.setAttribute('role', 'row');
  tr.setAttribute('data-incident-id', inc.id);
  tr.appendChild(cell('Title', inc.title));
  tr.appendChild(cell('Severity', badge(capital(inc.severity), 'sev-' + inc.severity)));
  tr.appendChild(cell('Status', badge(capital(inc.status), 'st-' + inc.status)));
  tr.appendChild(cell('Created', timeEl(inc.created_at, '')));
  var actions = cell('Actions', '', 'actions');
  if (has('incidents:update')) {
    (NEXT[inc.status] || []).forEach(function (n) {
      var b = button(n[1], 'secondary', n[1] + ' incident ' + inc.title);
      b.addEventListener('click', function () { setStatus(inc, n[0], b); });
      actions.appendChild(b);
    });
  }
  tr.appendChild(actions);
  return tr;
}

export function loadIncidents() {
  var table = $('incidents-table');
  var note = $('incidents-note');
  var box = $('incidents-error');
  var reload = $('incidents-reload');
  clearError(box);
  $('incident-new').hidden = !has('incidents:create');
  reload.disabled = true;
  $('page-incidents').setAttribute('aria-busy', 'true');
  var q = query({ status: $('incidents-status').value, limit: paging.limitPlusOne(), offset: paging.offset });
  return api('GET', '/incidents' + q).then(function (list) {
    var rows = paging.show(Array.isArray(list) ? list : []);
    var body = $('incidents-body');
    body.textContent = '';
    rows.forEach(function (inc) { body.appendChild(row(inc)); });
    table.hidden = rows.length === 0;
    note.textContent = rows.length === 0 ? 'No incidents.' :
      'Incidents ' + (paging.offset + 1) + ' to ' + (paging.offset + rows.length) + ', newest first.';
    note.hidden = false;
  }).catch(function (e) {
    if (e instanceof SessionEnded) return;
    showError(box, 'Could not load incidents. ' + describe(e));
  }).then(function () {
    reload.disabled = false;
    $('page-incidents').removeAttribute('aria-busy');
  });
}

function onCreate(ev) {
  ev.preventDefault();
  var form = $('incident-form');
  var box = $('incident-form-error');
  clearFieldErrors(form);
  clearError(box);
  var title = $('incident-title').value.trim();
  if (!title) { formProblems(form, box, [['title', 'Enter a title.']]); return; }
  var body = { title: title, severity: $('incident-severity').value };
  var description = $('incident-description').value.trim();
  if (description) body.description = description;
  var btn = $('incident-create');
  btn.disabled = true;
  api('POST', '/incidents', body).then(function (inc) {
    dialog.close();
    announce('Incident “' + inc.title + '” opened.');
    paging.offset = 0;
    return loadIncidents();
  }).catch(function (e) {
    formError(form, box, e);
  }).then(function () { btn.disabled = false; });
}

$('incident-new').addEventListener('click', dialog.open);
$('incident-form').addEventListener('submit', onCreate);
$('incidents-status').addEventListener('change', function () {
  paging.offset = 0;
  loadIncidents();
});
$('incidents-reload').addEventListener('click', function () {
  loadIncidents().then(function () {
    if (session.signedIn) announce('Incidents reloaded.');
  });
});

registerPage({
  name: 'incidents',
  allowed: function () { return has('incidents:read'); },
  enter: loadIncidents,
  reset: function () {
    $('incidents-body').textContent = '';
    $('incidents-status').value = '';
    paging.reset();
  }
});


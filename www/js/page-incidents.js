/* Incidents page: the organization's incidents, newest first. */

import { $, badge, capital, cell, plural, timeEl } from './dom.js';
import { api, describe, has, session, SessionEnded } from './api.js';
import { announce, clearError, showError } from './forms.js';
import { registerPage } from './nav.js';

function row(inc) {
  var tr = document.createElement('tr');
  tr.setAttribute('role', 'row');
  tr.setAttribute('data-incident-id', inc.id);
  tr.appendChild(cell('Title', inc.title));
  tr.appendChild(cell('Severity', badge(capital(inc.severity), 'sev-' + inc.severity)));
  tr.appendChild(cell('Status', badge(capital(inc.status), 'st-' + inc.status)));
  tr.appendChild(cell('Created', timeEl(inc.created_at, '')));
  return tr;
}

export function loadIncidents() {
  var table = $('incidents-table');
  var note = $('incidents-note');
  var box = $('incidents-error');
  var reload = $('incidents-reload');
  clearError(box);
  if (!has('incidents:read')) {
    table.hidden = true;
    reload.hidden = true;
    note.textContent = 'Your role cannot view incidents.';
    note.hidden = false;
    return Promise.resolve();
  }
  reload.hidden = false;
  reload.disabled = true;
  $('incidents').setAttribute('aria-busy', 'true');
  return api('GET', '/incidents?limit=50').then(function (list) {
    list = Array.isArray(list) ? list : [];
    var body = $('incidents-body');
    body.textContent = '';
    list.forEach(function (inc) { body.appendChild(row(inc)); });
    table.hidden = list.length === 0;
    note.textContent = list.length === 0 ? 'No incidents.' :
      (list.length === 50 ? 'Showing the 50 newest incidents.' : plural(list.length, 'incident') + '.');
    note.hidden = false;
  }).catch(function (e) {
    if (e instanceof SessionEnded) return;
    showError(box, 'Could not load incidents. ' + describe(e));
  }).then(function () {
    reload.disabled = false;
    $('incidents').removeAttribute('aria-busy');
  });
}

$('incidents-reload').addEventListener('click', function () {
  loadIncidents().then(function () {
    if (session.signedIn) announce('Incidents reloaded.');
  });
});

registerPage({
  enter: loadIncidents,
  reset: function () { $('incidents-body').textContent = ''; }
});

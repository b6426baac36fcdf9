/* The activity of one API key (GET /api-keys/{id}/activity): a per-day chart
 * of the last 90 days, the same in words, and its client addresses. */

import { $, cell, plural, timeEl } from './dom.js';
import { SessionEnded, api, describe } from './api.js';
import { clearError, showError } from './forms.js';
import { activityChart } from './chart.js';

var opener = null;

var DAYS = 90;     // the API's window (doc/api.md section 6, getApiKeyActivity)

// Every one of the last 90 UTC days, oldest first (the API lists only days
// with uses), with how many of the key's addresses were first seen that day.
function series(days, ips) {
  var byDate = {}, firsts = {}, out = [];
  days.forEach(function (d) { byDate[d.date] = d; });
  ips.forEach(function (ip) {
    var d = (ip.first_seen || '').slice(0, 10);
    firsts[d] = (firsts[d] || 0) + 1;
  });
  var today = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate());
  for (var i = DAYS - 1; i >= 0; i--) {
    var date = new Date(today - i * 86400000).toISOString().slice(0, 10);
    var d = byDate[date] || {};
    out.push({ date: date, requests: d.requests || 0, rejected: d.rejected || 0, new_ips: firsts[date] || 0 });
  }
  return out;
}

function ipRow(ip) {
  var tr = document.createElement('tr');
  tr.setAttribute('role', 'row');
  tr.appendChild(cell('Address', ip.ip, 'mono'));
  tr.appendChild(cell('First seen', timeEl(ip.first_seen, '')));
  tr.appendChild(cell('Last seen', timeEl(ip.last_seen, '')));
  tr.appendChild(cell('Requests', String(ip.requests)));
  tr.appendChild(cell('Rejected', String(ip.rejected)));
  return tr;
}

function render(k, a) {
  var ips = Array.isArray(a.ips) ? a.ips : [];
  var days = series(Array.isArray(a.days) ? a.days : [], ips);
  var sum = { requests: 0, rejected: 0, new_ips: 0 };
  days.forEach(function (d) { sum.requests += d.requests; sum.rejected += d.rejected; sum.new_ips += d.new_ips; });
  var words = 'In the last 90 days: ' + plural(sum.requests, 'request') + ' served, ' +
    plural(sum.rejected, 'use') + ' refused, ' + plural(ips.length, 'client address', 'es') + '.';
  $('key-activity-summary').textContent = words;
  var chart = $('key-activity-chart');
  chart.textContent = '';
  chart.appendChild(activityChart(days, 'Requests per day of key ' + k.name + '. ' + words));
  var body = $('key-activity-ips-body');
  body.textContent = '';
  ips.forEach(function (ip) { body.appendChild(ipRow(ip)); });
  $('key-activity-ips').hidden = ips.length === 0;
}

export function showActivity(k, from) {
  var box = $('key-activity-error');
  opener = from || null;
  clearError(box);
  $('key-activity-heading').textContent = 'Activity of “' + k.name + '”';
  $('key-activity-summary').textContent = 'Loading…';
  $('key-activity-chart').textContent = '';
  $('key-activity-ips').hidden = true;
  $('key-activity').hidden = false;
  $('key-activity-heading').focus();
  return api('GET', '/api-keys/' + encodeURIComponent(k.id) + '/activity').then(function (a) {
    render(k, a || {});
  }).catch(function (e) {
    if (e instanceof SessionEnded) return;
    $('key-activity-summary').textContent = '';
    showError(box, 'Could not load the activity. ' + describe(e));
  });
}

export function hideActivity() {
  $('key-activity').hidden = true;
  $('key-activity-chart').textContent = '';
  $('key-activity-ips-body').textContent = '';
}

$('key-activity-close').addEventListener('click', function () {
  hideActivity();
  if (opener && document.contains(opener)) opener.focus();
  else $('keys-list-heading').focus();
});

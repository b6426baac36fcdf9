/* A small inline SVG bar chart of a key's activity per day: requests served
 * (blue), uses refused (red, stacked on top) and client addresses first
 * seen that day (an orange dot under it). Built with createElementNS, no library, no inline style
 * (presentation attributes only, which the page's CSP allows). The numbers
 * are also given in words beside it, for screen readers. */

var NS = 'http://www.w3.org/2000/svg';
var W = 600, H = 160, PAD_L = 36, PAD_B = 22, PAD_T = 8;

function el(name, attrs, text) {
  var e = document.createElementNS(NS, name);
  Object.keys(attrs).forEach(function (k) { e.setAttribute(k, String(attrs[k])); });
  if (text !== undefined) e.textContent = text;
  return e;
}

// days: [{date, requests, rejected, new_ips}] oldest first.
export function activityChart(days, label) {
  var svg = el('svg', { viewBox: '0 0 ' + W + ' ' + H, role: 'img', 'aria-label': label,
    'class': 'activity-chart', preserveAspectRatio: 'none' });
  svg.appendChild(el('title', {}, label));
  var max = 1;
  days.forEach(function (d) { max = Math.max(max, (d.requests || 0) + (d.rejected || 0)); });
  var n = Math.max(days.length, 1);
  var slot = (W - PAD_L) / n;
  var barW = Math.max(1, slot * 0.8);
  var plotH = H - PAD_B - PAD_T;
  svg.appendChild(el('line', { x1: PAD_L, y1: H - PAD_B, x2: W, y2: H - PAD_B, stroke: '#4a5460' }));
  svg.appendChild(el('text', { x: PAD_L - 4, y: PAD_T + 10, 'text-anchor': 'end', 'font-size': 11, fill: '#1b1f24' }, String(max)));
  svg.appendChild(el('text', { x: PAD_L - 4, y: H - PAD_B, 'text-anchor': 'end', 'font-size': 11, fill: '#1b1f24' }, '0'));
  days.forEach(function (d, i) {
    var x = PAD_L + i * slot + (slot - barW) / 2;
    var ok = d.requests || 0, bad = d.rejected || 0;
    var hOk = plotH * ok / max, hBad = plotH * bad / max;
    var g = el('g', {});
    g.appendChild(el('title', {}, d.date + ': ' + ok + ' requests, ' + bad + ' refused, ' +
      (d.new_ips || 0) + ' new addresses'));
    g.appendChild(el('rect', { x: x, y: H - PAD_B - hOk, width: barW, height: hOk, fill: '#0a58a8' }));
    g.appendChild(el('rect', { x: x, y: H - PAD_B - hOk - hBad, width: barW, height: hBad, fill: '#a4161a' }));
    if (d.new_ips) {
      g.appendChild(el('circle', { cx: x + barW / 2, cy: H - PAD_B + 8, r: Math.min(4, barW / 2 + 1), fill: '#c25e00' }));
    }
    svg.appendChild(g);
  });
  if (days.length) {
    svg.appendChild(el('text', { x: PAD_L, y: H - 2, 'font-size': 11, fill: '#1b1f24' }, days[0].date));
    svg.appendChild(el('text', { x: W, y: H - 2, 'text-anchor': 'end', 'font-size': 11, fill: '#1b1f24' },
      days[days.length - 1].date));
  }
  return svg;
}

/* Small DOM and formatting helpers shared by every page of the console.
 * Everything is built with createElement/textContent: no HTML strings, so
 * nothing the API returns is ever parsed as markup. */

export function $(id) { return document.getElementById(id); }

export function plural(n, word, ending) { return n + ' ' + word + (n === 1 ? '' : (ending || 's')); }

export function capital(s) { return s ? s.charAt(0).toUpperCase() + s.slice(1) : s; }

var dateFormat = null;
try {
  dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
} catch (e) { dateFormat = null; }

export function formatTime(iso) {
  var d = new Date(iso);
  return isNaN(d.getTime()) ? iso : (dateFormat ? dateFormat.format(d) : d.toLocaleString());
}

export function timeEl(iso, empty) {
  if (!iso) {
    var span = document.createElement('span');
    span.textContent = empty;
    return span;
  }
  var t = document.createElement('time');
  t.dateTime = iso;
  t.title = iso;
  t.textContent = formatTime(iso);
  return t;
}

export function cell(label, content, cls) {
  var td = document.createElement('td');
  td.setAttribute('role', 'cell');
  td.setAttribute('data-label', label);
  if (cls) td.className = cls;
  if (content instanceof Node) td.appendChild(content);
  else td.textContent = content === null || content === undefined ? '' : String(content);
  return td;
}

export function badge(text, cls) {
  var s = document.createElement('span');
  s.className = 'badge ' + cls;
  s.textContent = text;
  return s;
}

// A button of the given class and words; aria-label when the words alone are ambiguous.
export function button(text, cls, ariaLabel, onClick) {
  var b = document.createElement('button');
  b.type = 'button';
  b.className = cls;
  b.textContent = text;
  if (ariaLabel) b.setAttribute('aria-label', ariaLabel);
  if (onClick) b.addEventListener('click', onClick);
  return b;
}

// datetime-local value ("2026-03-01T14:30") as local time -> RFC 3339 UTC with Z.
export function localToRfc3339(value) {
  var d = new Date(value);
  if (isNaN(d.getTime())) return null;
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function localInputValue(d) {
  function p(n) { return (n < 10 ? '0' : '') + n; }
  return d.getFullYear() + '-' + p(d.getMonth() + 1) + '-' + p(d.getDate()) +
    'T' + p(d.getHours()) + ':' + p(d.getMinutes());
}

// Copies an input's or textarea's value, saying in out what happened; where
// the clipboard cannot be written, selects it for Ctrl+C. what: 'The key'.
export function copyField(input, out, what) {
  var value = input.value;
  function fallback() {
    input.focus();
    input.select();
    input.setSelectionRange(0, value.length);
    var ok = false;
    try { ok = document.execCommand('copy'); } catch (e) { ok = false; }
    out.textContent = ok ? 'Copied to the clipboard.'
      : 'Could not copy automatically. ' + what + ' is selected: press Ctrl+C (⌘C on a Mac) to copy it.';
  }
  if (navigator.clipboard && window.isSecureContext && navigator.clipboard.writeText) {
    navigator.clipboard.writeText(value).then(function () {
      out.textContent = 'Copied to the clipboard.';
    }, fallback);
  } else {
    fallback();
  }
}

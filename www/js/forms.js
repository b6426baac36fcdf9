/* Messages of the console: the polite status line, error boxes (role=alert)
 * and per-field errors tied to their inputs with aria-invalid and
 * aria-describedby. */

import { $ } from './dom.js';
import { ApiError, SessionEnded, describe, fieldWords } from './api.js';

var statusTimer = 0;

export function announce(text) {
  var el = $('status');
  clearTimeout(statusTimer);
  // Cleared first so the same words are announced again.
  el.textContent = '';
  statusTimer = setTimeout(function () { el.textContent = text; }, 50);
}

export function clearStatus() {
  clearTimeout(statusTimer);
  $('status').textContent = '';
}

export function showError(box, text, items) {
  box.textContent = text;
  if (items && items.length) {
    var ul = document.createElement('ul');
    items.forEach(function (t) {
      var li = document.createElement('li');
      li.textContent = t;
      ul.appendChild(li);
    });
    box.appendChild(ul);
  }
  box.hidden = false;
}

export function clearError(box) { box.textContent = ''; box.hidden = true; }

// Field errors next to their inputs (aria-invalid, aria-describedby).
export function setFieldError(form, field, text) {
  var el = form.querySelector('[data-field="' + field + '"]');
  if (!el) return false;
  var msg = $(el.id + '-error');
  el.setAttribute('aria-invalid', 'true');
  if (msg) {
    msg.textContent = text;
    msg.hidden = false;
    var ids = (el.getAttribute('aria-describedby') || '').split(/\s+/).filter(Boolean);
    if (ids.indexOf(msg.id) < 0) ids.push(msg.id);
    el.setAttribute('aria-describedby', ids.join(' '));
  }
  return true;
}

export function clearFieldErrors(form) {
  Array.prototype.forEach.call(form.querySelectorAll('[data-field]'), function (el) {
    el.removeAttribute('aria-invalid');
    var msg = $(el.id + '-error');
    if (msg) {
      msg.textContent = '';
      msg.hidden = true;
      var ids = (el.getAttribute('aria-describedby') || '').split(/\s+/)
        .filter(function (id) { return id && id !== msg.id; });
      if (ids.length) el.setAttribute('aria-describedby', ids.join(' '));
      else el.removeAttribute('aria-describedby');
    }
  });
}

export function focusFirstInvalid(form) {
  var el = form.querySelector('[aria-invalid="true"]');
  if (!el) return;
  if (el.tagName === 'FIELDSET') el = el.querySelector('input') || el;
  el.focus();
}

// Shows problems found before sending: each beside its field, all in the box.
export function formProblems(form, box, problems) {
  problems.forEach(function (p) { setFieldError(form, p[0], p[1]); });
  showError(box, 'Please correct the following:', problems.map(function (p) { return p[2] || p[1]; }));
  focusFirstInvalid(form);
}

// Shows an API error in a form: field messages beside the fields, words in the box.
export function formError(form, box, e) {
  if (e instanceof SessionEnded) return;
  if (e instanceof ApiError && e.code === 'VALIDATION_ERROR' && e.body &&
      Array.isArray(e.body.errors) && e.body.errors.length) {
    var words = fieldWords(e.body.errors);
    e.body.errors.forEach(function (fe, i) { setFieldError(form, fe.field, words[i]); });
    showError(box, 'Please correct the following:', words);
    focusFirstInvalid(form);
    return;
  }
  showError(box, describe(e));
}

// Runs a form's request with its button disabled and aria-busy set meanwhile.
export function busy(form, btn, promise) {
  btn.disabled = true;
  form.setAttribute('aria-busy', 'true');
  return promise.then(function (v) {
    btn.disabled = false;
    form.removeAttribute('aria-busy');
    return v;
  }, function (e) {
    btn.disabled = false;
    form.removeAttribute('aria-busy');
    throw e;
  });
}

// Open a confirmation dialog (its <form method="dialog"> buttons carry values);
// resolves with the value of the button that closed it ('' for Escape).
export function confirmWith(dlg) {
  dlg.returnValue = '';
  return new Promise(function (resolve) {
    dlg.addEventListener('close', function onClose() {
      dlg.removeEventListener('close', onClose);
      resolve(dlg.returnValue);
    });
    dlg.showModal();
  });
}

// A form in a <dialog>: open() shows it with the form cleared, focus on its
// first field; its Cancel button and Escape close it, and focus goes back to
// the control that opened it.
export function formDialog(dialogId, cancelId, onOpen) {
  var dlg = $(dialogId);
  var form = dlg.querySelector('form');
  var opener = null;
  $(cancelId).addEventListener('click', function () { dlg.close('cancel'); });
  dlg.addEventListener('close', function () {
    if (opener && document.contains(opener)) opener.focus();
    opener = null;
  });
  return {
    dialog: dlg,
    open: function () {
      opener = document.activeElement;
      form.reset();
      clearFieldErrors(form);
      Array.prototype.forEach.call(form.querySelectorAll('.error'), clearError);
      if (onOpen) onOpen();
      dlg.showModal();
      var first = form.querySelector('input:not([type=radio]):not([hidden]), select, textarea');
      if (first) first.focus();
    },
    // keepFocusHere: the caller moves focus itself (to a new key, say).
    close: function (keepFocusHere) {
      if (keepFocusHere) opener = null;
      if (dlg.open) dlg.close('done');
    }
  };
}

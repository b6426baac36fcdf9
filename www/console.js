/* Overwatch console: sign-in, incidents and API keys, with cookies only.
 *
 * The session lives in the httpOnly cookies the API sets at login
 * (access_token, Path=/; refresh_token, Path=/api/v1/auth). This script never
 * reads, keeps or shows a token: the token members of the login and refresh
 * bodies are dropped while parsing, and only expires_in is used, to refresh
 * the access token before it expires (the seed's recommended pattern; the
 * margin is 5 minutes, or a fifth of the lifetime when that is shorter). A
 * request answered 401 is retried once after a refresh; when the refresh
 * itself is refused the page returns to the sign-in form.
 *
 * Plain ES2017+, no framework, no build step, no inline script or style.
 */
(function () {
  'use strict';

  var API = '/api/v1';
  var REFRESH_MARGIN_MAX_MS = 5 * 60 * 1000;   // refresh 5 minutes before expiry...
  var REFRESH_MARGIN_RATIO = 0.2;              // ...or at 80% of a shorter lifetime
  var RETRY_REFRESH_MS = 30 * 1000;            // after a transient refresh failure

  var PERMISSIONS = {
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
  var FIELD_LABELS = {
    email: 'Email', password: 'Password', name: 'Name',
    permissions: 'Permissions', expires_at: 'Expiry date', limit: 'Limit', offset: 'Offset'
  };

  var state = {
    signedIn: false,
    user: null,
    permissions: [],
    refreshTimer: 0,
    refreshDueAt: 0,
    refreshing: null
  };

  function $(id) { return document.getElementById(id); }

  // ------------------------------------------------------------------ HTTP

  function ApiError(status, body, retryAfter, network) {
    this.name = 'ApiError';
    this.status = status;
    this.body = body;
    this.code = body && typeof body.code === 'string' ? body.code : null;
    this.retryAfter = retryAfter;
    this.network = !!network;
    this.message = network ? 'network error' : 'HTTP ' + status;
  }
  ApiError.prototype = Object.create(Error.prototype);
  ApiError.prototype.constructor = ApiError;

  // Thrown once the page has gone back to the sign-in form: callers stop quietly.
  function SessionEnded() { this.name = 'SessionEnded'; this.message = 'session ended'; }
  SessionEnded.prototype = Object.create(Error.prototype);
  SessionEnded.prototype.constructor = SessionEnded;

  // JSON.parse reviver: the tokens in login and refresh bodies never reach the page's data.
  function dropTokens(key, value) {
    return key === 'access_token' || key === 'refresh_token' ? undefined : value;
  }

  function retryAfterSeconds(res) {
    var v = res.headers.get('Retry-After');
    if (v === null) return null;
    var n = parseInt(v, 10);
    if (!isNaN(n) && String(n) === v.trim()) return Math.max(0, n);
    var t = Date.parse(v);
    return isNaN(t) ? null : Math.max(0, Math.round((t - Date.now()) / 1000));
  }

  // One request; resolves to the parsed body (null for 204), rejects with ApiError.
  function send(method, path, body) {
    var init = {
      method: method,
      credentials: 'same-origin',
      cache: 'no-store',
      headers: { 'Accept': 'application/json' }
    };
    if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    return fetch(API + path, init).then(function (res) {
      return res.text().then(function (text) {
        var data = null;
        if (text) {
          try { data = JSON.parse(text, dropTokens); } catch (e) { data = null; }
        }
        if (!res.ok) throw new ApiError(res.status, data, retryAfterSeconds(res), false);
        return data;
      });
    }, function () {
      throw new ApiError(0, null, null, true);
    });
  }

  function isAuthFailure(e) {
    return e instanceof ApiError && e.status === 401 && e.code !== 'INVALID_API_KEY';
  }

  // An authenticated request: on 401, refresh once and retry once.
  function api(method, path, body) {
    return send(method, path, body).catch(function (e) {
      if (!isAuthFailure(e) || !state.signedIn) throw e;
      return refreshSession().then(function (ok) {
        if (!ok) { sessionEnded(); throw new SessionEnded(); }
        return send(method, path, body).catch(function (e2) {
          if (isAuthFailure(e2)) { sessionEnded(); throw new SessionEnded(); }
          throw e2;
        });
      });
    });
  }

  // --------------------------------------------------------------- session

  // Resolves true when a new access token was issued, false when the refresh
  // token is missing, expired or revoked (401); rejects on other failures.
  function refreshSession() {
    if (!state.refreshing) {
      state.refreshing = send('POST', '/auth/refresh', {}).then(function (data) {
        state.refreshing = null;
        scheduleRefresh(data && data.expires_in);
        return true;
      }, function (e) {
        state.refreshing = null;
        if (e instanceof ApiError && e.status === 401) return false;
        throw e;
      });
    }
    return state.refreshing;
  }

  function scheduleRefresh(expiresIn) {
    clearTimeout(state.refreshTimer);
    var seconds = typeof expiresIn === 'number' && expiresIn > 0 ? expiresIn : 3600;
    var life = seconds * 1000;
    var delay = Math.max(1000, life - Math.min(REFRESH_MARGIN_MAX_MS, life * REFRESH_MARGIN_RATIO));
    delay = Math.min(delay, 0x7fffffff);
    state.refreshDueAt = Date.now() + delay;
    state.refreshTimer = setTimeout(proactiveRefresh, delay);
  }

  function proactiveRefresh() {
    clearTimeout(state.refreshTimer);
    if (!state.signedIn) return;
    refreshSession().then(function (ok) {
      if (!ok) sessionEnded();
    }, function (e) {
      showError($('app-error'), describe(e) + ' The page will try to stay signed in.');
      state.refreshDueAt = Date.now() + RETRY_REFRESH_MS;
      state.refreshTimer = setTimeout(proactiveRefresh, RETRY_REFRESH_MS);
    });
  }

  // Timers of hidden tabs are throttled: catch up when the page is shown again.
  document.addEventListener('visibilitychange', function () {
    if (document.visibilityState === 'visible' && state.signedIn &&
        Date.now() >= state.refreshDueAt) {
      proactiveRefresh();
    }
  });

  function forgetSession() {
    clearTimeout(state.refreshTimer);
    clearTimeout(statusTimer);
    $('status').textContent = '';
    state.signedIn = false;
    state.user = null;
    state.permissions = [];
    state.refreshDueAt = 0;
    clearNewKey();
    $('incidents-body').textContent = '';
    $('keys-body').textContent = '';
    $('key-perms-list').textContent = '';
    $('key-form').reset();
    var dlg = $('revoke-dialog');
    if (dlg.open) dlg.close('cancel');
  }

  function sessionEnded() {
    if (!state.signedIn) return;
    forgetSession();
    showSignIn('Your session has ended. Please sign in again.');
  }

  // ------------------------------------------------------------- messages

  function plural(n, word) { return n + ' ' + word + (n === 1 ? '' : 's'); }

  function waitWords(seconds) {
    if (seconds === null || seconds === undefined) return null;
    if (seconds < 60) return plural(Math.max(1, seconds), 'second');
    return plural(Math.ceil(seconds / 60), 'minute');
  }

  function fieldWords(errors) {
    if (!Array.isArray(errors) || !errors.length) return [];
    return errors.map(function (fe) {
      var label = FIELD_LABELS[fe.field] || 'A value';
      var msg = typeof fe.message === 'string' && fe.message ? fe.message : 'is not valid';
      return label + ' ' + msg.replace(/\.$/, '') + '.';
    });
  }

  // Words for an error; never the raw code.
  function describe(e) {
    if (e instanceof ApiError) {
      if (e.network) {
        return 'Cannot reach the Overwatch service. Check your connection and try again.';
      }
      var wait = waitWords(e.retryAfter);
      switch (e.code) {
        case 'INVALID_CREDENTIALS':
          return 'Wrong email or password.';
        case 'ACCOUNT_LOCKED':
          return 'Too many failed attempts. ' +
            (e.retryAfter !== null
              ? 'Try again in ' + plural(Math.max(1, Math.ceil(e.retryAfter / 60)), 'minute') + '.'
              : 'Try again later.');
        case 'RATE_LIMITED':
          return 'Too many attempts from this network. ' +
            (wait ? 'Wait ' + wait + ' and try again.' : 'Wait a moment and try again.');
        case 'INSUFFICIENT_PERMISSIONS':
          return 'You do not have permission to do that.';
        case 'VALIDATION_ERROR':
          var words = fieldWords(e.body && e.body.errors);
          return words.length ? words.join(' ') : 'Some of the information entered is not valid.';
        case 'SERVICE_UNAVAILABLE':
          return 'The service is temporarily unavailable. ' +
            (wait ? 'Try again in ' + wait + '.' : 'Try again shortly.');
        case 'INVALID_TOKEN':
          return 'Your session has ended. Please sign in again.';
        case 'INVALID_API_KEY':
          return 'The API key was refused.';
        case 'CSRF_REJECTED':
          return 'The request was refused because it did not come from this page. Reload the page and try again.';
        case 'HTTPS_REQUIRED':
          return 'This service must be used over a secure (HTTPS) connection.';
        case 'NOT_FOUND':
          return 'That item no longer exists.';
        case 'CONFLICT':
          return 'That conflicts with existing data.';
        case 'PAYLOAD_TOO_LARGE':
          return 'What you entered is too large.';
        case 'INTERNAL_ERROR':
          return 'Something went wrong on the server. Try again later.';
        default:
          break;
      }
      if (e.status === 502 || e.status === 503 || e.status === 504) {
        return 'The service is temporarily unavailable. ' +
          (wait ? 'Try again in ' + wait + '.' : 'Try again shortly.');
      }
      if (e.status >= 500) return 'Something went wrong on the server. Try again later.';
      return 'The request could not be completed.';
    }
    return 'Something went wrong in this page. Reload it and try again.';
  }

  var statusTimer = 0;
  function announce(text) {
    var el = $('status');
    clearTimeout(statusTimer);
    // Cleared first so the same words are announced again.
    el.textContent = '';
    statusTimer = setTimeout(function () { el.textContent = text; }, 50);
  }

  function showError(box, text, items) {
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

  function clearError(box) { box.textContent = ''; box.hidden = true; }

  // Field errors next to their inputs (aria-invalid, aria-describedby).
  function setFieldError(form, field, text) {
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

  function clearFieldErrors(form) {
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

  function focusFirstInvalid(form) {
    var el = form.querySelector('[aria-invalid="true"]');
    if (!el) return;
    if (el.tagName === 'FIELDSET') el = el.querySelector('input') || el;
    el.focus();
  }

  // Shows an API error in a form: field messages beside the fields, words in the box.
  function formError(form, box, e) {
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

  // ---------------------------------------------------------------- format

  var dateFormat = null;
  try {
    dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
  } catch (e) { dateFormat = null; }

  function timeEl(iso, empty) {
    if (!iso) {
      var span = document.createElement('span');
      span.textContent = empty;
      return span;
    }
    var t = document.createElement('time');
    t.dateTime = iso;
    t.title = iso;
    var d = new Date(iso);
    t.textContent = isNaN(d.getTime()) ? iso : (dateFormat ? dateFormat.format(d) : d.toLocaleString());
    return t;
  }

  function cell(label, content, cls) {
    var td = document.createElement('td');
    td.setAttribute('role', 'cell');
    td.setAttribute('data-label', label);
    if (cls) td.className = cls;
    if (content instanceof Node) td.appendChild(content);
    else td.textContent = content === null || content === undefined ? '' : String(content);
    return td;
  }

  function badge(text, cls) {
    var s = document.createElement('span');
    s.className = 'badge ' + cls;
    s.textContent = text;
    return s;
  }

  function capital(s) { return s ? s.charAt(0).toUpperCase() + s.slice(1) : s; }

  function has(perm) { return state.permissions.indexOf(perm) >= 0; }

  // datetime-local value ("2026-03-01T14:30") as local time -> RFC 3339 UTC with Z.
  function localToRfc3339(value) {
    var d = new Date(value);
    if (isNaN(d.getTime())) return null;
    return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
  }

  function localInputValue(d) {
    function p(n) { return (n < 10 ? '0' : '') + n; }
    return d.getFullYear() + '-' + p(d.getMonth() + 1) + '-' + p(d.getDate()) +
      'T' + p(d.getHours()) + ':' + p(d.getMinutes());
  }

  // ----------------------------------------------------------------- views

  function showSignIn(message) {
    $('loading').hidden = true;
    $('app-view').hidden = true;
    $('whoami').hidden = true;
    $('signin-view').hidden = false;
    var box = $('signin-error');
    if (message) showError(box, message); else clearError(box);
    document.title = 'Sign in · Overwatch console';
    var email = $('signin-email');
    if (message) $('signin-heading').focus();
    else email.focus();
  }

  function enterApp() {
    return api('GET', '/auth/me').then(function (me) {
      if (!me || me.type !== 'user' || !me.user) throw new ApiError(401, null, null, false);
      state.user = me.user;
      state.permissions = Array.isArray(me.permissions) ? me.permissions : [];
      state.signedIn = true;
      $('who-name').textContent = me.user.name || me.user.email;
      $('who-email').textContent = me.user.email;
      $('who-role').textContent = me.user.role;
      $('whoami').hidden = false;
      $('loading').hidden = true;
      $('signin-view').hidden = true;
      clearError($('app-error'));
      $('app-view').hidden = false;
      document.title = 'Overwatch console';
      renderPermissionChoices();
      var jobs = [loadIncidents(), loadKeys()];
      return Promise.all(jobs);
    });
  }

  // ------------------------------------------------------------- sign-in

  function onSignIn(ev) {
    ev.preventDefault();
    var form = $('signin-form');
    var box = $('signin-error');
    var emailEl = $('signin-email');
    var passEl = $('signin-password');
    clearFieldErrors(form);
    clearError(box);
    var email = emailEl.value.trim();
    var password = passEl.value;
    var missing = [];
    if (!email) { setFieldError(form, 'email', 'Enter your email address.'); missing.push('email'); }
    if (!password) { setFieldError(form, 'password', 'Enter your password.'); missing.push('password'); }
    if (missing.length) { focusFirstInvalid(form); return; }

    var button = $('signin-submit');
    button.disabled = true;
    form.setAttribute('aria-busy', 'true');
    announce('Signing in…');
    send('POST', '/auth/login', { email: email, password: password }).then(function (data) {
      passEl.value = '';
      scheduleRefresh(data && data.expires_in);
      state.signedIn = true;          // the 401 retry applies from here on
      return enterApp().then(function () {
        announce('Signed in as ' + (state.user.name || state.user.email) + '.');
        $('main').focus();
      });
    }).catch(function (e) {
      if (e instanceof SessionEnded) return;
      state.signedIn = false;
      clearTimeout(state.refreshTimer);
      announce('');
      if (e instanceof ApiError && e.code === 'INVALID_CREDENTIALS') {
        passEl.value = '';
        passEl.focus();
      }
      formError(form, box, e);
    }).then(function () {
      button.disabled = false;
      form.removeAttribute('aria-busy');
    });
  }

  function onSignOut() {
    var button = $('signout');
    button.disabled = true;
    api('POST', '/auth/logout', {}).then(function () {
      forgetSession();
      showSignIn();
      announce('You have signed out.');
    }, function (e) {
      if (e instanceof SessionEnded) return;
      if (isAuthFailure(e)) {            // already gone: nothing left to end
        forgetSession();
        showSignIn();
        announce('You have signed out.');
        return;
      }
      showError($('app-error'), 'Could not sign out. ' + describe(e));
    }).then(function () { button.disabled = false; });
  }

  // ------------------------------------------------------------ incidents

  function loadIncidents() {
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
      list.forEach(function (inc) {
        var tr = document.createElement('tr');
        tr.setAttribute('role', 'row');
        tr.appendChild(cell('Title', inc.title));
        tr.appendChild(cell('Severity', badge(capital(inc.severity), 'sev-' + inc.severity)));
        tr.appendChild(cell('Status', badge(capital(inc.status), 'st-' + inc.status)));
        tr.appendChild(cell('Created', timeEl(inc.created_at, '')));
        body.appendChild(tr);
      });
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

  // -------------------------------------------------------------- API keys

  function renderPermissionChoices() {
    var list = $('key-perms-list');
    list.textContent = '';
    var canCreate = has('api_keys:create');
    $('key-form').hidden = !canCreate;
    $('key-create-denied').hidden = canCreate;
    if (!canCreate) return;
    var min = localInputValue(new Date(Date.now() + 60 * 1000));
    $('key-expiry').min = min;
    state.permissions.forEach(function (perm, i) {
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
      list.appendChild(label);
    });
  }

  function loadKeys() {
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
      list.forEach(function (k) {
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
        var exp = timeEl(k.expires_at, 'Never');
        if (k.expires_at && Date.parse(k.expires_at) <= now) {
          var wrap = document.createElement('span');
          wrap.className = 'expired';
          wrap.appendChild(document.createTextNode('Expired '));
          wrap.appendChild(exp);
          exp = wrap;
        }
        tr.appendChild(cell('Expires', exp));
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
        body.appendChild(tr);
      });
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
    var expiryValue = $('key-expiry').value;
    var expiresAt = null;
    var problems = [];
    if (!name) {
      setFieldError(form, 'name', 'Enter a name for the key.');
      problems.push('Enter a name for the key.');
    } else if (name.length > 100) {
      setFieldError(form, 'name', 'The name is too long (at most 100 characters).');
      problems.push('The name is too long (at most 100 characters).');
    }
    if (!perms.length) {
      setFieldError(form, 'permissions', 'Choose at least one permission.');
      problems.push('Choose at least one permission.');
    }
    if (expiryValue) {
      expiresAt = localToRfc3339(expiryValue);
      if (!expiresAt) {
        setFieldError(form, 'expires_at', 'Enter a valid date and time.');
        problems.push('Enter a valid date and time for the expiry.');
      } else if (Date.parse(expiresAt) <= Date.now()) {
        setFieldError(form, 'expires_at', 'Choose a time in the future.');
        problems.push('Choose an expiry time in the future.');
      }
    } else if ($('key-expiry').validity && $('key-expiry').validity.badInput) {
      setFieldError(form, 'expires_at', 'Enter a complete date and time, or leave it empty.');
      problems.push('Enter a complete expiry date and time, or leave it empty.');
    }
    if (problems.length) {
      showError(box, 'Please correct the following:', problems);
      focusFirstInvalid(form);
      return;
    }

    var body = { name: name, permissions: perms };
    if (expiresAt) body.expires_at = expiresAt;
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
    var input = $('new-key-value');
    var out = $('new-key-copied');
    var value = input.value;
    function fallback() {
      input.focus();
      input.select();
      input.setSelectionRange(0, value.length);
      var ok = false;
      try { ok = document.execCommand('copy'); } catch (e) { ok = false; }
      out.textContent = ok ? 'Copied to the clipboard.'
        : 'Could not copy automatically. The key is selected: press Ctrl+C (⌘C on a Mac) to copy it.';
    }
    if (navigator.clipboard && window.isSecureContext && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(value).then(function () {
        out.textContent = 'Copied to the clipboard.';
      }, fallback);
    } else {
      fallback();
    }
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

  // ------------------------------------------------------------------ boot

  function boot() {
    $('signin-form').addEventListener('submit', onSignIn);
    $('signout').addEventListener('click', onSignOut);
    $('incidents-reload').addEventListener('click', function () {
      loadIncidents().then(function () {
        if (state.signedIn) announce('Incidents reloaded.');
      });
    });
    $('keys-reload').addEventListener('click', function () {
      loadKeys().then(function () {
        if (state.signedIn) announce('API keys reloaded.');
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

    // Already signed in (cookies from an earlier visit)? A refresh tells,
    // and gives the access token's lifetime to schedule the next one.
    refreshSession().then(function (ok) {
      if (!ok) { showSignIn(); return; }
      state.signedIn = true;
      return enterApp().catch(function (e) {
        if (e instanceof SessionEnded) return;
        forgetSession();
        showSignIn();
        showError($('signin-error'), describe(e));
      });
    }, function (e) {
      showSignIn();
      showError($('signin-error'), describe(e));
    });
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', boot);
  } else {
    boot();
  }
}());

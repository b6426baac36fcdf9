/* The console's only door to the API: fetch with cookies, silent refresh,
 * and errors in words.
 *
 * The session lives in the httpOnly cookies the API sets at login
 * (access_token, Path=/; refresh_token, Path=/api/v1/auth). This module never
 * reads, keeps or shows a token: the token members of the login and refresh
 * bodies are dropped while parsing, and only expires_in is used, to refresh
 * the access token before it expires (the seed's recommended pattern; the
 * margin is 5 minutes, or a fifth of the lifetime when that is shorter). A
 * request answered 401 is retried once after a refresh; when the refresh
 * itself is refused the session ends (session.onEnded, set by nav.js).
 * A 401 REAUTHENTICATION_REQUIRED (step-up, doc/api.md section 3) is not a
 * failure of the session: session.onStepUp (step-up.js) asks the user to
 * prove who they are, and the request is retried once when they did.
 */

var API = '/api/v1';
var REFRESH_MARGIN_MAX_MS = 5 * 60 * 1000;   // refresh 5 minutes before expiry...
var REFRESH_MARGIN_RATIO = 0.2;              // ...or at 80% of a shorter lifetime
var RETRY_REFRESH_MS = 30 * 1000;            // after a transient refresh failure

var FIELD_LABELS = {
  email: 'Email', password: 'Password', name: 'Name', role: 'Role',
  permissions: 'Permissions', expires_at: 'Expiry date', limit: 'Limit', offset: 'Offset',
  title: 'Title', severity: 'Severity', description: 'Description', status: 'Status',
  current_password: 'Current password', new_password: 'New password',
  issuer: 'Issuer', client_id: 'Client ID', client_secret: 'Client secret',
  allowed_domains: 'Allowed domains', default_role: 'Default role',
  overlap_seconds: 'Overlap', code: 'Code', recovery_code: 'Recovery code'
};

// The signed-in user as /auth/me describes them; reset by nav.js.
export var session = {
  signedIn: false,
  user: null,
  organization: null,
  permissions: [],
  mfaEnabled: false,                     // GET /auth/me: a confirmed second factor
  refreshTimer: 0,
  refreshDueAt: 0,
  refreshing: null,
  onEnded: function () {},               // the refresh was refused: back to sign-in
  // A recent proof is asked for: resolves true once the user proved it
  // (POST /auth/reauthenticate), false when they declined.
  onStepUp: function () { return Promise.resolve(false); },
  onRefreshTrouble: function () {}       // a refresh failed for another reason (words)
};

export function has(perm) { return session.permissions.indexOf(perm) >= 0; }

export function ApiError(status, body, retryAfter, network) {
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
export function SessionEnded() { this.name = 'SessionEnded'; this.message = 'session ended'; }
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
export function send(method, path, body) {
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
  return fetch(API + path, init).then(answerOf, networkError);
}

// The relation of the Link header with which a signed-out single sign-on
// session's 204 names the provider's end-session URL (RP-initiated logout).
var END_SESSION_REL = 'https://openid.net/specs/openid-connect-rpinitiated-1_0.html';

function endSessionOf(res) {
  var links = (res.headers.get('Link') || '').split(/,\s*(?=<)/);
  for (var i = 0; i < links.length; i++) {
    var m = /^<([^>]*)>\s*;\s*rel="([^"]*)"$/.exec(links[i].trim());
    if (m && m[2] === END_SESSION_REL && /^https?:\/\//.test(m[1])) return m[1];
  }
  return null;
}

// The parsed body of an answer: null for none, except that a 204 naming the
// provider's end-session URL gives {endSession}; rejects with ApiError when
// it is a refusal.
function answerOf(res) {
  if (res.status === 204) {
    var to = endSessionOf(res);
    return Promise.resolve(to ? { endSession: to } : null);
  }
  return res.text().then(function (text) {
    var data = null;
    if (text) {
      try { data = JSON.parse(text, dropTokens); } catch (e) { data = null; }
    }
    if (!res.ok) throw new ApiError(res.status, data, retryAfterSeconds(res), false);
    return data;
  });
}

function networkError() { throw new ApiError(0, null, null, true); }

// Whether a GET of url (a path of this site) answers with a redirect, which is
// not followed: the SSO start URL is asked so before the browser goes there.
// Resolves true, false for an answer that is no redirect; rejects with ApiError
// for a refusal.
export function redirects(url) {
  return fetch(url, {
    redirect: 'manual',
    credentials: 'same-origin',
    cache: 'no-store',
    headers: { 'Accept': 'application/json' }
  }).then(function (res) {
    if (res.type === 'opaqueredirect') return true;
    return answerOf(res).then(function () { return false; });
  }, networkError);
}

// A 401 that a refresh may cure; an API key's refusal and step-up are not.
export function isAuthFailure(e) {
  return e instanceof ApiError && e.status === 401 && e.code !== 'INVALID_API_KEY' &&
    e.code !== 'REAUTHENTICATION_REQUIRED';
}

function isStepUp(e) { return e instanceof ApiError && e.code === 'REAUTHENTICATION_REQUIRED'; }

function ended() {
  session.onEnded();
  return new SessionEnded();
}

// An authenticated request: on 401 REAUTHENTICATION_REQUIRED, the user proves
// who they are and it is retried once; declined, the ApiError is the caller's
// to show in words.
export function api(method, path, body) {
  return refreshed(method, path, body).catch(function (e) {
    if (!isStepUp(e) || !session.signedIn) throw e;
    return session.onStepUp().then(function (proved) {
      if (!proved) throw e;
      return refreshed(method, path, body);
    });
  });
}

// On 401, refresh once and retry once.
function refreshed(method, path, body) {
  return send(method, path, body).catch(function (e) {
    if (!isAuthFailure(e) || !session.signedIn) throw e;
    return refreshSession().then(function (ok) {
      if (!ok) throw ended();
      return send(method, path, body).catch(function (e2) {
        if (isAuthFailure(e2)) throw ended();
        throw e2;
      });
    });
  });
}

// A query string from an object; empty and null values are left out.
export function query(params) {
  var parts = [];
  Object.keys(params).forEach(function (k) {
    var v = params[k];
    if (v === null || v === undefined || v === '') return;
    parts.push(encodeURIComponent(k) + '=' + encodeURIComponent(v));
  });
  return parts.length ? '?' + parts.join('&') : '';
}

// Resolves true when a new access token was issued, false when the refresh
// token is missing, expired or revoked (401); rejects on other failures.
export function refreshSession() {
  if (!session.refreshing) {
    session.refreshing = send('POST', '/auth/refresh', {}).then(function (data) {
      session.refreshing = null;
      scheduleRefresh(data && data.expires_in);
      return true;
    }, function (e) {
      session.refreshing = null;
      if (e instanceof ApiError && e.status === 401) return false;
      throw e;
    });
  }
  return session.refreshing;
}

export function scheduleRefresh(expiresIn) {
  clearTimeout(session.refreshTimer);
  var seconds = typeof expiresIn === 'number' && expiresIn > 0 ? expiresIn : 3600;
  var life = seconds * 1000;
  var delay = Math.max(1000, life - Math.min(REFRESH_MARGIN_MAX_MS, life * REFRESH_MARGIN_RATIO));
  delay = Math.min(delay, 0x7fffffff);
  session.refreshDueAt = Date.now() + delay;
  session.refreshTimer = setTimeout(proactiveRefresh, delay);
}

export function stopRefresh() {
  clearTimeout(session.refreshTimer);
  session.refreshDueAt = 0;
}

function proactiveRefresh() {
  clearTimeout(session.refreshTimer);
  if (!session.signedIn) return;
  refreshSession().then(function (ok) {
    if (!ok && session.signedIn) session.onEnded();
  }, function (e) {
    session.onRefreshTrouble(describe(e) + ' The page will try to stay signed in.');
    session.refreshDueAt = Date.now() + RETRY_REFRESH_MS;
    session.refreshTimer = setTimeout(proactiveRefresh, RETRY_REFRESH_MS);
  });
}

// Timers of hidden tabs are throttled: catch up when the page is shown again.
document.addEventListener('visibilitychange', function () {
  if (document.visibilityState === 'visible' && session.signedIn &&
      Date.now() >= session.refreshDueAt) {
    proactiveRefresh();
  }
});

// ------------------------------------------------------------ errors in words

export function waitWords(seconds) {
  if (seconds === null || seconds === undefined) return null;
  if (seconds < 60) return plural(Math.max(1, seconds), 'second');
  return plural(Math.ceil(seconds / 60), 'minute');
}

function plural(n, word) { return n + ' ' + word + (n === 1 ? '' : 's'); }

export function fieldWords(errors) {
  if (!Array.isArray(errors) || !errors.length) return [];
  return errors.map(function (fe) {
    var label = FIELD_LABELS[fe.field] || 'A value';
    var msg = typeof fe.message === 'string' && fe.message ? fe.message : 'is not valid';
    return label + ' ' + msg.replace(/\.$/, '') + '.';
  });
}

var WORDS = {
  INVALID_CREDENTIALS: 'Wrong email or password.',
  INSUFFICIENT_PERMISSIONS: 'You do not have permission to do that.',
  INVALID_TOKEN: 'Your session has ended. Please sign in again.',
  INVALID_API_KEY: 'The API key was refused.',
  REAUTHENTICATION_REQUIRED: 'Not done: this change needs you to confirm who you are, and that was cancelled.',
  CSRF_REJECTED: 'The request was refused because it did not come from this page. Reload the page and try again.',
  HTTPS_REQUIRED: 'This service must be used over a secure (HTTPS) connection.',
  NOT_FOUND: 'That item no longer exists.',
  CONFLICT: 'That conflicts with existing data.',
  PAYLOAD_TOO_LARGE: 'What you entered is too large.',
  INTERNAL_ERROR: 'Something went wrong on the server. Try again later.'
};

function unavailable(wait) {
  return 'The service is temporarily unavailable. ' +
    (wait ? 'Try again in ' + wait + '.' : 'Try again shortly.');
}

// Words for an error; never the raw code.
export function describe(e) {
  if (!(e instanceof ApiError)) return 'Something went wrong in this page. Reload it and try again.';
  if (e.network) return 'Cannot reach the Overwatch service. Check your connection and try again.';
  var wait = waitWords(e.retryAfter);
  switch (e.code) {
    case 'ACCOUNT_LOCKED':
      return 'Too many failed attempts. ' +
        (e.retryAfter !== null
          ? 'Try again in ' + plural(Math.max(1, Math.ceil(e.retryAfter / 60)), 'minute') + '.'
          : 'Try again later.');
    case 'RATE_LIMITED':
      return 'Too many attempts from this network. ' +
        (wait ? 'Wait ' + wait + ' and try again.' : 'Wait a moment and try again.');
    case 'VALIDATION_ERROR':
      var words = fieldWords(e.body && e.body.errors);
      return words.length ? words.join(' ') : 'Some of the information entered is not valid.';
    case 'SERVICE_UNAVAILABLE':
      return unavailable(wait);
    default:
      if (e.code && WORDS[e.code]) return WORDS[e.code];
  }
  if (e.status === 502 || e.status === 503 || e.status === 504) return unavailable(wait);
  if (e.status >= 500) return WORDS.INTERNAL_ERROR;
  return 'The request could not be completed.';
}

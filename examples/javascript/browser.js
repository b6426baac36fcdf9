// browser.js -- the browser flavour: a page served by the same site as the
// API, signed in by cookies only. The service sets the access token and the
// refresh token as HttpOnly cookies at login; this script never sees, keeps
// or sends a token itself (no localStorage, no Authorization header).
//
// Rules it follows (doc/api.md sections 3 and 4):
// - `credentials: "same-origin"` (or "include" from another origin listed in
//   the service's [service] allowed_origins) so the cookies travel;
// - unsafe requests (POST, PUT, PATCH, DELETE) authenticated by cookie must
//   come from the API's own origin or an allowed one: the browser's Origin
//   header proves it, nothing to add by hand (a foreign page gets 403
//   CSRF_REJECTED);
// - the cookie's expiry cannot be read by script, so the refresh is
//   scheduled from `expires_in` of the login and refresh answers, 5 minutes
//   before it runs out (or halfway for short tokens); a 401 gets one
//   refresh and one retry; a refused refresh means: back to the sign-in form.
// The project's console (www/js/api.js and the pages beside it) is built this way.

const API = "/api/v1";
const MARGIN_S = 300;
let refreshTimer = 0;

async function send(method, path, body) {
  const init = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers["Content-Type"] = "application/json";
  }
  const resp = await fetch(API + path, init);
  const text = await resp.text();
  // Drop the token members of login and refresh answers: the cookies carry them.
  const data = text ? JSON.parse(text, (k, v) => (k.endsWith("_token") ? undefined : v)) : null;
  return { status: resp.status, data };
}

function scheduleRefresh(expiresIn) {
  clearTimeout(refreshTimer);
  const lead = Math.min(MARGIN_S, expiresIn / 2);
  refreshTimer = setTimeout(refresh, (expiresIn - lead) * 1000);
}

async function refresh() {
  const r = await send("POST", "/auth/refresh", {}); // the refresh cookie is the credential
  if (r.status !== 200) {
    showSignIn(); // step 4: the refresh token is expired or revoked
    return false;
  }
  scheduleRefresh(r.data.expires_in);
  return true;
}

export async function signIn(email, password) {
  const r = await send("POST", "/auth/login", { email, password });
  if (r.status !== 200) throw new Error(r.data?.detail ?? `sign-in failed (${r.status})`);
  scheduleRefresh(r.data.expires_in);
  return r.data.user;
}

export async function api(method, path, body) {
  let r = await send(method, path, body);
  if (r.status === 401 && (await refresh())) r = await send(method, path, body);
  if (r.status >= 400) throw new Error(r.data?.detail ?? `request failed (${r.status})`);
  return r.data;
}

export async function signOut() {
  clearTimeout(refreshTimer);
  await send("POST", "/auth/logout", {}); // ends the session and clears both cookies
  showSignIn();
}

function showSignIn() {
  document.dispatchEvent(new CustomEvent("overwatch:signed-out"));
}

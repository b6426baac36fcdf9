// overwatch-client.mjs -- a small Overwatch API client for Node.js 18 or later
// (its built-in fetch; no npm packages).
//
// It follows the refresh pattern of doc/api.md section 3 (JSON Web Tokens): keep
// both tokens after login; before each call, refresh when the access token's
// `exp` falls within the margin (5 minutes by default); when the refresh
// token is expired or revoked, sign in again (an interactive program would
// send its user to the login page). A call answered 401 (the session was
// ended elsewhere) gets one refresh, else one new sign-in, then one retry.
//
// The token's payload is read only for `exp`; the service verifies the
// signature on every call.

import { writeFileSync } from "node:fs";

export class ApiError extends Error {
  constructor(status, body) {
    const b = body && typeof body === "object" ? body : {};
    super(`${status} ${b.code ?? "?"}: ${b.detail ?? body}`);
    this.status = status;
    this.body = b;
  }
}

export class LoginRequired extends Error {}

export function tokenExpiry(token) {
  const payload = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
  return JSON.parse(Buffer.from(payload, "base64").toString("utf8")).exp;
}

async function send(baseUrl, method, path, body, headers = {}) {
  const init = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers["Content-Type"] = "application/json";
  }
  const resp = await fetch(baseUrl + path, init);
  const text = await resp.text();
  let parsed = null;
  if (text) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = text;
    }
  }
  return { status: resp.status, body: parsed };
}

export class Client {
  constructor(baseUrl, { refreshMargin = 300, onEvent = () => {}, tokenFile = null } = {}) {
    this.baseUrl = baseUrl.replace(/\/+$/, "");
    this.refreshMargin = refreshMargin;
    this.onEvent = onEvent;
    this.tokenFile = tokenFile;
    this.accessToken = this.refreshToken = null;
    this.credentials = null;
  }

  keep(answer) {
    this.accessToken = answer.access_token;
    this.refreshToken = answer.refresh_token ?? this.refreshToken;
    if (this.tokenFile) {
      // Tokens are credentials: readable by this user only.
      writeFileSync(this.tokenFile, JSON.stringify({ access_token: this.accessToken,
        refresh_token: this.refreshToken }), { mode: 0o600 });
    }
  }

  async login(email, password) {
    const r = await send(this.baseUrl, "POST", "/auth/login", { email, password });
    if (r.status !== 200) throw new ApiError(r.status, r.body);
    this.credentials = { email, password };
    this.keep(r.body);
    this.onEvent("login", { expires_in: r.body.expires_in });
    return r.body.user;
  }

  // Step 3; false when the refresh token is expired or revoked (step 4).
  async refresh() {
    const r = await send(this.baseUrl, "POST", "/auth/refresh", { refresh_token: this.refreshToken });
    if (r.status === 401) {
      this.onEvent("refresh_refused", { detail: r.body?.detail ?? null });
      return false;
    }
    if (r.status !== 200) throw new ApiError(r.status, r.body);
    this.keep(r.body);
    this.onEvent("refresh", { expires_in: r.body.expires_in });
    return true;
  }

  async signInAgain() {
    if (!this.credentials) throw new LoginRequired();
    this.onEvent("relogin", {});
    await this.login(this.credentials.email, this.credentials.password);
  }

  // Steps 2 to 4, before a call.
  async freshToken() {
    if (tokenExpiry(this.accessToken) - Date.now() / 1000 <= this.refreshMargin) {
      if (!(await this.refresh())) await this.signInAgain();
    }
    return this.accessToken;
  }

  async call(method, path, body) {
    const auth = () => ({ Authorization: `Bearer ${this.accessToken}` });
    await this.freshToken();
    let r = await send(this.baseUrl, method, path, body, auth());
    if (r.status === 401) {
      // Ended elsewhere (a logout, a password change): refresh, else sign in.
      if (!(await this.refresh())) await this.signInAgain();
      r = await send(this.baseUrl, method, path, body, auth());
    }
    this.onEvent("call", { method, path, status: r.status });
    if (r.status >= 400) throw new ApiError(r.status, r.body);
    return r.body;
  }

  async logout() {
    const r = await send(this.baseUrl, "POST", "/auth/logout", undefined,
      { Authorization: `Bearer ${this.accessToken}` });
    this.onEvent("logout", { status: r.status });
    if (r.status !== 204) throw new ApiError(r.status, r.body);
    this.accessToken = this.refreshToken = null;
  }
}

// Calls the API with an API key (X-API-Key): no login, no refresh.
export class KeyClient {
  constructor(baseUrl, apiKey) {
    this.baseUrl = baseUrl.replace(/\/+$/, "");
    this.apiKey = apiKey;
  }

  async call(method, path, body) {
    const r = await send(this.baseUrl, method, path, body, { "X-API-Key": this.apiKey });
    if (r.status >= 400) throw new ApiError(r.status, r.body);
    return r.body;
  }
}

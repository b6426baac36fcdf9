"""A small Overwatch API client for Python 3, standard library only.

It follows the refresh pattern of doc/api.md section 3 (JSON Web Tokens):
  1. after login, keep the access token and the refresh token;
  2. before each call, check whether the access token's `exp` falls within
     the refresh margin (5 minutes by default);
  3. if it does, call /auth/refresh first, keep the new access token, then
     make the call;
  4. if the refresh token itself is expired or revoked, sign in again (an
     interactive program would send its user to the login page here).
A call answered 401 (the session was ended elsewhere) gets one refresh and,
failing that, one new sign-in before it is retried.

The token's payload is read only for `exp`: the client cannot and need not
verify the signature, the service does that on every call.
"""

import base64
import json
import os
import time
import urllib.error
import urllib.request


class ApiError(Exception):
    """An error answer of the API: status, code and detail from its JSON body."""

    def __init__(self, status, body):
        self.status = status
        self.body = body if isinstance(body, dict) else {}
        super().__init__("%d %s: %s" % (status, self.body.get("code", "?"),
                                        self.body.get("detail", body)))


class LoginRequired(Exception):
    """The refresh token is dead and no password is at hand: sign in again."""


def token_expiry(token):
    """The `exp` claim (epoch seconds) of a JWT, read without verifying it."""
    payload = token.split(".")[1]
    payload += "=" * (-len(payload) % 4)
    return int(json.loads(base64.urlsafe_b64decode(payload))["exp"])


class Client:
    """Calls https://<instance>/api/v1 as one user, refreshing ahead of expiry."""

    def __init__(self, base_url, refresh_margin=300, on_event=None, token_file=None):
        self.base_url = base_url.rstrip("/")
        self.refresh_margin = refresh_margin
        self.on_event = on_event or (lambda event, **fields: None)
        self.token_file = token_file
        self.access_token = self.refresh_token = None
        self._credentials = None

    # -- HTTP ------------------------------------------------------------
    def _send(self, method, path, body=None, headers=None):
        data = None
        headers = dict(headers or {})
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        req = urllib.request.Request(self.base_url + path, data=data, method=method,
                                     headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                raw = resp.read()
                return resp.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as e:
            raw = e.read()
            try:
                parsed = json.loads(raw)
            except ValueError:
                parsed = raw.decode(errors="replace")
            return e.code, parsed

    # -- tokens ----------------------------------------------------------
    def _keep(self, answer):
        self.access_token = answer["access_token"]
        self.refresh_token = answer.get("refresh_token", self.refresh_token)
        if self.token_file:
            # Tokens are credentials: readable by this user only.
            fd = os.open(self.token_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as f:
                json.dump({"access_token": self.access_token,
                           "refresh_token": self.refresh_token}, f)

    def login(self, email, password):
        status, body = self._send("POST", "/auth/login", {"email": email, "password": password})
        if status != 200:
            raise ApiError(status, body)
        self._credentials = (email, password)
        self._keep(body)
        self.on_event("login", expires_in=body["expires_in"])
        return body["user"]

    def refresh(self):
        """Step 3; False when the refresh token is expired or revoked (step 4)."""
        status, body = self._send("POST", "/auth/refresh", {"refresh_token": self.refresh_token})
        if status == 401:
            self.on_event("refresh_refused", detail=body.get("detail") if body else None)
            return False
        if status != 200:
            raise ApiError(status, body)
        self._keep(body)
        self.on_event("refresh", expires_in=body["expires_in"])
        return True

    def _sign_in_again(self):
        if self._credentials is None:
            raise LoginRequired()
        self.on_event("relogin")
        self.login(*self._credentials)

    def _fresh_token(self):
        """Steps 2 to 4, before a call."""
        if token_expiry(self.access_token) - time.time() <= self.refresh_margin:
            if not self.refresh():
                self._sign_in_again()
        return self.access_token

    # -- API calls -------------------------------------------------------
    def call(self, method, path, body=None):
        """The answer's JSON body (None for 204); ApiError on an error answer."""
        status, answer = self._send(method, path, body,
                                    {"Authorization": "Bearer " + self._fresh_token()})
        if status == 401:
            # Ended elsewhere (a logout, a password change): refresh, else sign in.
            if not self.refresh():
                self._sign_in_again()
            status, answer = self._send(method, path, body,
                                        {"Authorization": "Bearer " + self.access_token})
        self.on_event("call", method=method, path=path, status=status)
        if status >= 400:
            raise ApiError(status, answer)
        return answer

    def logout(self):
        status, body = self._send("POST", "/auth/logout",
                                  headers={"Authorization": "Bearer " + self.access_token})
        self.on_event("logout", status=status)
        if status != 204:
            raise ApiError(status, body)
        self.access_token = self.refresh_token = None


class KeyClient:
    """Calls the API with an API key (X-API-Key): no login, no refresh."""

    def __init__(self, base_url, api_key):
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key

    def call(self, method, path, body=None):
        c = Client(self.base_url)
        status, answer = c._send(method, path, body, {"X-API-Key": self.api_key})
        if status >= 400:
            raise ApiError(status, answer)
        return answer

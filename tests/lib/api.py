"""Helpers shared by the API-level integration tests (test_apikeys, test_resources).

An Org is registered through POST /auth/register (its first user is the
admin); more users come from POST /users, keys from POST /api-keys. Every name
and email is unique, so tests never depend on each other's data.
Standard library only.
"""

import base64
import datetime
import json
import re
import secrets
import subprocess
import time

from . import checks
from .checks import expect

API = "/api/v1"
PASSWORD = "correct horse battery staple"

KEY_RE = re.compile(r"overwatch_ak_[0-9A-Za-z]{36}")
UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
TIME_RE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z")
HEX64_RE = re.compile(r"[0-9a-fA-F]{64}")

# doc/api.md section 5, in its order.
ALL_PERMS = (
    "incidents:read", "incidents:create", "incidents:update",
    "procedures:read", "procedures:create", "procedures:execute",
    "api_keys:read", "api_keys:create", "api_keys:delete",
    "users:read", "users:manage", "audit:read",
)
ROLE_PERMS = {
    "admin": set(ALL_PERMS),
    "engineer": {"incidents:read", "incidents:create", "incidents:update",
                 "procedures:read", "procedures:execute",
                 "api_keys:read", "api_keys:create", "api_keys:delete", "users:read"},
    "viewer": {"incidents:read", "procedures:read"},
}
# The seed's example key (seed/authentication.txt).
SEED_PERMS = ["incidents:read", "incidents:create", "procedures:execute"]

USER_FIELDS = {"id", "email", "name", "role", "organization_id", "active", "locked_until",
               "created_at"}


def unique(label="it"):
    return "%s-%s" % (label, secrets.token_hex(6))


def unique_email(label="user"):
    return "%s@example.com" % unique(label)


def random_uuid():
    h = secrets.token_hex(16)
    return "%s-%s-4%s-a%s-%s" % (h[:8], h[8:12], h[13:16], h[17:20], h[20:32])


def rfc3339(ts):
    return datetime.datetime.fromtimestamp(int(ts), datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%SZ")


def parse_time(text):
    expect(isinstance(text, str) and TIME_RE.fullmatch(text),
           "not an RFC 3339 UTC time with Z: %r" % (text,))
    return datetime.datetime.strptime(text[:19], "%Y-%m-%dT%H:%M:%S").replace(
        tzinfo=datetime.timezone.utc).timestamp()


def jwt_claims(token):
    payload = token.split(".")[1]
    payload += "=" * (-len(payload) % 4)
    return json.loads(base64.urlsafe_b64decode(payload))


def ok(resp, status, what):
    """resp must be exactly `status`; returns its JSON body (None for 204)."""
    expect(resp.status == status, "%s: expected HTTP %d" % (what, status), resp)
    checks.common_headers(resp)
    if status == 204:
        expect(resp.body == b"", "%s: a 204 has a body" % what, resp)
        return None
    ctype = resp.header("Content-Type", "")
    expect(ctype.split(";")[0].strip().lower() == "application/json",
           "%s: Content-Type is not application/json" % what, resp)
    body = resp.json
    expect(body is not None, "%s: body is not JSON" % what, resp)
    return body


def denied(resp, what):
    """403 INSUFFICIENT_PERMISSIONS."""
    try:
        return checks.error(resp, 403, "INSUFFICIENT_PERMISSIONS")
    except AssertionError as e:
        raise AssertionError("%s: %s" % (what, e)) from None


def not_found(resp, what):
    try:
        return checks.error(resp, 404, "NOT_FOUND")
    except AssertionError as e:
        raise AssertionError("%s: %s" % (what, e)) from None


def invalid_key(resp, what):
    """401 INVALID_API_KEY with WWW-Authenticate (doc/api.md section 2)."""
    return unauthorized(resp, "INVALID_API_KEY", what)


def unauthorized(resp, code, what):
    """A 401 of `code` with WWW-Authenticate (doc/api.md section 2)."""
    try:
        body = checks.error(resp, 401, code)
    except AssertionError as e:
        raise AssertionError("%s: %s" % (what, e)) from None
    expect(resp.header("WWW-Authenticate", "").startswith("Bearer"),
           "%s: a 401 without WWW-Authenticate: Bearer" % what, resp)
    return body


def validation_error(resp, field, what):
    """400 VALIDATION_ERROR whose errors array names `field`."""
    try:
        body = checks.error(resp, 400, "VALIDATION_ERROR")
    except AssertionError as e:
        raise AssertionError("%s: %s" % (what, e)) from None
    errors = body.get("errors")
    expect(isinstance(errors, list) and errors, "%s: no errors array" % what, resp)
    for e in errors:
        expect(isinstance(e, dict) and isinstance(e.get("field"), str)
               and isinstance(e.get("message"), str) and e["message"],
               "%s: an errors item is not {field, message}" % what, resp)
    fields = [e["field"] for e in errors]
    expect(field in fields, "%s: errors does not name %r (names %r)" % (what, field, fields), resp)
    return body


class Client:
    """Requests under /api/v1 with one credential (JWT or API key) and a User-Agent."""

    def __init__(self, fe, token=None, key=None, user_agent=None):
        self.fe = fe
        self.token = token
        self.key = key
        self.user_agent = user_agent

    def request(self, method, path, body=None, headers=None):
        h = {}
        if self.token:
            h["Authorization"] = "Bearer " + self.token
        if self.key is not None:
            h["X-API-Key"] = self.key
        if self.user_agent:
            h["User-Agent"] = self.user_agent
        if body is not None:
            h["Content-Type"] = "application/json"
            if not isinstance(body, (bytes, str)):
                body = json.dumps(body)
        h.update(headers or {})
        return self.fe.request(method, API + path, body=body, headers=h)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body=body, **kw)

    def patch(self, path, body=None, **kw):
        return self.request("PATCH", path, body=body, **kw)

    def put(self, path, body=None, **kw):
        return self.request("PUT", path, body=body, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)

    def list(self, path):
        body = ok(self.get(path), 200, "GET " + path)
        expect(isinstance(body, list), "GET %s is not a JSON array" % path)
        return body


class User:
    def __init__(self, fe, info, password, user_agent=None):
        self.fe = fe
        self.info = info
        self.id = info["id"]
        self.email = info["email"]
        self.role = info["role"]
        self.password = password
        self.user_agent = user_agent
        self.token = None
        self.refresh = None

    def login(self):
        r = login(self.fe, self.email, self.password, self.user_agent)
        body = ok(r, 200, "login of %s" % self.email)
        self.token = body["access_token"]
        self.refresh = body["refresh_token"]
        return self

    @property
    def sid(self):
        return jwt_claims(self.token)["sid"]

    @property
    def client(self):
        return Client(self.fe, token=self.token, user_agent=self.user_agent)


def login(fe, email, password, user_agent=None):
    h = {"User-Agent": user_agent} if user_agent else None
    return fe.post_json(API + "/auth/login", {"email": email, "password": password}, headers=h)


class Org:
    """A freshly registered organization with its admin logged in."""

    def __init__(self, fe, label="org", user_agent=None):
        self.fe = fe
        self.name = unique("IT " + label)
        self.user_agent = user_agent
        email = unique_email("admin")
        h = {"User-Agent": user_agent} if user_agent else None
        r = fe.post_json(API + "/auth/register", {
            "email": email, "password": PASSWORD, "name": "Admin of " + self.name,
            "organization_name": self.name}, headers=h)
        body = ok(r, 201, "register")
        self.id = body["organization"]["id"]
        self.admin = User(fe, body["user"], PASSWORD, user_agent).login()
        self._users = {}

    @property
    def client(self):
        return self.admin.client

    def add_user(self, role, login_now=True, name=None):
        email = unique_email(role)
        body = ok(self.client.post("/users", {"email": email, "name": name or role.title(),
                                              "role": role, "password": PASSWORD}),
                  201, "POST /users (%s)" % role)
        u = User(self.fe, body, PASSWORD, self.user_agent)
        return u.login() if login_now else u

    def user(self, role):
        """One cached logged-in user per role (the admin for "admin")."""
        if role == "admin":
            return self.admin
        if role not in self._users:
            self._users[role] = self.add_user(role)
        return self._users[role]

    def create_key(self, permissions, by=None, name=None, expires_at=None):
        """POST /api-keys (by the admin unless `by` is a Client); the 201 body."""
        body = {"name": name or unique("key"), "permissions": list(permissions)}
        if expires_at is not None:
            body["expires_at"] = expires_at
        return ok((by or self.client).post("/api-keys", body), 201, "POST /api-keys")

    def key_client(self, permissions, by=None):
        k = self.create_key(permissions, by=by)
        return Client(self.fe, key=k["api_key"], user_agent=self.user_agent), k

    def incident(self, client=None, **fields):
        body = {"title": unique("incident"), "severity": "high"}
        body.update(fields)
        return ok((client or self.client).post("/incidents", body), 201, "POST /incidents")

    def procedure(self, client=None, **fields):
        body = {"name": unique("procedure")}
        body.update(fields)
        return ok((client or self.client).post("/procedures", body), 201, "POST /procedures")


def routes(fe):
    """[(method, path, permission)] from `overwatch-fcgi --routes`."""
    out = subprocess.run([fe.harness.fcgi_bin, "--routes"], capture_output=True, text=True,
                         timeout=10, check=True).stdout
    table = []
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3:
            table.append(tuple(parts))
    return table


def sql_rows(fe, statement):
    """Rows (lists of str) of a statement run by harness.sql (tab-separated batch output)."""
    out = fe.harness.sql(statement).stdout
    lines = out.splitlines()
    return [line.split("\t") for line in lines[1:]]


def stmt_executes(fe):
    """MariaDB's global Com_stmt_execute: prepared statements executed, server-wide."""
    rows = sql_rows(fe, "SHOW GLOBAL STATUS LIKE 'Com_stmt_execute'")
    return int(rows[0][1])


def wait_until(predicate, timeout, interval=0.1):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


def frontends_up(fe):
    """Every started front-end (this one included) that is up."""
    return [f for f in fe.harness.frontends.values() if not f.error]

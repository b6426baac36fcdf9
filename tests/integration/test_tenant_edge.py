"""The request edge (doc/SECURITY.md, "Request edge: client address,
throttles, enumeration"): who the client is when a header reaches the
service twice, the per-IP throttles (login, registration, single sign-on)
and their IPv6 grouping, lockout of unknown e-mails, e-mail probing across
organizations, and non-ASCII or invalid UTF-8 in every parameter of every
route.

Tests of a throttle or of forwarded headers start a master of their own
behind a lighttpd of their own (test_identity_config.own_instance) with a
low limit and 127.0.0.1 as trusted proxy: the test client then plays the
proxy, and X-Forwarded-For names the client. Every request they make
names a client (the counters are in the shared database, where 127.0.0.1
carries the failures of the whole suite). They run on lighttpd-socket:
lighttpd is the web server that folds `X_Forwarded_For` into the same
FastCGI parameter as `X-Forwarded-For`. The rest concerns the service alone
and runs once.
"""

import json
import random
import re
import subprocess
import urllib.parse
import uuid
from pathlib import Path

from lib import checks
from lib import fcgi_client
from lib import harness
from lib.checks import expect
from test_identity import (API, LOGIN, PW, REGISTER, USERS, bearer, expect_error, expect_locked,
                           expect_validation, login, login_ok, new_email, register)
from test_identity_config import client_ip, own_instance, xff

FRONTENDS = ("lighttpd-socket",)

SRC = Path(__file__).resolve().parents[2] / "src"


def v6_net():
    """A fresh random /64 of the documentation prefix, as text without the host part."""
    return "2001:db8:%x:%x" % (random.randint(0, 0xffff), random.randint(0, 0xffff))


def audit(fe, token, action):
    r = fe.get(API + "/audit-log?limit=200&action=" + action, headers=bearer(token))
    expect(r.status == 200, "GET /audit-log?action=%s" % action, r)
    return r.json


def register_body(email=None):
    return {"email": email or new_email("reg"), "password": PW, "name": "Edge",
            "organization_name": "Edge " + uuid.uuid4().hex[:8]}


def expect_rate_limited(r, what):
    expect_error(r, 429, "RATE_LIMITED")
    retry = r.header("Retry-After", "")
    expect(retry.isdigit() and int(retry) > 0, "%s: 429 without a positive Retry-After" % what, r)


# ------------------------------------------------------------------ repeated headers

def test_folded_forwarded_for_cannot_choose_the_client_address(fe):
    """lighttpd hands `X_Forwarded_For` and `X-Forwarded-For` to the service
    as one parameter name, twice. Whichever came first, the request is
    refused: the client cannot escape the per-IP throttle with a fresh
    address per guess, and the audit log never records the invented one."""
    env = {"OVERWATCH_LOCKOUT_IP_FAILURES_PER_MINUTE": "3",
           "OVERWATCH_SERVICE_TRUSTED_PROXIES": "127.0.0.1"}
    with own_instance(fe, "folded-xff", env) as own:
        setup = xff(client_ip())
        email, _ = register(own, headers=setup)
        r = login(own, email, PW, headers=setup)
        expect(r.status == 200, "login of the admin", r)
        admin = r.json["access_token"]
        real = client_ip()
        for i in range(3):
            r = login(own, email, "wrong password %d" % i, headers=xff(real))
            expect_error(r, 401, "INVALID_CREDENTIALS")
        r = login(own, email, "wrong password", headers=xff(real))
        expect_rate_limited(r, "4th failure of %s" % real)
        spoofed = []
        for order in ("client first", "proxy first"):
            spoof = client_ip()
            spoofed.append(spoof)
            if order == "client first":
                headers = {"X_Forwarded_For": spoof, "X-Forwarded-For": real}
            else:
                headers = {"X-Forwarded-For": real, "X_Forwarded_For": spoof}
            r = login(own, email, "another guess", headers=headers)
            checks.error(r, 400, "VALIDATION_ERROR")
            expect(r.status != 401, "%s: a guess was answered under an invented address" % order, r)
        # Nothing was recorded under an invented address.
        events = audit(own, admin, "auth.login_failed")
        ips = {e["ip"] for e in events}
        expect(ips == {real}, "auth.login_failed recorded from %s, not only %s (spoofed: %s)"
               % (sorted(ips), real, spoofed))


def test_folded_forwarded_proto_is_refused(fe):
    """In production a client's `X_Forwarded_Proto: https` next to the
    trusted proxy's `X-Forwarded-Proto: http` must not make a plain-HTTP
    request pass as HTTPS."""
    env = {"OVERWATCH_SERVICE_ENVIRONMENT": "production",
           "OVERWATCH_SERVICE_TRUSTED_PROXIES": "127.0.0.1"}
    with own_instance(fe, "folded-proto", env) as own:
        body = {"email": new_email("nobody"), "password": PW}
        ip = xff(client_ip())
        r = own.post_json(LOGIN, body, headers=dict(ip, **{"X-Forwarded-Proto": "http"}))
        expect_error(r, 403, "HTTPS_REQUIRED")
        for headers in ({"X_Forwarded_Proto": "https", "X-Forwarded-Proto": "http"},
                        {"X-Forwarded-Proto": "http", "X_Forwarded_Proto": "https"}):
            r = own.post_json(LOGIN, body, headers=dict(ip, **headers))
            checks.error(r, 400, "VALIDATION_ERROR")
        # The control: the proxy's own header alone is believed.
        r = own.post_json(LOGIN, body, headers=dict(ip, **{"X-Forwarded-Proto": "https"}))
        expect_error(r, 401, "INVALID_CREDENTIALS")


# ------------------------------------------------------------------ registration

def test_registration_is_rate_limited_per_client(fe):
    env = {"OVERWATCH_SERVICE_REGISTRATIONS_PER_HOUR": "3",
           "OVERWATCH_SERVICE_TRUSTED_PROXIES": "127.0.0.1"}
    with own_instance(fe, "register-throttle", env) as own:
        ip_a, ip_b = client_ip(), client_ip()
        for i in range(3):
            r = own.post_json(REGISTER, register_body(), headers=xff(ip_a))
            expect(r.status == 201, "registration %d of %s" % (i + 1, ip_a), r)
        r = own.post_json(REGISTER, register_body(), headers=xff(ip_a))
        expect_rate_limited(r, "4th registration of %s" % ip_a)
        # The refused attempt created nothing: the address is still free.
        email = new_email("late")
        r = own.post_json(REGISTER, register_body(email), headers=xff(ip_a))
        expect_rate_limited(r, "5th registration of %s" % ip_a)
        r = own.post_json(REGISTER, register_body(email), headers=xff(ip_b))
        expect(r.status == 201, "another client registers the refused address", r)


def test_registration_conflicts_count_as_failed_logins(fe):
    """A 409 tells that an e-mail is registered: it spends the same per-IP
    budget as a failed login, and an exhausted budget stops both."""
    env = {"OVERWATCH_LOCKOUT_IP_FAILURES_PER_MINUTE": "3",
           "OVERWATCH_SERVICE_REGISTRATIONS_PER_HOUR": "1000",
           "OVERWATCH_SERVICE_TRUSTED_PROXIES": "127.0.0.1"}
    with own_instance(fe, "register-409", env) as own:
        known, _ = register(own, headers=xff(client_ip()))
        ip = client_ip()
        for i in range(3):
            r = own.post_json(REGISTER, register_body(known), headers=xff(ip))
            expect_error(r, 409, "CONFLICT")
        r = own.post_json(REGISTER, register_body(known), headers=xff(ip))
        expect_rate_limited(r, "4th conflicting registration")
        r = login(own, known, PW, headers=xff(ip))
        expect_rate_limited(r, "a login after 3 conflicting registrations")
        r = own.post_json(REGISTER, register_body(), headers=xff(ip))
        expect_rate_limited(r, "a new registration after 3 conflicts")
        r = own.post_json(REGISTER, register_body(), headers=xff(client_ip()))
        expect(r.status == 201, "another client still registers", r)


def test_sso_start_and_callback_are_rate_limited_per_client(fe):
    env = {"OVERWATCH_SSO_REQUESTS_PER_MINUTE": "4",
           "OVERWATCH_SERVICE_TRUSTED_PROXIES": "127.0.0.1"}
    with own_instance(fe, "sso-throttle", env) as own:
        ip = client_ip()
        slug = "no-such-org-" + uuid.uuid4().hex[:8]
        for i in range(2):
            for step in ("start", "callback"):
                r = own.get(API + "/auth/sso/%s/%s" % (slug, step), headers=xff(ip))
                expect_error(r, 404, "NOT_FOUND")
        for step in ("start", "callback"):
            r = own.get(API + "/auth/sso/%s/%s" % (slug, step), headers=xff(ip))
            expect_rate_limited(r, "sso %s after 4 requests" % step)
        r = own.get(API + "/auth/sso/%s/start" % slug, headers=xff(client_ip()))
        expect_error(r, 404, "NOT_FOUND")


# ------------------------------------------------------------------ IPv6 grouping

def test_ipv6_clients_are_throttled_by_their_64(fe):
    env = {"OVERWATCH_LOCKOUT_IP_FAILURES_PER_MINUTE": "3",
           "OVERWATCH_SERVICE_REGISTRATIONS_PER_HOUR": "2",
           "OVERWATCH_SERVICE_TRUSTED_PROXIES": "127.0.0.1"}
    with own_instance(fe, "ipv6-64", env) as own:
        net = v6_net()
        for i in range(3):
            addr = "%s:%x:%x:%x:%x" % (net, random.randint(1, 0xffff), random.randint(0, 0xffff),
                                       random.randint(0, 0xffff), i + 1)
            r = login(own, new_email("nobody"), "wrong", headers=xff(addr))
            expect_error(r, 401, "INVALID_CREDENTIALS")
        r = login(own, new_email("nobody"), "wrong", headers=xff(net + "::beef"))
        expect_rate_limited(r, "4th failure from the same /64")
        # The neighbouring /64 is another client.
        r = login(own, new_email("nobody"), "wrong", headers=xff(v6_net() + "::1"))
        expect_error(r, 401, "INVALID_CREDENTIALS")
        # The same grouping for registration.
        net = v6_net()
        for i in range(2):
            r = own.post_json(REGISTER, register_body(), headers=xff("%s::%x" % (net, i + 1)))
            expect(r.status == 201, "registration %d from %s::/64" % (i + 1, net), r)
        r = own.post_json(REGISTER, register_body(), headers=xff(net + ":1:2:3:4"))
        expect_rate_limited(r, "3rd registration from the same /64")


# ------------------------------------------------------------------ enumeration

def test_unknown_email_locks_like_a_known_one(fe):
    """Five failures lock an address whether or not an account has it: same
    423 with Retry-After, so the lock does not tell who exists."""
    known, _ = register(fe)
    unknown = new_email("nobody")
    for email in (known, unknown):
        for i in range(5):
            r = login(fe, email, "wrong password %d" % i)
            expect_error(r, 401, "INVALID_CREDENTIALS")
    answers = {}
    for email in (known, unknown):
        r = login(fe, email, "wrong password")
        expect_locked(r)
        answers[email] = (r.status, r.json, r.header("Retry-After", "").isdigit())
    expect(answers[known] == answers[unknown],
           "a known and an unknown e-mail answer differently when locked: %r" % answers)
    # Case and spaces do not give an unknown address a fresh counter.
    r = login(fe, "  " + unknown.upper() + " ", "wrong password")
    expect_locked(r)


def test_email_of_another_organization_is_not_revealed(fe):
    """POST /users with an address that exists in another organization gets
    exactly the answer of a malformed address, and the other organization's
    audit log does not hear of it."""
    other_email, _ = register(fe)
    other = login_ok(fe, other_email)["access_token"]
    before = len(audit(fe, other, "user.created")) + len(audit(fe, other, "permission.denied"))
    own_email, _ = register(fe)
    admin = login_ok(fe, own_email)["access_token"]

    def create(email):
        return fe.post_json(USERS, {"email": email, "name": "Probe", "role": "viewer",
                                    "password": PW}, headers=bearer(admin))

    malformed = create("not-an-address")
    expect_validation(malformed, "email")
    taken = create(other_email)
    expect_validation(taken, "email")
    expect(taken.json == malformed.json,
           "an address of another organization answers %r, a malformed one %r"
           % (taken.json, malformed.json), taken)
    taken = create("  " + other_email.upper())
    expect(taken.json == malformed.json, "the same, in other case and with spaces", taken)
    after = len(audit(fe, other, "user.created")) + len(audit(fe, other, "permission.denied"))
    expect(before == after, "the other organization's audit log changed")
    # Inside one's own organization a taken address is still a plain 409.
    r = create(new_email("mine"))
    expect(r.status == 201, "create a user", r)
    again = create(r.json["email"])
    expect_error(again, 409, "CONFLICT")


def test_probing_addresses_through_post_users_spends_the_login_budget(fe):
    """Whoever knows an address is well-formed still learns from the 400
    that it is taken: each such answer counts as a failed login of the
    client, so probing here is no faster than probing the login."""
    env = {"OVERWATCH_LOCKOUT_IP_FAILURES_PER_MINUTE": "3",
           "OVERWATCH_SERVICE_TRUSTED_PROXIES": "127.0.0.1"}
    with own_instance(fe, "users-probe", env) as own:
        setup = xff(client_ip())
        others = [register(own, headers=setup)[0] for _ in range(4)]
        email, _ = register(own, headers=setup)
        r = login(own, email, PW, headers=setup)
        expect(r.status == 200, "login of the admin", r)
        admin = r.json["access_token"]
        ip = client_ip()
        headers = dict(bearer(admin), **xff(ip))

        def create(address):
            return own.post_json(USERS, {"email": address, "name": "Probe", "role": "viewer",
                                         "password": PW}, headers=headers)

        # Malformed addresses cost nothing: they cannot belong to anyone.
        for i in range(4):
            expect_validation(create("not-an-address-%d" % i), "email")
        for other in others[:3]:
            expect_validation(create(other), "email")
        expect_rate_limited(create(others[3]), "a 4th probe of a taken address")
        expect_rate_limited(create(new_email("free")), "any user creation once the budget is spent")
        r = own.post_json(USERS, {"email": new_email("free"), "name": "N", "role": "viewer",
                                  "password": PW}, headers=dict(bearer(admin), **xff(client_ip())))
        expect(r.status == 201, "the same admin from another address", r)


def test_purge_deletes_old_throttle_windows_and_unknown_counters(fe):
    """overwatch-admin purge removes windows and counters that can no longer
    matter, and keeps the ones that still count."""
    h = fe.harness
    tag = uuid.uuid4().hex[:8]
    old_ip, new_ip = "purge-old-" + tag, "purge-new-" + tag
    old_digest, new_digest, locked_digest = (uuid.uuid4().hex * 2 for _ in range(3))
    db = harness.DB_NAME
    h.sql("INSERT INTO %s.ip_throttle (bucket, ip, window_start, hits) VALUES "
          "('register', '%s', UTC_TIMESTAMP() - INTERVAL 3 HOUR, 5), "
          "('register', '%s', UTC_TIMESTAMP(), 5); "
          "INSERT INTO %s.unknown_login_failures (email_digest, failed_logins, first_failed_at, "
          "locked_until) VALUES "
          "(UNHEX('%s'), 3, UTC_TIMESTAMP() - INTERVAL 40 DAY, NULL), "
          "(UNHEX('%s'), 3, UTC_TIMESTAMP(), NULL), "
          "(UNHEX('%s'), 5, UTC_TIMESTAMP() - INTERVAL 40 DAY, UTC_TIMESTAMP() + INTERVAL 1 HOUR)"
          % (db, old_ip, new_ip, db, old_digest, new_digest, locked_digest))
    h.admin("purge")
    out = h.sql("SELECT ip FROM %s.ip_throttle WHERE ip LIKE 'purge-%%-%s'; "
                "SELECT LOWER(HEX(email_digest)) FROM %s.unknown_login_failures "
                "WHERE email_digest IN (UNHEX('%s'), UNHEX('%s'), UNHEX('%s'))"
                % (db, tag, db, old_digest, new_digest, locked_digest)).stdout
    expect(old_ip not in out and new_ip in out, "ip_throttle after purge: %r" % out)
    expect(old_digest not in out and new_digest in out and locked_digest in out,
           "unknown_login_failures after purge: %r" % out)


# ------------------------------------------------------------------ non-ASCII sweep

# What each route takes besides path parameters: query parameters and JSON
# body fields with a valid value each (a route the service gains without an
# entry here fails the sweep, so the table cannot fall behind).
QUERY = {
    "GET /api/v1/users": {"limit": "5", "offset": "0"},
    "GET /api/v1/api-keys": {"limit": "5", "offset": "0"},
    "GET /api/v1/incidents": {"status": "open", "limit": "5", "offset": "0"},
    "GET /api/v1/procedures": {"limit": "5", "offset": "0"},
    "GET /api/v1/audit-log": {"action": "auth.login", "actor_id": str(uuid.uuid4()),
                              "since": "2026-01-01T00:00:00Z", "limit": "5", "offset": "0"},
    "GET /api/v1/auth/sso/{organization}/start": {"next": "/console", "link": "1",
                                                   "connection": "default"},
    "GET /api/v1/auth/sso/{organization}/callback": {"state": "s" * 43, "code": "c",
                                                      "error": "access_denied"},
}
BODY = {
    "POST /api/v1/auth/register": {"email": "x@example.com", "password": PW, "name": "N",
                                   "organization_name": "O"},
    "POST /api/v1/auth/login": {"email": "x@example.com", "password": PW},
    "POST /api/v1/auth/refresh": {"refresh_token": "a.b.c"},
    "POST /api/v1/auth/password": {"current_password": "x" * 12, "new_password": "y" * 12},
    "POST /api/v1/api-keys": {"name": "k", "permissions": ["incidents:read"],
                              "expires_at": "2099-01-01T00:00:00Z"},
    "POST /api/v1/api-keys/{id}/rotate": {"overlap_seconds": 60},
    "PUT /api/v1/api-key-policy": {"rotation_period_days": 90, "max_key_lifetime_days": 365},
    "POST /api/v1/users": {"email": "x@example.com", "name": "N", "role": "viewer",
                           "password": PW},
    "PATCH /api/v1/users/{id}": {"name": "N", "role": "viewer"},
    "POST /api/v1/incidents": {"title": "T", "severity": "low", "description": "D"},
    "PATCH /api/v1/incidents/{id}": {"title": "T", "severity": "low", "status": "open",
                                     "description": "D"},
    "POST /api/v1/procedures": {"name": "P", "description": "D"},
    "POST /api/v1/procedures/{id}/execute": {"incident_id": str(uuid.uuid4())},
    "PUT /api/v1/sso-connections": {"issuer": "https://idp.example.com", "client_id": "c",
                                    "client_secret": "s", "allowed_domains": ["example.com"],
                                    "auto_create": False, "default_role": "viewer",
                                    "link_existing_accounts": False, "scopes": "openid email",
                                    "role_claim": "groups", "role_admin_values": ["a"],
                                    "role_engineer_values": ["e"], "role_viewer_values": ["v"]},
    "POST /api/v1/sso-connections/test": {"issuer": "https://idp.example.com"},
    "POST /api/v1/auth/mfa/totp": {"mfa_token": "t" * 43},
    "POST /api/v1/auth/mfa/totp/confirm": {"code": "123456", "mfa_token": "t" * 43},
    "POST /api/v1/auth/mfa/verify": {"mfa_token": "t" * 43, "code": "123456"},
    # The sweep's user has no second factor: 409 before any proof is checked.
    "POST /api/v1/auth/mfa/disable": {"code": "123456"},
    "POST /api/v1/auth/reauthenticate": {"code": "123456"},
    "PUT /api/v1/mfa-policy": {"require": "none"},
    "PUT /api/v1/sso-policy": {"require_sso": False, "break_glass_admins": [str(uuid.uuid4())]},
    "POST /api/v1/auth/password-reset": {"email": "x@example.com"},
    "POST /api/v1/auth/password-reset/confirm": {"token": "t" * 43, "password": PW},
    "POST /api/v1/auth/activate": {"token": "t" * 43, "password": PW},
    # A form route: the sweep's JSON gets 415; test_sso_logout.py sends its forms, bad ones included.
    "POST /api/v1/auth/sso/{organization}/backchannel-logout": {"logout_token": "a.b.c"},
}
# A named connection takes the default connection's body (putNamedSsoConnection).
BODY["PUT /api/v1/sso-connections/named/{name}"] = BODY["PUT /api/v1/sso-connections"]
NON_ASCII = "\u00e9\u4e2d\U0001f600"                       # valid UTF-8, not ASCII
PCT_VALUES = (urllib.parse.quote(NON_ASCII), "%C3%A9", "%FF", "%C3%28", "%ED%A0%80", "%C0%AF")
RAW_BODY_VALUES = (b'"\xc3\xa9"', b'"\xff"', b'"\xc3("', b'"\xed\xa0\x80"', b'"\\ud800"')


def routes(fe):
    out = subprocess.run([fe.harness.fcgi_bin, "--routes"], capture_output=True, text=True,
                         check=True, timeout=30).stdout
    return [tuple(line.split()[:2]) for line in out.splitlines() if line.strip()]


class Answer:
    """A FastCGI response shaped like lib.client.Response for checks.*."""

    def __init__(self, status, headers, body):
        self.status, self.body = status, body
        self.reason = ""
        self.headers = headers
        try:
            self.json = json.loads(body) if body else None
        except ValueError:
            self.json = None

    def header(self, name, default=None):
        return self.headers.get(name.lower(), default)


class FcgiHeaders(dict):
    def get_all(self, name):
        v = self.get(name.lower())
        return [v] if v is not None else []


def send(fe, method, path, query="", headers=None, body=b""):
    """Straight to the service's FastCGI socket: what the web server would
    refuse (lighttpd answers some encodings itself) still reaches it."""
    status, headers, out, _ = fcgi_client.request(
        fe.socket, method, path, query=query, headers=headers, body=body,
        content_type="application/json" if body else None, timeout=30)
    return Answer(status, FcgiHeaders(headers), out)


def expect_documented(r, what):
    expect(r.status < 500, "%s: a 5xx" % what, r)
    if r.status >= 400:
        body = r.json if isinstance(r.json, dict) else {}
        expect(isinstance(body.get("code"), str) and body.get("status_code") == r.status
               and isinstance(body.get("detail"), str),
               "%s: not a documented JSON error" % what, r)


def test_non_ascii_and_invalid_utf8_never_answer_5xx(fe):
    """Every path segment, query parameter and body field of every route,
    with non-ASCII UTF-8 and with invalid UTF-8: a documented 4xx (or a
    success), never a 5xx. Sent straight over FastCGI, and a sample through
    the web server too."""
    table = routes(fe)
    keys = {"%s %s" % r for r in table}
    expect(len(table) > 20, "overwatch-fcgi --routes listed %d routes" % len(table))
    # Every query parameter the source reads is in the table.
    read = set(re.findall(r'request_query\(c->req, "([a-z_]+)"\)',
                          "".join(p.read_text() for p in SRC.glob("*.c"))))
    tabled = {k for q in QUERY.values() for k in q}
    expect(read <= tabled, "query parameters read by src/ but not swept: %s" % sorted(read - tabled))
    no_body = {"POST /api/v1/auth/logout", "POST /api/v1/users/{id}/unlock"}
    body_routes = {k for k in keys if k.split()[0] in ("POST", "PUT", "PATCH")}
    missing = body_routes - set(BODY) - no_body
    expect(not missing, "routes with a body but no sweep entry: %s" % sorted(missing))
    unknown = (set(QUERY) | set(BODY)) - keys
    expect(not unknown, "sweep entries of routes that do not exist: %s" % sorted(unknown))

    email, _ = register(fe)
    auth = {"Authorization": "Bearer " + login_ok(fe, email)["access_token"]}
    checked = 0
    for method, pattern in table:
        key = "%s %s" % (method, pattern)
        params = re.findall(r"\{[a-z_]+\}", pattern)
        empty = b"{}" if key in BODY else b""
        for v in PCT_VALUES:
            for p in params:
                path = pattern
                for q in params:
                    path = path.replace(q, v if q == p else str(uuid.uuid4()))
                expect_documented(send(fe, method, path, headers=auth, body=empty),
                                  "%s with %s=%s" % (key, p, v))
                checked += 1
            if not params:
                expect_documented(send(fe, method, pattern + "/" + v, headers=auth),
                                  "%s/%s" % (key, v))
                checked += 1
        base = pattern
        for q in params:
            base = base.replace(q, str(uuid.uuid4()) if q != "{organization}" else "default")
        for name in QUERY.get(key, {}):
            for v in PCT_VALUES:
                qs = "&".join("%s=%s" % (k, v if k == name else urllib.parse.quote(val))
                              for k, val in QUERY[key].items())
                expect_documented(send(fe, method, base, query=qs, headers=auth),
                                  "%s?%s=%s" % (key, name, v))
                checked += 1
        for field in BODY.get(key, {}):
            for raw in RAW_BODY_VALUES:
                doc = dict(BODY[key])
                doc[field] = "@@"
                text = json.dumps(doc).encode().replace(b'"@@"', raw)
                expect_documented(send(fe, method, base, headers=auth, body=text),
                                  "%s body %s=%r" % (key, field, raw))
                checked += 1
            doc = dict(BODY[key])
            doc[field] = [NON_ASCII] if isinstance(doc[field], list) else NON_ASCII
            expect_documented(send(fe, method, base, headers=auth, body=json.dumps(doc).encode()),
                              "%s body %s=%r" % (key, field, NON_ASCII))
            checked += 1
    expect(checked > 300, "only %d requests in the sweep" % checked)
    # Through the web server, the two inputs of the review.
    for path in (API + "/auth/sso/%C3%A9/start", API + "/audit-log?action=%C3%A9",
                 API + "/incidents?status=%C3%A9", API + "/users/%C3%A9"):
        r = fe.get(path, headers=auth)
        expect(r.status < 500, "GET %s through %s: a 5xx" % (path, fe.name), r)
        if r.status >= 400:
            checks.error(r, r.status, None)


HEADERS = ("User-Agent", "X-Forwarded-For", "X-Forwarded-Proto", "Origin", "Referer", "Host",
           "Cookie", "Authorization", "X-API-Key", "Accept")
RAW_HEADER_VALUES = (NON_ASCII.encode(), b"\xff\xfe", b"\xc3(", b"\xed\xa0\x80",
                     b"Bearer \xc3\xa9", b"access_token=\xff; refresh_token=\xc3(")


def test_non_ascii_and_invalid_utf8_headers_never_answer_5xx(fe):
    """Header values reach the audit log (User-Agent), the client address
    (X-Forwarded-For) and the credential lookup: raw non-ASCII and invalid
    UTF-8 in each, on a login that writes an audit row, a public GET and an
    authenticated one, straight over FastCGI."""
    email, _ = register(fe)
    token = login_ok(fe, email)["access_token"]
    requests = (("POST", LOGIN, json.dumps({"email": email, "password": "wrong"}).encode()),
                ("GET", API + "/auth/me", b""),
                ("GET", API + "/auth/sso/default/start", b""),
                ("POST", REGISTER, json.dumps(register_body()).encode()))
    for name in HEADERS:
        for raw in RAW_HEADER_VALUES:
            for method, path, body in requests:
                headers = {"Authorization": "Bearer " + token} if name != "Authorization" else {}
                headers[name] = raw
                params = fcgi_client.cgi_params(method, path, headers=headers, body=body,
                                                content_type="application/json" if body else None)
                conn = fcgi_client.Connection(fe.socket, timeout=30)
                try:
                    conn.begin(params)
                    conn.send_stdin(body)
                    status, hdrs, out, _ = conn.read_response()
                finally:
                    conn.close()
                expect_documented(Answer(status, FcgiHeaders(hdrs), out),
                                  "%s %s with %s: %r" % (method, path, name, raw))
    # Through the web server: an invalid User-Agent is kept, its bad bytes as '?'.
    # (Another account: the sweep has locked the first one.)
    email, _ = register(fe)
    token = login_ok(fe, email)["access_token"]
    agent = "ua-" + uuid.uuid4().hex[:8]
    r = login(fe, email, "wrong password", headers={"User-Agent": agent.encode() + b"\xff\xc3("})
    expect_error(r, 401, "INVALID_CREDENTIALS")
    rows = [e for e in audit(fe, token, "auth.login_failed") if agent in (e["user_agent"] or "")]
    expect([e["user_agent"] for e in rows] == [agent + "??("],
           "the audit row of the login with an invalid User-Agent: %r" % rows)


def test_non_ascii_slug_and_action_answer_like_unknown_ones(fe):
    """The two answers of the review: an SSO organization that is not ASCII
    is an unknown one (404), an audit action that is not ASCII matches
    nothing (200, empty list)."""
    email, _ = register(fe)
    token = login_ok(fe, email)["access_token"]
    for step in ("start", "callback"):
        r = fe.get(API + "/auth/sso/%C3%A9/" + step)
        expect_error(r, 404, "NOT_FOUND")
    r = fe.get(API + "/audit-log?action=%C3%A9", headers=bearer(token))
    expect(r.status == 200 and r.json == [], "GET /audit-log?action=%C3%A9", r)

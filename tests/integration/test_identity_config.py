"""Identity features that need a service instance with other settings:
the per-client-IP login throttle (behind a trusted proxy, and not fooled by an
untrusted peer's X-Forwarded-For), refresh-token rotation with its grace
window, lock expiry, re-hashing of outdated argon2 hashes, a configured
allowed origin for CSRF, and Secure cookies in production.

Each test starts a master of its own (harness.start_master with extra_env) on
the shared database, with a lighttpd of its own in front (so requests arrive
as from a real web server: REMOTE_ADDR 127.0.0.1, Host, X-Forwarded-For), and
stops both at the end. Run on lighttpd-socket only: the front-end under test
is the one these tests build.
"""

import contextlib
import json
import random
import threading
import time
import uuid

from lib import checks
from lib import fcgi_client
from lib import harness
from lib.checks import expect
from test_identity import (ACCESS_TTL, API, LOGIN, LOGOUT, PW, REFRESH, REFRESH_KEYS,
                           REFRESH_TTL, REGISTER, bearer, expect_cookie, expect_error, expect_invalid_token,
                           expect_locked, jwt_parts, login, login_ok, me, new_email, register,
                           set_cookies)

FRONTENDS = ("lighttpd-socket",)


@contextlib.contextmanager
def own_instance(fe, name, extra_env):
    """A master with extra_env behind a lighttpd of its own: a harness.Frontend."""
    h = fe.harness
    name = "%s-%s" % (name, uuid.uuid4().hex[:6])
    own = harness.Frontend(h, name)
    try:
        own.master, own.socket = h.start_master(name, extra_env=extra_env)
        own.logs.append(str(own.dir / "overwatch-fcgi.log"))
        h.start_lighttpd(own, {"socket": '"%s"' % own.socket, "check-local": '"disable"'})
        yield own
    finally:
        h.stop_frontend(own)


def client_ip():
    """A fresh random address, so no other test's failures count against it."""
    return "10.%d.%d.%d" % (random.randint(0, 255), random.randint(0, 255), random.randint(1, 254))


def xff(ip):
    return {"X-Forwarded-For": ip}


# ------------------------------------------------------------------ per-IP throttle

def test_ip_throttle_429_after_5_failures_per_client(fe):
    env = {"OVERWATCH_LOCKOUT_IP_FAILURES_PER_MINUTE": "5",
           "OVERWATCH_SERVICE_TRUSTED_PROXIES": "127.0.0.1"}
    with own_instance(fe, "throttle", env) as own:
        # Registration spends the failed-login budget of its client too, and
        # 127.0.0.1's is shared with the rest of the suite: register from a
        # client of its own.
        email, _ = register(own, headers=xff(client_ip()))
        ip_a, ip_b = client_ip(), client_ip()
        # Failures of different kinds, and over several accounts: the throttle
        # is per client address, not per account.
        for i in range(5):
            target = email if i % 2 else new_email("nobody")
            r = login(own, target, "wrong password %d" % i, headers=xff(ip_a))
            expect_error(r, 401, "INVALID_CREDENTIALS")
        r = login(own, new_email("nobody"), "wrong password", headers=xff(ip_a))
        expect_error(r, 429, "RATE_LIMITED")
        retry = r.header("Retry-After", "")
        expect(retry.isdigit() and 0 < int(retry) <= 60,
               "429 Retry-After %r is not 1..60 seconds" % retry, r)
        # Nor does the right password get through from that client: the
        # throttle stops guessing, and a 200 would be an answer to a guess.
        r = login(own, email, PW, headers=xff(ip_a))
        expect_error(r, 429, "RATE_LIMITED")
        # Addresses the client prepends itself do not help: the nearest
        # untrusted hop is the client.
        r = login(own, email, PW, headers=xff("%s, %s" % (client_ip(), ip_a)))
        expect_error(r, 429, "RATE_LIMITED")
        # Another client is unaffected, for failures and for success.
        r = login(own, email, "wrong again", headers=xff(ip_b))
        expect_error(r, 401, "INVALID_CREDENTIALS")
        r = login(own, email, PW, headers=xff(ip_b))
        expect(r.status == 200, "another X-Forwarded-For client is throttled too", r)
        # ip_a's throttle did not lock the account either.
        r = login(own, email, PW, headers=xff(client_ip()))
        expect(r.status == 200, "login from a third client", r)


def fcgi_login(sock, remote_addr, forwarded_for, email, password):
    """A login straight over FastCGI with a REMOTE_ADDR of our choosing."""
    body = json.dumps({"email": email, "password": password}).encode()
    params = fcgi_client.cgi_params("POST", LOGIN, headers={"X-Forwarded-For": forwarded_for},
                                    body=body, content_type="application/json")
    params["REMOTE_ADDR"] = remote_addr
    conn = fcgi_client.Connection(sock)
    try:
        conn.begin(params)
        conn.send_stdin(body)
        status, headers, rbody, _ = conn.read_response()
    finally:
        conn.close()
    return status, headers, json.loads(rbody or b"null")


def test_ip_throttle_ignores_forwarded_for_from_an_untrusted_peer(fe):
    """The client IP is REMOTE_ADDR unless the peer is a trusted proxy (doc/api.md
    8): a client talking to the service directly cannot escape the throttle by
    inventing X-Forwarded-For values."""
    env = {"OVERWATCH_LOCKOUT_IP_FAILURES_PER_MINUTE": "5",
           "OVERWATCH_SERVICE_TRUSTED_PROXIES": "127.0.0.1"}
    with own_instance(fe, "throttle-untrusted", env) as own:
        peer = "192.0.2.%d" % random.randint(1, 254)
        for i in range(5):
            status, _, body = fcgi_login(own.socket, peer, client_ip(), new_email("nobody"), "x")
            expect(status == 401 and body.get("code") == "INVALID_CREDENTIALS",
                   "failure %d from %s: %d %r" % (i + 1, peer, status, body))
        status, headers, body = fcgi_login(own.socket, peer, client_ip(), new_email("nobody"), "x")
        expect(status == 429 and body.get("code") == "RATE_LIMITED"
               and headers.get("retry-after", "").isdigit(),
               "6th failure from untrusted peer %s with a new X-Forwarded-For: %d %r %r"
               % (peer, status, headers, body))


def test_csrf_configured_allowed_origin(fe):
    env = {"OVERWATCH_SERVICE_ALLOWED_ORIGINS": "https://console.example.com"}
    with own_instance(fe, "allowed-origin", env) as own:
        email, _ = register(own)
        s = login_ok(own, email)
        cookie = "access_token=" + s["access_token"]
        r = own.request("POST", LOGOUT, headers={"Cookie": cookie,
                                                 "Origin": "https://other.example.com"})
        expect_error(r, 403, "CSRF_REJECTED")
        r = own.request("POST", LOGOUT, headers={"Cookie": cookie,
                                                 "Origin": "https://console.example.com"})
        expect(r.status == 204, "cookie logout from the configured allowed origin", r)


PROD_ACCESS, PROD_REFRESH = "__Host-access_token", "__Secure-refresh_token"


def test_production_cookies_are_secure(fe):
    """In production (HTTPS known from a trusted proxy's X-Forwarded-Proto) the
    session cookies carry Secure and the browser-enforced name prefixes
    (doc/SECURITY.md, "Token theft"): __Host- for the access cookie (Path=/,
    no Domain), __Secure- for the refresh cookie (its Path stays narrow); plain
    HTTP gets 403 HTTPS_REQUIRED."""
    env = {"OVERWATCH_SERVICE_ENVIRONMENT": "production",
           "OVERWATCH_SERVICE_TRUSTED_PROXIES": "127.0.0.1"}
    with own_instance(fe, "production", env) as own:
        https = {"X-Forwarded-Proto": "https"}
        r = own.post_json(LOGIN, {"email": new_email("nobody"), "password": PW})
        expect_error(r, 403, "HTTPS_REQUIRED")
        email = new_email("prod")
        r = own.post_json("/api/v1/auth/register",
                          {"email": email, "password": PW, "name": "Prod",
                           "organization_name": "Prod Org"}, headers=https)
        expect(r.status == 201, "register over (proxied) HTTPS in production", r)
        r = own.post_json(LOGIN, {"email": email, "password": PW}, headers=https)
        expect(r.status == 200, "login over (proxied) HTTPS in production", r)
        cookies = set_cookies(r)
        expect(set(cookies) == {PROD_ACCESS, PROD_REFRESH},
               "production cookies are %r" % sorted(cookies), r)
        for name, path, age in ((PROD_ACCESS, "/", ACCESS_TTL),
                                (PROD_REFRESH, "/api/v1/auth", REFRESH_TTL)):
            _, attrs, raw = cookies[name]
            want = {"path": path, "max-age": str(age), "httponly": True, "samesite": "Strict",
                    "secure": True}
            expect(attrs == want, "production cookie %s: %r, not %r" % (name, attrs, want), r)
        access = r.json["access_token"]
        r = own.request("POST", LOGOUT, headers=bearer(access, **https))
        expect(r.status == 204, "logout in production", r)
        expired = set_cookies(r)
        expect(set(expired) == {PROD_ACCESS, PROD_REFRESH},
               "production logout expires %r" % sorted(expired), r)
        for name, (_, attrs, raw) in expired.items():
            expect(attrs.get("secure") is True and attrs.get("max-age") == "0",
                   "production logout cookie %s: %r" % (name, raw), r)


def test_production_reads_only_the_prefixed_cookies(fe):
    """The prefixes protect only if the service ignores the plain names: a
    cookie a sibling subdomain or a plain-HTTP page planted as `access_token`
    must not authenticate in production, the `__Host-` one must; the same for
    the refresh cookie."""
    env = {"OVERWATCH_SERVICE_ENVIRONMENT": "production",
           "OVERWATCH_SERVICE_TRUSTED_PROXIES": "127.0.0.1"}
    with own_instance(fe, "prod-prefix", env) as own:
        https = {"X-Forwarded-Proto": "https"}
        email = new_email("prefix")
        r = own.post_json("/api/v1/auth/register",
                          {"email": email, "password": PW, "name": "Prefix",
                           "organization_name": "Prefix Org"}, headers=https)
        expect(r.status == 201, "register over (proxied) HTTPS in production", r)
        r = own.post_json(LOGIN, {"email": email, "password": PW}, headers=https)
        expect(r.status == 200, "login in production", r)
        access, refresh_tok = r.json["access_token"], r.json["refresh_token"]
        r = own.get("/api/v1/auth/me", headers=dict(https, Cookie="%s=%s" % (PROD_ACCESS, access)))
        expect(r.status == 200, "the __Host- access cookie does not authenticate", r)
        r = own.get("/api/v1/auth/me", headers=dict(https, Cookie="access_token=%s" % access))
        expect_invalid_token(r, "Token is missing", token_sent=False)
        origin = {"Origin": "https://127.0.0.1:%d" % own.port}
        r = own.request("POST", REFRESH, headers=dict(
            https, **origin, Cookie="refresh_token=%s" % refresh_tok))
        expect_invalid_token(r, "Token is missing", token_sent=False)
        r = own.request("POST", REFRESH, headers=dict(
            https, **origin, Cookie="%s=%s" % (PROD_REFRESH, refresh_tok)))
        expect(r.status == 200, "the __Secure- refresh cookie does not refresh", r)
        expect(PROD_ACCESS in set_cookies(r), "refresh does not re-set the __Host- cookie", r)


# ------------------------------------------------------------------ refresh rotation

def refresh(own, token):
    return own.post_json(REFRESH, {"refresh_token": token})


def rotated(own, token, what):
    r = refresh(own, token)
    expect(r.status == 200, "%s: refresh is not 200" % what, r)
    body = checks.json_body(r)
    expect(set(body) == REFRESH_KEYS | {"refresh_token"},
           "%s: with rotation the body is %s, not %s" % (
               what, sorted(body), sorted(REFRESH_KEYS | {"refresh_token"})), r)
    expect(body["token_type"] == "bearer" and body["expires_in"] == ACCESS_TTL,
           "%s: token_type/expires_in" % what, r)
    cookies = set_cookies(r)
    expect(set(cookies) == {"access_token", "refresh_token"},
           "%s: rotation sets cookies %s" % (what, sorted(cookies)), r)
    expect_cookie(r, cookies, "access_token", body["access_token"], "/", ACCESS_TTL)
    max_age = cookies["refresh_token"][1].get("max-age", "")
    expect(max_age.isdigit() and REFRESH_TTL - 120 <= int(max_age) <= REFRESH_TTL,
           "%s: refresh cookie Max-Age %r is not the session's remaining life" % (what, max_age), r)
    expect_cookie(r, cookies, "refresh_token", body["refresh_token"], "/api/v1/auth", max_age)
    claims = jwt_parts(body["refresh_token"])[1]
    expect(claims.get("type") == "refresh", "%s: new refresh token's type" % what, r)
    return body


def test_refresh_rotation_grace_retry_and_reuse(fe):
    with own_instance(fe, "rotation", {"OVERWATCH_JWT_REFRESH_ROTATION": "true"}) as own:
        email, _ = register(own)
        s = login_ok(own, email)
        a0, r0 = s["access_token"], s["refresh_token"]
        sid = jwt_parts(r0)[1]["sid"]

        b1 = rotated(own, r0, "first refresh")
        a1, r1 = b1["access_token"], b1["refresh_token"]
        expect(r1 != r0, "rotation returned the same refresh token")
        expect(jwt_parts(r1)[1]["sid"] == sid, "rotated refresh token of another session")
        expect(me(own, a1).status == 200, "the rotated access token does not work")

        # A retry with r0 inside the grace window (default 10 s): the same answer.
        b1again = rotated(own, r0, "grace retry")
        expect(b1again["refresh_token"] == r1,
               "a retry within the grace window got a different refresh token")

        b2 = rotated(own, r1, "second refresh")
        a2, r2 = b2["access_token"], b2["refresh_token"]
        expect(r2 not in (r0, r1), "second rotation repeated a refresh token")
        for tok in (a0, a1, a2):
            expect(me(own, tok).status == 200, "session tokens before the reuse")

        # r0 is two rotations back: reuse means theft, the whole session ends.
        expect_invalid_token(refresh(own, r0), "Token has been revoked")
        for tok in (a0, a1, a2, b1again["access_token"]):
            expect_invalid_token(me(own, tok), "Token has been revoked")
        expect_invalid_token(refresh(own, r2), "Token has been revoked")


def test_refresh_rotation_reuse_after_grace_revokes_session(fe):
    env = {"OVERWATCH_JWT_REFRESH_ROTATION": "true", "OVERWATCH_JWT_REFRESH_GRACE": "1"}
    with own_instance(fe, "rotation-grace", env) as own:
        email, _ = register(own)
        s = login_ok(own, email)
        b1 = rotated(own, s["refresh_token"], "refresh")
        time.sleep(2.2)
        expect_invalid_token(refresh(own, s["refresh_token"]), "Token has been revoked")
        expect_invalid_token(me(own, b1["access_token"]), "Token has been revoked")
        expect_invalid_token(refresh(own, b1["refresh_token"]), "Token has been revoked")



def test_refresh_rotation_concurrent_retries_get_the_same_answer(fe):
    """Two tabs refreshing at once with the same current token: one rotates,
    the other is a retry inside the grace window and must get the same answer
    (doc/api.md section 6), not a 401, whichever of them reaches the database first."""
    with own_instance(fe, "rotation-race", {"OVERWATCH_JWT_REFRESH_ROTATION": "true"}) as own:
        email, _ = register(own)
        for attempt in range(5):
            s = login_ok(own, email)
            n = 6
            results = [None] * n
            start = threading.Barrier(n)

            def go(i):
                try:
                    start.wait(10)
                    results[i] = refresh(own, s["refresh_token"])
                except Exception as e:  # noqa: BLE001
                    results[i] = e
            threads = [threading.Thread(target=go, args=(i,)) for i in range(n)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(60)
            statuses = [getattr(r, "status", r) for r in results]
            expect(all(st == 200 for st in statuses),
                   "attempt %d: %d concurrent refreshes of one token answered %s: %s"
                   % (attempt + 1, n, statuses,
                      [r.body[:120] for r in results if getattr(r, "status", 0) != 200][:2]))
            tokens = {r.json["refresh_token"] for r in results}
            expect(len(tokens) == 1, "attempt %d: concurrent refreshes got %d different refresh "
                   "tokens" % (attempt + 1, len(tokens)))
            expect(me(own, s["access_token"]).status == 200,
                   "attempt %d: the session was revoked" % (attempt + 1))


def test_lock_expires_after_the_configured_duration(fe):
    env = {"OVERWATCH_LOCKOUT_THRESHOLD": "3", "OVERWATCH_LOCKOUT_DURATION": "1"}
    with own_instance(fe, "lock-expiry", env) as own:
        email, _ = register(own)
        for i in range(3):
            expect_error(login(own, email, "wrong %d" % i), 401, "INVALID_CREDENTIALS")
        r = login(own, email, PW)
        expect_locked(r)
        expect(r.header("Retry-After") == "1", "Retry-After of a 1 s lock is %r"
               % r.header("Retry-After"), r)
        time.sleep(1.3)
        # The lock has run out: a new failure starts a new count (no re-lock).
        expect_error(login(own, email, "wrong again"), 401, "INVALID_CREDENTIALS")
        r = login(own, email, PW)
        expect(r.status == 200, "login after the lock ran out", r)


def test_outdated_hash_is_rehashed_on_login(fe):
    """A user registered while argon2 memory was lower is re-hashed with the
    current parameters on the next successful login (doc/api.md section 6)."""
    h = fe.harness
    with own_instance(fe, "old-params", {"OVERWATCH_PASSWORD_ARGON2_MEMORY": "8192",
                                         "OVERWATCH_PASSWORD_ARGON2_ITERATIONS": "1"}) as old:
        email, _ = register(old)

    def stored_hash():
        out = h.sql("SELECT password_hash FROM %s.users WHERE email = '%s'"
                    % (harness.DB_NAME, email.lower())).stdout.split()
        return out[-1] if len(out) >= 2 else ""
    before = stored_hash()
    expect(before.startswith("$argon2id$") and "m=8192,t=1" in before,
           "hash made with the old parameters is %r" % before)
    login_ok(fe, email)                     # the main front-ends: m=19456, t=2
    after = stored_hash()
    expect(after.startswith("$argon2id$") and "m=19456,t=2,p=1" in after,
           "hash after a login with the current parameters is %r (was %r)" % (after, before))
    login_ok(fe, email)


# ------------------------------------------------------------------ registration off

def test_registration_off_answers_as_an_unknown_path_whatever_the_body(fe):
    """doc/api.md section 6, `register`: switched off, the path answers 404 as
    if it did not exist -- before its body is looked at, so that a malformed
    body (400 naming the fields) or another media type (415) does not tell
    that the route is there. The console relies on it: an empty POST tells
    it whether to offer registration without registering anything."""
    good = {"email": new_email("off"), "password": PW, "name": "Off",
            "organization_name": "Off Org"}
    with own_instance(fe, "register-off", {"OVERWATCH_SERVICE_REGISTRATION": "false"}) as own:
        unknown = own.post_json(API + "/auth/no-such-path", {})
        expect_error(unknown, 404, "NOT_FOUND")
        for label, r in (
                ("an empty object", own.post_json(REGISTER, {})),
                ("a valid body", own.post_json(REGISTER, good)),
                ("a text/plain body", own.request("POST", REGISTER, body="x",
                                                  headers={"Content-Type": "text/plain"})),
                ("malformed JSON", own.request("POST", REGISTER, body="{",
                                               headers={"Content-Type": "application/json"}))):
            try:
                expect_error(r, 404, "NOT_FOUND")
            except AssertionError as e:
                raise AssertionError("registration off, %s: %s" % (label, e)) from None
            expect(r.body == unknown.body, "registration off, %s: the body of an unknown "
                   "path (%r), not %r" % (label, unknown.body, r.body), r)
        # Any other method, OPTIONS (a preflight) included, answers as it does on
        # an unknown path: 404 with the same body and no Allow listing POST.
        for method in ("OPTIONS", "GET", "HEAD", "PUT", "DELETE"):
            headers = {"Origin": "http://127.0.0.1", "Access-Control-Request-Method": "POST"}
            other = own.request(method, API + "/auth/no-such-path", headers=headers)
            r = own.request(method, REGISTER, headers=headers)
            expect(other.status == 404, "%s on an unknown path: %d" % (method, other.status), other)
            expect((r.status, r.body, r.header("Allow")) == (other.status, other.body, None),
                   "registration off, %s %s answered %d %r (Allow %r), an unknown path %d %r"
                   % (method, REGISTER, r.status, r.body, r.header("Allow"), other.status,
                      other.body), r)
    # Switched on (the suite's front-ends), the same empty object is a 400
    # naming the fields, and registers nothing.
    r = fe.post_json(REGISTER, {})
    checks.error(r, 400, "VALIDATION_ERROR")

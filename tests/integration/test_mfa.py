"""Two-factor sign-in (doc/api.md section 6 "Two-factor sign-in"): TOTP enrolment and
confirmation, the code step of a sign-in, replay and skew, the lockout that
wrong codes spend, recovery codes, disabling, an admin's reset, the
organization's policy, the mfa_token refused everywhere else and expired
after its lifetime, and every bad input's documented error.

Codes are computed here with the standard library (RFC 6238: HMAC-SHA1,
6 digits, 30-second steps). A code is accepted once per step and the service
takes one step of skew each way, so a test signs in with the codes of the
steps before, at and after the current one; it first waits out the last
seconds of a step so that the service's clock stays within the same window.
The service behaves the same behind every web server: one front-end.
"""

import base64
import hashlib
import hmac
import re
import struct
import time
import urllib.parse

from lib import checks, harness
from lib.api import (API, PASSWORD, Client, Org, denied, login, not_found, ok, sql_rows,
                     validation_error)
from lib.checks import expect
from test_identity_config import own_instance

FRONTENDS = ("lighttpd-socket",)

RECOVERY_RE = re.compile(r"[A-Z2-7]{4}(-[A-Z2-7]{4}){3}")


def hotp(secret_b32, counter):
    key = base64.b32decode(secret_b32 + "=" * (-len(secret_b32) % 8))
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    off = mac[-1] & 0x0F
    return "%06d" % ((struct.unpack(">I", mac[off:off + 4])[0] & 0x7FFFFFFF) % 1000000)


def fresh_step():
    """The current step, after waiting out a step that is about to end."""
    if time.time() % 30 > 25:
        time.sleep(30 - time.time() % 30 + 0.5)
    return int(time.time() // 30)


def wrong_code(secret, step):
    """A well-formed code that is none of the steps the service accepts now."""
    good = {hotp(secret, s) for s in range(step - 2, step + 3)}
    n = 123456
    while "%06d" % n in good:
        n += 1
    return "%06d" % n


def post(fe, path, body, headers=None):
    return fe.post_json(API + path, body, headers=headers)


def enrolled(org, role="engineer"):
    """A signed-in user with a confirmed TOTP second factor: (user, secret, recovery codes, step used)."""
    user = org.add_user(role)
    step = fresh_step()
    body = ok(user.client.post("/auth/mfa/totp"), 200, "POST /auth/mfa/totp")
    secret = body["secret"]
    body = ok(user.client.post("/auth/mfa/totp/confirm", {"code": hotp(secret, step - 1)}),
              200, "confirm")
    return user, secret, body["recovery_codes"], step - 1


def password_step(fe, user, enrolment=False):
    """Login with the right password: the mfa_token of the code (or enrolment) step."""
    body = ok(login(fe, user.email, user.password), 200, "login of an enrolled user")
    expect(body.get("mfa_required") is True and body.get("mfa_enrolment_required") is enrolment,
           "login did not ask for the second factor as expected: %r" % body)
    expect("access_token" not in body and "refresh_token" not in body,
           "the password step gave tokens: %r" % body)
    expect(isinstance(body.get("mfa_token"), str) and len(body["mfa_token"]) >= 32,
           "no mfa_token: %r" % body)
    expect(isinstance(body.get("expires_in"), int) and body["expires_in"] > 0, "no expires_in")
    return body["mfa_token"]


def signed_in(resp, what):
    body = ok(resp, 200, what)
    for f in ("access_token", "refresh_token", "token_type", "expires_in", "user"):
        expect(f in body, "%s: no %s" % (what, f), resp)
    cookies = " ".join(resp.headers.get_all("Set-Cookie") or [])
    expect("access_token=" in cookies and "refresh_token=" in cookies,
           "%s: no session cookies" % what, resp)
    return body


def me(fe, token):
    return ok(Client(fe, token=token).get("/auth/me"), 200, "GET /auth/me")


def audit(org, action, target=None):
    trail = org.client.list("/audit-log?limit=200&action=" + action)
    return [e for e in trail if target is None or e["target"]["id"] == target]


# ------------------------------------------------------------------ enrolment and sign-in

def test_enrol_confirm_and_sign_in_with_code(fe):
    org = Org(fe, "mfa")
    user = org.add_user("engineer")
    expect(me(fe, user.token)["mfa_enabled"] is False, "mfa_enabled before enrolment")
    step = fresh_step()
    body = ok(user.client.post("/auth/mfa/totp"), 200, "POST /auth/mfa/totp")
    secret = body["secret"]
    expect(re.fullmatch(r"[A-Z2-7]{32}", secret), "secret is not 160 bits of base32: %r" % secret)
    uri = urllib.parse.urlsplit(body["otpauth_uri"])
    q = urllib.parse.parse_qs(uri.query)
    expect(uri.scheme == "otpauth" and uri.netloc == "totp" and
           urllib.parse.unquote(uri.path).endswith(":" + user.email), "bad URI %r" % body["otpauth_uri"])
    expect(q == {"secret": [secret], "issuer": ["overwatch"], "algorithm": ["SHA1"],
                 "digits": ["6"], "period": ["30"]}, "URI parameters %r" % q)
    # Not enabled before confirmation: the password still signs in alone.
    expect("access_token" in ok(login(fe, user.email, PASSWORD), 200, "login"), "no tokens")
    # Restarting replaces the pending secret.
    secret2 = ok(user.client.post("/auth/mfa/totp"), 200, "enrol again")["secret"]
    expect(secret2 != secret, "a second enrolment kept the secret")
    validation_error(user.client.post("/auth/mfa/totp/confirm", {"code": hotp(secret, step)}),
                     "code", "confirm with the replaced secret")
    body = ok(user.client.post("/auth/mfa/totp/confirm", {"code": hotp(secret2, step - 1)}),
              200, "confirm")
    codes = body["recovery_codes"]
    expect(len(codes) == 10 and len(set(codes)) == 10 and all(RECOVERY_RE.fullmatch(c) for c in codes),
           "recovery codes %r" % codes)
    expect(me(fe, user.token)["mfa_enabled"] is True, "mfa_enabled after confirmation")
    checks.error(user.client.post("/auth/mfa/totp"), 409, "CONFLICT")
    checks.error(user.client.post("/auth/mfa/totp/confirm", {"code": hotp(secret2, step)}), 409,
                 "CONFLICT")
    expect(audit(org, "auth.mfa_enrolled", user.id), "no auth.mfa_enrolled event")

    tok = password_step(fe, user)
    body = signed_in(post(fe, "/auth/mfa/verify", {"mfa_token": tok, "code": hotp(secret2, step)}),
                     "verify with the current code")
    expect(me(fe, body["access_token"])["user"]["id"] == user.id, "the new session is not the user's")
    # The mfa_token is spent.
    checks.error(post(fe, "/auth/mfa/verify", {"mfa_token": tok, "code": hotp(secret2, step + 1)}),
                 401, "INVALID_TOKEN")


def test_code_replay_and_skew(fe):
    org = Org(fe, "mfa-replay")
    user, secret, _, used = enrolled(org)
    step = used + 1
    tok = password_step(fe, user)
    # The confirmation's step, and one before it, are spent.
    for s in (used, used - 1):
        checks.error(post(fe, "/auth/mfa/verify", {"mfa_token": tok, "code": hotp(secret, s)}), 401,
                     "INVALID_CREDENTIALS")
    # Two steps ahead is beyond the skew allowed.
    checks.error(post(fe, "/auth/mfa/verify", {"mfa_token": tok, "code": hotp(secret, step + 2)}), 401,
                 "INVALID_CREDENTIALS")
    signed_in(post(fe, "/auth/mfa/verify", {"mfa_token": tok, "code": hotp(secret, step)}), "verify")
    # The same code again, with a new password step: refused, then the next step's works.
    tok = password_step(fe, user)
    checks.error(post(fe, "/auth/mfa/verify", {"mfa_token": tok, "code": hotp(secret, step)}), 401,
                 "INVALID_CREDENTIALS")
    signed_in(post(fe, "/auth/mfa/verify", {"mfa_token": tok, "code": hotp(secret, step + 1)}),
              "verify one step ahead")
    failed = audit(org, "auth.mfa_failed", user.id)
    expect(len(failed) == 4 and all(e["outcome"] == "failure" for e in failed),
           "auth.mfa_failed events: %r" % failed)


def test_wrong_codes_lock_the_account(fe):
    org = Org(fe, "mfa-lock")
    user, secret, _, used = enrolled(org)
    tok = password_step(fe, user)
    for i in range(5):      # [lockout] threshold
        checks.error(post(fe, "/auth/mfa/verify", {"mfa_token": tok, "code": wrong_code(secret, used)}),
                     401, "INVALID_CREDENTIALS")
    r = post(fe, "/auth/mfa/verify", {"mfa_token": tok, "code": hotp(secret, used + 1)})
    checks.error(r, 423, "ACCOUNT_LOCKED")
    expect(r.header("Retry-After", "").isdigit(), "423 without Retry-After", r)
    checks.error(login(fe, user.email, PASSWORD), 423, "ACCOUNT_LOCKED")
    expect(audit(org, "auth.locked", user.id), "no auth.locked event")
    ok(org.client.post("/users/%s/unlock" % user.id), 204, "unlock")
    tok = password_step(fe, user)
    signed_in(post(fe, "/auth/mfa/verify", {"mfa_token": tok, "code": hotp(secret, used + 1)}),
              "verify after the unlock")


def test_recovery_code_works_once(fe):
    org = Org(fe, "mfa-recovery")
    user, secret, codes, _ = enrolled(org)
    tok = password_step(fe, user)
    # Typed in lower case without dashes: the same code.
    typed = codes[3].replace("-", "").lower()
    signed_in(post(fe, "/auth/mfa/verify", {"mfa_token": tok, "recovery_code": typed}),
              "verify with a recovery code")
    expect(audit(org, "auth.mfa_recovery_used", user.id), "no auth.mfa_recovery_used event")
    tok = password_step(fe, user)
    checks.error(post(fe, "/auth/mfa/verify", {"mfa_token": tok, "recovery_code": codes[3]}), 401,
                 "INVALID_CREDENTIALS")
    checks.error(post(fe, "/auth/mfa/verify", {"mfa_token": tok, "recovery_code": "AAAA-BBBB-CCCC-DDDD"}),
                 401, "INVALID_CREDENTIALS")
    signed_in(post(fe, "/auth/mfa/verify", {"mfa_token": tok, "recovery_code": codes[4]}),
              "another recovery code")


# ------------------------------------------------------------------ management

def test_disable_with_password_or_code(fe):
    org = Org(fe, "mfa-disable")
    user, secret, _, used = enrolled(org)
    validation_error(user.client.post("/auth/mfa/disable", {"password": "not the password"}),
                     "password", "disable with a wrong password")
    validation_error(user.client.post("/auth/mfa/disable", {"code": wrong_code(secret, used)}),
                     "code", "disable with a wrong code")
    validation_error(user.client.post("/auth/mfa/disable", {}), "code", "disable without proof")
    validation_error(user.client.post("/auth/mfa/disable", {"code": hotp(secret, used + 1),
                                                             "password": PASSWORD}),
                     "password", "disable with both")
    ok(user.client.post("/auth/mfa/disable", {"code": hotp(secret, used + 1)}), 204, "disable")
    expect(me(fe, user.token)["mfa_enabled"] is False, "mfa_enabled after disabling")
    expect("access_token" in ok(login(fe, user.email, PASSWORD), 200, "login"), "no tokens")
    checks.error(user.client.post("/auth/mfa/disable", {"password": PASSWORD}), 409, "CONFLICT")
    expect(audit(org, "auth.mfa_disabled", user.id), "no auth.mfa_disabled event")
    # Enrolled again, then disabled with the password.
    user2, _, _, _ = enrolled(org)
    ok(user2.client.post("/auth/mfa/disable", {"password": PASSWORD}), 204, "disable by password")


def test_admin_reset(fe):
    org, other = Org(fe, "mfa-reset"), Org(fe, "mfa-reset-other")
    user, _, _, _ = enrolled(org)
    engineer = org.add_user("engineer")
    denied(engineer.client.delete("/users/%s/mfa" % user.id), "reset by an engineer")
    not_found(other.client.delete("/users/%s/mfa" % user.id), "reset from another organization")
    not_found(org.client.delete("/users/00000000-0000-4000-8000-000000000000/mfa"), "unknown user")
    not_found(org.client.delete("/users/not-a-uuid/mfa"), "not a UUID")
    password_step(fe, user)
    ok(org.client.delete("/users/%s/mfa" % user.id), 204, "reset")
    expect("access_token" in ok(login(fe, user.email, PASSWORD), 200, "login"),
           "the password alone does not sign in after the reset")
    events = audit(org, "auth.mfa_reset", user.id)
    expect(len(events) == 1 and events[0]["actor"]["id"] == org.admin.id, "auth.mfa_reset: %r" % events)


def test_policy_sends_users_to_enrolment(fe):
    org = Org(fe, "mfa-policy")
    engineer = org.add_user("engineer")
    expect(ok(org.client.get("/mfa-policy"), 200, "GET /mfa-policy") == {"require": "none"},
           "default policy")
    denied(engineer.client.request("PUT", "/mfa-policy", {"require": "all"}), "policy by an engineer")
    validation_error(org.client.request("PUT", "/mfa-policy", {"require": "sometimes"}), "require",
                     "unknown policy")
    validation_error(org.client.request("PUT", "/mfa-policy", {}), "require", "no policy")
    ok(org.client.request("PUT", "/mfa-policy", {"require": "admins"}), 200, "policy admins")
    # Admins only: the engineer still signs in with the password.
    expect("access_token" in ok(login(fe, engineer.email, PASSWORD), 200, "login"), "no tokens")
    admin_tok = password_step(fe, org.admin, enrolment=True)
    expect(ok(org.client.request("PUT", "/mfa-policy", {"require": "all"}), 200, "policy all")
           == {"require": "all"}, "PUT answer")
    expect(audit(org, "organization.mfa_policy_changed"), "no policy event")
    tok = password_step(fe, engineer, enrolment=True)
    # Nothing but enrolment: not a credential, not a code step.
    checks.error(Client(fe, token=tok).get("/incidents"), 401, "INVALID_TOKEN")
    checks.error(post(fe, "/auth/mfa/verify", {"mfa_token": tok, "code": "123456"}), 401,
                 "INVALID_TOKEN")
    step = fresh_step()
    secret = ok(post(fe, "/auth/mfa/totp", {"mfa_token": tok}), 200, "enrol by mfa_token")["secret"]
    body = signed_in(post(fe, "/auth/mfa/totp/confirm", {"mfa_token": tok, "code": hotp(secret, step)}),
                     "confirm by mfa_token")
    expect(len(body["recovery_codes"]) == 10, "no recovery codes with the sign-in")
    expect(me(fe, body["access_token"])["mfa_enabled"] is True, "not enrolled")
    checks.error(post(fe, "/auth/mfa/totp", {"mfa_token": tok}), 401, "INVALID_TOKEN")
    # From now on a code step.
    tok = password_step(fe, engineer)
    signed_in(post(fe, "/auth/mfa/verify", {"mfa_token": tok, "code": hotp(secret, step + 1)}), "verify")
    # The admin's enrolment token is still good for enrolment only.
    checks.error(post(fe, "/auth/mfa/verify", {"mfa_token": admin_tok, "code": "123456"}), 401,
                 "INVALID_TOKEN")
    ok(post(fe, "/auth/mfa/totp", {"mfa_token": admin_tok}), 200, "admin enrols")


# ------------------------------------------------------------------ the mfa_token

def test_mfa_token_is_no_credential(fe):
    org = Org(fe, "mfa-token")
    user, _, _, _ = enrolled(org)
    tok = password_step(fe, user)
    for method, path in (("GET", "/auth/me"), ("GET", "/incidents"), ("POST", "/auth/logout"),
                         ("GET", "/users")):
        checks.error(Client(fe, token=tok).request(method, path), 401, "INVALID_TOKEN")
        checks.error(fe.request(method, API + path, headers={"Cookie": "access_token=" + tok}),
                     401, "INVALID_TOKEN")
    checks.error(Client(fe, key=tok).get("/incidents"), 401, "INVALID_API_KEY")
    checks.error(post(fe, "/auth/refresh", {"refresh_token": tok}), 401, "INVALID_TOKEN")
    # Not an enrolment token either, nor a confirmation one.
    checks.error(post(fe, "/auth/mfa/totp", {"mfa_token": tok}), 401, "INVALID_TOKEN")
    checks.error(post(fe, "/auth/mfa/totp/confirm", {"mfa_token": tok, "code": "123456"}), 401,
                 "INVALID_TOKEN")
    # An access token is no mfa_token: longer than any.
    validation_error(post(fe, "/auth/mfa/verify", {"mfa_token": user.token, "code": "123456"}),
                     "mfa_token", "an access token as mfa_token")


def test_mfa_token_expires(fe):
    org = Org(fe, "mfa-ttl")
    user, secret, _, used = enrolled(org)
    with own_instance(fe, "mfa-ttl", {"OVERWATCH_MFA_TOKEN_TTL": "2"}) as own:
        body = ok(login(own, user.email, PASSWORD), 200, "login")
        expect(body["expires_in"] == 2, "expires_in is not the configured 2: %r" % body)
        time.sleep(3)
        checks.error(post(own, "/auth/mfa/verify", {"mfa_token": body["mfa_token"],
                                                    "code": hotp(secret, used + 1)}),
                     401, "INVALID_TOKEN")
    # The purge job deletes the expired challenge rows.
    expired = ("SELECT COUNT(*) FROM %s.mfa_challenges WHERE expires_at < UTC_TIMESTAMP(6)"
               % harness.DB_NAME)
    expect(int(sql_rows(fe, expired)[0][0]) > 0, "no expired challenge before the purge")
    fe.harness.admin("purge")
    expect(int(sql_rows(fe, expired)[0][0]) == 0, "expired challenges left after the purge")


# ------------------------------------------------------------------ bad input

def test_bad_inputs(fe):
    org = Org(fe, "mfa-input")
    user, secret, _, used = enrolled(org)
    tok = password_step(fe, user)
    cases = [
        ({}, "mfa_token"),
        ({"mfa_token": tok}, "code"),
        ({"mfa_token": tok, "code": "123456", "recovery_code": "AAAA-AAAA-AAAA-AAAA"}, "recovery_code"),
        ({"mfa_token": tok, "code": "12a456"}, "code"),
        ({"mfa_token": tok, "code": "1234567"}, "code"),
        ({"mfa_token": tok, "code": "1" * 17}, "code"),
        ({"mfa_token": tok, "code": 123456}, "code"),
        ({"mfa_token": tok, "code": None}, "code"),
        ({"mfa_token": tok, "recovery_code": "not-a-code"}, "recovery_code"),
        ({"mfa_token": tok, "recovery_code": "A" * 65}, "recovery_code"),
        ({"mfa_token": 5, "code": "123456"}, "mfa_token"),
        ({"mfa_token": "", "code": "123456"}, "mfa_token"),
        ({"mfa_token": "x" * 129, "code": "123456"}, "mfa_token"),
    ]
    for body, field in cases:
        validation_error(post(fe, "/auth/mfa/verify", body), field, "verify %r" % (body,))
    for bad in ("garbage", "A" * 43, tok[:-1] + "!", "é" * 43):
        checks.error(post(fe, "/auth/mfa/verify", {"mfa_token": bad, "code": "123456"}), 401,
                     "INVALID_TOKEN")
    checks.error(fe.request("POST", API + "/auth/mfa/verify", body=b"{not json",
                            headers={"Content-Type": "application/json"}), 400, "VALIDATION_ERROR")
    checks.error(fe.request("POST", API + "/auth/mfa/verify", body=b"code=1",
                            headers={"Content-Type": "application/x-www-form-urlencoded"}),
                 415, "UNSUPPORTED_MEDIA_TYPE")
    checks.error(fe.request("GET", API + "/auth/mfa/verify"), 405, "METHOD_NOT_ALLOWED")
    # None of these spent the lockout budget: the right code still works.
    signed_in(post(fe, "/auth/mfa/verify", {"mfa_token": tok, "code": hotp(secret, used + 1)}),
              "verify after bad input")
    validation_error(user.client.post("/auth/mfa/totp/confirm", {}), "code", "confirm without code")
    validation_error(user.client.post("/auth/mfa/totp/confirm", {"code": "abcdef"}), "code",
                     "confirm with letters")
    validation_error(user.client.post("/auth/mfa/totp", {"mfa_token": 1}), "mfa_token", "enrol")
    checks.error(fe.request("POST", API + "/auth/mfa/totp"), 401, "INVALID_TOKEN")
    checks.error(post(fe, "/auth/mfa/totp/confirm", {"code": "123456"}), 401, "INVALID_TOKEN")
    key_client, _ = org.key_client(["incidents:read"])
    denied(key_client.post("/auth/mfa/totp"), "enrol with an API key")
    denied(key_client.post("/auth/mfa/disable", {"password": PASSWORD}), "disable with an API key")
    validation_error(user.client.post("/auth/mfa/disable", {"code": "12345"}), "code", "short code")


def test_wrong_codes_spend_the_clients_budget(fe):
    org = Org(fe, "mfa-throttle")
    user, secret, _, used = enrolled(org)
    env = {"OVERWATCH_LOCKOUT_IP_FAILURES_PER_MINUTE": "3",
           "OVERWATCH_SERVICE_TRUSTED_PROXIES": "127.0.0.1"}
    # Clients of their own: 127.0.0.1's budget is the rest of the suite's too.
    ip_a, ip_b = {"X-Forwarded-For": "10.22.0.1"}, {"X-Forwarded-For": "10.22.0.2"}
    with own_instance(fe, "mfa-throttle", env) as own:
        tok = ok(post(own, "/auth/login", {"email": user.email, "password": PASSWORD}, headers=ip_b),
                 200, "login")["mfa_token"]
        for _ in range(3):
            checks.error(post(own, "/auth/mfa/verify", {"mfa_token": tok, "code": wrong_code(secret, used)},
                              headers=ip_a), 401, "INVALID_CREDENTIALS")
        r = post(own, "/auth/mfa/verify", {"mfa_token": tok, "code": hotp(secret, used + 1)}, headers=ip_a)
        checks.error(r, 429, "RATE_LIMITED")
        expect(r.header("Retry-After", "").isdigit(), "429 without Retry-After", r)
        # Another client, below the account's threshold, gets through with the right code.
        signed_in(post(own, "/auth/mfa/verify", {"mfa_token": tok, "code": hotp(secret, used + 1)},
                       headers=ip_b), "verify from another client")

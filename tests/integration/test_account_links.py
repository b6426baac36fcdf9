"""Account links (doc/api.md section 6 "Account links"): an admin-created user's
activation link, the operator's reset link (overwatch-admin reset-link), the
self-service password reset, and the one token mechanism under them: only the
SHA-256 stored, single use, purpose-bound, expiring, every session ended when
it sets a password, refused tokens spending the client's failed-login budget,
unknown addresses answered exactly like known ones, and every bad input's
documented error.

The service behaves the same behind every web server: one front-end.
"""

import hashlib
import os
import re
import statistics
import threading
import time

from lib.api import (API, PASSWORD, Client, Org, USER_FIELDS, login, ok, sql_rows, stmt_executes,
                     unique_email, validation_error)
from lib import checks
from lib.checks import expect
from test_identity_config import client_ip, own_instance, xff

FRONTENDS = ("lighttpd-socket",)
# OVERWATCH_IT_REPORT=1 prints the reset request's timings per kind of address.
REPORT = bool(os.environ.get("OVERWATCH_IT_REPORT"))

TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{43}")
NEW_PASSWORD = "a brand new passphrase 42"


def post(fe, path, body, headers=None):
    return fe.post_json(API + path, body, headers=headers)


def digest_hex(token):
    return hashlib.sha256(token.encode()).hexdigest().upper()


def token_rows(fe, user_id):
    """(HEX(token_digest), purpose) of the user's live and expired links."""
    return sql_rows(fe, "SELECT HEX(token_digest), purpose FROM overwatch_it.account_tokens "
                        "WHERE user_id = '%s'" % user_id)


def invalid_link(resp, what):
    try:
        checks.error(resp, 401, "INVALID_TOKEN")
    except AssertionError as e:
        raise AssertionError("%s: %s" % (what, e)) from None


def create_without_password(org, role="engineer"):
    email = unique_email("invited")
    body = ok(org.client.post("/users", {"email": email, "name": "Invited", "role": role}),
              201, "POST /users without a password")
    return body


def reset_link(fe, email):
    """overwatch-admin reset-link EMAIL: the token it prints (no link_base in the harness)."""
    r = fe.harness.admin("reset-link", email)
    token = r.stdout.strip()
    expect(TOKEN_RE.fullmatch(token) is not None, "reset-link printed %r" % r.stdout)
    return token


# ------------------------------------------------------------------ activation

def test_user_created_without_password_activates_once(fe):
    org = Org(fe, "activation")
    body = create_without_password(org)
    expect(USER_FIELDS <= set(body), "the user's fields are all there: %r" % body)
    act = body.get("activation")
    expect(isinstance(act, dict) and TOKEN_RE.fullmatch(act.get("token", "")) is not None,
           "an activation token of 43 base64url characters: %r" % act)
    expect(act.get("link") is None and act.get("expires_in") == 86400,
           "no link without [account] link_base, the default lifetime: %r" % act)
    token = act["token"]
    # Only the digest is stored.
    rows = token_rows(fe, body["id"])
    expect(rows == [[digest_hex(token), "activation"]], "one activation digest stored: %r" % rows)
    dump = sql_rows(fe, "SELECT COUNT(*) FROM overwatch_it.account_tokens "
                        "WHERE token_digest = '%s'" % token)
    expect(dump == [["0"]], "the token itself is nowhere in the table")
    # No password yet: no login, whatever is tried.
    checks.error(login(fe, body["email"], ""), 400, "VALIDATION_ERROR")
    checks.error(login(fe, body["email"], NEW_PASSWORD), 401, "INVALID_CREDENTIALS")
    ok(post(fe, "/auth/activate", {"token": token, "password": NEW_PASSWORD}), 204, "activate")
    ok(login(fe, body["email"], NEW_PASSWORD), 200, "login after activation")
    invalid_link(post(fe, "/auth/activate", {"token": token, "password": "another passphrase"}),
                 "the same activation link a second time")
    ok(login(fe, body["email"], NEW_PASSWORD), 200, "the spent link changed nothing")
    expect(token_rows(fe, body["id"]) == [], "the spent link's row is gone")
    audit = ok(org.client.get("/audit-log?action=user.activated"), 200, "audit")
    expect([e["target"]["id"] for e in audit] == [body["id"]], "user.activated recorded: %r" % audit)


def test_user_created_with_password_has_no_link(fe):
    org = Org(fe, "withpw")
    email = unique_email("pw")
    body = ok(org.client.post("/users", {"email": email, "name": "P", "role": "viewer",
                                         "password": PASSWORD}), 201, "POST /users")
    expect("activation" not in body, "a password given: no link: %r" % body)
    expect(token_rows(fe, body["id"]) == [], "no token stored")
    ok(login(fe, email, PASSWORD), 200, "login with the admin's password")


def test_links_are_purpose_bound(fe):
    org = Org(fe, "purpose")
    body = create_without_password(org)
    activation = body["activation"]["token"]
    invalid_link(post(fe, "/auth/password-reset/confirm",
                      {"token": activation, "password": NEW_PASSWORD}),
                 "an activation token at the reset endpoint")
    reset = reset_link(fe, body["email"])
    invalid_link(post(fe, "/auth/activate", {"token": reset, "password": NEW_PASSWORD}),
                 "a reset token at the activation endpoint")
    # Refused elsewhere, neither was spent: each still works for its purpose.
    ok(post(fe, "/auth/activate", {"token": activation, "password": NEW_PASSWORD}), 204, "activate")
    ok(post(fe, "/auth/password-reset/confirm", {"token": reset, "password": PASSWORD}), 204,
       "reset")
    ok(login(fe, body["email"], PASSWORD), 200, "login with the reset password")
    # Neither is a bearer credential either.
    checks.error(Client(fe, token=reset).get("/auth/me"), 401, "INVALID_TOKEN")


# ------------------------------------------------------------------ reset

def test_reset_link_sets_password_and_ends_every_session(fe):
    org = Org(fe, "reset")
    user = org.add_user("engineer")
    other = org.add_user("viewer")
    old_access, old_refresh = user.token, user.refresh
    # Locked out by wrong guesses: the link proves the address, and unlocks.
    for i in range(5):
        login(fe, user.email, "wrong guess %d" % i)
    checks.error(login(fe, user.email, PASSWORD), 423, "ACCOUNT_LOCKED")
    token = reset_link(fe, user.email)
    expect(token_rows(fe, user.id) == [[digest_hex(token), "reset"]], "one reset digest stored")
    ok(post(fe, "/auth/password-reset/confirm", {"token": token, "password": NEW_PASSWORD}), 204,
       "confirm")
    checks.error(login(fe, user.email, PASSWORD), 401, "INVALID_CREDENTIALS")
    ok(login(fe, user.email, NEW_PASSWORD), 200, "login with the new password")
    checks.error(Client(fe, token=old_access).get("/auth/me"), 401, "INVALID_TOKEN")
    checks.error(post(fe, "/auth/refresh", {"refresh_token": old_refresh}), 401, "INVALID_TOKEN")
    ok(other.client.get("/auth/me"), 200, "another user's session is untouched")
    invalid_link(post(fe, "/auth/password-reset/confirm",
                      {"token": token, "password": "yet another passphrase"}), "a spent link")
    audit = ok(org.client.get("/audit-log?action=auth.password_reset"), 200, "audit")
    expect([e["target"]["id"] for e in audit] == [user.id], "auth.password_reset recorded")


def test_reset_link_expires(fe):
    org = Org(fe, "expiry")
    user = org.add_user("viewer", login_now=False)
    token = reset_link(fe, user.email)
    fe.harness.sql("UPDATE overwatch_it.account_tokens SET expires_at = UTC_TIMESTAMP(6) - "
                   "INTERVAL 1 SECOND WHERE token_digest = UNHEX('%s')" % digest_hex(token))
    invalid_link(post(fe, "/auth/password-reset/confirm",
                      {"token": token, "password": NEW_PASSWORD}), "an expired link")
    ok(login(fe, user.email, PASSWORD), 200, "the password is unchanged")


def test_new_link_replaces_older_and_deactivation_refuses(fe):
    org = Org(fe, "replace")
    user = org.add_user("viewer", login_now=False)
    first = reset_link(fe, user.email)
    second = reset_link(fe, user.email)
    invalid_link(post(fe, "/auth/password-reset/confirm", {"token": first, "password": NEW_PASSWORD}),
                 "a link replaced by a newer one")
    ok(org.client.patch("/users/%s" % user.id, {"active": False}), 200, "deactivate")
    invalid_link(post(fe, "/auth/password-reset/confirm",
                      {"token": second, "password": NEW_PASSWORD}), "a deactivated user's link")
    r = fe.harness.admin("reset-link", user.email, check=False)
    expect(r.returncode == 66 and r.stdout == "", "reset-link of a deactivated user: exit 66")
    r = fe.harness.admin("reset-link", unique_email("nobody"), check=False)
    expect(r.returncode == 66 and r.stdout == "", "reset-link of an unknown address: exit 66")
    r = fe.harness.admin("reset-link", "not an address", check=False)
    expect(r.returncode == 65, "reset-link of a malformed address: exit 65")


def test_concurrent_confirms_spend_the_link_once(fe):
    org = Org(fe, "race")
    user = org.add_user("viewer", login_now=False)
    token = reset_link(fe, user.email)
    results = []

    def confirm(i):
        r = post(fe, "/auth/password-reset/confirm",
                 {"token": token, "password": "racing passphrase %d" % i})
        results.append((r.status, i))

    threads = [threading.Thread(target=confirm, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    statuses = sorted(s for s, _ in results)
    expect(statuses == [204, 401, 401, 401], "exactly one confirm wins: %r" % statuses)
    winner = [i for s, i in results if s == 204][0]
    ok(login(fe, user.email, "racing passphrase %d" % winner), 200, "the winner's password")


# ------------------------------------------------------------------ self-service request

TIMES = {}


def reset_request(fe, email, headers=None, label=None):
    before = stmt_executes(fe)
    t0 = time.monotonic()
    r = post(fe, "/auth/password-reset", {"email": email}, headers=headers)
    TIMES.setdefault(label, []).append(time.monotonic() - t0)
    return r, stmt_executes(fe) - before


def test_reset_request_answers_every_address_alike(fe):
    org = Org(fe, "alike")
    known = org.add_user("viewer", login_now=False)
    inactive = org.add_user("viewer", login_now=False)
    ok(org.client.patch("/users/%s" % inactive.id, {"active": False}), 200, "deactivate")
    answers, counts = {}, {}
    for label, email in (("known", known.email), ("unknown", unique_email("nobody")),
                         ("inactive", inactive.email), ("known, upper case", known.email.upper())):
        # The smallest of a few runs: another process's statement (a
        # revocation poll) can land in one window, never in all of them.
        runs = [reset_request(fe, email, label=label) for _ in range(3 if not REPORT else 30)]
        for r, _ in runs:
            body = ok(r, 202, "password reset request (%s)" % label)
            expect(body == {"detail": runs[0][0].json["detail"]}, "only a detail: %r" % body)
        answers[label] = (runs[0][0].status, runs[0][0].body,
                          tuple(sorted((k.lower(), v) for k, v in runs[0][0].headers.items()
                                       if k.lower() != "date")))
        counts[label] = min(n for _, n in runs)
    expect(len(set(answers.values())) == 1, "identical answers: %r" % answers)
    expect(len(set(counts.values())) == 1, "the same statements for every address: %r" % counts)
    if REPORT:
        for label, times in TIMES.items():
            print("      reset request, %s address: median %.1f ms, max %.1f ms over %d" % (
                label, 1000 * statistics.median(times), 1000 * max(times), len(times)))
    rows = token_rows(fe, known.id)
    expect(len(rows) == 1 and rows[0][1] == "reset", "one live reset link for the known user")
    expect(token_rows(fe, inactive.id) == [], "no link for an inactive user")
    audit = ok(org.client.get("/audit-log?action=auth.password_reset_requested"), 200, "audit")
    expect({e["target"]["id"] for e in audit} == {known.id}, "requests audited for the known user")


def test_reset_request_throttled_per_client(fe):
    env = {"OVERWATCH_ACCOUNT_RESETS_PER_HOUR": "3",
           "OVERWATCH_SERVICE_TRUSTED_PROXIES": "127.0.0.1"}
    with own_instance(fe, "resets", env) as own:
        ip = client_ip()
        for i in range(3):
            ok(post(own, "/auth/password-reset", {"email": unique_email("t")}, xff(ip)), 202,
               "request %d" % (i + 1))
        r = post(own, "/auth/password-reset", {"email": unique_email("t")}, xff(ip))
        checks.error(r, 429, "RATE_LIMITED")
        expect(int(r.header("Retry-After", "0")) > 0, "Retry-After on the 429", r)
        ok(post(own, "/auth/password-reset", {"email": unique_email("t")}, xff(client_ip())), 202,
           "another client is not limited")


def test_refused_tokens_spend_the_client_budget(fe):
    env = {"OVERWATCH_LOCKOUT_IP_FAILURES_PER_MINUTE": "3",
           "OVERWATCH_SERVICE_TRUSTED_PROXIES": "127.0.0.1"}
    with own_instance(fe, "linkguess", env) as own:
        ip = client_ip()
        for path in ("/auth/activate", "/auth/password-reset/confirm", "/auth/activate"):
            invalid_link(post(own, path, {"token": "A" * 43, "password": NEW_PASSWORD}, xff(ip)),
                         "a guessed token")
        for path in ("/auth/activate", "/auth/password-reset/confirm", "/auth/password-reset"):
            body = {"email": unique_email("x")} if path.endswith("reset") else \
                {"token": "A" * 43, "password": NEW_PASSWORD}
            checks.error(post(own, path, body, xff(ip)), 429, "RATE_LIMITED")


# ------------------------------------------------------------------ bad input

def test_bad_input_gets_the_documented_errors(fe):
    org = Org(fe, "badinput")
    good = "B" * 43
    for path, body, field in (
            ("/auth/password-reset", {}, "email"),
            ("/auth/password-reset", {"email": 7}, "email"),
            ("/auth/password-reset", {"email": None}, "email"),
            ("/auth/password-reset", {"email": "no-at-sign"}, "email"),
            ("/auth/password-reset", {"email": "x" * 1025}, "email"),
            ("/auth/password-reset/confirm", {"password": NEW_PASSWORD}, "token"),
            ("/auth/password-reset/confirm", {"token": good}, "password"),
            ("/auth/password-reset/confirm", {"token": good, "password": "short"}, "password"),
            ("/auth/password-reset/confirm", {"token": "", "password": NEW_PASSWORD}, "token"),
            ("/auth/password-reset/confirm", {"token": "t" * 129, "password": NEW_PASSWORD},
             "token"),
            ("/auth/activate", {"token": [good], "password": NEW_PASSWORD}, "token"),
            ("/auth/activate", {"token": good, "password": "p" * 1025}, "password")):
        validation_error(post(fe, path, body), field, "%s %r" % (path, body))
    for token in ("abc", "A" * 42, "A" * 44, "+" * 43, "A" * 42 + "\u00e9"):
        invalid_link(post(fe, "/auth/password-reset/confirm",
                          {"token": token, "password": NEW_PASSWORD}), "token %r" % token)
    for path in ("/auth/password-reset", "/auth/password-reset/confirm", "/auth/activate"):
        checks.error(fe.request("POST", API + path, body="email=x",
                                headers={"Content-Type": "application/x-www-form-urlencoded"}),
                     415, None)
        checks.error(post(fe, path, "{not json"), 400, "VALIDATION_ERROR")
        checks.error(fe.get(API + path), 405, None)
    validation_error(org.client.post("/users", {"email": unique_email("u"), "name": "U",
                                                "role": "viewer", "password": "short"}),
                     "password", "POST /users with a short password")
    validation_error(org.client.post("/users", {"email": unique_email("u"), "name": "U",
                                                "role": "viewer", "password": None}),
                     "password", "POST /users with a null password")


def test_a_link_sets_only_a_password_the_rules_allow(fe):
    """A password set through a link follows the rules of every new password
    (doc/api.md section 6, "Passwords"): a common one or 12 spaces is a 400
    naming the field, and the link stays unspent for a good one."""
    org = Org(fe, "link-rules")
    body = create_without_password(org)
    token = body["activation"]["token"]
    user = org.add_user("viewer")
    reset = reset_link(fe, user.email)
    for path, tok in (("/auth/activate", token), ("/auth/password-reset/confirm", reset)):
        for bad in ("password1234", " " * 12, "Password1234"):
            validation_error(post(fe, path, {"token": tok, "password": bad}), "password",
                             "%s with %r" % (path, bad))
    ok(post(fe, "/auth/activate", {"token": token, "password": NEW_PASSWORD}), 204, "activate")
    ok(post(fe, "/auth/password-reset/confirm", {"token": reset, "password": NEW_PASSWORD}), 204,
       "reset")
    ok(login(fe, body["email"], NEW_PASSWORD), 200, "login after activation")
    ok(login(fe, user.email, NEW_PASSWORD), 200, "login after the reset")

"""Step-up (doc/api.md section 3, "Step-up"; doc/SECURITY.md): creating an
API key or a user, changing a role and changing the SSO connection need the
password or a second factor proved in the calling session within [jwt]
reauthentication_window; otherwise 401 REAUTHENTICATION_REQUIRED, and POST
/auth/reauthenticate proves it again. API keys are not sessions and are never
asked. The window is shortened through an instance of its own."""

import time

from lib import api, checks
from lib.api import Client, Org, denied, ok, validation_error
from lib.checks import expect
from test_identity_config import own_instance
from test_mfa import enrolled, hotp, wrong_code

FRONTENDS = ("lighttpd-socket",)     # a rule of the service, not of the web server
WINDOW = 3
ENV = {"OVERWATCH_JWT_REAUTHENTICATION_WINDOW": str(WINDOW)}
KEY = {"name": "step-up", "permissions": ["incidents:read"]}


def step_up_required(resp, what):
    return api.unauthorized(resp, "REAUTHENTICATION_REQUIRED", what)


def past_the_window():
    time.sleep(WINDOW + 1.5)


def new_user_body(role="viewer"):
    return {"email": api.unique_email(role), "name": "Stepped", "role": role,
            "password": api.PASSWORD}


def test_old_proof_is_refused_until_reauthenticated(fe):
    with own_instance(fe, "step-up", ENV) as own:
        org = Org(own, "step-up")
        target = org.add_user("viewer")
        ci, _ = org.key_client(["incidents:read", "api_keys:create"])
        past_the_window()
        admin = org.client
        step_up_required(admin.post("/api-keys", KEY), "creating an API key")
        step_up_required(admin.post("/users", new_user_body()), "creating a user")
        step_up_required(admin.patch("/users/" + target.id, {"role": "engineer"}), "a role change")
        step_up_required(admin.put("/sso-connections", {"issuer": "https://idp.example",
                                                        "client_id": "x"}),
                         "changing the SSO connection")
        # Not sensitive: a rename, reading, and the API key (not a session).
        ok(admin.patch("/users/" + target.id, {"name": "Renamed"}), 200, "a rename")
        ok(admin.get("/users"), 200, "reading users")
        ok(ci.post("/api-keys", KEY), 201, "an API key creating a key (keys are not sessions)")
        # The refusals changed nothing.
        roles = {u["id"]: u["role"] for u in admin.list("/users")}
        expect(roles[target.id] == "viewer", "the refused role change was applied")
        # A wrong password first: refused, and the session stays unproved.
        validation_error(admin.post("/auth/reauthenticate", {"password": "not the password"}),
                         "password", "a wrong password")
        step_up_required(admin.post("/api-keys", KEY), "after a wrong password")
        ok(admin.post("/auth/reauthenticate", {"password": api.PASSWORD}), 204, "reauthenticate")
        ok(admin.post("/api-keys", KEY), 201, "creating an API key after reauthenticating")
        ok(admin.post("/users", new_user_body()), 201, "creating a user after reauthenticating")
        ok(admin.patch("/users/" + target.id, {"role": "engineer"}), 200, "a role change after")
        events = api.sql_rows(own, "SELECT outcome FROM overwatch_it.audit_log WHERE action = "
                              "'auth.reauthenticated' AND actor_id = '%s' ORDER BY occurred_at"
                              % org.admin.id)
        expect(events == [["failure"], ["success"]], "audit of the reauthentications: %r" % events)
        # The new proof ages like a sign-in's.
        past_the_window()
        step_up_required(admin.post("/api-keys", KEY), "once the new proof is old too")


def test_fresh_login_is_recent(fe):
    with own_instance(fe, "step-up-fresh", ENV) as own:
        org = Org(own, "step-up-fresh")
        past_the_window()
        again = org.admin.login()
        ok(again.client.post("/api-keys", KEY), 201, "a key right after a new login")


def test_wrong_reauthentication_counts_toward_the_lockout(fe):
    org = Org(fe, "step-up-lock")
    user = org.add_user("engineer")
    for i in range(5):      # [lockout] threshold
        validation_error(user.client.post("/auth/reauthenticate", {"password": "wrong %d" % i}),
                         "password", "wrong password %d" % (i + 1))
    checks.error(user.client.post("/auth/reauthenticate", {"password": api.PASSWORD}),
                 423, "ACCOUNT_LOCKED")
    checks.error(api.login(fe, user.email, api.PASSWORD), 423, "ACCOUNT_LOCKED")
    ok(org.client.post("/users/%s/unlock" % user.id), 204, "the admin unlocks")
    ok(user.client.post("/auth/reauthenticate", {"password": api.PASSWORD}), 204, "after the unlock")


def test_reauthenticate_with_a_second_factor(fe):
    with own_instance(fe, "step-up-mfa", ENV) as own:
        org = Org(own, "step-up-mfa")
        user, secret, _, used = enrolled(org, role="admin")
        past_the_window()
        step_up_required(user.client.post("/api-keys", KEY), "before the code")
        validation_error(user.client.post("/auth/reauthenticate", {"code": wrong_code(secret, used)}),
                         "code", "a wrong code")
        ok(user.client.post("/auth/reauthenticate", {"code": hotp(secret, used + 1)}), 204,
           "reauthenticate with a code")
        ok(user.client.post("/api-keys", KEY), 201, "creating a key after the code")
        # The code is spent: the same one again is refused.
        validation_error(user.client.post("/auth/reauthenticate", {"code": hotp(secret, used + 1)}),
                         "code", "a replayed code")


def test_reauthenticate_bad_input(fe):
    org = Org(fe, "step-up-bad")
    c = org.client
    validation_error(c.post("/auth/reauthenticate", {}), "code", "neither password nor code")
    validation_error(c.post("/auth/reauthenticate", {"password": api.PASSWORD, "code": "123456"}),
                     "password", "both")
    validation_error(c.post("/auth/reauthenticate", {"password": ""}), "password", "empty password")
    validation_error(c.post("/auth/reauthenticate", {"password": 12}), "password", "a number")
    validation_error(c.post("/auth/reauthenticate", {"code": "12ab56"}), "code", "a code not of digits")
    validation_error(c.post("/auth/reauthenticate", "[1, 2]"), "body", "not an object")
    checks.error(c.post("/auth/reauthenticate", "{"), 400, "VALIDATION_ERROR")
    checks.error(c.post("/auth/reauthenticate", {"code": "123456"}), 409, "CONFLICT")
    checks.error(c.post("/auth/reauthenticate", "x", headers={"Content-Type": "text/plain"}),
                 415, "UNSUPPORTED_MEDIA_TYPE")
    checks.error(Client(fe).post("/auth/reauthenticate", {"password": api.PASSWORD}),
                 401, "INVALID_TOKEN")
    checks.error(c.get("/auth/reauthenticate"), 405, "METHOD_NOT_ALLOWED")
    kc, _ = org.key_client(["incidents:read"])
    denied(kc.post("/auth/reauthenticate", {"password": api.PASSWORD}), "an API key")
    ok(c.post("/auth/reauthenticate", {"password": api.PASSWORD}), 204, "the right password")


def age_proof(fe, sid):
    """The session proved its password 20 minutes ago, past the default window (600 s)."""
    fe.harness.sql("UPDATE overwatch_it.sessions SET proved_at = UTC_TIMESTAMP(6) - INTERVAL 20 MINUTE "
                   "WHERE id = '%s'" % sid)


def test_ending_other_sessions_needs_a_recent_proof(fe):
    """Ending another of one's sessions, or all of them, is a sensitive change
    (OWASP ASVS 3.3.4); ending the calling session is a logout and stays free."""
    org = Org(fe, "step-up-sess")
    laptop = api.User(fe, org.admin.info, org.admin.password).login()
    age_proof(fe, org.admin.sid)
    admin = org.client
    step_up_required(admin.delete("/auth/sessions/" + laptop.sid), "ending another session")
    step_up_required(admin.delete("/auth/sessions/" + api.random_uuid()), "an unknown session")
    step_up_required(admin.delete("/auth/sessions"), "signing out everywhere")
    ok(laptop.client.get("/auth/me"), 200, "the other session after the refusals")
    ok(admin.get("/auth/me"), 200, "the calling session after the refusals")
    ok(admin.post("/auth/reauthenticate", {"password": api.PASSWORD}), 204, "reauthenticate")
    ok(admin.delete("/auth/sessions/" + laptop.sid), 204, "ending another session after")
    age_proof(fe, org.admin.sid)
    ok(admin.post("/auth/reauthenticate", {"password": api.PASSWORD}), 204, "reauthenticate again")
    ok(admin.delete("/auth/sessions"), 204, "signing out everywhere after reauthenticating")
    checks.error(admin.get("/auth/me"), 401, "INVALID_TOKEN")


def test_ending_the_current_session_stays_free(fe):
    org = Org(fe, "step-up-self")
    age_proof(fe, org.admin.sid)
    ok(org.client.delete("/auth/sessions/" + org.admin.sid), 204, "ending my own current session")
    checks.error(org.client.get("/auth/me"), 401, "INVALID_TOKEN")

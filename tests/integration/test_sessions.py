"""Session policy and the sessions a user can see (doc/api.md section 3,
"Sessions", and section 6, "Sessions"; doc/SECURITY.md).

- the session's limits, fixed at sign-in: a browser's (the request carries
  Sec-Fetch-Mode) 12 hours and 30 idle minutes ([jwt] browser_session_ttl,
  browser_idle_timeout), an API client's the documented 7 days and no idle
  timeout ([jwt] refresh_ttl, idle_timeout);
- the idle timeout: a session neither refreshed nor used by its access
  token for that long has ended, while one in use stays;
- the absolute timeout;
- refresh rotation: on by default for the refresh cookie, off for a refresh
  token sent in the body (the contract keeps that one valid);
- GET /auth/sessions, DELETE /auth/sessions/{id}, DELETE /auth/sessions
  (sign out everywhere) and their bad inputs.

The timeouts are shortened through an instance of their own (the service's
environment), never by sleeping for minutes.
"""

import time

from lib import api, checks
from lib.api import Org, ok, denied, not_found
from lib.checks import expect
from test_identity import (ACCESS_TTL, BROWSER_SESSION_TTL, REFRESH, REFRESH_TTL, own_origin, set_cookies,
                           expect_cookie)
from test_identity_config import own_instance

SESSIONS = "/auth/sessions"
SESSION_KEYS = {"id", "created_at", "last_seen_at", "expires_at", "ip", "user_agent", "current"}


def expired(resp, what):
    """401 INVALID_TOKEN, the idle timeout's detail."""
    body = checks.error(resp, 401, "INVALID_TOKEN")
    expect(body["detail"] == "Session has expired", "%s: detail %r" % (what, body["detail"]), resp)


def revoked(resp, what):
    body = checks.error(resp, 401, "INVALID_TOKEN")
    expect(body["detail"] == "Token has been revoked", "%s: detail %r" % (what, body["detail"]), resp)


def refresh_body(fe, token):
    return fe.post_json("/api/v1/auth/refresh", {"refresh_token": token})


# ------------------------------------------------------------------ listing

def test_list_shows_the_callers_sessions_only(fe):
    org = Org(fe, "sess-list", user_agent="first-agent/1.0")
    second = api.User(fe, org.admin.info, org.admin.password, user_agent="second-agent/2.0").login()
    other = org.add_user("engineer")
    items = org.client.list(SESSIONS)
    by_id = {s["id"]: s for s in items}
    expect(set(by_id) == {org.admin.sid, second.sid},
           "GET /auth/sessions lists %s, not the admin's two sessions" % sorted(by_id))
    expect(other.sid not in by_id, "another user's session is listed")
    for s in items:
        expect(set(s) == SESSION_KEYS, "a session has members %s" % sorted(s))
        expect(s["ip"] == "127.0.0.1", "session ip %r" % s["ip"])
        for member in ("created_at", "last_seen_at", "expires_at"):
            api.parse_time(s[member])
    mine = by_id[org.admin.sid]
    expect(mine["current"] is True and by_id[second.sid]["current"] is False,
           "current marks the calling session only: %r" % items)
    expect(mine["user_agent"] == "first-agent/1.0" and
           by_id[second.sid]["user_agent"] == "second-agent/2.0", "user agents %r" % items)
    # The absolute timeout: a program's login lasts [jwt] refresh_ttl (7 days).
    life = api.parse_time(mine["expires_at"]) - api.parse_time(mine["created_at"])
    expect(abs(life - REFRESH_TTL) <= 2, "a session lasts %d s, not %d" % (life, REFRESH_TTL))
    # The other session's client sees the same two, its own marked current.
    seen = {s["id"]: s["current"] for s in second.client.list(SESSIONS)}
    expect(seen == {org.admin.sid: False, second.sid: True}, "the second client sees %r" % seen)


def test_list_bad_input_and_api_keys(fe):
    org = Org(fe, "sess-bad")
    api.validation_error(org.client.get(SESSIONS + "?limit=0"), "limit", "limit=0")
    api.validation_error(org.client.get(SESSIONS + "?offset=-1"), "offset", "offset=-1")
    checks.error(fe.get("/api/v1" + SESSIONS), 401, "INVALID_TOKEN")
    checks.error(org.client.post(SESSIONS, {}), 405, "METHOD_NOT_ALLOWED")
    kc, _ = org.key_client(["incidents:read"])
    denied(kc.get(SESSIONS), "an API key listing sessions")
    denied(kc.delete(SESSIONS), "an API key signing out everywhere")
    denied(kc.delete(SESSIONS + "/" + org.admin.sid), "an API key ending a session")
    ok(org.client.get("/auth/me"), 200, "the admin's session after the key's attempts")
    page = org.client.list(SESSIONS + "?limit=1&offset=0")
    expect(len(page) == 1, "limit=1 gave %d sessions" % len(page))
    expect(org.client.list(SESSIONS + "?offset=5") == [], "a page past the end is not empty")


# ------------------------------------------------------------------ ending sessions

def test_delete_own_session_other_users_is_404(fe):
    org = Org(fe, "sess-del")
    laptop = api.User(fe, org.admin.info, org.admin.password).login()
    other = org.add_user("admin")
    # Another user's session (even an admin's, of the same organization): 404, untouched.
    not_found(org.client.delete(SESSIONS + "/" + other.sid), "another user's session")
    ok(other.client.get("/auth/me"), 200, "the other user's session after the refused DELETE")
    not_found(org.client.delete(SESSIONS + "/" + api.random_uuid()), "an unknown session")
    not_found(org.client.delete(SESSIONS + "/not-a-uuid"), "a malformed id")
    # One's own other session: 204, its tokens refused at once, gone from the list.
    ok(org.client.delete(SESSIONS + "/" + laptop.sid), 204, "DELETE my other session")
    revoked(laptop.client.get("/auth/me"), "the ended session's access token")
    revoked(refresh_body(fe, laptop.refresh), "the ended session's refresh token")
    ids = [s["id"] for s in org.client.list(SESSIONS)]
    expect(ids == [org.admin.sid], "after the DELETE the list is %r" % ids)
    not_found(org.client.delete(SESSIONS + "/" + laptop.sid), "ending it a second time")
    ok(org.client.get("/auth/me"), 200, "the calling session after ending another")
    events = api.sql_rows(fe, "SELECT outcome FROM overwatch_it.audit_log WHERE action = "
                          "'auth.session_revoked' AND target_id = '%s'" % laptop.sid)
    expect(events == [["success"]], "audit of the DELETE: %r" % events)


def test_delete_current_session_is_a_logout(fe):
    org = Org(fe, "sess-self")
    r = org.client.delete(SESSIONS + "/" + org.admin.sid)
    ok(r, 204, "DELETE my own current session")
    cookies = set_cookies(r)
    expect_cookie(r, cookies, "access_token", "", "/", 0)
    expect_cookie(r, cookies, "refresh_token", "", "/api/v1/auth", 0)
    revoked(org.client.get("/auth/me"), "the ended current session")


def test_sign_out_everywhere(fe):
    org = Org(fe, "sess-all")
    phone = api.User(fe, org.admin.info, org.admin.password).login()
    other = org.add_user("engineer")
    r = org.client.delete(SESSIONS)
    ok(r, 204, "DELETE /auth/sessions")
    cookies = set_cookies(r)
    expect_cookie(r, cookies, "access_token", "", "/", 0)
    expect_cookie(r, cookies, "refresh_token", "", "/api/v1/auth", 0)
    for who in (org.admin, phone):
        revoked(who.client.get("/auth/me"), "a signed-out session's access token")
        revoked(refresh_body(fe, who.refresh), "a signed-out session's refresh token")
    ok(other.client.get("/auth/me"), 200, "another user's session after the sign-out")
    again = org.admin.login()
    expect([s["id"] for s in again.client.list(SESSIONS)] == [again.sid],
           "after signing out everywhere only the new login is listed")


# ------------------------------------------------------------------ refresh rotation

def test_cookie_refresh_rotates_body_refresh_keeps_token(fe):
    org = Org(fe, "sess-rotate")
    u = org.admin
    # The body: the contract's answer, the same refresh token valid again.
    for i in range(2):
        body = ok(refresh_body(fe, u.refresh), 200, "body refresh %d" % (i + 1))
        expect("refresh_token" not in body, "a body refresh rotated", None)
    # The cookie: a new refresh token (body and cookie); the old one is spent.
    origin = {"Origin": own_origin(fe)}
    r = fe.request("POST", REFRESH, headers=dict(origin, Cookie="refresh_token=" + u.refresh))
    body = ok(r, 200, "cookie refresh")
    new = body.get("refresh_token")
    expect(new and new != u.refresh, "a cookie refresh did not rotate", r)
    cookies = set_cookies(r)
    expect(cookies.get("refresh_token", ("",))[0] == new, "the refresh cookie is not the new token", r)
    max_age = int(cookies["refresh_token"][1]["max-age"])
    expect(REFRESH_TTL - 120 <= max_age <= REFRESH_TTL, "refresh cookie Max-Age %d" % max_age, r)
    expect(body["expires_in"] == ACCESS_TTL, "expires_in", r)
    r = fe.request("POST", REFRESH, headers=dict(origin, Cookie="refresh_token=" + new))
    newer = ok(r, 200, "cookie refresh with the new token")["refresh_token"]
    # The first token is two rotations back: reuse, the whole session ends.
    revoked(refresh_body(fe, u.refresh), "the spent first refresh token")
    revoked(fe.request("POST", REFRESH, headers=dict(origin, Cookie="refresh_token=" + newer)),
            "the session's current refresh token after the reuse")


# ------------------------------------------------------------------ timeouts

# What a browser sends with every fetch (Fetch Metadata); a program does not.
BROWSER = {"Sec-Fetch-Mode": "cors", "Sec-Fetch-Site": "same-origin", "Sec-Fetch-Dest": "empty"}


def browser_login(fe, user):
    r = fe.post_json("/api/v1/auth/login", {"email": user.email, "password": user.password},
                     headers=BROWSER)
    body = ok(r, 200, "a browser's login")
    return api.Client(fe, token=body["access_token"]), body, r


def test_a_browsers_session_gets_the_browsers_limits(fe):
    if fe.name != "lighttpd-socket":
        return      # a rule of the service, not of the web server
    with own_instance(fe, "browser", {"OVERWATCH_JWT_BROWSER_IDLE_TIMEOUT": "3"}) as own:
        org = Org(own, "sess-browser")          # the admin signed in as a program
        browser, body, r = browser_login(own, org.admin)
        sid = api.jwt_claims(body["access_token"])["sid"]
        by_id = {s["id"]: s for s in browser.list(SESSIONS)}
        for s, want in ((by_id[sid], BROWSER_SESSION_TTL), (by_id[org.admin.sid], REFRESH_TTL)):
            life = api.parse_time(s["expires_at"]) - api.parse_time(s["created_at"])
            expect(abs(life - want) <= 2, "session %s lasts %d s, not %d" % (s["id"], life, want))
        claims = api.jwt_claims(body["refresh_token"])
        expect(claims["exp"] - claims["iat"] == BROWSER_SESSION_TTL,
               "a browser's refresh token lasts %d s" % (claims["exp"] - claims["iat"]))
        expect_cookie(r, set_cookies(r), "refresh_token", body["refresh_token"], "/api/v1/auth",
                      BROWSER_SESSION_TTL)
        # Both unused past the browser's idle timeout: only the browser's ends.
        time.sleep(5)
        expired(browser.get("/auth/me"), "the idle browser session's access token")
        expired(refresh_body(own, body["refresh_token"]), "the idle browser session's refresh token")
        ok(org.admin.client.get("/auth/me"), 200, "a program's session after the same idle time")
        ok(refresh_body(own, org.admin.refresh), 200, "a program's refresh after the same idle time")


def test_idle_timeout_ends_an_unused_session(fe):
    if fe.name != "lighttpd-socket":
        return      # a rule of the service, not of the web server
    with own_instance(fe, "idle", {"OVERWATCH_JWT_IDLE_TIMEOUT": "3"}) as own:
        org = Org(own, "sess-idle")
        u = org.admin
        ok(u.client.get("/auth/me"), 200, "a fresh session")
        # Unused for longer than the timeout: no request in between, as any
        # use of the token would be activity. The database's clock decides.
        time.sleep(5)
        expired(u.client.get("/auth/me"), "the idle session's access token")
        expired(refresh_body(own, u.refresh), "the idle session's refresh token")
        again = u.login()
        ids = [s["id"] for s in again.client.list(SESSIONS)]
        expect(ids == [again.sid], "an idle session is still listed: %r" % ids)


def test_idle_timeout_spares_a_session_in_use(fe):
    if fe.name != "lighttpd-socket":
        return
    with own_instance(fe, "busy", {"OVERWATCH_JWT_IDLE_TIMEOUT": "8"}) as own:
        org = Org(own, "sess-busy")
        u = org.admin
        first = api.parse_time(u.client.list(SESSIONS)[0]["last_seen_at"])
        # Used every half second for longer than the timeout: the access
        # token's use is activity, recorded without a refresh.
        end = time.monotonic() + 12
        while time.monotonic() < end:
            ok(u.client.get("/auth/me"), 200, "a session in use")
            time.sleep(0.5)
        seen = api.parse_time(u.client.list(SESSIONS)[0]["last_seen_at"])
        expect(seen > first, "last_seen_at did not move while the session was used")
        ok(refresh_body(own, u.refresh), 200, "refresh of a session in use")


def test_absolute_timeout_ends_the_session(fe):
    if fe.name != "lighttpd-socket":
        return
    org = Org(fe, "sess-abs")
    u = org.admin
    ok(u.client.get("/auth/me"), 200, "before the end")
    # The session reaches its absolute end (as 12 hours later would).
    fe.harness.sql("UPDATE overwatch_it.sessions SET expires_at = UTC_TIMESTAMP() - INTERVAL 1 SECOND "
                   "WHERE id = '%s'" % u.sid)
    # Each worker's credential cache may hold the token up to [cache] max_age
    # (5 s here) after a change made directly in the database: every worker refuses.
    expect(api.wait_until(lambda: all(u.client.get("/auth/me").status == 401 for _ in range(6)),
                          30, 0.5),
           "the access token outlived its session's absolute end")
    revoked(u.client.get("/auth/me"), "after the absolute end")
    revoked(refresh_body(fe, u.refresh), "refresh after the absolute end")

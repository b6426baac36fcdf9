"""Revocation with the credential cache on (doc/api.md section 3, "Revocation").

Every write that can make a valid credential invalid is followed, on its very
next use, by a refusal on every worker of the host: each test first has the
credential served by every worker (concurrent rounds of more requests than
there are workers, so each worker has it cached), then makes the revoking
write, and as soon as that response has arrived sends concurrent rounds again,
every one of which must be refused. Run for the standalone master
(lighttpd-socket), lighttpd's spawned workers and mod_fcgid's processes.

Another host (a master with an epoch file of its own) learns of a revocation
through the revocation log within [cache] revocation_poll; the race test
revokes under load and checks that no request sent after the revoking response
returned succeeded.
"""

import threading
import time

from lib import api, checks, harness
from lib.api import Client, Org, ok, denied, invalid_key
from lib.checks import expect
from test_identity_config import own_instance

ROUNDS = 4
# More concurrent requests than workers: every worker takes some.
CONCURRENT = 2 * harness.WORKERS


def concurrently(fn, n):
    """fn(i) in n threads released together; the results in order."""
    results = [None] * n
    barrier = threading.Barrier(n)

    def run(i):
        try:
            barrier.wait(timeout=30)
            results[i] = fn(i)
        except Exception as e:     # a thread's failure is reported by the caller
            results[i] = e
    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def rounds(send, check, what):
    """ROUNDS rounds of CONCURRENT requests; check(resp, what) on every one."""
    for r in range(ROUNDS):
        for i, resp in enumerate(concurrently(lambda _i: send(), CONCURRENT)):
            expect(not isinstance(resp, Exception), "%s, round %d request %d: %r"
                   % (what, r + 1, i + 1, resp))
            check(resp, "%s, round %d request %d" % (what, r + 1, i + 1))


def served(resp, what):
    ok(resp, 200, what)


def token_refused(resp, what):
    checks.error(resp, 401, "INVALID_TOKEN")


def key_refused(resp, what):
    invalid_key(resp, what)


def test_logout_refused_everywhere(fe):
    org = Org(fe, "rv-logout")
    u = org.add_user("engineer")
    rounds(lambda: u.client.get("/auth/me"), served, "before the logout")
    ok(u.client.post("/auth/logout"), 204, "logout")
    rounds(lambda: u.client.get("/auth/me"), token_refused, "after the logout")


def test_ending_one_session_refuses_it_everywhere(fe):
    org = Org(fe, "rv-session")
    u = org.add_user("engineer")
    other = api.User(fe, u.info, u.password).login()
    rounds(lambda: other.client.get("/auth/me"), served, "the other session before")
    ok(u.client.delete("/auth/sessions/" + other.sid), 204, "DELETE /auth/sessions/{id}")
    rounds(lambda: other.client.get("/auth/me"), token_refused, "the ended session after")
    rounds(lambda: u.client.get("/auth/me"), served, "the calling session after")


def test_sign_out_everywhere_refuses_every_session_everywhere(fe):
    org = Org(fe, "rv-signout")
    u = org.add_user("engineer")
    other = api.User(fe, u.info, u.password).login()
    for who in (u, other):
        rounds(lambda: who.client.get("/auth/me"), served, "a session before")
    ok(u.client.delete("/auth/sessions"), 204, "DELETE /auth/sessions")
    for who in (u, other):
        rounds(lambda: who.client.get("/auth/me"), token_refused, "a session after signing out")


def test_password_change_ends_other_sessions_everywhere(fe):
    org = Org(fe, "rv-password")
    u = org.add_user("engineer")
    other = api.User(fe, u.info, u.password).login()
    rounds(lambda: other.client.get("/incidents"), served, "the other session before")
    new = "a new password " + api.unique("pw")
    r = u.client.post("/auth/password", {"current_password": u.password, "new_password": new})
    expect(r.status in (200, 204), "password change", r)
    rounds(lambda: other.client.get("/incidents"), token_refused, "the other session after")


def test_deactivation_refuses_token_and_keys_everywhere(fe):
    org = Org(fe, "rv-deactivate")
    u = org.add_user("engineer")
    kc, _ = org.key_client(["incidents:read"], by=u.client)
    rounds(lambda: u.client.get("/auth/me"), served, "the user's token before")
    rounds(lambda: kc.get("/incidents"), served, "the user's key before")
    ok(org.client.patch("/users/" + u.id, {"active": False}), 200, "deactivate")
    rounds(lambda: u.client.get("/auth/me"), token_refused, "the token after deactivation")
    rounds(lambda: kc.get("/incidents"), key_refused, "the key after its creator's deactivation")


def test_role_change_applies_everywhere(fe):
    org = Org(fe, "rv-role")
    u = org.add_user("engineer")
    kc, _ = org.key_client(["incidents:read", "incidents:create"], by=u.client)
    rounds(lambda: u.client.get("/auth/me"),
           lambda r, w: expect(ok(r, 200, w)["user"]["role"] == "engineer", w, r), "engineer before")
    rounds(lambda: kc.get("/incidents"), served, "the engineer's key before")
    ok(org.client.patch("/users/" + u.id, {"role": "viewer"}), 200, "demote to viewer")
    rounds(lambda: u.client.get("/auth/me"),
           lambda r, w: expect(ok(r, 200, w)["user"]["role"] == "viewer", w + ": role", r),
           "the token after the demotion")
    rounds(lambda: u.client.post("/incidents", {"title": "x", "severity": "low"}),
           denied, "the demoted user creating")
    rounds(lambda: kc.post("/incidents", {"title": "x", "severity": "low"}),
           denied, "the demoted user's key creating (keys shrink with their creator)")


def test_name_change_shows_everywhere(fe):
    org = Org(fe, "rv-name")
    u = org.add_user("viewer")
    rounds(lambda: u.client.get("/auth/me"), served, "before the rename")
    name = api.unique("Renamed")
    ok(org.client.patch("/users/" + u.id, {"name": name}), 200, "rename")
    rounds(lambda: u.client.get("/auth/me"),
           lambda r, w: expect(ok(r, 200, w)["user"]["name"] == name, w + ": name", r), "after the rename")


def test_key_deletion_refuses_key_and_children_everywhere(fe):
    org = Org(fe, "rv-keydel")
    parent_client, parent = org.key_client(["incidents:read", "api_keys:create"])
    child = ok(parent_client.post("/api-keys", {"name": api.unique("child"),
                                                "permissions": ["incidents:read"]}), 201, "child")
    cc = Client(fe, key=child["api_key"])
    rounds(lambda: parent_client.get("/incidents"), served, "the key before")
    rounds(lambda: cc.get("/incidents"), served, "its child before")
    ok(org.client.delete("/api-keys/" + parent["id"]), 204, "DELETE the key")
    rounds(lambda: parent_client.get("/incidents"), key_refused, "the deleted key")
    rounds(lambda: cc.get("/incidents"), key_refused, "the deleted key's child")


def test_refresh_reuse_ends_the_session_everywhere(fe):
    """Reuse detection (rotation on) revokes outside a transaction: announced all the same."""
    if fe.name != "lighttpd-socket":
        return
    env = {"OVERWATCH_JWT_REFRESH_ROTATION": "true", "OVERWATCH_JWT_REFRESH_GRACE": "0"}
    with own_instance(fe, "rv-reuse", env) as own:
        org = Org(own, "rv-reuse")
        u = org.add_user("engineer")
        old = u.refresh
        body = ok(own.post_json(api.API + "/auth/refresh", {"refresh_token": old}), 200, "refresh")
        token = body["access_token"]
        c = Client(own, token=token)
        rounds(lambda: c.get("/auth/me"), served, "the rotated session before")
        time.sleep(1.1)     # past the (zero) grace, on second boundaries
        r = own.post_json(api.API + "/auth/refresh", {"refresh_token": old})
        checks.error(r, 401, "INVALID_TOKEN")
        rounds(lambda: c.get("/auth/me"), token_refused, "the session after reuse")


def test_other_host_refuses_within_revocation_poll(fe):
    """Host B (its own epoch file, as on another machine) refuses within its poll period."""
    if fe.name != "lighttpd-socket":
        return
    poll_ms = 200
    segment = str(fe.harness.tmp) + "/epoch-host-b-" + api.unique("s")
    env = {"OVERWATCH_CACHE_SEGMENT": segment, "OVERWATCH_CACHE_SEGMENT_OWNER": "",
           "OVERWATCH_CACHE_REVOCATION_POLL": str(poll_ms)}
    with own_instance(fe, "rv-hostb", env) as host_b:
        org = Org(fe, "rv-hostb")
        u = org.add_user("engineer")
        on_b = Client(host_b, token=u.token)
        rounds(lambda: on_b.get("/auth/me"), served, "host B before")
        ok(u.client.post("/auth/logout"), 204, "logout through host A")
        done = time.monotonic()
        # The bound is the poll period; the margin is for a loaded machine.
        refused_at = api.wait_until(lambda: on_b.get("/auth/me").status == 401 and time.monotonic(),
                                    timeout=poll_ms / 1000 + 5, interval=0.02)
        expect(refused_at, "host B still accepts the token 5 s after the logout through host A")
        rounds(lambda: on_b.get("/auth/me"), token_refused,
               "host B after %.0f ms" % ((refused_at - done) * 1000))


def test_no_request_sent_after_the_revocation_succeeds(fe):
    """Under load with the key cached everywhere, delete it: nothing sent afterwards is served."""
    org = Org(fe, "rv-race")
    for attempt in range(3):
        kc, key = org.key_client(["incidents:read"])
        rounds(lambda: kc.get("/auth/me"), served, "warm-up %d" % attempt)
        log, stop = [], threading.Event()

        def hammer():
            while not stop.is_set():
                sent = time.monotonic()
                status = kc.get("/auth/me").status
                log.append((sent, status))
        threads = [threading.Thread(target=hammer) for _ in range(CONCURRENT)]
        for t in threads:
            t.start()
        time.sleep(0.5)
        ok(org.client.delete("/api-keys/" + key["id"]), 204, "DELETE under load")
        returned = time.monotonic()
        time.sleep(0.5)
        stop.set()
        for t in threads:
            t.join(30)
        after = [s for sent, s in log if sent > returned]
        before = [s for sent, s in log if sent <= returned]
        expect(len(after) > 0 and 200 in before,
               "the load did not straddle the revocation (%d before, %d after)"
               % (len(before), len(after)))
        served_after = [s for s in after if s != 401]
        expect(not served_after, "attempt %d: %d of %d requests sent after the revoking response "
               "returned got %r" % (attempt, len(served_after), len(after), sorted(set(served_after))))

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
revokes one key after another under full load (thousands of rounds when the
machine allows, see RACE_ROUNDS) and checks that no request sent after the
revoking response returned succeeded.
"""

import os
import threading
import time

from lib import api, checks, harness
from lib.api import Client, Org, ok, denied, invalid_key
from lib.checks import expect
from test_identity_config import own_instance
from test_mfa import fresh_step, hotp

ROUNDS = 4
# The race test's rounds (one key revoked under load each): up to RACE_ROUNDS
# within RACE_SECONDS per front-end, and never fewer than RACE_MIN_ROUNDS
# however slow the machine is (each round's waits are bounded on their own).
# A soak asks for more through the environment (tests/integration/README.md).
RACE_ROUNDS = int(os.environ.get("OVERWATCH_IT_RACE_ROUNDS", "3000"))
RACE_SECONDS = float(os.environ.get("OVERWATCH_IT_RACE_SECONDS", "50"))
RACE_MIN_ROUNDS = min(RACE_ROUNDS, 100)
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


def test_two_factor_state_shows_everywhere(fe):
    """GET /auth/me's mfa_enabled comes with the cached principal: confirming
    and disabling two-factor sign-in are announced like a rename."""
    org = Org(fe, "rv-mfa")
    u = org.add_user("engineer")

    def mfa_is(on):
        return lambda r, w: expect(ok(r, 200, w)["mfa_enabled"] is on, w + ": mfa_enabled", r)
    rounds(lambda: u.client.get("/auth/me"), mfa_is(False), "before the enrolment")
    step = fresh_step()
    secret = ok(u.client.post("/auth/mfa/totp"), 200, "POST /auth/mfa/totp")["secret"]
    rounds(lambda: u.client.get("/auth/me"), mfa_is(False), "enrolment started, not confirmed")
    ok(u.client.post("/auth/mfa/totp/confirm", {"code": hotp(secret, step - 1)}), 200, "confirm")
    rounds(lambda: u.client.get("/auth/me"), mfa_is(True), "after the confirmation")
    ok(u.client.post("/auth/mfa/disable", {"password": u.password}), 204, "disable")
    rounds(lambda: u.client.get("/auth/me"), mfa_is(False), "after disabling")


def test_cached_token_costs_no_statement(fe):
    """GET /auth/me with a token every worker holds runs no statement: not the
    session check, nor one of its own (mfa_enabled comes with the principal).
    Com_stmt_execute over N requests in a quiet window, as
    test_apikeys.test_key_request_is_one_statement counts; with the cache off
    it is the N session checks."""
    if fe.name != "lighttpd-socket":
        return
    org = Org(fe, "rv-count")
    u = org.add_user("viewer")
    n, seen = 20, []
    for attempt in range(5):
        rounds(lambda: u.client.get("/auth/me"), served, "warm-up %d" % attempt)
        # Quiet for longer than two usage flushes and an idle worker's tick
        # (src/usage.h, src/worker.c): the API-key uses of earlier tests are
        # flushed, and the requests below make none of their own.
        q0 = api.stmt_executes(fe)
        time.sleep(3.0)
        q1 = api.stmt_executes(fe)
        for _ in range(n):
            ok(u.client.get("/auth/me"), 200, "GET /auth/me")
        q2 = api.stmt_executes(fe)
        seen.append("quiet %d, %d requests %d" % (q1 - q0, n, q2 - q1))
        if q1 != q0:
            continue
        # Each at most once per worker within the window, whatever ran
        # before: a refill when its entry reaches max_age, a refill when the
        # revocation poll (every 60 s here) saw earlier tests' revocations,
        # and the minute's summary of refused keys (one audit row,
        # src/usage.c). The uncached path costs n.
        most = 3 * harness.WORKERS if harness.CACHE == "on" else n + harness.WORKERS
        least = 0 if harness.CACHE == "on" else n
        expect(least <= q2 - q1 <= most, "%d requests cost %d statements (want %d to %d): %s"
               % (n, q2 - q1, least, most, "; ".join(seen)))
        return
    raise AssertionError("no quiet window to count in: %s" % "; ".join(seen))


def test_me_names_the_organization_from_every_worker(fe):
    """GET /auth/me names the caller's organization (doc/api.md section 6, getMe):
    from the session check or the key lookup, and from every worker's cache
    afterwards, for a user and for an API key alike."""
    org = Org(fe, "rv-orgname")
    slug = api.sql_rows(fe, "SELECT slug FROM %s.organizations WHERE id = '%s'"
                        % (harness.DB_NAME, org.id))[0][0]
    want = {"id": org.id, "name": org.name, "slug": slug}
    key_client, _ = org.key_client(["incidents:read"])
    for who, c in (("a user", org.client), ("an API key", key_client)):
        def named(resp, what, who=who):
            body = ok(resp, 200, what)
            expect(body.get("organization") == want, "%s: organization %r, want %r"
                   % (who, body.get("organization"), want), resp)
        rounds(lambda c=c: c.get("/auth/me"), named, "GET /auth/me as %s" % who)


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


class Race:
    """The race test's shared state: the key under load, and per round the time
    the revoking response had returned and what every request got."""

    def __init__(self, fe):
        self.fe = fe
        self.changed = threading.Condition()   # guards the fields below
        self.stop = False
        # (round, API key) the load sends; it goes on with a deleted key until
        # the next is made (a pause would let mod_fcgid's pool shrink, and
        # its regrowth stalls requests for a second each)
        self.current = (None, None)
        self.served = {}                    # round -> 200s
        self.done_sent = [0.0] * CONCURRENT   # per thread: send time of its last answered request
        self.log = []                       # (round, send time, status)

    def send(self, key):
        """GET /auth/me with key on a fresh connection: (status, send time).
        The send time is taken before the connection is opened, so "sent
        after" can only be later than recorded."""
        sent = time.monotonic()
        try:
            status = self.fe.request("GET", api.API + "/auth/me",
                                     headers={"X-API-Key": key}).status
        except Exception as e:          # no answer is an answer the test reports
            status = "no answer: %r" % e
        return status, sent

    def hammer(self, slot):
        """One connection's closed loop on the current key."""
        while True:
            with self.changed:
                self.changed.wait_for(lambda: self.stop or self.current[1] is not None)
                if self.stop:
                    break
                rnd, key = self.current
            status, sent = self.send(key)
            with self.changed:
                self.log.append((rnd, sent, status))
                if status == 200:
                    self.served[rnd] = self.served.get(rnd, 0) + 1
                self.done_sent[slot] = sent
                self.changed.notify_all()

    def set(self, **fields):
        with self.changed:
            for name, value in fields.items():
                setattr(self, name, value)
            self.changed.notify_all()

    def wait(self, predicate, what):
        """Until predicate() holds (bounded generously: the machine is shared)."""
        with self.changed:
            expect(self.changed.wait_for(predicate, timeout=60), what + " within 60 s")


def test_no_request_sent_after_the_revocation_succeeds(fe):
    """Under load with the key cached by every worker, delete it: nothing sent
    after the DELETE's response returned is served (doc/api.md section 3,
    "Revocation": the very next request through the same host, on any worker).

    Up to RACE_ROUNDS keys (RACE_SECONDS, at least RACE_MIN_ROUNDS), each: CONCURRENT connections send GET /auth/me with it
    in closed loops until it has been served
    2 x CONCURRENT times (at full load every busy worker has served, and
    cached, it), then the admin deletes it while the load goes on, and the
    round ends when every connection has had an answer to a request sent after
    the DELETE returned. Afterwards: every request sent after its key's
    DELETE returned got 401, every other one 200 or 401. The standalone master
    and mod_fcgid's processes (lighttpd's spawned master is the same master)."""
    if fe.name not in ("lighttpd-socket", "apache-fcgid"):
        return
    org = Org(fe, "rv-race")
    race = Race(fe)
    returned = {}
    threads = [threading.Thread(target=race.hammer, args=(i,), daemon=True)
               for i in range(CONCURRENT)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + RACE_SECONDS
    try:
        for rnd in range(RACE_ROUNDS):
            if rnd >= RACE_MIN_ROUNDS and time.monotonic() > deadline:
                break
            key = org.create_key(["incidents:read"])
            race.set(current=(rnd, key["api_key"]))
            race.wait(lambda: race.served.get(rnd, 0) >= 2 * CONCURRENT,
                      "round %d: the new key served %d times" % (rnd, 2 * CONCURRENT))
            ok(org.client.delete("/api-keys/" + key["id"]), 204, "round %d: DELETE" % rnd)
            returned[rnd] = time.monotonic()
            race.wait(lambda: min(race.done_sent) > returned[rnd],
                      "round %d: every connection answered after the DELETE" % rnd)
    finally:
        race.set(stop=True)
        for t in threads:
            t.join(30)
    after = [(rnd, s) for rnd, sent, s in race.log if rnd in returned and sent > returned[rnd]]
    wrong_after = [(rnd, s) for rnd, s in after if s != 401]
    expect(not wrong_after, "%d of %d requests sent after their key's DELETE returned were "
           "not refused, e.g. %r" % (len(wrong_after), len(after), wrong_after[:5]))
    odd = [(rnd, s) for rnd, sent, s in race.log if s not in (200, 401)]
    expect(not odd, "%d requests got neither 200 nor 401, e.g. %r" % (len(odd), odd[:5]))
    rounds_checked = len({rnd for rnd, _ in after})
    expect(rounds_checked == len(returned), "only %d of %d rounds had requests after the "
           "DELETE" % (rounds_checked, len(returned)))
    print("race: %s: %d rounds, %d requests, %d sent after a DELETE had returned (all refused)"
          % (fe.name, len(returned), len(race.log), len(after)))

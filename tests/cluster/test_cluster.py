"""Scale-out tests (doc/scale-out.md): two service hosts on a 3-node Galera
cluster behind HAProxy. Each test is a function test_NAME(c) of a running
cluster.Cluster `c` (c.a, c.b: the hosts' lighttpd; c.lb: HAProxy; c.nodes;
c.hosts), run in file order: the guide's set-up, revocations, lockout,
concurrent writes, the last-admin race, then the fault tests (a node cut off,
host A's first node cut off, read-only, desynced under a backup lock,
stopped, a node killed, a host killed: never a 500, and the workers fail back
to their first server), and a final comparison of the nodes' tables. A test fails by raising
AssertionError (checks.expect); what it measured is printed under its name.

Each revocation test repeats its change-then-check ROUNDS times: one stale
read on the other node is enough to fail it. Each host has its own
revocation epoch (cluster.py), so a revocation through A must reach B's
cached credentials through B's poll of the revocation log, within
[cache] revocation_poll plus a margin (BOUND).
"""

import os
import re
import signal
import threading
import time

import cluster
from lib import api
from lib import checks
from lib.api import API, PASSWORD, Client, ok
from lib.checks import expect

ROUNDS = 8
# A revocation through A reaches B's cached credentials by B's poll of the
# revocation log (doc/api.md section 3): within [cache] revocation_poll, plus
# a margin for a loaded machine.
BOUND = 0.2 + 2.0


def within_bound(send, check, what):
    """check(send()) passes within BOUND seconds (then it is asserted once more)."""
    deadline = time.monotonic() + BOUND
    while True:
        r = send()
        try:
            check(r)
            return r
        except AssertionError:
            if time.monotonic() > deadline:
                raise AssertionError("%s: not within %.1f s of the revocation: %r"
                                     % (what, BOUND, r)) from None
        time.sleep(0.02)
WRITE_SECONDS = 4
DB = "overwatch"


# ---------------------------------------------------------------- helpers

def q(node, statement):
    """Rows of statement on node, after the node has applied every write
    committed anywhere in the cluster (wsrep_sync_wait for this session)."""
    return node.sql("SET SESSION wsrep_sync_wait = 1; USE %s; %s" % (DB, statement))


def revoked_token(resp, what):
    body = checks.error(resp, 401, "INVALID_TOKEN")
    expect(body["detail"] == "Token has been revoked",
           "%s: detail is %r, not 'Token has been revoked'" % (what, body["detail"]), resp)


def statuses(results):
    out = {}
    for r in results:
        out[r["status"]] = out.get(r["status"], 0) + 1
    return dict(sorted(out.items(), key=lambda kv: str(kv[0])))


def conflicts_logged(c):
    """Handler re-runs after a deadlock / certification failure, per host (dispatch.c)."""
    return {h.name: h.log_text().count("transaction conflict: attempt") for h in c.hosts}


def cert_counters(c):
    """Galera's own count of local transactions it aborted, per node."""
    out = {}
    for n in c.nodes:
        out[n.name] = sum(int(n.status(v) or 0) for v in ("wsrep_local_cert_failures",
                                                           "wsrep_local_bf_aborts"))
    return out


class Load:
    """Threads calling fn(thread_index, n) in a loop until stopped; fn returns a
    dict with at least "status" (an int, or a string for a client-side error)."""

    def __init__(self, fn, threads=4):
        self.fn = fn
        self.results = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self._run, args=(i,), daemon=True)
                        for i in range(threads)]

    def _run(self, i):
        n = 0
        while not self.stopping.is_set():
            t0 = time.monotonic()
            try:
                r = self.fn(i, n)
            except Exception as e:  # noqa: BLE001 - a refused or reset connection
                r = {"status": type(e).__name__}
            r["t0"], r["t1"] = t0, time.monotonic()
            with self.lock:
                self.results.append(r)
            n += 1

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        for t in self.threads:
            t.join(40)

    def snapshot(self):
        with self.lock:
            return list(self.results)


def good(r):
    return isinstance(r["status"], int) and 200 <= r["status"] < 300


def mixed_load(c, org, tag, endpoint):
    """Alternately GET /auth/me (a read that checks the session) and POST
    /incidents (a write transaction) through endpoint, with the admin's token."""
    client = Client(endpoint, token=org.admin.token)

    def call(i, n):
        if n % 2 == 0:
            r = client.get("/auth/me")
            # Retry-After of every answer: a 503 of the read must carry it too.
            return {"status": r.status, "op": "me", "ra": r.header("Retry-After")}
        title = "%s-%d-%d" % (tag, i, n)
        r = client.post("/incidents", {"title": title, "severity": "low"})
        return {"status": r.status, "op": "incident", "title": title, "ra": r.header("Retry-After"),
                "id": (r.json or {}).get("id") if r.status == 201 else None}
    return call


def no_database_fault_escapes(res, what):
    """doc/api.md section 2: a fault of the database is 503 with Retry-After, never 500."""
    bad = [r for r in res if r["status"] == 500 or (r["status"] == 503 and not r.get("ra"))]
    expect(not bad, "%s: %d answers 500 or 503 without Retry-After: %s"
           % (what, len(bad), statuses(bad)))


def service_connections(node):
    """The workers' connections to node: its process list, user overwatch."""
    rows = node.sql("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER = '%s'" % DB,
                    check=False)
    return int(rows[0][0]) if rows else -1


def expect_fail_back(c, host, first, others, timeout=45):
    """Every worker of host is back on its first server (doc/scale-out.md,
    servers), without a request: the other nodes hold none of its connections.
    Only host lists first, so its connections there are host's workers."""
    workers = int(re.search(r"workers = (\d+)", open(host.config).read()).group(1))

    def back():
        return service_connections(first) == workers
    t = time.monotonic()
    api.wait_until(back, timeout, 0.25)
    counts = {n.name: service_connections(n) for n in [first] + others}
    print("      %s's workers back on %s after %.1f s: connections %s"
          % (host.name, first.name, time.monotonic() - t, counts))
    expect(counts[first.name] == workers, "%s's workers did not return to %s within %d s: %s"
           % (host.name, first.name, timeout, counts))


def check_incidents_once(c, org, results, nodes=None):
    """Every incident answered 201 is in the table exactly once on every node.
    Returns (answered 201, answered otherwise but committed all the same)."""
    want = {r["title"]: r["id"] for r in results if r.get("op") == "incident" and r["status"] == 201}
    other = [r["title"] for r in results if r.get("op") == "incident" and r["status"] != 201]
    problems = []
    anyway = 0
    for node in nodes or c.nodes:
        rows = q(node, "SELECT title, COUNT(*), MIN(id) FROM incidents WHERE organization_id = '%s' "
                       "GROUP BY title" % org.id)
        have = {t: (int(n), i) for t, n, i in rows}
        missing = [t for t in want if t not in have]
        dup = [t for t in want if t in have and have[t][0] != 1]
        wrong = [t for t in want if t in have and have[t][1] != want[t]]
        anyway = sum(1 for t in other if t in have)
        if missing or dup or wrong:
            problems.append("%s: %d of %d 2xx incidents missing %s, %d duplicated %s, %d with "
                            "another id %s" % (node.name, len(missing), len(want), missing[:3],
                                               len(dup), dup[:3], len(wrong), wrong[:3]))
    expect(not problems, "; ".join(problems))
    return len(want), anyway


# ---------------------------------------------------------------- revocations

def test_cluster_is_formed(c):
    for node in c.nodes:
        size = node.status("wsrep_cluster_size")
        state = node.status("wsrep_local_state_comment")
        expect(size == "3" and state == "Synced", "%s: cluster size %s, state %s"
               % (node.name, size, state))
    for h in c.hosts:
        r = h.http.get(API + "/health")
        expect(r.status == 200 and r.json == {"status": "ok", "database": "ok"},
               "%s: /health" % h.name, r)
    expect(c.haproxy.states() == {"host-a": "UP", "host-b": "UP"},
           "HAProxy states %s" % c.haproxy.states())
    # A token issued by one host verifies on the other (one secret file).
    org = api.Org(c.a, "formed")
    me = ok(Client(c.b, token=org.admin.token).get("/auth/me"), 200, "host B: token from A")
    expect(me["user"]["id"] == org.admin.id, "host B sees another user", None)


def test_the_guide_is_what_runs(c):
    """doc/scale-out.md is the set-up: cluster.py took its users, grants,
    migration and [database] section from the guide's own blocks; here its
    Galera settings are checked against the nodes' command line, and the
    service's user (rows only) runs `migrate` as the guide says it may."""
    cnf = cluster.guide_block("ini", "On every node, `/etc/mysql/mariadb.conf.d/60-galera.cnf`")
    # Per-node addresses, names and the SST method differ on loopback by design.
    own = {"bind-address", "wsrep_cluster_address", "wsrep_node_name", "wsrep_node_address",
           "wsrep_sst_method", "wsrep_sst_auth", "wsrep_provider_options", "wsrep_cluster_name"}
    argv = c.nodes[0].argv()
    checked = []
    for line in cnf.splitlines():
        line = line.split("#", 1)[0].strip()
        if "=" not in line:
            continue
        key, value = (x.strip() for x in line.split("=", 1))
        if key in own:
            continue
        opt = "--%s=%s" % (key.replace("_", "-"), value)
        expect(any(a.lower() == opt.lower() for a in argv),
               "doc/scale-out.md sets %s = %s; the test nodes do not run %s" % (key, value, opt))
        checked.append(key)
    expect(len(checked) >= 6, "too few settings read from the guide: %s" % checked)
    grants = " ".join(r[0] for r in c.nodes[0].sql("SHOW GRANTS FOR '%s'@'127.0.0.1'" % DB))
    expect("SELECT, INSERT, UPDATE, DELETE ON `%s`.*" % DB in grants and "ALL" not in grants,
           "the service's user is not the guide's (rows only): %s" % grants)
    r = c.admin(["migrate", "--dir", c.sql_dir])
    expect(r.returncode == 0 and r.stdout.strip().endswith("schema already up to date"),
           "migrate as the service's user, nothing pending: exit %d, %r %r"
           % (r.returncode, r.stdout[-300:], r.stderr[-300:]))
    print("      %d Galera settings of the guide on the nodes; migrate as the service's user: %s"
          % (len(checked), r.stdout.strip().splitlines()[-1]))


def test_key_deleted_through_a_is_refused_on_next_request_through_b(c):
    with c.apply_lag():
        org = api.Org(c.a, "keys")
        admin_a = Client(c.a, token=org.admin.token)
        for i in range(ROUNDS):
            k = org.create_key(["incidents:read"])                    # through A
            on_b = Client(c.b, key=k["api_key"])
            ok(on_b.get("/incidents"), 200, "round %d: a key created through A, used through B" % i)
            ok(admin_a.delete("/api-keys/" + k["id"]), 204, "round %d: DELETE through A" % i)
            def deleted(r, i=i):
                api.invalid_key(r, "round %d: the deleted key through B" % i)
                expect(r.json["detail"] == "API key has been revoked",
                       "round %d: detail %r" % (i, r.json["detail"]), r)
            within_bound(lambda: on_b.get("/incidents"), deleted, "round %d: key through B" % i)


def test_logout_through_a_refuses_the_token_on_b(c):
    with c.apply_lag():
        org = api.Org(c.a, "logout")
        for i in range(ROUNDS):
            # Log in through either host: the session row may come from either node.
            u = api.User(c.b if i % 2 else c.a, org.admin.info, PASSWORD).login()
            on_b = Client(c.b, token=u.token)
            ok(on_b.get("/auth/me"), 200, "round %d: the fresh token through B" % i)
            ok(Client(c.a, token=u.token).post("/auth/logout"), 204, "round %d: logout through A" % i)
            within_bound(lambda: on_b.get("/auth/me"),
                         lambda r, i=i: revoked_token(r, "round %d: the logged-out token through B" % i),
                         "round %d: logout through B" % i)
            # Its refresh token died with the session, on B too.
            r = c.b.post_json(API + "/auth/refresh", {"refresh_token": u.refresh})
            revoked_token(r, "round %d: the session's refresh token through B" % i)


def test_role_change_through_a_applies_on_b(c):
    with c.apply_lag():
        org = api.Org(c.a, "roles")
        eng = org.add_user("engineer")
        admin_a = Client(c.a, token=org.admin.token)
        on_b = Client(c.b, token=eng.token)
        for i in range(ROUNDS):
            # After the promotion of the round before, B learns of it by its poll too.
            within_bound(lambda: on_b.get("/users"),
                         lambda r, i=i: ok(r, 200, "round %d: engineer lists users through B" % i),
                         "round %d: engineer again through B" % i)
            ok(admin_a.patch("/users/" + eng.id, {"role": "viewer"}), 200,
               "round %d: demote through A" % i)
            within_bound(lambda: on_b.get("/users"),
                         lambda r, i=i: api.denied(r, "round %d: demoted to viewer, through B" % i),
                         "round %d: demotion through B" % i)
            # One refusal through B does not mean every worker of B has heard
            # (the one that answered may have read the database first): each
            # check gets the bound.
            def viewer(r, i=i):
                me = ok(r, 200, "round %d: /auth/me through B" % i)
                expect(me["user"]["role"] == "viewer",
                       "round %d: B says role %r" % (i, me["user"]["role"]))
            within_bound(lambda: on_b.get("/auth/me"), viewer, "round %d: role through B" % i)
            ok(admin_a.patch("/users/" + eng.id, {"role": "engineer"}), 200,
               "round %d: promote back through A" % i)
        # Deactivation through A: the session is dead on B at once.
        ok(admin_a.patch("/users/" + eng.id, {"active": False}), 200, "deactivate through A")
        within_bound(lambda: on_b.get("/auth/me"), lambda r: checks.error(r, 401, "INVALID_TOKEN"),
                     "deactivation through B")


def test_concurrent_wrong_logins_on_both_hosts_lock_the_account(c):
    org = api.Org(c.a, "lockout")
    victim = org.add_user("viewer", login_now=False)
    n = 16
    barrier = threading.Barrier(n)
    results = [None] * n

    def attempt(i):
        ep = c.a if i % 2 == 0 else c.b
        barrier.wait(10)
        try:
            r = api.login(ep, victim.email, "wrong password number %d" % i)
            results[i] = r.status
        except Exception as e:  # noqa: BLE001
            results[i] = type(e).__name__
    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    counts = {s: results.count(s) for s in set(results)}
    print("      16 wrong logins: %s" % counts)
    expect(set(results) <= {401, 423}, "wrong logins answered %s (only 401/423 expected)" % counts)
    for ep in (c.a, c.b):
        r = api.login(ep, victim.email, PASSWORD)
        checks.error(r, 423, "ACCOUNT_LOCKED")
        ra = r.header("Retry-After", "")
        expect(ra.isdigit() and int(ra) > 0, "%s: 423 without a Retry-After" % ep.name, r)
    # The counter is exact across hosts: one failure counted per 401, on every node.
    n401 = results.count(401)
    for node in c.nodes:
        rows = q(node, "SELECT failed_logins, locked_until > UTC_TIMESTAMP() FROM users "
                       "WHERE id = '%s'" % victim.id)
        expect(rows and rows[0][1] == "1", "%s: the account is not locked: %s" % (node.name, rows))
        expect(int(rows[0][0]) == n401,
               "%s: failed_logins = %s after %d answers 401 (a failure counted twice or lost)"
               % (node.name, rows[0][0], n401))


def test_concurrent_writes_through_both_hosts_are_present_exactly_once(c):
    org = api.Org(c.a, "writes")
    key_client_a, _ = org.key_client(["incidents:create", "incidents:update", "api_keys:create"])
    hot = org.incident(title="hot incident")                       # updated by everyone
    tag = api.unique("w")
    before = conflicts_logged(c)
    cert_before = cert_counters(c)

    def call(i, n):
        ep = c.a if i % 2 == 0 else c.b
        cred = Client(ep, token=org.admin.token) if i % 4 < 2 else Client(ep, key=key_client_a.key)
        label = "%s-%d-%d" % (tag, i, n)
        op = ("key", "patch", "incident", "patch")[n % 4]
        if op == "key":
            r = cred.post("/api-keys", {"name": label, "permissions": ["incidents:create"]})
        elif op == "incident":
            r = cred.post("/incidents", {"title": label, "severity": "medium"})
        else:
            # The same row from both hosts: certification conflicts between nodes.
            r = cred.patch("/incidents/" + hot["id"], {"title": label})
        body = r.json or {}
        return {"status": r.status, "op": op, "label": label, "id": body.get("id")}

    load = Load(call, threads=8)
    with load:
        time.sleep(WRITE_SECONDS)
    res = load.snapshot()
    st = statuses(res)
    conflicts = {k: v - before[k] for k, v in conflicts_logged(c).items()}
    cert = {k: v - cert_before[k] for k, v in cert_counters(c).items()}
    print("      %d writes in %d s through both hosts: %s; Galera certification failures / "
          "brute-force aborts: %s; handler re-runs after a conflict: %s"
          % (len(res), WRITE_SECONDS, st, cert, conflicts))
    expect(500 not in st, "500 answers: %s" % st)
    expect(all(isinstance(s, int) for s in st), "client-side errors: %s" % st)
    bad = {s: n for s, n in st.items() if s not in (200, 201, 503)}
    expect(not bad, "unexpected statuses %s" % bad)

    keys_ok = {r["label"]: r["id"] for r in res if r["op"] == "key" and r["status"] == 201}
    keys_bad = [r["label"] for r in res if r["op"] == "key" and r["status"] != 201]
    inc_ok = {r["label"]: r["id"] for r in res if r["op"] == "incident" and r["status"] == 201}
    inc_bad = [r["label"] for r in res if r["op"] == "incident" and r["status"] != 201]
    patches_ok = sum(1 for r in res if r["op"] == "patch" and r["status"] == 200)
    expect(keys_ok and inc_ok and patches_ok, "no successful write of some kind: %s" % st)
    problems = []
    for node in c.nodes:
        keys = {name: (int(cnt), kid) for name, cnt, kid in q(
            node, "SELECT name, COUNT(*), MIN(id) FROM api_keys WHERE organization_id = '%s' "
                  "AND name LIKE '%s-%%' GROUP BY name" % (org.id, tag))}
        incs = {t: (int(cnt), iid) for t, cnt, iid in q(
            node, "SELECT title, COUNT(*), MIN(id) FROM incidents WHERE organization_id = '%s' "
                  "AND title LIKE '%s-%%' GROUP BY title" % (org.id, tag))}
        audits = {}
        for action, target, cnt in q(
                node, "SELECT action, target_id, COUNT(*) FROM audit_log WHERE organization_id = "
                      "'%s' AND action IN ('api_key.created', 'incident.created', "
                      "'incident.updated') GROUP BY action, target_id" % org.id):
            audits[(action, target)] = int(cnt)
        for what, want, have, action in (("key", keys_ok, keys, "api_key.created"),
                                         ("incident", inc_ok, incs, "incident.created")):
            for label, rid in want.items():
                if have.get(label) != (1, rid):
                    problems.append("%s: %s %s answered 2xx (id %s) is %s" % (
                        node.name, what, label, rid, have.get(label, "missing")))
                if audits.get((action, rid)) != 1:
                    problems.append("%s: %s %s has %s %s audit rows" % (
                        node.name, what, rid, audits.get((action, rid), 0), action))
        for label in keys_bad + inc_bad:
            if label in keys or label in incs:
                problems.append("%s: %s was answered non-2xx but is present" % (node.name, label))
        updated = audits.get(("incident.updated", hot["id"]), 0)
        if updated != patches_ok:
            problems.append("%s: %d incident.updated audit rows for %d PATCHes answered 200"
                            % (node.name, updated, patches_ok))
    expect(not problems, "%d problems: %s" % (len(problems), "; ".join(problems[:8])))


def admins_pair(c, tries=3):
    """A new organization with two active admins, made through host A. A
    503 with Retry-After is what a client is told to try again on (doc/api.md
    section 2): MariaDB 10.11 sometimes leaves a transaction that Galera
    pushed out waiting on its lock until the client's read timeout, so a
    request of the set-up can get one just after a round's crossed writes
    (doc/scale-out.md, "Deadlocks and certification conflicts")."""
    for attempt in range(tries):
        try:
            org = api.Org(c.a, "admins")
            return org, org.add_user("admin")
        except AssertionError as e:
            if attempt == tries - 1 or "got: 503" not in str(e) or "Retry-After" not in str(e):
                raise
            time.sleep(1)


def explain_both_demotions(c, org, first, other, res):
    """What the cluster holds of a round in which both demotions answered
    200, and what the hosts logged: enough to tell a lost transaction from
    a broken rule when CI shows one."""
    print("      both 200: A (%s demotes %s) answered %s" % (first.id, other.id, res.get("a-body")))
    print("                B (%s demotes %s) answered %s" % (other.id, first.id, res.get("b-body")))
    rows = q(c.nodes[0], "SELECT id, role, active, updated_at FROM users WHERE organization_id = '%s'"
             % org.id)
    audit = q(c.nodes[0], "SELECT occurred_at, action, actor_id, target_id FROM audit_log "
                          "WHERE organization_id = '%s' ORDER BY occurred_at" % org.id)
    print("      users %s; audit %s" % (rows, audit))
    for h in c.hosts:
        for line in h.log_text().splitlines()[-12:]:
            print("      %s: %s" % (h.name, line))


def test_last_admin_rule_holds_across_hosts(c):
    """Two admins demote each other at the same moment, one through each host:
    one must get 409 (doc/api.md: the organization's last active admin cannot be
    demoted), never both 200 -- the org would be left without an admin."""
    # OW_CLUSTER_ADMIN_ROUNDS raises the count to make a rare interleaving show.
    rounds, both = int(os.environ.get("OW_CLUSTER_ADMIN_ROUNDS", "12")), 0
    outcomes = []
    for i in range(rounds):
        org, other = admins_pair(c)
        first = org.admin
        barrier = threading.Barrier(2)
        res = {}

        def demote(actor, target, ep, key):
            cl = Client(ep, token=actor.token)
            barrier.wait(10)
            r = cl.patch("/users/" + target.id, {"role": "viewer"})
            # A 503 counts only with the Retry-After that makes it a "try again".
            res[key] = r.status if r.status != 503 or r.header("Retry-After") else "503-bare"
            res[key + "-body"] = r.json
        ts = [threading.Thread(target=demote, args=(first, other, c.a, "a")),
              threading.Thread(target=demote, args=(other, first, c.b, "b"))]
        for t in ts:
            t.start()
        for t in ts:
            t.join(30)
        outcomes.append((res.get("a"), res.get("b")))
        if res.get("a") == 200 and res.get("b") == 200:
            explain_both_demotions(c, org, first, other, res)
        rows = q(c.nodes[0], "SELECT COUNT(*) FROM users WHERE organization_id = '%s' "
                             "AND role = 'admin' AND active = 1" % org.id)
        if int(rows[0][0]) == 0:
            both += 1
    tally = {}
    for o in outcomes:
        tally["%s/%s" % o] = tally.get("%s/%s" % o, 0) + 1
    print("      %d rounds of crossed demotions, answers through A/B: %s; organizations left "
          "without an active admin: %d" % (rounds, tally, both))
    # One demotion wins (200); the other is refused: 409 (last admin), 403
    # when its actor had already been demoted by the winner, or 503 with
    # Retry-After when its transaction kept losing certification to the
    # winner's until the dispatcher's re-runs ran out (the client retries and
    # then gets 409 or 403). Never both 200.
    expect(all(sorted(o, key=str) in ([200, 403], [200, 409], [200, 503]) for o in outcomes)
           and both == 0,
           "%d of %d organizations lost their last active admin (both demotions answered "
           "200); answers A/B: %s" % (both, rounds, tally))


# ---------------------------------------------------------------- faults

def test_node_cut_off_from_the_cluster_is_skipped(c):
    """node2 loses the network (gmcast.isolate=1): it stays up but leaves the
    primary component and refuses queries (error 1047). Host B, whose first
    server it is, must go on through node3, as it does when node2 is dead."""
    org = api.Org(c.a, "isolate")
    on_b = Client(c.b, token=org.admin.token)
    ok(on_b.get("/auth/me"), 200, "through B before")
    victim = c.nodes[1]
    results = []
    victim.sql("SET GLOBAL wsrep_provider_options = 'gmcast.isolate=1'")
    try:
        api.wait_until(lambda: victim.status("wsrep_cluster_status") != "Primary", 15)
        t0 = time.monotonic()
        while time.monotonic() - t0 < 8:
            r = on_b.get("/auth/me")
            results.append((round(time.monotonic() - t0, 2), r.status))
            time.sleep(0.05)
        state = victim.status("wsrep_cluster_status")
    finally:
        victim.sql("SET GLOBAL wsrep_provider_options = 'gmcast.isolate=0'")
    c.wait_size(3, 60)
    st = {}
    for _, s in results:
        st[s] = st.get(s, 0) + 1
    last = [s for t, s in results if t > 3]
    print("      node2 %s for 8 s: %d requests through host B: %s; after 3 s: %d of %d failed"
          % (state, len(results), st, sum(1 for s in last if s != 200), len(last)))
    expect(state != "Primary", "node2 did not leave the primary component (%s)" % state)
    expect(last and all(s == 200 for s in last),
           "host B still fails 3 s after its first server left the cluster: %s" % st)


def fault_under_load(c, name, start, end, seconds, settle):
    """Load through host A (4 clients, reads and writes) while start() puts
    a fault on node1, its first server, for `seconds`, then end() removes
    it. No answer is 500 or 503 without Retry-After; every request that
    starts `settle` s after the fault until its end is served (through
    node2); nothing answered 201 is lost or doubled; and A's workers return
    to node1 once it serves again."""
    org = api.Org(c.a, name)
    victim, n2, n3 = c.nodes
    expect_fail_back(c, c.hosts[0], victim, [n2, n3])   # the starting point
    load = Load(mixed_load(c, org, api.unique(name), c.a), threads=4)
    with load:
        time.sleep(1.0)
        t_fault = time.monotonic()
        start()
        try:
            time.sleep(seconds)
        finally:
            t_end = time.monotonic()
            end()
        time.sleep(0.5)
    res = load.snapshot()
    failed = [r for r in res if not good(r)]
    after = [r for r in res if t_fault + settle < r["t0"] and r["t1"] < t_end]
    print("      %s for %.0f s: %d requests through host A, %d failed %s; %d of %d failed from "
          "%.0f s after the fault until its end" % (name, t_end - t_fault, len(res), len(failed),
                                                    statuses(failed),
                                                    sum(1 for r in after if not good(r)),
                                                    len(after), settle))
    no_database_fault_escapes(res, name)
    expect(len(after) > 10 and all(good(r) for r in after),
           "%s: host A still fails %.0f s after the fault: %s"
           % (name, settle, statuses([r for r in after if not good(r)])))
    c.wait_size(3, 90)
    check_incidents_once(c, org, res)
    expect_fail_back(c, c.hosts[0], victim, [n2, n3])


def test_first_node_of_a_leaves_the_primary_component_under_writes(c):
    """node1, host A's first server, is cut off (gmcast.isolate=1) while A
    takes writes: a COMMIT in flight there fails (error 1180) and the node
    refuses the next statements (1047). Each such answer is 503 with
    Retry-After, never 500; after the failure is detected every request is
    served through node2; and once node1 is back and synced, A's workers
    return to it by themselves."""
    victim = c.nodes[0]
    states = []

    def start():
        victim.sql("SET GLOBAL wsrep_provider_options = 'gmcast.isolate=1'")
        api.wait_until(lambda: victim.status("wsrep_cluster_status") != "Primary", 15, 0.05)
        states.append(victim.status("wsrep_cluster_status"))

    def end():
        victim.sql("SET GLOBAL wsrep_provider_options = 'gmcast.isolate=0'")
    fault_under_load(c, "isolate", start, end, 6, 3)
    expect(states[0] != "Primary", "node1 did not leave the primary component (%s)" % states)


def test_read_only_node_is_left_for_the_next(c):
    """node1, host A's first server, is made read-only (maintenance): it
    refuses writes (error 1290) but still answers reads. A write through A
    is run again on node2 and answered 201; reads go on; when node1 is
    writable again, A's workers return to it."""
    org = api.Org(c.a, "readonly")
    victim, n2, n3 = c.nodes
    client = Client(c.a, token=org.admin.token)
    tag = api.unique("ro")
    res = []
    # Host A's workers start on node1, its first server.
    expect_fail_back(c, c.hosts[0], victim, [n2, n3])
    victim.sql("SET GLOBAL read_only = 1")
    try:
        for i in range(24):
            title = "%s-%d" % (tag, i)
            r = client.post("/incidents", {"title": title, "severity": "low"})
            res.append({"status": r.status, "op": "incident", "title": title,
                        "ra": r.header("Retry-After"), "id": (r.json or {}).get("id")})
            r = client.get("/auth/me")
            res.append({"status": r.status, "op": "me", "ra": r.header("Retry-After")})
        on_victim = service_connections(victim)
    finally:
        victim.sql("SET GLOBAL read_only = 0")
    print("      24 writes and 24 reads through host A while node1 was read-only: %s; host A's "
          "connections left on node1: %d" % (statuses(res), on_victim))
    no_database_fault_escapes(res, "node1 read-only")
    expect(all(good(r) for r in res), "requests failed while node1 was read-only: %s" % statuses(res))
    expect(on_victim == 0, "%d of host A's workers stayed on the read-only node1" % on_victim)
    check_incidents_once(c, org, res)
    expect_fail_back(c, c.hosts[0], victim, [n2, n3])


def test_first_node_of_a_desynced_under_a_backup_lock(c):
    """node1 desynced and holding FLUSH TABLES WITH READ LOCK, as a backup
    does: its writes wait for the lock and its causal reads for an apply
    that is paused, until query_timeout (5 s) ends them (errors 1205, 1969).
    Each such answer is 503 with Retry-After; the worker then sees node1 is
    not Synced (wsrep_local_state 2) and moves to node2."""
    victim = c.nodes[0]
    hold = 14
    holder = {}

    def start():
        # The session ends the lock itself: a killed client's SLEEP would hold it on.
        holder["p"] = victim.hold("SET GLOBAL wsrep_desync = ON; FLUSH TABLES WITH READ LOCK; "
                                  "SELECT SLEEP(%d); UNLOCK TABLES; SET GLOBAL wsrep_desync = OFF;"
                                  % hold)
        api.wait_until(lambda: victim.status("wsrep_local_state") == "2", 10, 0.05)

    def end():
        holder["p"].wait(30)
        victim.sql("SET GLOBAL wsrep_desync = OFF")
    fault_under_load(c, "desync", start, end, hold - 1, 8)


def test_first_node_of_a_stopped_and_started(c):
    """node1 stopped cleanly (SIGTERM): connections on it end with errors
    1053 / 1927 / 2013, then nothing listens. Started again, it rejoins by
    IST and A's workers return to it."""
    victim = c.nodes[0]
    fault_under_load(c, "stop", victim.stop, lambda: (victim.start(), victim.wait_synced(90)),
                     5, 3)


def test_kill_9_of_a_galera_node_under_load(c):
    org = api.Org(c.a, "nodekill")
    victim = c.nodes[1]           # node2: host B's first server, host A's second
    survivors = [c.nodes[0], c.nodes[2]]
    tag = api.unique("k")
    load = Load(mixed_load(c, org, tag, c.lb), threads=4)
    with load:
        time.sleep(1.5)
        t_kill = time.monotonic()
        victim.kill()
        # Failure detection: the survivors install a view without node2.
        t_detect = None
        while time.monotonic() - t_kill < 30:
            if all(n.status("wsrep_cluster_size") == "2" for n in survivors):
                t_detect = time.monotonic()
                break
            time.sleep(0.05)
        expect(t_detect is not None, "the survivors still count 3 nodes 30 s after the kill")
        time.sleep(3)
        on_n3 = service_connections(c.nodes[2])
        t_restart = time.monotonic()
        log_from = os.path.getsize(victim.log)
        pos = victim.recover_position()
        victim.start(extra=["--wsrep-start-position=%s" % pos] if pos else [])
        victim.wait_synced(90)
        c.wait_size(3, 30)
        t_back = time.monotonic()
        time.sleep(1)
    res = load.snapshot()
    with open(victim.log, errors="replace") as f:
        f.seek(log_from)
        log = f.read()
    m = re.search(r"Receiving IST: (\d+) writesets", log)
    transfer = "IST (%s writesets)" % m.group(1) if m else \
        ("SST" if "SST received" in log else "unknown")
    during = [r for r in res if t_kill <= r["t1"] and r["t0"] <= t_detect + 1.0]
    after = [r for r in res if r["t0"] > t_detect + 1.0]
    failed = [r for r in res if not good(r)]
    print("      kill -9 node2: survivors saw it gone after %.2f s; %d requests, %d failed "
          "(%d of %d during detection + 1 s, %d of %d afterwards: %s); rejoined by %s in %.2f s"
          % (t_detect - t_kill, len(res), len(failed), sum(1 for r in during if not good(r)),
             len(during), sum(1 for r in after if not good(r)), len(after),
             statuses(failed), transfer, t_back - t_restart))
    expect(not [r for r in res if r["status"] == 500], "500 answers: %s" % statuses(failed))
    expect(len(after) > 20, "too few requests after detection: %d" % len(after))
    expect(all(good(r) for r in after),
           "requests failed after the failure was detected: %s" % statuses([r for r in after if not good(r)]))
    for n in c.nodes:
        expect(n.status("wsrep_cluster_size") == "3", "%s: cluster size %s" % (n.name, n.status("wsrep_cluster_size")))
    # Writes made while node2 was away reached it by the state transfer.
    n, anyway = check_incidents_once(c, org, res)
    print("      %d incidents answered 201, each present once on all 3 nodes; %d answered "
          "otherwise but committed all the same" % (n, anyway))
    # Host B's workers moved to node3 during the outage and return to node2.
    print("      host B's connections on node3 before node2 returned: %d" % on_n3)
    expect(on_n3 > 0, "no worker of host B moved to node3 while node2 was dead")
    expect_fail_back(c, c.hosts[1], victim, survivors)


def test_service_host_killed_under_load(c):
    org = api.Org(c.a, "hostkill")
    tag = api.unique("h")
    host_b = c.hosts[1]
    api.wait_until(lambda: c.haproxy.states() == {"host-a": "UP", "host-b": "UP"}, 10)
    expect(c.haproxy.states() == {"host-a": "UP", "host-b": "UP"},
           "HAProxy before the test: %s" % c.haproxy.states())
    load = Load(mixed_load(c, org, tag, c.lb), threads=4)
    with load:
        time.sleep(1.5)
        t_kill = time.monotonic()
        host_b.kill()
        t_down = None
        while time.monotonic() - t_kill < 15:
            if c.haproxy.states().get("host-b") == "DOWN":
                t_down = time.monotonic()
                break
            time.sleep(0.05)
        time.sleep(2.5)
    res = load.snapshot()
    expect(t_down is not None, "HAProxy did not take host B out within 15 s: %s" % c.haproxy.states())
    failed = [r for r in res if not good(r)]
    after = [r for r in res if r["t0"] > t_down]
    print("      host B killed: HAProxy marked it DOWN after %.2f s; %d requests, %d failed %s, "
          "%d after DOWN" % (t_down - t_kill, len(res), len(failed), statuses(failed), len(after)))
    expect(len(after) > 10, "too few requests after host B went DOWN: %d" % len(after))
    expect(all(good(r) for r in after), "requests failed after host B went DOWN: %s"
           % statuses([r for r in after if not good(r)]))
    # Only requests in flight on host B when it died may fail (4 clients).
    expect(len(failed) <= 4, "%d requests failed: %s" % (len(failed), statuses(failed)))
    check_incidents_once(c, org, res, nodes=[c.nodes[0]])
    # Host B back: HAProxy puts it back in rotation.
    host_b.start()
    t_up = time.monotonic()
    api.wait_until(lambda: c.haproxy.states().get("host-b") == "UP", 15)
    expect(c.haproxy.states().get("host-b") == "UP", "host B not back UP: %s" % c.haproxy.states())
    print("      host B restarted: UP again after %.2f s" % (time.monotonic() - t_up))


def test_nodes_hold_identical_data(c):
    tables = ("organizations", "users", "sessions", "revoked_tokens", "api_keys", "incidents",
              "audit_log", "login_attempts")
    sums = {}
    for node in c.nodes:
        rows = q(node, "CHECKSUM TABLE %s" % ", ".join(tables))
        sums[node.name] = {t.split(".")[-1]: s for t, s in rows}
    first = sums[c.nodes[0].name]
    diff = [(n, t) for n, s in sums.items() for t in tables if s.get(t) != first.get(t)]
    expect(not diff, "tables differ between nodes: %s" % diff)

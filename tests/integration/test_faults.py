"""Fault tests of the pre-fork master and the database layer.

Only against the standalone master (lighttpd-socket front-end, or a master of
their own spoken to directly over FastCGI), after the other modules: they
kill workers, signal the master, and stop MariaDB.
"""

import getpass
import os
import signal
import subprocess
import threading
import time
from pathlib import Path

from lib import api
from lib import checks
from lib import fcgi_client
from lib import harness
from lib.checks import expect

FRONTENDS = ("lighttpd-socket",)
ORDER = 90
HEALTH = "/api/v1/health"
LOGIN = "/api/v1/auth/login"


class Load:
    """Threads calling fn() in a loop; fn returns (ok, info)."""

    def __init__(self, fn, threads=2):
        self.fn = fn
        self.results = []           # (t_start, t_end, ok, info)
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self._run, daemon=True) for _ in range(threads)]

    def _run(self):
        while not self.stopping.is_set():
            t0 = time.monotonic()
            try:
                ok, info = self.fn()
            except Exception as e:  # noqa: BLE001
                ok, info = False, "%s: %s" % (type(e).__name__, e)
            with self.lock:
                self.results.append((t0, time.monotonic(), ok, info))

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        for t in self.threads:
            t.join(30)

    def since(self, t):
        with self.lock:
            return [r for r in self.results if r[0] >= t]

    def snapshot(self):
        with self.lock:
            return list(self.results)


def http_health(fe):
    def call():
        r = fe.get(HEALTH, timeout=10)
        return r.status == 200, r.status
    return call


def summary(results):
    bad = [r for r in results if not r[2]]
    return "%d requests, %d failed; first failures: %s" % (
        len(results), len(bad), [r[3] for r in bad[:5]])


def age_of(pid):
    """Seconds since pid started, or None once it has gone."""
    try:
        return harness.process_age(pid)
    except OSError:
        return None


def test_kill_worker_under_load_is_replaced(fe):
    before = fe.worker_pids()
    expect(len(before) == harness.WORKERS, "master has %s, not %d workers"
           % (before, harness.WORKERS))
    # A worker that dies within a second of its start may be respawned with
    # back-off: kill one that has been serving for a while, as in production.
    time.sleep(max(0.0, 1.5 - max(age_of(p) or 0.0 for p in before)))
    with Load(http_health(fe), threads=2) as load:
        time.sleep(0.3)
        # Chosen at the kill, not before: a worker may meanwhile have ended
        # itself at [service] max_requests (the shared stack has served the
        # earlier tests), and os.kill would find no such process.
        victim = None
        for _ in range(50):
            ages = [(age_of(p), p) for p in fe.worker_pids()]
            ages = [(a, p) for a, p in ages if a is not None and a >= 1.5]
            if ages:
                victim = max(ages)[1]
                t_kill = time.monotonic()
                try:
                    os.kill(victim, signal.SIGKILL)
                    break
                except ProcessLookupError:
                    victim = None
            time.sleep(0.1)
        expect(victim is not None, "no worker serving for 1.5 s to kill (workers %s)"
               % fe.worker_pids())
        replaced = None
        while time.monotonic() - t_kill < 5:
            now = fe.worker_pids()
            if victim not in now and len(now) == harness.WORKERS:
                replaced = time.monotonic()
                break
            time.sleep(0.01)
        time.sleep(1.0)
    expect(replaced is not None, "worker %d was not replaced within 5 s (workers now %s)"
           % (victim, fe.worker_pids()))
    expect(replaced - t_kill <= 1.0, "worker replaced after %.2f s, not within 1 s"
           % (replaced - t_kill))
    after = load.since(replaced)
    expect(len(after) > 10, "too few requests after the replacement: %s" % summary(after))
    expect(all(r[2] for r in after), "requests failed after the replacement: "
           + summary(after))
    expect(fe.master.poll() is None, "the master exited")


def test_sighup_replaces_workers_without_dropping_requests(fe):
    before = set(fe.worker_pids())
    t0 = time.monotonic()
    with Load(http_health(fe), threads=2) as load:
        time.sleep(0.3)
        fe.master.send_signal(signal.SIGHUP)
        renewed = None
        while time.monotonic() - t0 < 20:
            now = set(fe.worker_pids())
            if len(now) == harness.WORKERS and not now & before:
                renewed = now
                break
            time.sleep(0.05)
        time.sleep(0.5)
    expect(renewed is not None, "workers %s not all replaced after SIGHUP (now %s)"
           % (sorted(before), fe.worker_pids()))
    expect(fe.master.poll() is None, "the master exited on SIGHUP")
    expect(all(r[2] for r in load.results), "requests failed during the reload: "
           + summary(load.results))


def fcgi_health(sock):
    """One request straight to the master's socket; failures before any byte of
    the response are 'refused' (the socket closing during a stop), a broken
    response is 'truncated'."""
    def call():
        try:
            status, _, _, _ = fcgi_client.request(sock, "GET", HEALTH, timeout=10)
        except fcgi_client.FcgiError as e:
            return False, "truncated: %s" % e
        except (ConnectionRefusedError, FileNotFoundError, ConnectionResetError,
                BrokenPipeError) as e:
            return False, "refused: %s" % type(e).__name__
        return status == 200, status
    return call


def wait_exit(p, timeout):
    try:
        return p.wait(timeout)
    except Exception:  # noqa: BLE001
        return None


def test_sigterm_under_load_stops_cleanly(fe):
    h = fe.harness
    master, sock = h.start_master("sigterm-load")
    workers = harness.children(master.pid)
    try:
        with Load(fcgi_health(sock), threads=3) as load:
            # Some answered requests first, counted rather than timed: on a
            # loaded machine (or a sanitizer build) 0.5 s may see none.
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and sum(1 for r in load.snapshot() if r[2]) < 3:
                time.sleep(0.05)
            t_term = time.monotonic()
            master.send_signal(signal.SIGTERM)
            rc = wait_exit(master, 15)
            t_exit = time.monotonic()
            time.sleep(0.2)
        expect(rc is not None, "master still running 15 s after SIGTERM")
        expect(rc == 0, "master exited with status %s after SIGTERM" % rc)
        before = [r for r in load.results if r[1] < t_term]
        expect(before and all(r[2] for r in before),
               "requests failed before SIGTERM: " + summary(before))
        truncated = [r for r in load.results if not r[2] and not str(r[3]).startswith("refused")]
        expect(not truncated, "requests broken by the stop (in-flight requests must complete): "
               + summary(truncated))
        expect(not os.path.exists(sock), "the master left its socket behind")
        alive = [p for p in workers if harness.pid_alive(p)]
        expect(not alive, "workers %s still alive after the master exited" % alive)
        expect(t_exit - t_term < 10.5, "stop took %.1f s" % (t_exit - t_term))
    finally:
        h.stop_process(master)


def test_sigterm_completes_request_in_flight(fe):
    """A request whose body is still on its way when SIGTERM arrives completes."""
    h = fe.harness
    master, sock = h.start_master("sigterm-inflight")
    try:
        body = b'{"email": "nobody@example.com", "password": "correct horse battery"}'
        held = fcgi_client.Connection(sock)
        held.begin(fcgi_client.cgi_params("POST", LOGIN, body=body,
                                          content_type="application/json"))
        time.sleep(0.3)
        if held.readable(0.0):
            status, _, rbody, _ = held.read_response()
            raise AssertionError("POST /auth/login answered %d before its body arrived: %r"
                                 % (status, rbody[:200]))
        master.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        try:
            held.send_stdin(body)
            status, headers, rbody, _ = held.read_response()
        except (OSError, fcgi_client.FcgiError) as e:
            raise AssertionError("the in-flight request was dropped on SIGTERM: %s: %s"
                                 % (type(e).__name__, e)) from None
        expect(100 <= status < 500 and status != 408,
               "in-flight request answered %d: %r" % (status, rbody[:200]))
        rc = wait_exit(master, 15)
        expect(rc == 0, "master exit status %s after SIGTERM" % rc)
    finally:
        h.stop_process(master)


def test_worker_recycled_after_max_requests(fe):
    h = fe.harness
    master, sock = h.start_master("recycle",
                                  extra_env={"OVERWATCH_SERVICE_MAX_REQUESTS": "10"})
    try:
        first = set(harness.children(master.pid))
        statuses = [fcgi_client.request(sock, "GET", HEALTH)[0] for _ in range(50)]
        expect(all(s == 200 for s in statuses), "requests failed while workers recycle: %s"
               % [s for s in statuses if s != 200][:5])
        now = set(harness.children(master.pid))
        expect(now != first and not (first <= now),
               "no worker was recycled after 50 requests with max_requests 10 (%s -> %s)"
               % (sorted(first), sorted(now)))
        expect(master.poll() is None, "the master exited")
    finally:
        h.stop_process(master)


def test_transaction_whose_connection_is_killed_runs_again_whole(fe):
    """A role change whose database connection is killed while its
    transaction waits on a lock (doc/scale-out.md, "Deadlocks and
    certification conflicts"): the transaction died with its connection, so
    the handler runs again from the start on a new one and the change is
    made exactly once: 200, the role changed, the last-admin guard written
    once and one user.updated event; nothing of the first attempt runs in
    autocommit on the new connection."""
    h = fe.harness
    org = api.Org(fe, "killed")
    other = org.add_user("admin", login_now=False)
    db = harness.DB_NAME

    def guard():
        return int(api.sql_rows(fe, "SELECT admin_guard FROM %s.organizations WHERE id = '%s'"
                                % (db, org.id))[0][0])
    before = guard()
    # The organization's row, held for 3 s: the change waits on it in its transaction.
    holder = subprocess.Popen(
        [harness.which("mariadb", "/usr/bin"), "--no-defaults", "--socket=%s" % h.db_socket,
         "-u", getpass.getuser(), "-e",
         "START TRANSACTION; SELECT admin_guard FROM %s.organizations WHERE id = '%s' FOR UPDATE; "
         "DO SLEEP(3); COMMIT;" % (db, org.id)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        expect(api.wait_until(lambda: api.sql_rows(
            fe, "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE 'DO SLEEP%'")
            [0][0] == "1", 10), "the lock holder did not start")
        res = {}
        t = threading.Thread(target=lambda: res.update(
            r=org.client.patch("/users/" + other.id, {"role": "viewer"})))
        t.start()
        waiting = []

        def service_waits():
            waiting[:] = api.sql_rows(fe, "SELECT ID FROM information_schema.PROCESSLIST WHERE "
                                          "INFO LIKE 'UPDATE organizations SET admin_guard%'")
            return bool(waiting)
        expect(api.wait_until(service_waits, 10, 0.02), "the change never waited on the lock")
        h.sql("KILL CONNECTION %s" % waiting[0][0])
        t.join(30)
    finally:
        holder.wait(30)
    body = api.ok(res["r"], 200, "PATCH /users/{id} after its connection was killed")
    expect(body["role"] == "viewer", "the role was not changed: %r" % body)
    expect(guard() == before + 1, "the guard was written %d times, not once" % (guard() - before))
    events = api.sql_rows(fe, "SELECT COUNT(*) FROM %s.audit_log WHERE organization_id = '%s' "
                              "AND action = 'user.updated' AND target_id = '%s'"
                          % (db, org.id, other.id))
    expect(events[0][0] == "1", "%s user.updated events, not 1" % events[0][0])
    logs = [p for p in Path(h.tmp).rglob("*.log") if "mariadb" not in p.name and
            "statement after its transaction was lost" in p.read_text(errors="replace")]
    expect(not logs, "a handler went on after its transaction was lost: %s" % logs)


def test_mariadb_down_then_back(fe):
    """/health 503 "unreachable" while MariaDB is stopped, a database-backed
    request (POST /auth/login, once it exists) 503 SERVICE_UNAVAILABLE with
    Retry-After; after MariaDB restarts on the same socket, success within
    seconds, with the same workers."""
    h = fe.harness
    r = fe.get(HEALTH)
    expect(r.status == 200, "precondition: /health is not 200", r)
    workers = fe.worker_pids()
    login_implemented = True
    h.stop_mariadb()
    try:
        for _ in range(2 * harness.WORKERS):
            t0 = time.monotonic()
            r = fe.get(HEALTH, timeout=15)
            dt = time.monotonic() - t0
            expect(r.status == 503, "GET /health with MariaDB stopped is not 503", r)
            body = checks.json_body(r)
            expect(body.get("database") == "unreachable", '"database" is not "unreachable"', r)
            checks.common_headers(r)
            expect(dt < 5, "/health took %.1f s with MariaDB stopped" % dt)
        r = fe.post_json(LOGIN, {"email": "nobody@example.com",
                                 "password": "correct horse battery"}, timeout=15)
        if r.status == 404:
            login_implemented = False
        else:
            checks.error(r, 503, "SERVICE_UNAVAILABLE")
            retry = r.header("Retry-After", "")
            expect(retry.isdigit(), "503 without a numeric Retry-After", r)
        expect(fe.worker_pids() == workers,
               "workers changed while MariaDB was down (%s -> %s): they must keep running"
               % (workers, fe.worker_pids()))
    finally:
        h.start_mariadb()
    t0 = time.monotonic()
    ok_in_row = 0
    last = None
    while time.monotonic() - t0 < 10 and ok_in_row < 4 * harness.WORKERS:
        last = fe.get(HEALTH, timeout=15)
        ok_in_row = ok_in_row + 1 if last.status == 200 else 0
        if last.status != 200:
            time.sleep(0.1)
    expect(ok_in_row >= 4 * harness.WORKERS,
           "requests do not succeed within 10 s of MariaDB coming back", last)
    first_ok = time.monotonic() - t0
    if login_implemented:
        r = fe.post_json(LOGIN, {"email": "nobody@example.com",
                                 "password": "correct horse battery"})
        expect(r.status not in (500, 503), "login still failing after MariaDB came back", r)
    expect(fe.worker_pids() == workers, "workers were restarted (%s -> %s)"
           % (workers, fe.worker_pids()))
    expect(first_ok < 10, "recovery took %.1f s" % first_ok)


def test_bad_configuration_stops_startup_naming_the_key(fe):
    """A bad value stops start-up with a message naming the key, quickly and
    without a respawn storm."""
    h = fe.harness
    cases = {
        "secret_file": {"OVERWATCH_JWT_SECRET_FILE": h.tmp + "/no-such-secret"},
        "workers": {"OVERWATCH_SERVICE_WORKERS": "many"},
        "max_body": {"OVERWATCH_SERVICE_MAX_BODY": "-5"},
    }
    for key, env in cases.items():
        d = "%s/badconf-%s" % (h.tmp, key)
        os.makedirs(d)
        log = d + "/overwatch-fcgi.log"
        p = h.spawn([h.fcgi_bin, "--config", h.config, "--listen", "unix:%s/s.sock" % d,
                     "--workers", "2"], log, env=dict(h.env, **env))
        try:
            rc = wait_exit(p, 10)
            expect(rc is not None, "%s: still running 10 s after start with %s" % (key, env))
            expect(rc != 0, "%s: exit status 0 with %s" % (key, env))
            text = open(log, errors="replace").read()
            low = text.lower()
            expect(key in low or key.replace("_", " ") in low or list(env)[0] in text,
                   "%s: the message does not name the key: %r" % (key, text[-300:]))
        finally:
            h.stop_process(p)

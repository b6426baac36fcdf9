"""Fault tests with data and configuration at stake.

- MariaDB stopped and started under write load: 503 JSON with Retry-After
  while it is down, recovery within 2 s of its return with the same workers,
  and every write answered 2xx is in the database afterwards, exactly once.
- SIGHUP with a changed configuration file under load: applied (a new
  access_ttl shows in new logins) without one failed request; a bad file is
  refused and the running configuration kept.
- A locked table or row: requests end in 503 within [database] query_timeout
  (plus a margin) instead of hanging the workers, and succeed again once the
  lock is released.
- MariaDB frozen (SIGSTOP: alive, accepting, not answering): 503 within
  query_timeout + connect_timeout (plus a margin), not when it comes back.

Only against the standalone master (lighttpd-socket), after test_faults.
The last three start a master of their own (own configuration or
environment) behind a lighttpd of their own, and stop both at the end.
Set OVERWATCH_IT_REPORT=1 to print the measured numbers.
"""

import getpass
import json
import os
import queue
import signal
import subprocess
import threading
import time
from pathlib import Path

from lib import api
from lib import checks
from lib import harness
from lib.checks import expect

FRONTENDS = ("lighttpd-socket",)
ORDER = 91
API = "/api/v1"
REPORT = bool(os.environ.get("OVERWATCH_IT_REPORT"))


def report(fmt, *args):
    if REPORT:
        print("      | " + (fmt % args if args else fmt), flush=True)


# ------------------------------------------------------------------ helpers

class Call:
    """One timed HTTP exchange: t0/t1 (monotonic), the Response or the exception."""

    __slots__ = ("kind", "t0", "t1", "resp", "exc", "extra")

    def __init__(self, kind, t0, t1, resp, exc, extra=None):
        self.kind, self.t0, self.t1 = kind, t0, t1
        self.resp, self.exc, self.extra = resp, exc, extra

    @property
    def status(self):
        return self.resp.status if self.resp is not None else None

    @property
    def seconds(self):
        return self.t1 - self.t0

    def __repr__(self):
        what = self.exc if self.exc else "%s %r" % (self.status, self.resp.body[:160])
        return "<%s %.2fs %s>" % (self.kind, self.seconds, what)


class Load:
    """Each of `workers` (list of callables taking no argument and returning
    (kind, Response, extra)) runs in its own thread, in a loop, until stopped."""

    def __init__(self, workers, pause=0.0):
        self.calls = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.pause = pause
        self.threads = [threading.Thread(target=self._run, args=(w,), daemon=True)
                        for w in workers]

    def _run(self, fn):
        while not self.stopping.is_set():
            t0 = time.monotonic()
            kind, resp, exc, extra = "?", None, None, None
            try:
                kind, resp, extra = fn()
            except Exception as e:  # noqa: BLE001 - a connection error is a result
                exc = "%s: %s" % (type(e).__name__, e)
            with self.lock:
                self.calls.append(Call(kind, t0, time.monotonic(), resp, exc, extra))
            if self.pause:
                self.stopping.wait(self.pause)

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def stop(self, timeout=30.0):
        """Stop and wait for the requests in flight (fails if one is still
        unanswered after `timeout` seconds)."""
        self.stopping.set()
        deadline = time.monotonic() + timeout
        for t in self.threads:
            t.join(max(0.0, deadline - time.monotonic()))
        stuck = [t for t in self.threads if t.is_alive()]
        expect(not stuck, "%d requests still unanswered %.0f s after the load stopped "
               "(hung)" % (len(stuck), timeout))

    def __exit__(self, *exc):
        self.stopping.set()
        for t in self.threads:
            t.join(30)

    def snapshot(self):
        with self.lock:
            return list(self.calls)


def tally(calls):
    out = {}
    for c in calls:
        key = c.status if c.exc is None else "exception"
        out[key] = out.get(key, 0) + 1
    return out


def is_503(c):
    """503 SERVICE_UNAVAILABLE as doc/api.md section 2 says, with a numeric Retry-After."""
    if c.resp is None or c.resp.status != 503:
        return False
    body = c.resp.json
    return (isinstance(body, dict) and body.get("code") == "SERVICE_UNAVAILABLE"
            and body.get("status_code") == 503
            and c.resp.header("Content-Type", "").startswith("application/json")
            and "no-store" in c.resp.header("Cache-Control", "")
            and c.resp.header("Retry-After", "").isdigit())


def write_config(h, path, jwt_lines):
    """The harness's configuration with `jwt_lines` added to its [jwt] section."""
    text = Path(h.config).read_text()
    expect("[jwt]\n" in text, "the harness configuration has no [jwt] section")
    tmp = str(path) + ".new"
    Path(tmp).write_text(text.replace("[jwt]\n", "[jwt]\n" + jwt_lines, 1))
    os.replace(tmp, path)       # the master never reads a half-written file


class PrivateStack:
    """A master of its own (own config file and/or environment) behind a
    lighttpd of its own; a harness.Frontend in .fe. Stopped on exit."""

    count = 0

    def __init__(self, h, label, extra_env=None, config_jwt_lines=None, workers=harness.WORKERS):
        PrivateStack.count += 1
        self.h = h
        self.name = "%s-%d" % (label, PrivateStack.count)
        self.fe = harness.Frontend(h, self.name)
        self.config = None
        saved = h.config
        if config_jwt_lines is not None:
            self.config = str(self.fe.dir / "overwatch.conf")
            write_config(h, self.config, config_jwt_lines)
            h.config = self.config      # start_master reads it once, at spawn
        # No recycling unless a test asks for it: these tests compare the
        # worker set before and after a fault, and a load of cached requests
        # takes a worker past the default max_requests (10000) in seconds.
        env = {"OVERWATCH_SERVICE_MAX_REQUESTS": "100000000"}
        env.update(extra_env or {})
        try:
            self.fe.master, self.fe.socket = h.start_master(self.name, workers=workers,
                                                            extra_env=env)
        finally:
            h.config = saved
        self.log = str(self.fe.dir / "overwatch-fcgi.log")
        self.fe.logs.append(self.log)
        try:
            h.start_lighttpd(self.fe, {"socket": '"%s"' % self.fe.socket,
                                       "check-local": '"disable"'})
        except Exception:
            h.stop_frontend(self.fe)
            raise

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.h.stop_frontend(self.fe)

    def log_text(self):
        return Path(self.log).read_text(errors="replace")

    def warnings(self, n=6):
        """The last n warning and error lines of the master's log, for a failure message."""
        lines = [x for x in self.log_text().splitlines() if " warning: " in x or " error: " in x]
        return "  log of %s:\n    %s" % (self.name, "\n    ".join(lines[-n:]) or "(none)")


class Locker:
    """A separate `mariadb` client session that runs `statements` and keeps
    whatever locks they took until release() (the session ends: MariaDB
    rolls back and unlocks)."""

    def __init__(self, h, statements, timeout=15.0):
        self.proc = subprocess.Popen(
            [harness.which("mariadb", "/usr/bin"), "--no-defaults", "--socket=%s" % h.db_socket,
             "-u", getpass.getuser(), harness.DB_NAME, "-N", "-B", "--unbuffered"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, bufsize=1, env=h.env, start_new_session=True)
        self.lines = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.proc.stdin.write(statements.rstrip().rstrip(";") + ";\nSELECT 'lock-held';\n")
        self.proc.stdin.flush()
        deadline = time.monotonic() + timeout
        seen = []
        while True:
            try:
                line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                self.release()
                raise AssertionError("the lock was not taken within %.0f s: %r"
                                     % (timeout, seen)) from None
            if line is None or "ERROR" in line:
                self.release()
                raise AssertionError("the locking session failed: %r" % (seen + [line]))
            seen.append(line)
            if line.strip() == "lock-held":
                break
        self.output = seen

    def _read(self):
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def release(self):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.release()


def claims_ttl(token):
    c = api.jwt_claims(token)
    return c["exp"] - c["iat"]


# ------------------------------------------------------------------ MariaDB stop/start

DOWN_SECONDS = 1.5         # MariaDB stays stopped this long
AFTER_SECONDS = 3.0        # load continues this long after it is back
RECOVERY_LIMIT = 2.0       # recovery within 2 s of its return
LATENCY_LIMIT = 5.0        # no request hangs longer than this, even while it is down


def test_mariadb_restart_under_write_load_keeps_every_acknowledged_write(fe):
    h = fe.harness
    org = api.Org(fe, "dbfault")
    token = org.admin.token
    prefix = api.unique("dbfault")
    counter = iter(range(10 ** 9))
    lock = threading.Lock()

    def create():
        with lock:
            n = next(counter)
        title = "%s-%06d" % (prefix, n)
        r = fe.request("POST", API + "/incidents", timeout=15,
                       body=json.dumps({"title": title, "severity": "low"}),
                       headers={"Authorization": "Bearer " + token,
                                "Content-Type": "application/json"})
        return "create", r, title

    workers = fe.worker_pids()
    restarted = False
    with Load([create] * 3) as load:
        try:
            time.sleep(0.7)
            t_stop = time.monotonic()
            h.stop_mariadb()
            t_stopped = time.monotonic()
            time.sleep(DOWN_SECONDS)
            t_start = time.monotonic()
            h.start_mariadb()
            restarted = True
            t_up = time.monotonic()
            time.sleep(AFTER_SECONDS)
        finally:
            if not restarted:
                h.start_mariadb()
        load.stop()
    calls = load.snapshot()
    counts = tally(calls)
    report("%d writes: %s; stop took %.2f s, start %.2f s", len(calls), counts,
           t_stopped - t_stop, t_up - t_start)

    broken = [c for c in calls if c.exc is not None]
    expect(not broken, "requests broke (reset, refused, timed out) instead of an answer: %d, "
           "first %s" % (len(broken), broken[:3]))
    odd = [c for c in calls if c.status not in (201, 503)]
    expect(not odd, "answers other than 201 or 503 while MariaDB stopped and started "
           "(%s): first %s" % (counts, odd[:3]))
    bad503 = [c for c in calls if c.status == 503 and not is_503(c)]
    expect(not bad503, "503 without the SERVICE_UNAVAILABLE JSON body, no-store or a numeric "
           "Retry-After: %s" % bad503[:3])
    slow = [c for c in calls if c.seconds > LATENCY_LIMIT]
    expect(not slow, "%d requests took longer than %.0f s: %s" % (len(slow), LATENCY_LIMIT,
                                                                slow[:3]))
    before = [c for c in calls if c.t1 < t_stop]
    expect(len(before) >= 5 and all(c.status == 201 for c in before),
           "writes before the stop did not all succeed: %s" % tally(before))
    down = [c for c in calls if c.t0 >= t_stopped and c.t1 <= t_start]
    expect(down, "no request was answered while MariaDB was stopped")
    expect(all(is_503(c) for c in down), "requests while MariaDB was stopped were not all "
           "503 SERVICE_UNAVAILABLE: %s" % tally(down))
    # Recovery: the first success of a request started once MariaDB was back,
    # and from 2 s on, nothing but success.
    after = sorted((c for c in calls if c.t0 >= t_up), key=lambda c: c.t0)
    first_ok = next((c for c in after if c.status == 201), None)
    expect(first_ok is not None, "no write succeeded in the %.0f s after MariaDB came back: "
           "%s" % (AFTER_SECONDS, tally(after)))
    recovery = first_ok.t1 - t_up
    report("recovery: first 201 %.3f s after MariaDB was back; %d down-time 503s",
           recovery, len(down))
    expect(recovery <= RECOVERY_LIMIT, "the first write succeeded %.2f s after MariaDB came "
           "back, not within %.0f s" % (recovery, RECOVERY_LIMIT))
    late = [c for c in after if c.t0 >= t_up + RECOVERY_LIMIT]
    expect(len(late) >= 5 and all(c.status == 201 for c in late),
           "writes %.0f s after MariaDB came back still fail: %s"
           % (RECOVERY_LIMIT, tally(late)))
    expect(fe.worker_pids() == workers, "workers changed (%s -> %s): the service must "
           "reconnect, not restart" % (workers, fe.worker_pids()))
    expect(fe.master.poll() is None, "the master exited")

    # Nothing acknowledged is lost, nothing is stored twice.
    acked = {}
    for c in calls:
        if c.status == 201:
            body = c.resp.json or {}
            expect(body.get("title") == c.extra and api.UUID_RE.fullmatch(body.get("id", "")),
                   "a 201 without its incident: %r" % c)
            acked[body["id"]] = c.extra
    expect(len(acked) == counts.get(201, 0), "the same id was returned twice")
    rows = api.sql_rows(fe, "SELECT id, title FROM %s.incidents WHERE organization_id = '%s' "
                        "AND title LIKE '%s-%%'" % (harness.DB_NAME, org.id, prefix))
    stored = {}
    for rid, title in rows:
        stored.setdefault(title, []).append(rid)
    missing = [(i, t) for i, t in acked.items() if i not in stored.get(t, [])]
    expect(not missing, "%d writes answered 201 are not in the database: %s"
           % (len(missing), missing[:5]))
    dups = {t: ids for t, ids in stored.items() if len(ids) > 1}
    expect(not dups, "writes stored more than once: %s" % list(dups.items())[:3])
    unknown = set(stored) - {c.extra for c in calls}
    expect(not unknown, "rows nobody asked for: %s" % sorted(unknown)[:3])
    committed_503 = [c for c in calls if c.status == 503 and c.extra in stored]
    report("%d acknowledged writes, all stored once; %d rows stored; %d answered 503 but "
           "committed (re-read after commit failed)", len(acked), len(rows),
           len(committed_503))


# ------------------------------------------------------------------ SIGHUP with a new config

RELOAD_LIMIT = 30.0        # every worker replaced within this long of SIGHUP (generous: a
                           # sanitizer build on a loaded machine starts workers slowly)


def wait_for_calls(load, pred, n, limit):
    """Wait until at least n finished calls of the load satisfy pred, at most
    `limit` seconds (the assertions that follow say what was missing)."""
    end = time.monotonic() + limit
    while time.monotonic() < end:
        if sum(1 for c in load.snapshot() if pred(c)) >= n:
            return
        time.sleep(0.05)


def test_sighup_applies_changed_configuration_under_load(fe):
    h = fe.harness
    org = api.Org(fe, "reload")
    # Only the reload may replace the workers (PrivateStack turns recycling off).
    with PrivateStack(h, "reload", config_jwt_lines="access_ttl = 1200\n") as st:
        pfe, master = st.fe, st.fe.master
        user = api.User(pfe, org.admin.info, api.PASSWORD).login()
        expect(claims_ttl(user.token) == 1200, "access_ttl = 1200 not applied at start")

        def login():
            r = api.login(pfe, org.admin.email, api.PASSWORD)
            return "login", r, None

        def me():
            return "me", pfe.get(API + "/auth/me",
                                 headers={"Authorization": "Bearer " + user.token}), None

        def health():
            return "health", pfe.get(API + "/health"), None

        before = set(harness.children(master.pid))
        renewed = None
        with Load([login, me, health, me]) as load:
            # Counted in logins, not seconds: under a sanitizer build on a
            # loaded machine one argon2 login can take longer than a fixed
            # pause, and the checks below need one before and three after.
            wait_for_calls(load, lambda c: c.kind == "login" and c.status == 200, 1, 30.0)
            write_config(h, st.config, "access_ttl = 900\n")
            t_hup = time.monotonic()
            master.send_signal(signal.SIGHUP)
            while time.monotonic() - t_hup < RELOAD_LIMIT:
                now = set(harness.children(master.pid))
                if len(now) == harness.WORKERS and not now & before:
                    renewed = time.monotonic()
                    break
                time.sleep(0.02)
            time.sleep(1.0)
            if renewed is not None:
                wait_for_calls(load, lambda c: c.kind == "login" and c.t0 > renewed, 3, 30.0)
            load.stop()
        calls = load.snapshot()
        report("reload: %d requests %s; workers replaced %.2f s after SIGHUP",
               len(calls), tally(calls), (renewed or t_hup) - t_hup)
        expect(renewed is not None, "workers %s not all replaced within %.0f s of SIGHUP (now "
               "%s)" % (sorted(before), RELOAD_LIMIT, harness.children(master.pid)))
        expect(master.poll() is None, "the master exited on SIGHUP")
        failed = [c for c in calls if c.exc is not None or c.status != 200]
        expect(not failed, "requests failed during the reload: %d of %d, first %s"
               % (len(failed), len(calls), failed[:3]))
        logins = [c for c in calls if c.kind == "login"]
        ttls = [(c, c.resp.json.get("expires_in"), claims_ttl(c.resp.json["access_token"]))
                for c in logins]
        expect(all(a == b and a in (1200, 900) for _, a, b in ttls),
               "login answers whose expires_in and token lifetime disagree or are neither "
               "the old nor the new access_ttl: %s" % [(a, b) for _, a, b in ttls][:10])
        old = [a for c, a, _ in ttls if c.t1 < t_hup]
        new = [c for c, a, _ in ttls if c.t0 > renewed]
        expect(old and all(a == 1200 for a in old), "logins before SIGHUP: %s" % old)
        expect(len(new) >= 3, "too few logins after the reload: %d" % len(new))
        stale = [c for c, a, _ in ttls if c.t0 > renewed and a != 900]
        expect(not stale, "logins after every worker was replaced still get the old "
               "access_ttl: %s" % stale[:3])
        cookie = ";".join(v for k, v in new[-1].resp.headers.items()
                          if k.lower() == "set-cookie" and v.startswith("access_token="))
        expect("Max-Age=900" in cookie, "the access_token cookie does not follow the new "
               "access_ttl: %r" % cookie[:200])

        # A broken file is refused: same workers, same configuration, no failure.
        workers = harness.children(master.pid)
        write_config(h, st.config, "access_ttl = 5\n")      # below the minimum of 10
        with Load([login, me]) as load:
            time.sleep(0.2)
            master.send_signal(signal.SIGHUP)
            time.sleep(1.2)
            load.stop()
        calls = load.snapshot()
        expect(calls and all(c.status == 200 for c in calls),
               "requests failed after a SIGHUP with a bad file: %s" % tally(calls))
        expect(harness.children(master.pid) == workers, "a bad file replaced the workers "
               "(%s -> %s)" % (workers, harness.children(master.pid)))
        expect(all(c.resp.json.get("expires_in") == 900 for c in calls if c.kind == "login"),
               "a refused reload changed access_ttl")
        expect("reload refused" in st.log_text(), "no 'reload refused' in the log")
        expect(master.poll() is None, "the master exited on a bad reload")


# ------------------------------------------------------------------ a slow (locked) database

QUERY_TIMEOUT = 2          # [database] query_timeout of the master of this test
MARGIN = 1.5               # scheduling noise on a busy 2-core CI machine
HANG_SECONDS = 30.0        # ends a run whose request waits for the release
SLOW_WORKERS = 8           # at least one worker per client thread: no request queues
LOAD_SECONDS = 4.0         # requests are sent this long while the lock is held


def test_locked_table_answers_503_within_query_timeout(fe):
    h = fe.harness
    org = api.Org(fe, "slowdb")
    victim = org.add_user("viewer")     # a user whose row the second phase locks
    env = {"OVERWATCH_DATABASE_QUERY_TIMEOUT": str(QUERY_TIMEOUT)}
    with PrivateStack(h, "slowdb", extra_env=env, workers=SLOW_WORKERS) as st:
        pfe, master = st.fe, st.fe.master
        user = api.User(pfe, org.admin.info, api.PASSWORD).login()
        auth = {"Authorization": "Bearer " + user.token}
        r = pfe.get(API + "/auth/me", headers=auth)
        expect(r.status == 200, "precondition: GET /auth/me", r)
        workers = harness.children(master.pid)

        def me():
            return "me", pfe.get(API + "/auth/me", headers=auth, timeout=30), None

        def login_victim():
            return "login", api.login(pfe, victim.email, api.PASSWORD), None

        def login_wrong():
            return "login-wrong", api.login(pfe, victim.email, "not the password at all"), None

        phases = [
            # The hot path of every JWT request and of a login: a table lock
            # (metadata lock wait: lock_wait_timeout, max_statement_time).
            # Many reads: a read that the client's read timeout ends (rather
            # than the server's own limit) is the one that overruns; catch it.
            ("LOCK TABLES sessions WRITE", [me] * (SLOW_WORKERS - 1) + [login_victim]),
            # A row lock held by an open transaction (innodb_lock_wait_timeout,
            # max_statement_time): the login's UPDATE of the user and the
            # session INSERT (foreign key to users) wait for it.
            ("START TRANSACTION; SELECT id FROM users WHERE id = '%s' FOR UPDATE" % victim.id,
             [login_victim, login_wrong, login_victim, login_wrong]),
        ]
        for statements, fns in phases:
            seen = len(st.log_text().splitlines())
            with Locker(h, statements) as locker:
                t_lock = time.monotonic()
                with Load(fns) as load:
                    time.sleep(LOAD_SECONDS)
                    # Every request in flight is answered while the lock is
                    # still held: one that waited for the release never is.
                    # The bound only ends a failing run; it judges no speed.
                    load.stop(timeout=HANG_SECONDS)
                t_release = time.monotonic()
            calls = load.snapshot()
            phase_log = st.log_text().splitlines()[seen:]
            what = statements.split(";")[-1].strip()[:40]
            report("%s: %d requests %s, latency max %.2f s, held %.1f s", what, len(calls),
                   tally(calls), max((c.seconds for c in calls), default=0),
                   t_release - t_lock)
            expect(calls, "%s: no request finished while the lock was held" % what)
            # How long a request waited is judged by what ended the wait, not
            # by the clock (a loaded machine adds seconds of CPU): the
            # server's own limit ends each overrunning statement and the
            # worker logs it, once per statement. One such wait per 503, and
            # none ended by the client's read timeout (the connection lost).
            overruns = [x for x in phase_log if " not ready or too slow " in x]
            lost = [x for x in phase_log if " connection to " in x and " lost " in x]
            refused = [c for c in calls if is_503(c)]
            expect(not lost, "%s: a statement outlived the server's query_timeout and the "
                   "client's read timeout ended it: %s" % (what, lost[:3]))
            expect(len(overruns) == len(refused),
                   "%s: %d statements overran query_timeout for %d answers 503: a request "
                   "waited for the lock more than once (a retry after a lock timeout)\n%s"
                   % (what, len(overruns), len(refused), "\n".join(phase_log[-12:])))
            # A token a worker has cached needs no table: its 200 is right
            # (the revocation log stays readable, so the cache stays trusted).
            wrong = [c for c in calls if not is_503(c)
                     and not (harness.CACHE == "on" and c.kind == "me" and c.status == 200)]
            expect(not wrong, "%s: answers other than 503 SERVICE_UNAVAILABLE with Retry-After "
                   "while locked: %s" % (what, wrong[:3]))
            # Released: the very next requests succeed, on the same workers,
            # without waiting for anything.
            seen = len(st.log_text().splitlines())
            r = pfe.get(API + "/auth/me", headers=auth, timeout=30)
            expect(r.status == 200, "%s: GET /auth/me after the release" % what, r)
            r = api.login(pfe, victim.email, api.PASSWORD)
            expect(r.status == 200, "%s: login after the release" % what, r)
            after = [x for x in st.log_text().splitlines()[seen:] if " warning: " in x]
            expect(not after, "%s: warnings after the release: %s" % (what, after[:3]))
            # The master's log says why a worker left (its exit status or signal).
            now = harness.children(master.pid)
            expect(now == workers, "%s: workers changed (%s -> %s): a lock must not kill or "
                   "hang them\n  log of %s:\n    %s" % (what, workers, now, st.name,
                   "\n    ".join(st.log_text().splitlines()[-12:])))
        expect(master.poll() is None, "the master exited")
        errors = [line for line in st.log_text().splitlines() if " error:" in line]
        expect(not errors, "errors logged (a timeout must be a warning and a 503, not a "
               "500): %s" % errors[:3])


# ------------------------------------------------------------------ a frozen database

FREEZE = 8.0               # MariaDB is stopped (SIGSTOP) this long
CONNECT_TIMEOUT = 2        # [database] connect_timeout of the harness's configuration


def wait_stopped(pid, timeout=10.0):
    """Wait until every thread of pid is in the stopped state (T)."""
    def states():
        out = []
        for task in Path("/proc/%d/task" % pid).iterdir():
            try:
                stat = (task / "stat").read_text()
            except OSError:
                continue        # a thread that just exited
            out.append(stat[stat.rindex(")") + 2])
        return out
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        st = states()
        if st and all(s in "Tt" for s in st):
            return
        time.sleep(0.005)
    raise AssertionError("MariaDB (pid %d) did not stop within %.0f s: %s" % (pid, timeout, states()))


def test_frozen_mariadb_answers_503_within_timeouts(fe):
    """MariaDB that stops answering without closing its sockets (SIGSTOP: a hung
    server, or a network that drops packets): a request must end in 503
    within query_timeout + connect_timeout (a read that times out, one
    reconnect attempt) plus a margin, not wait for the server to come back."""
    h = fe.harness
    org = api.Org(fe, "frozen")
    expect("connect_timeout = %d\n" % CONNECT_TIMEOUT in Path(h.config).read_text(),
           "the harness configuration no longer has connect_timeout = %d" % CONNECT_TIMEOUT)
    # A host of its own with a fast poll of the revocation log: a cached token
    # is trusted at most 2 x revocation_poll after the last successful poll.
    poll_ms = 100
    env = {"OVERWATCH_DATABASE_QUERY_TIMEOUT": str(QUERY_TIMEOUT),
           "OVERWATCH_CACHE_SEGMENT": str(Path(h.tmp) / ("epoch-frozen-" + api.unique("s"))),
           "OVERWATCH_CACHE_SEGMENT_OWNER": "",
           "OVERWATCH_CACHE_REVOCATION_POLL": str(poll_ms)}
    limit = QUERY_TIMEOUT + CONNECT_TIMEOUT + MARGIN
    with PrivateStack(h, "frozen", extra_env=env) as st:
        pfe, master = st.fe, st.fe.master
        user = api.User(pfe, org.admin.info, api.PASSWORD).login()
        auth = {"Authorization": "Bearer " + user.token, "Content-Type": "application/json"}
        workers = harness.children(master.pid)

        def me():
            return "me", pfe.get(API + "/auth/me", headers=auth, timeout=60), None

        def create():
            return "create", pfe.request("POST", API + "/incidents", headers=auth, timeout=60,
                                         body='{"title": "frozen", "severity": "low"}'), None

        db = h.db_proc
        frozen = False
        try:
            with Load([me, create]) as load:
                time.sleep(0.3)
                os.kill(db.pid, signal.SIGSTOP)
                frozen = True
                # kill() returns before every thread has stopped: a request
                # sent in that instant could still be answered. "During"
                # starts once each thread is seen stopped.
                wait_stopped(db.pid)
                t_freeze = time.monotonic()
                time.sleep(FREEZE)
                calls = load.snapshot()
                os.kill(db.pid, signal.SIGCONT)
                frozen = False
                t_thaw = time.monotonic()
                time.sleep(1.5)
                load.stop()
        finally:
            if frozen:
                os.kill(db.pid, signal.SIGCONT)
        during = [c for c in calls if c.t0 >= t_freeze]
        late = [c for c in load.snapshot() if c.t0 < t_thaw - limit and c.t1 > t_thaw]
        report("frozen %.1f s: %d answers while frozen %s, latency max %.2f s; %d requests "
               "waited for the thaw (%s)", FREEZE, len(during), tally(during),
               max((c.seconds for c in during), default=0), len(late), late[:2])
        expect(not late, "requests waited for MariaDB to come back instead of ending within "
               "query_timeout %d s + connect_timeout %d s + %.1f s: %s\n%s"
               % (QUERY_TIMEOUT, CONNECT_TIMEOUT, MARGIN, late[:4], st.warnings()))
        expect(during, "no request was answered while MariaDB was frozen")
        # A worker's poll of the revocation log may be waiting on the frozen
        # server once (then it stops polling until a request reconnects): a
        # request queued behind it waits up to one query_timeout more.
        slow = [c for c in during if c.seconds > limit + QUERY_TIMEOUT]
        expect(not slow, "requests took longer than %.1f s while MariaDB was frozen: %s\n%s"
               % (limit + QUERY_TIMEOUT, slow[:3], st.warnings()))
        # Until the cache stops trusting (2 polls, plus a poll that may be
        # in flight for up to query_timeout), a cached token is served.
        distrust = t_freeze + 2 * poll_ms / 1000 + QUERY_TIMEOUT + MARGIN
        wrong = [c for c in during if not is_503(c)
                 and not (c.kind == "me" and c.status == 200 and c.t0 < distrust)]
        expect(not wrong, "answers other than 503 SERVICE_UNAVAILABLE while MariaDB was "
               "frozen: %s" % wrong[:3])
        after = [c for c in load.snapshot() if c.t0 > t_thaw + 1.0]
        expect(after and all(c.status in (200, 201) for c in after),
               "requests 1 s after MariaDB came back: %s" % tally(after))
        expect(harness.children(master.pid) == workers, "workers changed (%s -> %s)"
               % (workers, harness.children(master.pid)))

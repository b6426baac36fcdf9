#!/usr/bin/env python3
"""Load soak: N minutes of mixed traffic against the integration
harness's stack (private MariaDB, the service behind one of the harness's
front ends, loopback only), then a report.

    python3 tests/soak/soak.py                 # 2 minutes, lighttpd-socket
    python3 tests/soak/soak.py --minutes 1 --threads 6 --keep
    python3 tests/soak/soak.py --frontend apache-fcgid --max-requests 1000
    python3 tests/soak/soak.py --frontend apache-fcgid --reload-at 0.5

Front ends (--frontend, as tests/lib/harness.py names them): lighttpd-socket
(a standalone master with --workers workers; the default), lighttpd-spawn
(lighttpd spawns the master), apache-fcgid (mod_fcgid spawns one-worker
processes with the shipped etc/apache2-fcgid.conf).

Traffic, from --threads client threads, each with its own user (keep-alive
HTTP/1.1 connections): logins, JWT GETs (Bearer and cookie), API-key GETs,
incident creation, API-key creation, use and deletion (and the deleted key
refused), bad credentials (unknown e-mail, wrong password, forged JWT,
mistyped API key), refreshes, logouts. Every answer is checked against the
status it must have.

Checks: zero 5xx, zero unexpected statuses, zero transport errors (a
request that takes 30 s is one), the web server and the service alive, no
worker death and no lost FastCGI connection in any log, no error and no
secret in the service's log. Without --max-requests and --reload-at nothing
recycles (max_requests and FcgidMaxRequestsPerProcess out of reach): every
worker must keep its pid from start to end (under mod_fcgid the pool may
grow, never lose a process) and its resident memory (VmRSS) stay flat, at
most --rss-limit KiB (default 512) of growth between the end of the warm-up
and the end. With --max-requests N the service's max_requests and, under
Apache, FcgidMaxRequestsPerProcess are N, and with --reload-at F the web
server (Apache: SIGUSR1, `apache2ctl graceful`) or the master (SIGHUP) is
reloaded at that fraction of the run: then workers must have been replaced
instead (the memory check needs a worker that lives through the run).

One loss is mod_fcgid's own and is told apart, not counted: at a graceful
restart its process manager may still start a process as it exits and stop
it milliseconds later, before the process has run any code of ours (its log:
"exit(shutting down), get stop signal 15"; a process of ours that gets the
signal once it runs answers what is queued and exits 0). A request Apache
had already handed that process is reset (a 500) or left waiting on its
socket (a timeout). Such failures are set apart as "mod_fcgid's restart"
only when that log line is there, within seconds of the restart, and the
request was sent within RESTART_WINDOW of it; at most RESTART_LOSS_MAX; any
other failure counts. Prints
requests, errors by status, RSS per worker at start, after warm-up and at the
end, and ends with one line `N passed, M failed`; exits 1 on any failure.
"""

import argparse
import http.client
import json
import os
import random
import re
import secrets
import signal
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/, for the shared package tests/lib

from lib import api  # noqa: E402
from lib import harness  # noqa: E402

API = "/api/v1"
KEY_PERMS = ["incidents:read", "incidents:create"]
FRONTENDS = ("lighttpd-socket", "lighttpd-spawn", "apache-fcgid")
OUT_OF_REACH = 100000000

# mod_fcgid's graceful-restart race (see the module's text): requests sent
# this many seconds before/after the restart, with the log line as proof.
RESTART_WINDOW = (-1.0, 2.0)
RESTART_LOSS_MAX = 6
FCGID_STOPPED_UNSTARTED = re.compile(r"exit\(shutting down\), get stop signal 15\b")
APACHE_TIME = re.compile(r"^\[\w{3} (\w{3} \d{2} \d{2}:\d{2}:\d{2})\.(\d+) (\d{4})\]")

# A worker that died, or a FastCGI connection a web server lost, in any log:
# the master's, mod_fcgid's (exit reasons other than retirement, idle time or
# shutdown; signals other than a stop), Apache's and lighttpd's.
DEATH = re.compile(r"killed by signal|exited with code|exit\((communication error|server exited|"
                   r"connect error|busy timeout)\)|unexpected signal|possible coredump|"
                   r"get stop signal 9|return code: [1-9]|error reading data from FastCGI|"
                   r"End of script output|can't apply process slot|backend died|"
                   r"connect\(\) failed|Connection reset by peer")


# ------------------------------------------------------------------ process memory

def vm_rss_kib(pid):
    try:
        for line in Path("/proc/%d/status" % pid).read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


# ------------------------------------------------------------------ HTTP

class Http:
    """One keep-alive connection per thread; a request that finds the idle
    connection closed by the server is sent again once on a fresh one (as
    browsers do), and counted."""

    def __init__(self, port, stats):
        self.port = port
        self.stats = stats
        self.conn = None
        self.used = 0

    def request(self, method, path, body=None, headers=None):
        h = dict(headers or {})
        if body is not None:
            h["Content-Type"] = "application/json"
            body = json.dumps(body) if not isinstance(body, (str, bytes)) else body
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                self.used = 0
            reused = self.used > 0
            try:
                self.conn.request(method, path, body=body, headers=h)
                r = self.conn.getresponse()
                data = r.read()
                self.used += 1
                if r.will_close:
                    self.conn.close()
                    self.conn = None
                return r.status, r.headers, data
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.conn.close()
                self.conn = None
                if reused and attempt == 1:
                    self.stats.count("keep-alive reconnects")
                    continue
                raise
            except Exception:
                if self.conn is not None:
                    self.conn.close()
                self.conn = None
                raise
        raise AssertionError("unreachable")


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.by_op = {}              # op -> {status: n}
        self.unexpected = {}         # (op, status) -> n
        self.samples = {}            # (op, status) -> first unexpected body
        self.latencies = []
        self.notes = {}
        self.total = 0
        self.failures = []           # (op, status, monotonic send time) of unexpected answers

    def count(self, note):
        with self.lock:
            self.notes[note] = self.notes.get(note, 0) + 1

    def record(self, op, status, seconds, ok, body=b"", sent=None):
        with self.lock:
            self.total += 1
            d = self.by_op.setdefault(op, {})
            d[status] = d.get(status, 0) + 1
            if len(self.latencies) < 2_000_000:
                self.latencies.append(seconds)
            if not ok:
                self.failures.append((op, status, sent))
                k = (op, status)
                self.unexpected[k] = self.unexpected.get(k, 0) + 1
                self.samples.setdefault(k, body[:200])

    def statuses(self):
        out = {}
        with self.lock:
            for d in self.by_op.values():
                for s, n in d.items():
                    out[s] = out.get(s, 0) + n
        return out


# ------------------------------------------------------------------ traffic

class Client(threading.Thread):
    """One simulated user (an engineer of the soak organization)."""

    WEIGHTS = [
        ("jwt_get", 8), ("key_get", 8), ("cookie_get", 2), ("login", 1), ("refresh", 1),
        ("create_incident", 2), ("key_lifecycle", 1), ("bad_password", 1),
        ("unknown_email", 1), ("forged_jwt", 1), ("mistyped_key", 1), ("logout", 0.3),
    ]

    def __init__(self, n, port, email, victim_email, key, stats, stop, seed):
        super().__init__(daemon=True, name="client-%d" % n)
        self.http = Http(port, stats)
        self.email = email
        self.victim = victim_email
        self.key = key
        self.stats = stats
        self.stop = stop
        self.rng = random.Random(seed)
        self.ops = [op for op, _ in self.WEIGHTS]
        self.weights = [w for _, w in self.WEIGHTS]
        self.access = self.refresh_token = None
        self.error = None

    # one exchange, timed and checked
    def call(self, op, method, path, expect, body=None, headers=None):
        t0 = time.monotonic()
        try:
            status, hdrs, data = self.http.request(method, path, body, headers)
        except Exception as e:  # noqa: BLE001 - a transport error is a result
            self.stats.record(op, "transport: %s" % type(e).__name__, time.monotonic() - t0,
                              False, str(e).encode(), t0)
            return None, None, None
        ok = status in expect
        self.stats.record(op, status, time.monotonic() - t0, ok, data, t0)
        return status, hdrs, data

    def bearer(self):
        return {"Authorization": "Bearer " + self.access}

    def do_login(self):
        s, _, data = self.call("login", "POST", API + "/auth/login", (200,),
                               {"email": self.email, "password": api.PASSWORD})
        if s == 200:
            body = json.loads(data)
            self.access, self.refresh_token = body["access_token"], body["refresh_token"]

    def op_login(self):
        self.do_login()

    def op_jwt_get(self):
        path = self.rng.choice(["/auth/me", "/incidents?limit=5", "/users?limit=5",
                                "/api-keys?limit=5", "/procedures?limit=5"])
        self.call("jwt_get", "GET", API + path, (200,), headers=self.bearer())

    def op_cookie_get(self):
        self.call("cookie_get", "GET", API + "/auth/me", (200,),
                  headers={"Cookie": "access_token=" + self.access})

    def op_key_get(self):
        path = self.rng.choice(["/auth/me", "/incidents?limit=5"])
        self.call("key_get", "GET", API + path, (200,), headers={"X-API-Key": self.key})

    def op_refresh(self):
        s, _, data = self.call("refresh", "POST", API + "/auth/refresh", (200,),
                               {"refresh_token": self.refresh_token})
        if s == 200:
            self.access = json.loads(data)["access_token"]

    def op_create_incident(self):
        if self.rng.random() < 0.5:
            h = self.bearer()
        else:
            h = {"X-API-Key": self.key}
        self.call("create_incident", "POST", API + "/incidents", (201,),
                  {"title": "soak %s" % secrets.token_hex(4), "severity": "low"}, h)

    def op_key_lifecycle(self):
        s, _, data = self.call("key_create", "POST", API + "/api-keys", (201,),
                               {"name": "soak %s" % secrets.token_hex(4),
                                "permissions": ["incidents:read"]}, self.bearer())
        if s != 201:
            return
        k = json.loads(data)
        self.call("key_new_use", "GET", API + "/incidents?limit=1", (200,),
                  headers={"X-API-Key": k["api_key"]})
        self.call("key_delete", "DELETE", API + "/api-keys/" + k["id"], (204,),
                  headers=self.bearer())
        self.call("key_deleted_use", "GET", API + "/incidents?limit=1", (401,),
                  headers={"X-API-Key": k["api_key"]})

    def op_bad_password(self):
        # The victim's account locks after 5 failures: 401, then 423.
        self.call("bad_password", "POST", API + "/auth/login", (401, 423),
                  {"email": self.victim, "password": "not the password %d" % self.rng.random()})

    def op_unknown_email(self):
        self.call("unknown_email", "POST", API + "/auth/login", (401,),
                  {"email": api.unique_email("nobody"), "password": api.PASSWORD})

    def op_forged_jwt(self):
        head, payload, _ = self.access.split(".")
        forged = "%s.%s.%s" % (head, payload, secrets.token_urlsafe(32))
        self.call("forged_jwt", "GET", API + "/auth/me", (401,),
                  headers={"Authorization": "Bearer " + forged})

    def op_mistyped_key(self):
        self.call("mistyped_key", "GET", API + "/auth/me", (401,),
                  headers={"X-API-Key": self.key[:-1] + ("A" if self.key[-1] != "A" else "B")})

    def op_logout(self):
        old = self.access
        s, _, _ = self.call("logout", "POST", API + "/auth/logout", (204,), headers=self.bearer())
        if s == 204:
            self.call("revoked_use", "GET", API + "/auth/me", (401,),
                      headers={"Authorization": "Bearer " + old})
            # Never the revoked token again: run() signs in once more if this fails.
            self.access = None
            self.do_login()

    def run(self):
        try:
            self.do_login()
            while not self.stop.is_set():
                if self.access is None:
                    self.do_login()
                    if self.access is None:
                        self.stop.wait(0.2)
                        continue
                op = self.rng.choices(self.ops, self.weights)[0]
                getattr(self, "op_" + op)()
        except Exception as e:  # noqa: BLE001 - reported, fails the soak
            self.error = "%s: %s" % (type(e).__name__, e)


# ------------------------------------------------------------------ main

def start_stack(h, args):
    """The front end args.frontend with the soak's recycling settings."""
    recycle = args.max_requests or OUT_OF_REACH
    h.service_env["OVERWATCH_SERVICE_MAX_REQUESTS"] = str(recycle)
    if args.frontend == "lighttpd-socket":
        fe = harness.Frontend(h, "soak")
        h.frontends[fe.name] = fe                   # stopped by h.cleanup()
        fe.master, fe.socket = h.start_master(fe.name, workers=args.workers)
        h.start_lighttpd(fe, {"socket": '"%s"' % fe.socket, "check-local": '"disable"'})
        return fe
    if args.frontend == "lighttpd-spawn":
        return h.start_lighttpd_spawn()
    # mod_fcgid recycles (FcgidMaxRequestsPerProcess wins, README.md); 0 = never.
    return h.start_apache(extra_conf="FcgidMaxRequestsPerProcess %d\n" % (args.max_requests or 0))


def service_workers(fe):
    """The pids of the processes that answer requests: the master's workers, or
    the overwatch-fcgi processes under the web server that have no children."""
    if fe.master:
        return fe.worker_pids() if fe.master.poll() is None else []
    procs = [p for p in harness.descendants(fe.proc.pid) if "overwatch-fcgi" in harness.cmdline(p)]
    return sorted(p for p in procs if not harness.children(p))


def reload_stack(fe):
    """Apache: a graceful restart (SIGUSR1, what `apache2ctl graceful` sends);
    otherwise SIGHUP to the service's master."""
    if fe.name == "apache-fcgid":
        fe.proc.send_signal(signal.SIGUSR1)
        return "SIGUSR1 (graceful) to Apache %d" % fe.proc.pid
    master = fe.master.pid if fe.master else [
        p for p in harness.descendants(fe.proc.pid)
        if "overwatch-fcgi" in harness.cmdline(p) and harness.children(p)][0]
    os.kill(master, signal.SIGHUP)
    return "SIGHUP to the master %d" % master


def apache_time(line):
    """The wall-clock time of an Apache error-log line, or None."""
    m = APACHE_TIME.match(line)
    if not m:
        return None
    t = time.mktime(time.strptime("%s %s" % (m.group(1), m.group(3)), "%b %d %H:%M:%S %Y"))
    return t + float("0." + m.group(2))


def restart_losses(fe, stats, restarts, logs):
    """The failures and log lines that are mod_fcgid's restart race (module
    text): ([failures], [log lines]), from the graceful restarts (each a
    (monotonic, wall-clock) time) near which mod_fcgid's log says it stopped
    a process before it ran."""
    if fe.name != "apache-fcgid":
        return [], []
    lines = [x for t in logs.values() for x in t.splitlines()]
    lost, logged = [], []
    for mono, wall in restarts:
        near = [x for x in lines
                if apache_time(x) is not None and -1 <= apache_time(x) - wall <= 5]
        if not any(FCGID_STOPPED_UNSTARTED.search(x) for x in near):
            continue
        lost += [f for f in stats.failures if f[2] is not None
                 and RESTART_WINDOW[0] <= f[2] - mono <= RESTART_WINDOW[1]
                 and (f[1] in ("transport: TimeoutError", "transport: RemoteDisconnected")
                      or (isinstance(f[1], int) and f[1] >= 500)) and f not in lost]
        logged += [x for x in near if DEATH.search(x) and x not in logged]
    return lost, logged


def log_texts(fe):
    paths = set(fe.logs) | {str(fe.dir / "overwatch-fcgi.log")}
    return {Path(p).name: Path(p).read_text(errors="replace") for p in sorted(paths)
            if Path(p).exists()}


def percentile(values, p):
    if not values:
        return 0.0
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=float, default=2.0, help="duration of the traffic (2)")
    ap.add_argument("--threads", type=int, default=6, help="client threads (6)")
    ap.add_argument("--workers", type=int, default=harness.WORKERS, help="service workers (2)")
    ap.add_argument("--warmup", type=float, default=None,
                    help="seconds before the RSS baseline (default: 25%% of the run, 10 to 30)")
    ap.add_argument("--rss-limit", type=int, default=512,
                    help="allowed VmRSS growth per worker after warm-up, KiB (512)")
    ap.add_argument("--frontend", choices=FRONTENDS, default="lighttpd-socket",
                    help="the web server and how it runs the service (lighttpd-socket)")
    ap.add_argument("--max-requests", type=int, default=0,
                    help="recycle after N requests: the service's max_requests and, under "
                    "Apache, FcgidMaxRequestsPerProcess (default: out of reach)")
    ap.add_argument("--reload-at", type=float, default=None,
                    help="reload at this fraction of the run (Apache: graceful restart; "
                    "lighttpd: SIGHUP to the master)")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir (configs, logs)")
    args = ap.parse_args()
    if args.reload_at is not None and not 0 < args.reload_at < 1:
        ap.error("--reload-at is a fraction of the run, between 0 and 1")
    duration = args.minutes * 60
    warmup = args.warmup if args.warmup is not None else min(30.0, max(10.0, duration / 4))
    if warmup >= duration:
        ap.error("the warm-up (%.0f s) must be shorter than the run (%.0f s)" % (warmup, duration))

    checks = []                                      # (name, ok, detail)

    def check(name, ok, detail=""):
        checks.append((name, bool(ok), detail))
        print("%s  %s%s" % ("ok  " if ok else "FAIL", name, ("  (%s)" % detail) if detail else ""),
              flush=True)

    h = harness.Harness(keep=args.keep)
    print("soak: temp dir %s, %s, %.1f min, %d threads, %d workers, warm-up %.0f s, "
          "max_requests %s%s" % (h.tmp, args.frontend, args.minutes, args.threads, args.workers,
                                 warmup, args.max_requests or "out of reach",
                                 ", reload at %.0f%%" % (100 * args.reload_at)
                                 if args.reload_at else ""), flush=True)
    replaced = bool(args.max_requests or args.reload_at)
    # The credential cache stays on, but small: full within the warm-up, so
    # RSS after it shows leaks, not a cache filling up to its [cache] size,
    # and every minute of the soak exercises eviction.
    h.service_env["OVERWATCH_CACHE_SIZE"] = "64"
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        h.prepare()
        fe = start_stack(h, args)
        if fe.error:
            raise harness.SetupError(fe.error)
        server = fe.master or fe.proc              # what must stay up

        org = api.Org(fe, "soak")
        key = org.create_key(KEY_PERMS)["api_key"]
        emails = [org.add_user("engineer", login_now=False).email for _ in range(args.threads)]
        victim = org.add_user("viewer", login_now=False).email

        workers0 = service_workers(fe)
        seen = set(workers0)
        reload_note, restarts = None, []
        rss0 = {p: vm_rss_kib(p) for p in workers0}
        stats = Stats()
        clients = [Client(i, fe.port, emails[i], victim, key, stats, stop, i)
                   for i in range(args.threads)]
        t0 = time.monotonic()
        for c in clients:
            c.start()
        rss_warm, rss_series, pid_changes = None, [], []
        last_total, last_t = 0, t0
        while not stop.is_set():
            now = time.monotonic()
            if now - t0 >= duration:
                break
            stop.wait(min(5.0, duration - (now - t0)))
            now = time.monotonic()
            if args.reload_at and reload_note is None and now - t0 >= args.reload_at * duration:
                restarts.append((time.monotonic(), time.time()))
                reload_note = reload_stack(fe)
                print("  %5.0fs  reload: %s" % (now - t0, reload_note), flush=True)
            pids = service_workers(fe) if server.poll() is None else []
            seen |= set(pids)
            if pids != workers0:
                pid_changes.append((round(now - t0, 1), pids))
            rss = {p: vm_rss_kib(p) for p in workers0}
            rss_series.append((round(now - t0), rss))
            if rss_warm is None and now - t0 >= warmup:
                rss_warm = rss
            total = stats.total
            print("  %5.0fs  %7d requests  %6.0f/s  5xx %d  RSS %s" % (
                now - t0, total, (total - last_total) / max(0.001, now - last_t),
                sum(n for s, n in stats.statuses().items() if isinstance(s, int) and s >= 500),
                " ".join("%d:%d" % (p, r or 0) for p, r in rss.items())), flush=True)
            last_total, last_t = total, now
        stop.set()
        for c in clients:
            c.join(60)
        elapsed = time.monotonic() - t0
        workers1 = service_workers(fe) if server.poll() is None else []
        seen |= set(workers1)
        rss1 = {p: vm_rss_kib(p) for p in workers0}

        # ---------------------------------------------------------- report
        statuses = stats.statuses()
        print("\n== soak report")
        print("duration %.0f s, %d requests, %.0f requests/s, latency p50 %.1f ms, "
              "p99 %.1f ms, max %.0f ms" % (
                  elapsed, stats.total, stats.total / elapsed,
                  1000 * percentile(stats.latencies, 0.5),
                  1000 * percentile(stats.latencies, 0.99),
                  1000 * max(stats.latencies or [0])))
        print("by status: %s" % ", ".join("%s: %d" % (s, n) for s, n in
                                          sorted(statuses.items(), key=lambda x: str(x[0]))))
        print("by operation:")
        for op, d in sorted(stats.by_op.items()):
            print("  %-16s %7d  %s" % (op, sum(d.values()), ", ".join(
                "%s: %d" % (s, n) for s, n in sorted(d.items(), key=lambda x: str(x[0])))))
        for note, n in sorted(stats.notes.items()):
            print("  (%s: %d)" % (note, n))
        if stats.unexpected:
            print("unexpected answers:")
            for (op, s), n in sorted(stats.unexpected.items(), key=lambda x: str(x)):
                print("  %-16s %-10s %6d  first: %r" % (op, s, n, stats.samples[(op, s)]))
        print("worker RSS (KiB): pid  start  after-warm-up  end  growth-after-warm-up")
        for p in workers0:
            w = (rss_warm or rss0).get(p)
            print("  %7d  %7s  %7s  %7s  %+d" % (p, rss0.get(p), w, rss1.get(p),
                                                   (rss1.get(p) or 0) - (w or 0)))
        print()

        logs = log_texts(fe)
        lost, lost_logged = restart_losses(fe, stats, restarts, logs)
        if lost or lost_logged:
            print("mod_fcgid's restart race (a process it stopped before it ran): %d "
                  "failure(s) set apart (%s), %d log line(s)" % (
                      len(lost), ", ".join("%s %s" % (op, st) for op, st, _ in lost),
                      len(lost_logged)))
        check("traffic ran", stats.total > 100 and elapsed >= duration * 0.95,
              "%d requests in %.0f s" % (stats.total, elapsed))
        five = sum(n for s, n in statuses.items() if isinstance(s, int) and s >= 500)
        five -= sum(1 for f in lost if isinstance(f[1], int))
        check("zero 5xx", five == 0, "%d" % five)
        transport = sum(n for s, n in statuses.items() if isinstance(s, str))
        transport -= sum(1 for f in lost if isinstance(f[1], str))
        check("zero transport errors (reset, refused, timeout)", transport == 0, "%d" % transport)
        if restarts and fe.name == "apache-fcgid":
            check("at most %d requests lost at the graceful restart, each to mod_fcgid's race"
                  % RESTART_LOSS_MAX, len(lost) <= RESTART_LOSS_MAX, "%d" % len(lost))
        bad = sum(stats.unexpected.values()) - len(lost)
        check("every answer has its expected status", bad == 0,
              "%d unexpected" % bad if bad else "")
        errs = [c.error for c in clients if c.error]
        stuck = [c.name for c in clients if c.is_alive()]
        check("client threads ended cleanly", not errs and not stuck, "; ".join(errs + stuck))
        check("%s alive" % ("master" if fe.master else fe.name), server.poll() is None)
        if replaced:
            # Recycling or the reload must really have replaced workers.
            new = sorted(seen - set(workers0))
            check("workers replaced (%s)" % ("recycling and reload" if args.max_requests and
                                             args.reload_at else "recycling" if
                                             args.max_requests else "reload"),
                  len(new) >= 2, "%d new pids: %s" % (len(new), new[:8]))
        elif fe.master:
            check("workers alive with the same pids (no crash, no restart)",
                  workers1 == workers0 and not pid_changes,
                  "%s -> %s; changes %s" % (workers0, workers1, pid_changes[:3])
                  if workers1 != workers0 or pid_changes else "%s" % workers0)
        else:
            # mod_fcgid grows its pool on demand; none of it may go away.
            gone = [p for p in workers0 if p not in workers1]
            check("every worker alive from start to end (no crash, no restart)",
                  bool(workers0) and not gone, "%s -> %s" % (workers0, workers1))
        died = ["%s: %s" % (n, x) for n, t in logs.items() for x in t.splitlines()
                if DEATH.search(x) and x not in lost_logged]
        check("no worker death and no lost connection in any log", not died,
              "; ".join(died[:3]))
        errors = [x for t in logs.values() for x in t.splitlines() if " error: " in x]
        check("no error in the service's log", not errors, "; ".join(errors[:3]))
        leaked = []
        for name, text in logs.items():
            for label, found in (
                    ("the password", api.PASSWORD in text),
                    ("the API key", key in text),
                    ("a full API key", re.search(r"overwatch_ak_[0-9A-Za-z]{30}", text)),
                    ("a JWT", re.search(r"eyJ[\w-]{8,}\.eyJ[\w-]{8,}\.", text))):
                if found:
                    leaked.append("%s in %s" % (label, name))
        check("no secret in the service's logs", not leaked, "; ".join(leaked))
        for p in ([] if replaced else workers0):
            w = (rss_warm or rss0).get(p)
            e = rss1.get(p)
            ok = w is not None and e is not None and e - w <= args.rss_limit
            check("worker %d RSS flat after warm-up (<= %d KiB growth)" % (p, args.rss_limit),
                  ok, "%s -> %s KiB, %+d" % (w, e, (e or 0) - (w or 0)))
    except Exception as e:  # noqa: BLE001
        check("soak set-up and run", False, "%s: %s" % (type(e).__name__, e))
    finally:
        stop.set()
        h.cleanup()
    passed = sum(1 for _, ok, _ in checks if ok)
    failed = len(checks) - passed
    print("%d passed, %d failed" % (passed, failed), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

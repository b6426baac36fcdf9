#!/usr/bin/env python3
"""Benchmark: what authentication costs, as ratios to a minimal FastCGI responder.

    python3 tests/bench/run.py [--frontend lighttpd|apache-fcgid] [--duration S]
                               [--workers N] [--rounds R] [--keep] [--hold]

One command, bounded in time (about 2.5 minutes at the defaults): builds the
baseline responder and the raw argon2id meter (cc), starts a private MariaDB
and ONE web server that forwards /api/v1/ to the service and /baseline/ to the
baseline responder -- all through tests/lib/harness.py. lighttpd (default):
the service master (`overwatch-fcgi --listen unix:... --workers N`) and a
pre-forked baseline with the same worker count. apache-fcgid: Apache with the
shipped etc/apache2-fcgid.conf, mod_fcgid spawning both the service and the
baseline (in-process, one request at a time each, as many as it decides).
Seeds an organization, users, an API key and 20 incidents, then runs wrk for
each scenario. Prints a table, writes tests/bench/results/latest.json and
latest.md (latest-apache-fcgid.* for Apache). See tests/bench/README.md for
what each number means.
"""

import argparse
import datetime
import json
import os
import platform
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/, for the shared package tests/lib

from lib import harness  # noqa: E402

PASSWORD = "bench-password-0123456789"
EMAIL = "bench@bench.example"
WRONG_USERS = 8                     # real accounts that get the wrong-password logins
LOCKOUT_THRESHOLD = 1000            # the configurable maximum
SERVICE_ENV = {
    # Every request comes from 127.0.0.1: without this the per-IP throttle
    # turns the invalid mix into 429s after 30 failures.
    "OVERWATCH_LOCKOUT_IP_FAILURES_PER_MINUTE": "1000000",
    # The wrong-password logins are spread over WRONG_USERS accounts, each of
    # which may fail this often in the lockout window before a 423.
    "OVERWATCH_LOCKOUT_THRESHOLD": str(LOCKOUT_THRESHOLD),
    # Workers must live through the whole run for the RSS measurements (the
    # default recycles them every 10,000 requests).
    "OVERWATCH_SERVICE_MAX_REQUESTS": "100000000",
    # The shipped max_age (the integration harness writes a short one).
    "OVERWATCH_CACHE_MAX_AGE": "60",
}
# The many-tokens scenario: this many sessions' access JWTs per [cache] size
# entry, sent round-robin, so every request misses the cache.
TOKENS_PER_CACHE_ENTRY = 2

TARGETS = {
    "me_ratio": 0.75,            # GET /auth/me (JWT) vs baseline
    "incidents_ratio": 0.5,      # GET /incidents (JWT or key) vs baseline
    "login_ratio": 0.8,          # login vs raw argon2id
    "p99_half_rate_ms": 5.0,     # GET scenarios at half their max rate
    "rss_growth_kib": 512,       # per worker, after the 100k-request run
}


def log(msg):
    print("bench: " + msg, flush=True)


# --------------------------------------------------------------------------- build

def build(out_dir):
    cc = os.environ.get("CC", "cc")
    bins = {}
    for name, pkg in (("baseline", "fcgi"), ("argon2_raw", "libargon2")):
        flags = subprocess.run(["pkg-config", "--cflags", "--libs", pkg], capture_output=True,
                               text=True)
        if flags.returncode != 0:
            raise harness.SetupError("pkg-config %s: %s (apt-get install libfcgi-dev "
                                     "libargon2-dev)" % (pkg, flags.stderr.strip()))
        exe = out_dir / name
        argv = [cc, "-std=c11", "-O2", "-Wall", "-Wextra", "-o", str(exe),
                str(HERE / (name + ".c"))] + flags.stdout.split()
        r = subprocess.run(argv, capture_output=True, text=True)
        if r.returncode != 0:
            raise harness.SetupError("building %s failed:\n%s" % (name, r.stderr))
        bins[name] = str(exe)
    return bins


def build_service(force):
    """The service binaries: built with make when missing (or with --build)."""
    fcgi, admin = REPO / "overwatch-fcgi", REPO / "overwatch-admin"
    if force or not (os.access(fcgi, os.X_OK) and os.access(admin, os.X_OK)):
        log("building overwatch-fcgi and overwatch-admin (make)")
        r = subprocess.run(["make", "-s", "overwatch-fcgi", "overwatch-admin"], cwd=REPO,
                           capture_output=True, text=True)
        if r.returncode != 0:
            raise harness.SetupError("make failed:\n%s" % (r.stderr or r.stdout)[-2000:])


# --------------------------------------------------------------------------- stack

class BenchHarness(harness.Harness):
    """The integration harness, with the baseline behind the same web server."""

    baseline_socket = None
    baseline_exe = None

    def lighttpd_conf(self, fe, backend):
        conf = super().lighttpd_conf(fe, backend)
        if self.baseline_socket:
            conf += ('# the benchmark\'s baseline responder (tests/bench/baseline.c)\n'
                     'fastcgi.server += ("/baseline/" => ((\n'
                     '    "socket" => "%s",\n    "check-local" => "disable"\n)))\n'
                     % self.baseline_socket)
        return conf

    def apache_conf(self, fe, fcgi_bin, extra_env=None, extra_conf=""):
        # The baseline is a class of its own for mod_fcgid (another wrapper),
        # spawned and pooled by the same shipped settings as the service.
        extra_conf += ('# the benchmark\'s baseline responder (tests/bench/baseline.c)\n'
                       'Alias /baseline "%s"\n<Location /baseline>\n'
                       '    SetHandler fcgid-script\n    Options +ExecCGI\n'
                       '    FcgidWrapper "%s --workers 0" virtual\n'
                       '    Require all granted\n</Location>\n'
                       % (self.baseline_exe, self.baseline_exe))
        return super().apache_conf(fe, fcgi_bin, extra_env, extra_conf)


def start_baseline(h, exe, workers):
    d = Path(h.tmp) / "baseline"
    d.mkdir()
    sock = str(d / "baseline.sock")
    p = h.spawn([exe, "--listen", "unix:" + sock, "--workers", str(workers)],
                str(d / "baseline.log"))
    harness.wait_for(lambda: os.path.exists(sock) and
                     len(harness.children(p.pid)) >= workers, 10, 0.05, "baseline workers")
    return p, sock


def start_stack(h, bins, workers, frontend):
    """The web server with the service and the baseline behind it; (fe, the
    baseline's master or None under mod_fcgid)."""
    base_proc = None
    if frontend == "apache-fcgid":
        h.baseline_exe = bins["baseline"]
        # FcgidMaxRequestsPerProcess recycles under mod_fcgid (README.md): off,
        # so the RSS run follows the same processes.
        fe = h.start_apache(extra_env=SERVICE_ENV, extra_conf="FcgidMaxRequestsPerProcess 0\n")
        if fe.error:
            raise harness.SetupError(fe.error)
    else:
        base_proc, base_sock = start_baseline(h, bins["baseline"], workers)
        h.baseline_socket = base_sock
        fe = harness.Frontend(h, "bench")
        h.frontends[fe.name] = fe
        fe.master, fe.socket = h.start_master(fe.name, workers=workers, extra_env=SERVICE_ENV)
        h.start_lighttpd(fe, {"socket": '"%s"' % fe.socket, "check-local": '"disable"'})
    r = fe.get("/baseline/ping")
    if r.status != 200:
        raise harness.SetupError("baseline did not answer through %s: %r" % (frontend, r))
    return fe, base_proc


def spawned(fe, name):
    """Processes under the web server whose command line names name (mod_fcgid's)."""
    return sorted(p for p in harness.descendants(fe.proc.pid) if name in harness.cmdline(p))


def many_tokens(fe, n):
    """n access JWTs of n sessions of the bench admin (logins, argon2id each)."""
    tokens = []
    for _ in range(n):
        r = fe.post_json("/api/v1/auth/login", {"email": EMAIL, "password": PASSWORD})
        if r.status != 200:
            raise harness.SetupError("many-tokens login failed: %r" % r)
        tokens.append(r.json["access_token"])
    if len(set(tokens)) != n:
        raise harness.SetupError("many-tokens: %d distinct of %d" % (len(set(tokens)), n))
    return tokens


def seed(h, fe, n_tokens, n_incidents=20):
    org = h.admin("create-org", "Bench Organization", "--slug", "bench").stdout.strip()
    h.admin("create-user", "--org", org, "--email", EMAIL, "--name", "Bench Admin",
            "--role", "admin", input_text=PASSWORD + "\n")
    wrong = []
    for i in range(WRONG_USERS):
        e = "wrong-%d@bench.example" % i
        h.admin("create-user", "--org", org, "--email", e, "--name", "Wrong %d" % i,
                "--role", "viewer", input_text=PASSWORD + "\n")
        wrong.append(e)
    r = fe.post_json("/api/v1/auth/login", {"email": EMAIL, "password": PASSWORD})
    if r.status != 200:
        raise harness.SetupError("seed login failed: %r" % r)
    token = r.json["access_token"]
    auth = {"Authorization": "Bearer " + token}
    r = fe.post_json("/api/v1/api-keys", {"name": "bench", "permissions": ["incidents:read"]},
                     headers=auth)
    if r.status != 201:
        raise harness.SetupError("seed api key failed: %r" % r)
    key = r.json["api_key"]
    for i in range(n_incidents):
        r = fe.post_json("/api/v1/incidents", {"title": "Bench incident %d" % i,
                                               "severity": ("critical", "high", "medium",
                                                            "low")[i % 4],
                                               "description": "seeded by tests/bench/run.py"},
                         headers=auth)
        if r.status != 201:
            raise harness.SetupError("seed incident failed: %r" % r)
    for hdrs in (auth, {"X-API-Key": key}):
        r = fe.get("/api/v1/incidents", headers=hdrs)
        if r.status != 200 or len(r.json or []) != n_incidents:
            raise harness.SetupError("GET /incidents did not return %d rows: %r"
                                     % (n_incidents, r))
    r = fe.get("/api/v1/auth/me", headers=auth)
    if r.status != 200:
        raise harness.SetupError("GET /auth/me failed: %r" % r)
    tokens_file = Path(h.tmp) / "tokens"
    fd = os.open(str(tokens_file), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write("".join(t + "\n" for t in many_tokens(fe, n_tokens)))
    return {"org": org, "token": token, "api_key": key, "wrong_users": wrong,
            "tokens": n_tokens, "tokens_file": str(tokens_file),
            "incidents_body_bytes": len(fe.get("/api/v1/incidents", headers=auth).body),
            "me_body_bytes": len(r.body)}


# --------------------------------------------------------------------------- measuring

def rss_kib(pid):
    try:
        for line in Path("/proc/%d/status" % pid).read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def rss_of(pids):
    return {str(p): rss_kib(p) for p in pids}


CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_ticks(pid):
    """utime + stime of pid, in clock ticks (0 if it is gone)."""
    try:
        f = Path("/proc/%d/stat" % pid).read_text().rsplit(")", 1)[1].split()
        return int(f[11]) + int(f[12])
    except (OSError, IndexError, ValueError):
        return 0


def busy_ticks():
    """All CPUs' non-idle ticks since boot (/proc/stat)."""
    f = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = f[3] + (f[4] if len(f) > 4 else 0)
    return sum(f[:8]) - idle


class CpuMeter:
    """CPU seconds spent by each part of the stack while a block runs."""

    def __init__(self, groups):
        self.groups = groups            # name -> list of pids
        self.start = {}

    def __enter__(self):
        self.t = time.monotonic()
        self.busy = busy_ticks()
        self.children = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.start = {g: sum(cpu_ticks(p) for p in pids) for g, pids in self.groups.items()}
        return self

    def __exit__(self, *exc):
        ru = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.seconds = {g: (sum(cpu_ticks(p) for p in pids) - self.start[g]) / CLK_TCK
                        for g, pids in self.groups.items()}
        # wrk (and only wrk) runs as our child inside the block
        self.seconds["wrk"] = ((ru.ru_utime + ru.ru_stime) -
                               (self.children.ru_utime + self.children.ru_stime))
        self.wall = time.monotonic() - self.t
        self.busy_s = (busy_ticks() - self.busy) / CLK_TCK
        ours = sum(self.seconds.values())
        self.foreign_s = max(0.0, self.busy_s - ours)
        return False

    def raw(self):
        return {"seconds": dict(self.seconds), "wall": self.wall, "busy_s": self.busy_s,
                "foreign_s": self.foreign_s}


def cpu_report(raws, requests):
    """CPU per request and the machine's load over one or more CpuMeter.raw()."""
    seconds = {}
    for r in raws:
        for g, v in r["seconds"].items():
            seconds[g] = seconds.get(g, 0.0) + v
    wall = sum(r["wall"] for r in raws) * (os.cpu_count() or 1)
    per = {g: round(1e6 * v / requests, 1) if requests else None for g, v in seconds.items()}
    return {"cpu_us_per_request": per,
            "cpu_us_per_request_total": round(sum(v for v in per.values() if v), 1),
            "machine_busy_pct": round(100 * sum(r["busy_s"] for r in raws) / wall, 1),
            "foreign_cpu_pct": round(100 * sum(r["foreign_s"] for r in raws) / wall, 1)}


def run_wrk(url, duration, connections, threads, script, headers=(), env=None, timeout_s=10):
    argv = ["wrk", "-t", str(threads), "-c", str(connections), "-d", "%ds" % duration,
            "--latency", "--timeout", "%ds" % timeout_s, "-s", str(HERE / script)]
    for hd in headers:
        argv += ["-H", hd]
    argv.append(url)
    e = dict(os.environ, BENCH_LUA_DIR=str(HERE), BENCH_THREADS=str(threads), **(env or {}))
    r = subprocess.run(argv, capture_output=True, text=True, env=e, timeout=duration + 60)
    data = None
    for line in r.stdout.splitlines():
        if line.startswith("BENCH_JSON "):
            data = json.loads(line[len("BENCH_JSON "):])
    if r.returncode != 0 or data is None:
        raise harness.SetupError("wrk failed (exit %d):\n%s\n%s"
                                 % (r.returncode, r.stdout[-2000:], r.stderr[-2000:]))
    data["rps"] = data["requests"] / (data["duration_us"] / 1e6)
    data["non2xx"] = data["errors"]["status"]
    data["socket_errors"] = sum(data["errors"][k] for k in ("connect", "read", "write",
                                                            "timeout"))
    data["argv"] = " ".join(a if not a.startswith(("Authorization", "X-API-Key"))
                            else a.split(":")[0] + ": <redacted>" for a in argv)
    return data


def ms(us):
    return None if us is None else round(us / 1000.0, 3)


class Bench:
    def __init__(self, args, h, fe, base_proc, bins, seeded):
        self.args, self.h, self.fe, self.base_proc = args, h, fe, base_proc
        self.bins, self.seeded = bins, seeded
        self.results = {}
        self.conns = args.connections or 2 * args.workers
        self.threads = args.threads or min(2, self.conns)

    def cpu_meter(self, worker_pids):
        db = self.h.db_proc.pid if self.h.db_proc else None
        # The web server: lighttpd's one process, or Apache's parent, its
        # children (the threads that do the work) and mod_fcgid's manager.
        fcgi = set(self.service_pids()) | set(self.baseline_pids())
        server = [self.fe.proc.pid] + [p for p in harness.descendants(self.fe.proc.pid)
                                       if p not in fcgi]
        return CpuMeter({"workers": list(worker_pids), "mariadbd": [db] if db else [],
                         "server": server})

    def service_pids(self):
        if self.base_proc is None:
            return spawned(self.fe, "overwatch-fcgi")
        return self.fe.worker_pids()

    def baseline_pids(self):
        if self.base_proc is None:
            return spawned(self.fe, self.bins["baseline"])
        return harness.children(self.base_proc.pid)

    def get_scenarios(self):
        s = self.seeded
        jwt = "Authorization: Bearer " + s["token"]
        key = "X-API-Key: " + s["api_key"]
        many = ("many_tokens", "GET /auth/me, %d distinct JWTs (cache size %d)"
                % (s["tokens"], self.args.cache_size), "/api/v1/auth/me", [], False,
                "tokens.lua", {"BENCH_TOKENS_FILE": s["tokens_file"]})
        return [
            ("baseline", "GET /baseline/ (fixed JSON)", "/baseline/ping", [], True,
             "get.lua", None),
            ("me_jwt", "GET /auth/me, JWT", "/api/v1/auth/me", [jwt], False, "get.lua", None),
            ("incidents_jwt", "GET /incidents (20 rows), JWT", "/api/v1/incidents", [jwt],
             False, "get.lua", None),
            ("incidents_key", "GET /incidents (20 rows), API key", "/api/v1/incidents", [key],
             False, "get.lua", None),
            many,
        ]

    def measure_once(self, name, label, path, headers, baseline, script="get.lua", env=None,
                     duration=None, conns=None, threads=None, warmup=False):
        """One wrk run with CPU and RSS accounting; the raw data for combine()."""
        pids = self.baseline_pids() if baseline else self.service_pids()
        url = self.fe.base_url + path
        if warmup:
            run_wrk(url, 2, conns or self.conns, threads or self.threads, script, headers, env)
        before = rss_of(pids)
        with self.cpu_meter(pids) as meter:
            d = run_wrk(url, duration or self.args.duration, conns or self.conns,
                        threads or self.threads, script, headers, env)
        after = rss_of(pids)
        d.update(label=label, path=path, rss_before_kib=before, rss_after_kib=after,
                 cpu_raw=meter.raw(),
                 workers_unchanged=sorted(pids) == sorted(self.baseline_pids() if baseline
                                                          else self.service_pids()))
        return d

    def combine(self, name, rounds):
        """One result from interleaved rounds: totals summed, p50 averaged, p99 the worst."""
        d = dict(rounds[-1])
        d["rounds"] = len(rounds)
        d["requests"] = sum(r["requests"] for r in rounds)
        d["duration_us"] = sum(r["duration_us"] for r in rounds)
        d["rps"] = d["requests"] / (d["duration_us"] / 1e6)
        d["rps_per_round"] = [round(r["rps"], 1) for r in rounds]
        d["non2xx"] = sum(r["non2xx"] for r in rounds)
        d["socket_errors"] = sum(r["socket_errors"] for r in rounds)
        d["errors"] = {k: sum(r["errors"][k] for r in rounds) for k in rounds[0]["errors"]}
        lat = {k: [r["latency_us"][k] for r in rounds] for k in rounds[0]["latency_us"]}
        d["latency_us"] = {"p50": sum(lat["p50"]) / len(rounds), "p90": max(lat["p90"]),
                           "p99": max(lat["p99"]), "p999": max(lat["p999"]),
                           "max": max(lat["max"]), "min": min(lat["min"])}
        for key in ("sent", "statuses"):
            tot = {}
            for r in rounds:
                for k, v in (r.get(key) or {}).items():
                    tot[k] = tot.get(k, 0) + v
            d[key] = tot
        d["rss_before_kib"] = rounds[0]["rss_before_kib"]
        d["workers_unchanged"] = all(r["workers_unchanged"] for r in rounds)
        d.update(cpu_report([r["cpu_raw"] for r in rounds], d["requests"]))
        d.pop("cpu_raw", None)
        log("%-19s %8.1f req/s  p50 %.2f ms  p99 %.2f ms  non-2xx %d  sock err %d  "
            "cpu us/req %s  other load %.0f%%"
            % (name, d["rps"], d["latency_us"]["p50"] / 1000, d["latency_us"]["p99"] / 1000,
               d["non2xx"], d["socket_errors"],
               " ".join("%s=%s" % kv for kv in d["cpu_us_per_request"].items()),
               d["foreign_cpu_pct"]))
        self.results[name] = d
        return d

    def measure(self, name, *args, **kw):
        return self.combine(name, [self.measure_once(name, *args, **kw)])

    def raw_argon2(self, seconds):
        r = subprocess.run([self.bins["argon2_raw"], "--processes", str(self.args.workers),
                            "--seconds", str(seconds)], capture_output=True, text=True,
                           timeout=seconds + 60)
        if r.returncode != 0:
            raise harness.SetupError("argon2_raw failed: %s" % r.stderr)
        return json.loads(r.stdout)

    def grow_pools(self, gets, tries=8):
        """mod_fcgid starts a process only for a request that found none idle
        after sleeping a second, so its pools grow during the first seconds of
        load: load each class until it has a process per connection (bounded),
        so the measured slices do not pay for the ramp (README, Apache)."""
        for name, label, path, headers, baseline, script, env in gets[:2]:
            pids = self.baseline_pids if baseline else self.service_pids
            for _ in range(tries):
                if len(pids()) >= self.conns:
                    break
                run_wrk(self.fe.base_url + path, 2, self.conns, self.threads, script, headers,
                        env)
            log("%-19s %d mod_fcgid processes" % (name, len(pids())))

    def run(self):
        a = self.args
        gets = self.get_scenarios()
        if self.base_proc is None:
            self.grow_pools(gets)
        # Interleaved rounds (baseline, me, incidents x2, then again): a machine
        # whose other load drifts during the run disturbs every scenario alike.
        slice_s = max(2, a.duration // a.rounds)
        rounds = {g[0]: [] for g in gets}
        for i in range(a.rounds):
            for name, label, path, headers, baseline, script, env in gets:
                rounds[name].append(self.measure_once(name, label, path, headers, baseline,
                                                      script=script, env=env,
                                                      duration=slice_s, warmup=(i == 0)))
        for name, *_ in gets:
            self.combine(name, rounds[name])
        base = self.results["baseline"]["rps"]
        base_cpu = self.results["baseline"]["cpu_us_per_request_total"]
        for name, *_ in gets:
            d = self.results[name]
            d["ratio"] = d["rps"] / base
            # What the ratio would be on an otherwise idle, CPU-bound machine:
            # baseline CPU per request / this scenario's (all processes).
            d["cpu_ratio"] = (base_cpu / d["cpu_us_per_request_total"]
                              if d["cpu_us_per_request_total"] else None)
        if a.gets_only:
            return

        # Login (valid only, then the mix) and raw argon2id with the same process
        # count, interleaved the same way.
        login_env = {"BENCH_LOGIN_EMAIL": EMAIL, "BENCH_LOGIN_PASSWORD": PASSWORD,
                     "BENCH_COUNT": "1", "BENCH_INVALID_EVERY": "0",
                     "BENCH_WRONG_USERS": ",".join(self.seeded["wrong_users"])}
        lr, mr, raws = [], [], []
        for i in range(a.rounds):
            lr.append(self.measure_once("login", "POST /auth/login (valid)", "/api/v1/auth/login",
                                        [], False, script="login.lua", env=login_env,
                                        duration=slice_s))
            mr.append(self.measure_once("login_mix", "POST /auth/login (1 in 2 invalid)",
                                        "/api/v1/auth/login", [], False, script="login.lua",
                                        env=dict(login_env, BENCH_INVALID_EVERY="2"),
                                        duration=slice_s))
            raws.append(self.raw_argon2(slice_s))
        self.combine("login", lr)
        self.combine("login_mix", mr)
        verifs = sum(r["verifications"] for r in raws)
        raw = dict(raws[-1])
        raw.update(rounds=len(raws), verifications=verifs,
                   seconds=round(sum(r["seconds"] for r in raws), 3),
                   per_second=sum(r["per_second"] * r["seconds"] for r in raws)
                   / sum(r["seconds"] for r in raws),
                   per_second_per_round=[r["per_second"] for r in raws],
                   cpu_ms_per_verification=sum(r["cpu_ms_per_verification"] * r["verifications"]
                                               for r in raws) / max(1, verifs),
                   ms_per_verification=sum(r["ms_per_verification"] * r["verifications"]
                                           for r in raws) / max(1, verifs))
        self.results["argon2_raw"] = raw
        log("argon2_raw          %8.1f verifications/s with %d processes (%.1f ms CPU each)"
            % (raw["per_second"], a.workers, raw["cpu_ms_per_verification"]))
        for name in ("login", "login_mix"):
            d = self.results[name]
            d["ratio_to_raw_argon2"] = d["rps"] / raw["per_second"]
            d["ratio"] = d["rps"] / base
            # The same comparison in CPU time, which a busy machine disturbs less:
            # raw argon2id CPU per verification / the workers' CPU per login.
            w = d["cpu_us_per_request"].get("workers")
            d["cpu_ratio_to_raw_argon2"] = (1000.0 * raw["cpu_ms_per_verification"] / w
                                            if w else None)
        mix = self.results["login_mix"]
        st, sent = mix["statuses"], mix["sent"]
        mix["expected_401"] = st.get("401", 0)
        mix["unexpected_non2xx"] = sum(v for k, v in st.items()
                                       if int(k) >= 400 and k != "401")
        mix["sent_invalid"] = sent.get("wrong_password", 0) + sent.get("unknown_email", 0)
        mix["sent_valid"] = sent.get("valid", 0)

        # p99 at half the maximum rate: open-loop pacing (see README).
        for name, label, path, headers, baseline, script, env in gets:
            rate = max(1.0, self.results[name]["rps"] / 2)
            conns = self.conns
            d = self.measure(name + "@half", label + " at half max rate", path, headers,
                             baseline, script=script,
                             env=dict(env or {}, BENCH_RATE="%.1f" % rate), conns=conns,
                             threads=conns, warmup=False)
            d["target_rate"] = rate
            self.results[name]["half_rate"] = {
                "target_rps": round(rate, 1), "achieved_rps": round(d["rps"], 1),
                "p50_ms": ms(d["latency_us"]["p50"]), "p99_ms": ms(d["latency_us"]["p99"]),
                "co_p50_ms": ms(d["co_latency_us"]["p50"]) if "co_latency_us" in d else None,
                "co_p99_ms": ms(d["co_latency_us"]["p99"]) if "co_latency_us" in d else None,
                "non2xx": d["non2xx"],
            }

        # Worker RSS across >= rss_requests requests of GET /auth/me (JWT).
        self.rss_run()

    def rss_run(self):
        a = self.args
        jwt = "Authorization: Bearer " + self.seeded["token"]
        url = self.fe.base_url + "/api/v1/auth/me"
        pids = self.service_pids()
        before = rss_of(pids)
        total, runs, elapsed, non2xx = 0, 0, 0.0, 0
        rate = self.results["me_jwt"]["rps"]
        deadline = time.monotonic() + a.rss_max_seconds
        while total < a.rss_requests and time.monotonic() < deadline:
            left = a.rss_requests - total
            secs = max(2, min(10, int(left / max(rate, 1.0) * 1.05) + 1,
                              int(deadline - time.monotonic()) + 1))
            d = run_wrk(url, secs, self.conns, self.threads, "get.lua", [jwt])
            total += d["requests"]
            non2xx += d["non2xx"] + d["socket_errors"]
            elapsed += d["duration_us"] / 1e6
            rate = d["rps"]
            runs += 1
        after = rss_of(pids)
        now_pids = self.service_pids()
        growth = {p: (after[p] - before[p]) if after.get(p) is not None
                  and before.get(p) is not None else None for p in before}
        self.results["rss_100k"] = {
            "requests": total, "wrk_runs": runs, "seconds": round(elapsed, 1),
            "rps": total / elapsed if elapsed else 0.0, "non2xx_or_errors": non2xx,
            "rss_before_kib": before, "rss_after_kib": after, "growth_kib": growth,
            "max_growth_kib": max((g for g in growth.values() if g is not None), default=None),
            "workers_unchanged": sorted(pids) == sorted(now_pids),
        }
        log("rss run        %d requests in %.1fs; growth per worker (KiB): %s"
            % (total, elapsed, growth))


# --------------------------------------------------------------------------- report

def machine_info():
    cpu = None
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass

    def version(argv):
        try:
            r = subprocess.run(argv, capture_output=True, text=True, timeout=10)
            return (r.stdout or r.stderr).strip().splitlines()[0]
        except (OSError, IndexError, subprocess.TimeoutExpired):
            return None
    mem = None
    try:
        mem = Path("/proc/meminfo").read_text().splitlines()[0].split(":", 1)[1].strip()
    except OSError:
        pass
    load = None
    try:
        load = Path("/proc/loadavg").read_text().strip()
    except OSError:
        pass
    commit = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip() or None
    dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--", "src"],
                           capture_output=True, text=True).stdout.strip() != ""
    return {
        "uname": version(["uname", "-a"]) or " ".join(platform.uname()),
        "cpu_model": cpu,
        "nproc": os.cpu_count(),
        "memory": mem,
        "loadavg_at_start": load,
        "python": platform.python_version(),
        "wrk": version(["wrk", "-v"]),
        "lighttpd": version([harness.which("lighttpd", "/usr/sbin"), "-v"]),
        "apache2": version([harness.which("apache2", "/usr/sbin"), "-v"]),
        "mariadb": version([harness.which("mariadbd", "/usr/sbin"), "--version"]),
        "git_commit": commit,
        "src_modified": dirty,
    }


def fmt(v, spec="%.2f"):
    return "-" if v is None else spec % v


def rss_summary(d):
    """'before -> after' of the workers, KiB (max over the workers)."""
    b = [v for v in d.get("rss_before_kib", {}).values() if v is not None]
    a = [v for v in d.get("rss_after_kib", {}).values() if v is not None]
    if not b or not a:
        return "-"
    return "%d->%d" % (max(b), max(a))


def cpu_summary(d):
    c = d.get("cpu_us_per_request") or {}
    parts = [c.get(k) for k in ("workers", "mariadbd", "server", "wrk")]
    return "%s = %s" % (fmt(d.get("cpu_us_per_request_total"), "%.0f"),
                        "+".join(fmt(v, "%.0f") for v in parts))


def evaluate(res):
    t = TARGETS
    checks = []
    if "login" not in res:          # --gets-only: no login, half-rate or RSS numbers
        return checks

    def add(name, value, target, ok, unit=""):
        checks.append({"target": name, "value": value, "threshold": target, "met": bool(ok),
                       "unit": unit})
    add("GET /auth/me (JWT) >= %.2f x baseline" % t["me_ratio"], round(res["me_jwt"]["ratio"], 3),
        t["me_ratio"], res["me_jwt"]["ratio"] >= t["me_ratio"])
    for n, lbl in (("incidents_jwt", "JWT"), ("incidents_key", "API key")):
        add("GET /incidents (%s) >= %.2f x baseline" % (lbl, t["incidents_ratio"]),
            round(res[n]["ratio"], 3), t["incidents_ratio"], res[n]["ratio"] >= t["incidents_ratio"])
    add("login >= %.2f x raw argon2id" % t["login_ratio"],
        round(res["login"]["ratio_to_raw_argon2"], 3), t["login_ratio"],
        res["login"]["ratio_to_raw_argon2"] >= t["login_ratio"])
    for n in ("me_jwt", "incidents_jwt", "incidents_key"):
        hr = res[n]["half_rate"]
        p99 = hr["co_p99_ms"] if hr["co_p99_ms"] is not None else hr["p99_ms"]
        add("%s p99 at half max rate < %.0f ms" % (n, t["p99_half_rate_ms"]), p99,
            t["p99_half_rate_ms"], p99 < t["p99_half_rate_ms"], "ms")
    g = res["rss_100k"]["max_growth_kib"]
    add("worker RSS growth after %d requests < %d KiB" % (res["rss_100k"]["requests"],
                                                         t["rss_growth_kib"]),
        g, t["rss_growth_kib"], g is not None and g < t["rss_growth_kib"]
        and res["rss_100k"]["workers_unchanged"], "KiB")
    return checks


def table_rows(res):
    rows = []
    order = ["baseline", "me_jwt", "incidents_jwt", "incidents_key", "many_tokens", "login",
             "login_mix"]
    for n in (n for n in order if n in res):
        d = res[n]
        hr = d.get("half_rate") or {}
        non2xx = str(d["non2xx"])
        if n == "login_mix":
            non2xx = "%d (401 expected: %d, other: %d)" % (d["non2xx"], d["expected_401"],
                                                          d["unexpected_non2xx"])
        rows.append([
            d["label"], "%.1f" % d["rps"], fmt(d.get("ratio"), "%.3f"),
            fmt(d.get("cpu_ratio"), "%.3f"),
            fmt(d["latency_us"]["p50"] / 1000), fmt(d["latency_us"]["p99"] / 1000),
            non2xx + (" +%d sock err" % d["socket_errors"] if d["socket_errors"] else ""),
            cpu_summary(d), "%.0f" % d["foreign_cpu_pct"],
            rss_summary(d),
            ("%s (%s) @%.0f/s" % (fmt(hr.get("co_p99_ms")), fmt(hr.get("p99_ms")),
                                  hr["achieved_rps"])) if hr else "-",
        ])
    if "argon2_raw" not in res:
        return rows
    raw = res["argon2_raw"]
    rows.append(["raw argon2id verify (%d procs)" % raw["processes"],
                 "%.1f" % raw["per_second"], "-", "-", fmt(raw["ms_per_verification"]), "-", "-",
                 "-", "-", "-", "-"])
    return rows


HEADERS = ["scenario", "req/s", "x baseline", "x baseline (CPU)", "p50 ms", "p99 ms", "non-2xx",
           "CPU us/req workers+db+server+wrk", "other load %", "worker RSS KiB",
           "p99 ms @ half rate (from send)"]


def text_table(rows):
    w = [max(len(str(r[i])) for r in rows + [HEADERS]) for i in range(len(HEADERS))]
    line = "  ".join(h.ljust(w[i]) for i, h in enumerate(HEADERS))
    out = [line, "-" * len(line)]
    for r in rows:
        out.append("  ".join(str(c).ljust(w[i]) for i, c in enumerate(r)))
    return "\n".join(out)


def markdown(doc):
    res, m, p = doc["results"], doc["machine"], doc["params"]
    rows = table_rows(res)
    out = ["# Overwatch Auth benchmark -- latest run, %s" % p["frontend"], "",
           "Measured %s on `%s` (%s, %d CPUs); commit %s%s." % (
               doc["date"], m["uname"], m["cpu_model"], m["nproc"], m["git_commit"],
               " with local changes in src/" if m["src_modified"] else ""),
           "%s, wrk %d connections / %d threads, %d s per "
           "scenario in %d interleaved rounds%s, [cache] credentials %s (size %s). wrk, the "
           "web server, MariaDB and the workers share the machine; load average %s at the "
           "start, %s at the end." % ("%d workers (service and baseline)" % p["workers"]
                                      if p["frontend"] == "lighttpd" else
                                      "mod_fcgid's pools (etc/apache2-fcgid.conf; service and "
                                      "baseline: %s processes at the end)"
                                      % p.get("fcgid_processes"),
                                      p["connections"], p["threads"],
                                      p["duration_s"], p["rounds"],
                                      ", argon2id m=%d KiB t=%d p=%d" % (
                                          p["argon2"]["memory_kib"], p["argon2"]["iterations"],
                                          p["argon2"]["parallelism"]) if p["argon2"] else "",
                                      p["cache"], p["cache_size"],
                                      " ".join(m["loadavg_at_start"].split()[:3]),
                                      " ".join(m["loadavg_at_end"].split()[:3])),
           "",
           "| " + " | ".join(HEADERS) + " |",
           "|" + "|".join("---" for _ in HEADERS) + "|"]
    for r in rows:
        out.append("| " + " | ".join(str(c) for c in r) + " |")
    if "login" not in res:          # --gets-only
        out.append("")
        return "\n".join(out)
    rss = res["rss_100k"]
    lg, raw = res["login"], res["argon2_raw"]
    out += ["", "Login: %.1f req/s = %.3f x raw argon2id (%.1f verifications/s, %d processes); "
            "in CPU time: %.1f ms of worker CPU per login vs %.1f ms per raw verification "
            "(%s)." % (lg["rps"], lg["ratio_to_raw_argon2"], raw["per_second"], raw["processes"],
                       (lg["cpu_us_per_request"].get("workers") or 0) / 1000.0,
                       raw["cpu_ms_per_verification"], fmt(lg.get("cpu_ratio_to_raw_argon2"),
                                                           "%.3f")),
            "Mix (1 in 2 invalid): sent %d valid / %d invalid; got %s."
            % (res["login_mix"]["sent_valid"], res["login_mix"]["sent_invalid"],
               ", ".join("%s: %d" % kv for kv in sorted(res["login_mix"]["statuses"].items()))),
            "Worker RSS over %d requests of GET /auth/me (JWT): growth per worker %s KiB."
            % (rss["requests"], ", ".join("%s" % v for v in rss["growth_kib"].values())),
            "", "| target | value | met |", "|---|---|---|"]
    for c in doc["targets"]:
        out.append("| %s | %s %s | %s |" % (c["target"], c["value"], c["unit"],
                                            "yes" if c["met"] else "**no**"))
    out.append("")
    return "\n".join(out)


# --------------------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--frontend", choices=("lighttpd", "apache-fcgid"), default="lighttpd",
                    help="the web server in front of the service and the baseline (lighttpd)")
    ap.add_argument("--duration", type=int, default=10, help="seconds per scenario (10)")
    ap.add_argument("--workers", type=int, default=2, help="service and baseline workers (2)")
    ap.add_argument("--rounds", type=int, default=2, help="interleaved rounds per scenario, "
                    "each of duration/rounds seconds (2)")
    ap.add_argument("--connections", type=int, default=0, help="wrk connections (2 x workers)")
    ap.add_argument("--threads", type=int, default=0, help="wrk threads (2)")
    ap.add_argument("--rss-requests", type=int, default=100000,
                    help="requests in the RSS growth run (100000)")
    ap.add_argument("--rss-max-seconds", type=int, default=150,
                    help="upper bound on the RSS run's time (150)")
    ap.add_argument("--cache", choices=("on", "off"), default="on",
                    help="[cache] credentials of the service (on)")
    ap.add_argument("--cache-size", type=int, default=64, help="[cache] size (64); the "
                    "many-tokens scenario sends %d x as many distinct JWTs"
                    % TOKENS_PER_CACHE_ENTRY)
    ap.add_argument("--tokens", type=int, default=0, help="distinct JWTs of the many-tokens "
                    "scenario (%d x --cache-size)" % TOKENS_PER_CACHE_ENTRY)
    ap.add_argument("--gets-only", action="store_true", help="only the GET scenarios at "
                    "full load (no login, half rate or RSS run): for A/B runs")
    ap.add_argument("--build", action="store_true", help="run make for the service first")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir (logs, configs)")
    ap.add_argument("--hold", action="store_true", help="after seeding, print the URL and "
                    "credentials and keep the stack up until stopped (for profiling by hand)")
    ap.add_argument("--out", default=str(HERE / "results"), help="results directory")
    args = ap.parse_args()
    if args.duration < 2 or args.workers < 1 or args.rounds < 1:
        ap.error("--duration >= 2, --workers >= 1 and --rounds >= 1")
    if not shutil.which("wrk"):
        sys.exit("bench: wrk not found (apt-get install wrk)")

    t0 = time.monotonic()
    harness.CACHE = args.cache
    SERVICE_ENV["OVERWATCH_CACHE_SIZE"] = str(args.cache_size)
    build_service(args.build)
    h = BenchHarness(keep=args.keep)
    log("temp dir %s" % h.tmp)
    try:
        bindir = Path(h.tmp) / "bin"
        bindir.mkdir()
        bins = build(bindir)
        # A snapshot: a rebuild of the checkout during the run changes nothing
        # here, and a profiler finds the symbols of the binary that runs.
        for attr in ("fcgi_bin", "admin_bin"):
            src = getattr(h, attr)
            dst = bindir / Path(src).name
            shutil.copy2(src, dst)
            setattr(h, attr, str(dst))
        log("starting MariaDB, the service, the baseline and %s" % args.frontend)
        h.prepare()
        fe, base_proc = start_stack(h, bins, args.workers, args.frontend)
        seeded = seed(h, fe, args.tokens or TOKENS_PER_CACHE_ENTRY * args.cache_size)
        bench = Bench(args, h, fe, base_proc, bins, seeded)
        log("seeded; %s (service workers %s; baseline workers %s)"
            % (fe.base_url, bench.service_pids(), bench.baseline_pids()))
        if args.hold:
            print(json.dumps({"base_url": fe.base_url, "token": seeded["token"],
                              "api_key": seeded["api_key"], "email": EMAIL,
                              "password": PASSWORD, "workers": bench.service_pids(),
                              "server": fe.proc.pid,
                              "tmp": h.tmp}, indent=1), flush=True)
            stop = Path(h.tmp) / "stop"
            log("holding; Ctrl-C, SIGTERM or `touch %s` stops" % stop)
            signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
            try:
                while not stop.exists():
                    time.sleep(0.5)
            except KeyboardInterrupt:
                pass
            return 0
        machine = machine_info()
        bench.run()
        res = bench.results
        doc = {
            "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "machine": machine,
            "params": {
                "frontend": args.frontend, "cache": args.cache,
                "cache_size": args.cache_size, "gets_only": args.gets_only,
                "fcgid_processes": (None if base_proc else "%d + %d" % (
                    len(bench.service_pids()), len(bench.baseline_pids()))),
                "duration_s": args.duration, "workers": args.workers, "rounds": args.rounds,
                "connections": bench.conns, "threads": bench.threads,
                "half_rate_connections": bench.conns, "half_rate_threads": bench.conns,
                "rss_requests": args.rss_requests,
                "argon2": ({"memory_kib": res["argon2_raw"]["memory_kib"],
                            "iterations": res["argon2_raw"]["iterations"],
                            "parallelism": res["argon2_raw"]["parallelism"]}
                           if "argon2_raw" in res else None),
                "service_env": SERVICE_ENV,
                "incidents_body_bytes": seeded["incidents_body_bytes"],
                "me_body_bytes": seeded["me_body_bytes"],
            },
            "results": res,
            "total_seconds": round(time.monotonic() - t0, 1),
        }
        doc["targets"] = evaluate(res)
        doc["machine"]["loadavg_at_end"] = Path("/proc/loadavg").read_text().strip()
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        stem = "latest" if args.frontend == "lighttpd" else "latest-" + args.frontend
        stem += ("-cache-off" if args.cache == "off" else "") + ("-gets" if args.gets_only else "")
        (out / (stem + ".json")).write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n")
        (out / (stem + ".md")).write_text(markdown(doc))
        print()
        print(text_table(table_rows(res)))
        print()
        for c in doc["targets"]:
            print("%-4s %s: %s %s" % ("ok" if c["met"] else "MISS", c["target"], c["value"],
                                      c["unit"]))
        print("\nbench: wrote %s and %s (%.0f s)" % (out / (stem + ".json"), out / (stem + ".md"),
                                                    doc["total_seconds"]))
        return 0
    except harness.SetupError as e:
        print("bench: FAILED: %s" % e, file=sys.stderr)
        return 1
    finally:
        h.cleanup()


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Benchmark: the cost of authorizing one request, with wrk.

    python3 tests/bench/authorizer.py [--duration S] [--connections N]
                                      [--threads N] [--server NAME ...] [--keep]

Starts what the integration tests use (tests/lib/harness.py and
guarded.py): a private MariaDB, an API front-end to register an organization
and create an API key, and the guarded web servers built from the shipped
examples. On each guarded server, wrk fetches the same 26-byte file

  unprotected   /public/report.txt      (no authorizer)
  jwt           /downloads/report.txt   Authorization: Bearer <access JWT>
  api_key       /downloads/report.txt   X-API-Key (incidents:read)

and the result is each guarded rate as a ratio to the unprotected one, plus
the added time per request at that concurrency (1/rate_guarded -
1/rate_unprotected, times the connections), and where the CPU goes: CPU
microseconds per request of the service's processes, MariaDB, the web
server and wrk (run.py's CpuMeter), and the share of the machine other
processes took meanwhile ("other load"). For scale, GET /api/v1/auth/me
with the same JWT through the API front-end (lighttpd) is measured once: the
same credential check as a Responder. Every wrk run must see only 200s.
Servers: lighttpd (mod_fastcgi authorizer, standalone master with 2
workers), apache-authnz (mod_authnz_fcgi, same), apache-fcgid (mod_fcgid
FcgidAccessChecker, processes spawned by mod_fcgid). About 50 s per server at
the defaults. Standard library and wrk only; does not touch tests/bench/run.py.
"""

import argparse
import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/, for the shared package tests/lib

from lib import api  # noqa: E402
from lib import guarded  # noqa: E402
from lib import harness  # noqa: E402
from run import CpuMeter, cpu_report, spawned  # noqa: E402  (tests/bench/run.py)

# Workers must not recycle during the runs (the default is every 10,000 requests).
SERVICE_ENV = {"OVERWATCH_SERVICE_MAX_REQUESTS": "100000000"}
UNIT_US = {"us": 1.0, "ms": 1000.0, "s": 1e6}


def log(msg):
    print("bench-authorizer: " + msg, flush=True)


def wrk(url, duration, connections, threads, headers=()):
    argv = ["wrk", "-t", str(threads), "-c", str(connections), "-d", "%ds" % duration,
            "--latency", "--timeout", "5s"]
    for h in headers:
        argv += ["-H", h]
    argv.append(url)
    r = subprocess.run(argv, capture_output=True, text=True, timeout=duration + 60)
    out = r.stdout
    m = re.search(r"^\s*(\d+) requests in ([\d.]+)(us|ms|s)", out, re.M)
    if r.returncode != 0 or not m:
        raise harness.SetupError("wrk failed (exit %d):\n%s\n%s" % (r.returncode, out, r.stderr))
    requests = int(m.group(1))
    seconds = float(m.group(2)) * UNIT_US[m.group(3)] / 1e6
    lat = {}
    for pct, value, unit in re.findall(r"^\s*(50|99)(?:\.000)?%\s+([\d.]+)(us|ms|s)", out, re.M):
        lat["p" + pct] = float(value) * UNIT_US[unit] / 1000.0
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return {
        "requests": requests,
        "rps": requests / seconds,
        "p50_ms": lat.get("p50"),
        "p99_ms": lat.get("p99"),
        "non2xx": int(non2xx.group(1)) if non2xx else 0,
        "socket_errors": sum(int(x) for x in errors.groups()) if errors else 0,
    }


def cpu_groups(h, g):
    """The pids CpuMeter follows for guarded server g: service, MariaDB, web server."""
    service = harness.children(g.master.pid) if g.master else spawned(g, "overwatch-fcgi")
    server = [g.proc.pid] + [p for p in harness.descendants(g.proc.pid) if p not in service]
    return {"workers": service, "mariadbd": [h.db_proc.pid] if h.db_proc else [],
            "server": server}


def measured(h, g, url, args, headers):
    """One wrk run at g, with the CPU each part of the stack spent on it."""
    with CpuMeter(cpu_groups(h, g)) as meter:
        d = wrk(url, args.duration, args.connections, args.threads, headers)
    d.update(cpu_report([meter.raw()], d["requests"]))
    return d


def cpu_text(d):
    per = d["cpu_us_per_request"]
    return "CPU us/req %.0f = %s  other load %.0f%%" % (
        d["cpu_us_per_request_total"],
        " + ".join("%s %.0f" % (k, per[k] or 0) for k in ("workers", "mariadbd", "server", "wrk")),
        d["foreign_cpu_pct"])


def one_round(h, g, name, i, scenarios, args):
    """Each scenario once, the unprotected file first: the guarded rates of a
    round are ratios to the unprotected rate of the same round, measured
    seconds before them (a run's rate drifts more from round to round than
    between neighbours)."""
    rows = {}
    for label, path, headers in scenarios:
        d = measured(h, g, g.base_url + path, args, headers)
        if d["non2xx"] or d["socket_errors"]:
            raise harness.SetupError("%s %s: %d non-2xx, %d socket errors"
                                     % (name, label, d["non2xx"], d["socket_errors"]))
        rows[label] = d
    base = rows["unprotected"]["rps"]
    for label, d in rows.items():
        d["ratio"] = round(d["rps"] / base, 3)
        d["added_us"] = round(1e6 * args.connections * (1 / d["rps"] - 1 / base), 1)
        log("%-14s %-12s round %d  %9.0f req/s  ratio %.3f  +%7.1f us/request  p50 %.2f ms  "
            "p99 %.2f ms  %s" % (name, label, i + 1, d["rps"], d["ratio"], d["added_us"],
                                 d["p50_ms"] or 0, d["p99_ms"] or 0, cpu_text(d)))
    return rows


def median_rows(rounds):
    """Per scenario, the median over the rounds of each number (each one on its own)."""
    def med(values):
        values = sorted(v for v in values if v is not None)
        return values[len(values) // 2] if values else None
    out = {}
    for label in rounds[0]:
        rows = [r[label] for r in rounds]
        groups = rows[0]["cpu_us_per_request"]
        out[label] = {
            "rps": med(r["rps"] for r in rows),
            "ratio": med(r["ratio"] for r in rows),
            "ratio_range": [min(r["ratio"] for r in rows), max(r["ratio"] for r in rows)],
            "added_us": med(r["added_us"] for r in rows),
            "cpu_us_per_request_total": med(r["cpu_us_per_request_total"] for r in rows),
            "cpu_us_per_request": {k: med(r["cpu_us_per_request"][k] for r in rows)
                                   for k in groups},
        }
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--duration", type=int, default=5, help="seconds per wrk run (default 5)")
    ap.add_argument("--rounds", type=int, default=3,
                    help="rounds of the three scenarios per server; medians reported (default 3)")
    ap.add_argument("--connections", type=int, default=4)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--server", action="append", choices=sorted(guarded.STARTERS),
                    help="guarded server(s) to measure (default: lighttpd, apache-authnz)")
    ap.add_argument("--json", help="also write the results to this file")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir")
    args = ap.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed (apt-get install wrk)")
    servers = args.server or ["lighttpd", "apache-authnz"]

    h = harness.Harness(keep=args.keep)
    log("temp dir %s" % h.tmp)
    results = {"config": {"duration_s": args.duration, "rounds": args.rounds,
                          "connections": args.connections,
                          "threads": args.threads, "workers": harness.WORKERS}, "servers": {}}
    try:
        h.prepare()
        fe = h.start_frontend("lighttpd-socket")
        if fe.error:
            raise harness.SetupError(fe.error)
        org = api.Org(fe, "bench")
        key = org.create_key(["incidents:read"], name="bench authorizer")
        scenarios = [
            ("unprotected", "/public/report.txt", []),
            ("jwt", "/downloads/report.txt", ["Authorization: Bearer " + org.admin.token]),
            ("api_key", "/downloads/report.txt", ["X-API-Key: " + key["api_key"]]),
        ]
        jwt = ["Authorization: Bearer " + org.admin.token]
        wrk(fe.base_url + "/api/v1/auth/me", 1, args.connections, args.threads, jwt)
        me = wrk(fe.base_url + "/api/v1/auth/me", args.duration, args.connections,
                 args.threads, jwt)
        results["api_me_jwt"] = me
        log("%-14s %-12s %9.0f req/s  p50 %.2f ms  p99 %.2f ms  (non-2xx %d)"
            % ("api", "auth/me jwt", me["rps"], me["p50_ms"] or 0, me["p99_ms"] or 0,
               me["non2xx"]))
        for name in servers:
            g = guarded.STARTERS[name](h, extra_env=SERVICE_ENV)
            for label, path, headers in scenarios:
                wrk(g.base_url + path, 1, args.connections, args.threads, headers)   # warm-up
            rounds = [one_round(h, g, name, i, scenarios, args) for i in range(args.rounds)]
            results["servers"][name] = median_rows(rounds)
            results["servers"][name]["rounds"] = rounds
            h.stop_frontend(g)          # free the CPU for the next server
            time.sleep(0.5)
    finally:
        h.cleanup()
    print("\nMedians over %d rounds (ratio range in brackets):" % args.rounds)
    print("\n| server | unprotected req/s | JWT ratio | API key ratio | added per request (JWT / key) "
          "| CPU us/req unprotected / JWT / key: total (service + MariaDB + server + wrk) |")
    print("|---|---|---|---|---|---|")
    for name, rows in results["servers"].items():
        cpu = " / ".join("%.0f (%s)" % (rows[k]["cpu_us_per_request_total"], " + ".join(
            "%.0f" % (rows[k]["cpu_us_per_request"][g] or 0)
            for g in ("workers", "mariadbd", "server", "wrk"))) for k in ("unprotected", "jwt", "api_key"))
        print("| %s | %.0f | %.3f [%.3f-%.3f] | %.3f [%.3f-%.3f] | %.0f us / %.0f us | %s |" % (
            name, rows["unprotected"]["rps"], rows["jwt"]["ratio"], *rows["jwt"]["ratio_range"],
            rows["api_key"]["ratio"], *rows["api_key"]["ratio_range"],
            rows["jwt"]["added_us"], rows["api_key"]["added_us"], cpu))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Runs the scale-out tests: python3 tests/cluster/run.py [options].

Starts a 3-node Galera cluster, two service hosts and HAProxy (cluster.py),
runs the test_* functions of test_cluster.py in file order, prints `ok`/`FAIL`
and the time of each, and ends with exactly one line `N passed, M failed`;
exits 1 on any failure (set-up failures count as failed tests).

  --keep          keep the temp dir (every config and log)
  -k WORD         only tests whose name contains WORD (set-up always runs)
  --sync-wait N   run the hosts with [database] sync_wait = N instead of 1
                  (0 shows what the revocation tests catch without it)

OW_CLUSTER_ADMIN_ROUNDS=N in the environment: N rounds of crossed demotions
in last_admin_rule_holds_across_hosts instead of 12 (a rare interleaving
shows in the hundreds). OW_CLUSTER_GENERAL_LOG=1: every node writes its
general query log and its Galera conflicts (wsrep_log_conflicts) into its
folder of the temp dir (with --keep, to read which statements a connection
ran and which transaction a replicated one pushed out).
"""

import argparse
import inspect
import os
import signal
import sys
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/, for the shared package tests/lib

import cluster  # noqa: E402
import test_cluster  # noqa: E402


def stage(label, seconds):
    print("-- stage %-40s %6.2fs" % (label, seconds), flush=True)


def on_term(signum, frame):
    raise KeyboardInterrupt("SIGTERM")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-k", dest="keyword")
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--sync-wait", type=int, default=1)
    ap.add_argument("-v", "--verbose", action="store_true", help="full tracebacks")
    args = ap.parse_args()
    # `timeout` (tools/test) sends SIGTERM: stop through the finally below,
    # which stops the cluster, rather than leave three mariadbd running.
    signal.signal(signal.SIGTERM, on_term)

    tests = sorted(((fn.__code__.co_firstlineno, n, fn) for n, fn in vars(test_cluster).items()
                    if n.startswith("test_") and inspect.isfunction(fn)
                    and fn.__module__ == test_cluster.__name__))
    tests = [(n, fn) for _, n, fn in tests if not args.keyword or args.keyword in n]
    passed = failed = 0
    t_all = time.monotonic()
    c = cluster.Cluster(keep=args.keep, sync_wait=args.sync_wait)
    print("cluster: temp dir %s%s" % (c.tmp, "" if args.sync_wait == 1 else
                                      " (sync_wait = %d)" % args.sync_wait), flush=True)
    setup_error = None
    try:
        try:
            c.start()
        except Exception as e:  # noqa: BLE001
            setup_error = "%s: %s" % (type(e).__name__, e)
            print("SETUP FAILED: %s" % setup_error, flush=True)
        for label, seconds in c.timings:
            stage("start: " + label, seconds)
        for name, fn in tests:
            label = name[5:]
            if setup_error:
                failed += 1
                print("FAIL  %s  (setup: %s)" % (label, setup_error.splitlines()[0][:200]), flush=True)
                continue
            t = time.monotonic()
            try:
                fn(c)
            except Exception as e:  # noqa: BLE001
                failed += 1
                print("FAIL  %s  %.2fs" % (label, time.monotonic() - t), flush=True)
                if args.verbose or not isinstance(e, AssertionError):
                    tb = traceback.format_exc().rstrip().splitlines()
                    print("\n".join("      " + x for x in tb[-10:]), flush=True)
                else:
                    print("      %s" % (str(e) or "assertion failed").replace(
                        "\n", "\n      ")[:3000], flush=True)
            else:
                passed += 1
                print("ok    %s  %.2fs" % (label, time.monotonic() - t), flush=True)
    finally:
        if failed:
            for log in c.logs():
                if os.path.exists(log) and os.path.getsize(log):
                    print("---- tail of %s" % log)
                    print(cluster.tail(log, 8))
        t = time.monotonic()
        c.cleanup()
        stage("cleanup", time.monotonic() - t)
    stage("cluster total", time.monotonic() - t_all)
    print("%d passed, %d failed" % (passed, failed), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

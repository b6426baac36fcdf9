#!/usr/bin/env python3
"""Runs the integration tests: python3 tests/integration/run.py [options].

Each tests/integration/test_*.py module holds functions test_NAME(fe) run once
per front-end (fe is a harness.Frontend with .request/.get/.post_json and
.base_url); a module may narrow the front-ends with FRONTENDS = (...) and
order itself with ORDER (lower first; default 50); `--frontend NAME=MOD,...`
narrows a front-end to those modules (the sanitizer stage of tools/test runs
only the process-model modules a second time).  A test fails by raising
(plain assert is fine); nothing is skipped: a missing route fails.

Prints one `ok`/`FAIL` line per test and front-end, the time of each
stage, and ends with exactly one line `N passed, M failed`; exits 1 on any
failure.
"""

import argparse
import importlib
import inspect
import os
import sys
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/, for the shared package tests/lib

from lib import harness  # noqa: E402


def collect(selected_modules, keyword, excluded=()):
    modules = []
    for path in sorted(HERE.glob("test_*.py")):
        name = path.stem
        if selected_modules and name not in selected_modules:
            continue
        mod = importlib.import_module(name)
        tests = [(fn.__code__.co_firstlineno, n, fn) for n, fn in vars(mod).items()
                 if n.startswith("test_") and inspect.isfunction(fn)
                 and fn.__module__ == mod.__name__]
        tests = [(n, fn) for _, n, fn in sorted(tests)
                 if (not keyword or keyword in "%s.%s" % (name, n))
                 and not any(x in "%s.%s" % (name, n) for x in excluded)]
        if tests:
            modules.append((getattr(mod, "ORDER", 50), name, mod, tests))
    modules.sort(key=lambda m: (m[0], m[1]))
    return [(name, mod, tests) for _, name, mod, tests in modules]


def frontend_arg(value):
    """--frontend NAME or NAME=MODULE,MODULE: (name, set of modules or None)."""
    name, _, mods = value.partition("=")
    if name not in harness.FRONTENDS:
        raise argparse.ArgumentTypeError("unknown front-end %r (%s)"
                                         % (name, ", ".join(harness.FRONTENDS)))
    return name, set(mods.split(",")) if mods else None


def runs_on(modname, mod, fname, wanted):
    """Does module modname run on front-end fname under the --frontend choices?"""
    if fname not in getattr(mod, "FRONTENDS", harness.FRONTENDS) or fname not in wanted:
        return False
    return wanted[fname] is None or modname in wanted[fname]


def stage(label, seconds):
    print("-- stage %-34s %6.2fs" % (label, seconds), flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--frontend", action="append", type=frontend_arg,
                    help="run against this front-end only (repeatable); NAME=MOD,MOD: "
                    "only those modules on it")
    ap.add_argument("--module", action="append", help="test module (e.g. test_foundation)")
    ap.add_argument("-k", dest="keyword", help="only tests whose module.name contains this")
    ap.add_argument("--exclude", action="append", default=[],
                    help="leave out tests whose module.name contains this (repeatable)")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir (logs, configs)")
    ap.add_argument("-v", "--verbose", action="store_true", help="full tracebacks")
    args = ap.parse_args()

    plan = collect(args.module, args.keyword, args.exclude)
    wanted = dict(args.frontend or [(f, None) for f in harness.FRONTENDS])
    needed = [f for f in harness.FRONTENDS
              if any(runs_on(n, m, f, wanted) for n, m, _ in plan)]
    passed = failed = 0
    failed_frontends = set()
    t_all = time.monotonic()
    h = harness.Harness(keep=args.keep)
    print("integration: temp dir %s" % h.tmp, flush=True)
    setup_error = None
    try:
        t = time.monotonic()
        try:
            h.prepare()
        except Exception as e:  # noqa: BLE001
            setup_error = "%s: %s" % (type(e).__name__, e)
            print("SETUP FAILED: %s" % setup_error, flush=True)
        stage("mariadb + migrate + secret", time.monotonic() - t)
        for name in needed:
            if setup_error:
                break
            t = time.monotonic()
            fe = h.start_frontend(name)
            stage("start %s" % name, time.monotonic() - t)
            if fe.error:
                print("SETUP FAILED: %s: %s" % (name, fe.error), flush=True)
        for modname, mod, tests in plan:
            for fname in getattr(mod, "FRONTENDS", harness.FRONTENDS):
                if not runs_on(modname, mod, fname, wanted):
                    continue
                t_stage = time.monotonic()
                fe = h.frontends.get(fname)
                for tname, fn in tests:
                    label = "%-16s %s.%s" % (fname, modname[5:], tname[5:])
                    t = time.monotonic()
                    err = setup_error or (fe.error if fe else "not started")
                    if err:
                        failed += 1
                        failed_frontends.add(fname)
                        print("FAIL  %s  (setup: %s)" % (label, err.splitlines()[0][:200]),
                              flush=True)
                        continue
                    try:
                        fn(fe)
                    except Exception as e:  # noqa: BLE001
                        failed += 1
                        failed_frontends.add(fname)
                        dt = time.monotonic() - t
                        print("FAIL  %s  %.2fs" % (label, dt), flush=True)
                        if args.verbose or not isinstance(e, AssertionError):
                            tb = traceback.format_exc().rstrip().splitlines()
                            print("\n".join("      " + x for x in tb[-8:]), flush=True)
                        else:
                            print("      %s" % (str(e) or "assertion failed").replace(
                                "\n", "\n      ")[:2000], flush=True)
                    else:
                        passed += 1
                        print("ok    %s  %.2fs" % (label, time.monotonic() - t), flush=True)
                stage("%s on %s" % (modname, fname), time.monotonic() - t_stage)
    finally:
        if failed and not setup_error:
            for fname in sorted(failed_frontends):
                fe = h.frontends.get(fname)
                for log in (fe.logs if fe else []):
                    if os.path.exists(log) and os.path.getsize(log):
                        print("---- tail of %s" % log)
                        print(harness.tail(log, 12))
        if setup_error or (failed and not args.keep):
            for log in (h.db_log,):
                if os.path.exists(log) and setup_error:
                    print("---- tail of %s" % log)
                    print(harness.tail(log, 12))
        t = time.monotonic()
        h.cleanup()
        stage("cleanup", time.monotonic() - t)
    stage("integration total", time.monotonic() - t_all)
    print("%d passed, %d failed" % (passed, failed), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
